"""Unit tests of the signup and detail-entry forms: normalisation, messages and rules."""

from typing import Any

import pytest
from flask import Flask

from forms.base import TaskForm
from forms.entry import (
    EntryConfirmForm,
    EntryContactForm,
    EntryContractorForm,
    EntryEquipmentForm,
    EntryManagerForm,
    EntryOfficeForm,
    EntryPlanForm,
    EntryStartDateForm,
)
from forms.signup import SignupContactForm

CONTACT = {
    "company_name": "NACCS商事株式会社",
    "company_kana": "ナックスショウジ",
    "last_name": "山田",
    "first_name": "太郎",
    "last_kana": "ヤマダ",
    "first_kana": "タロウ",
    "phone": "0312345678",
    "email": "taro@example.jp",
    "email_confirm": "taro@example.jp",
    "fax": "",
}
OFFICE = {
    "company_name": "NACCS商事株式会社",
    "company_kana": "ナックスショウジ",
    "office_name": "本社",
    "office_kana": "ホンシャ",
    "postal_code": "105-0011",
    "prefecture": "東京都",
    "city": "港区",
    "street": "芝公園1-2-3",
    "address_kana": "トウキョウトミナトクシバコウエン",
    "phone": "03-1234-5678",
    "fax": "",
    "customs": "東京税関",
}
OFFICES = {
    "NAC001": {
        "company_name": "NACCS商事株式会社",
        "office_name": "航空貨物営業所",
        "postal_code": "1050011",
        "prefecture": "東京都",
        "city": "港区",
        "street": "芝公園１－２－３",
    },
    "OTH001": {
        "company_name": "他社物流株式会社",
        "office_name": "本社",
        "postal_code": "1050011",
        "prefecture": "東京都",
        "city": "港区",
        "street": "芝公園1-2-3",
    },
    "NAC002": {
        "company_name": "NACCS商事株式会社",
        "office_name": "大阪営業所",
        "postal_code": "5300001",
        "prefecture": "大阪府",
        "city": "大阪市北区",
        "street": "梅田1-1",
    },
}
EQUIPMENT_CONTEXT = {
    "office_lookup": OFFICES.get,
    "applicant": {"entry_office": OFFICE},
}


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False, SECRET_KEY="test-secret")
    return app


def submit(app: Flask, cls: type[TaskForm], data: Any, context: Any = None) -> TaskForm:
    """Post data to a new form of cls, prepare it with context and validate it."""
    with app.test_request_context(method="POST", data=data):
        form = cls()
        form.prepare(context or {})
        form.validate()
        return form


def test_signup_contact_normalises_digits_kana_and_width(app: Flask) -> None:
    posted = dict(
        CONTACT,
        company_name=" ＮＡＣＣＳ商事株式会社 ",
        company_kana="なっくすｼｮｳｼﾞ",
        last_kana="やまだ",
        first_kana="ﾀﾛｳ",
        phone="０３－１２３４－５６７８",
        email="ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ",
        fax="03 1234 5679",
    )
    form = submit(app, SignupContactForm, posted)
    assert form.errors == {}
    data = form.to_task_data()
    assert data["company_name"] == "NACCS商事株式会社"
    assert data["company_kana"] == "ナックスショウジ"
    assert data["last_kana"] == "ヤマダ"
    assert data["first_kana"] == "タロウ"
    assert data["phone"] == "0312345678"
    assert data["email"] == "taro@example.jp"
    assert data["fax"] == "0312345679"


def test_signup_contact_refuses_machine_dependent_chars(app: Flask) -> None:
    form = submit(
        app, SignupContactForm, dict(CONTACT, company_name="NACCS商事①", phone="03①2345678")
    )
    assert form.errors["company_name"] == ["機種依存文字（①など）は使用できません：①"]
    assert form.errors["phone"] == ["機種依存文字（①など）は使用できません：①"]
    form = submit(app, SignupContactForm, dict(CONTACT, company_name="㈱NACCS"))
    assert form.errors["company_name"] == ["機種依存文字（①など）は使用できません：㈱"]


def test_signup_contact_field_messages(app: Flask) -> None:
    posted = dict(
        CONTACT,
        last_kana="山田",
        phone="03-1234-567",
        email="taro@example",
        email_confirm="taro@example",
    )
    form = submit(app, SignupContactForm, posted)
    assert form.errors["last_kana"] == ["全角カタカナで入力してください。"]
    assert form.errors["phone"] == ["電話番号は10桁または11桁の数字で入力してください。"]
    assert form.errors["email"] == ["E-mailの形式が正しくありません。"]
    form = submit(app, SignupContactForm, {})
    assert form.errors["company_name"] == ["企業名を入力してください。"]
    assert form.errors["email_confirm"] == ["E-mail（確認）を入力してください。"]
    assert "fax" not in form.errors


def test_signup_contact_email_mismatch(app: Flask) -> None:
    form = submit(app, SignupContactForm, dict(CONTACT, email_confirm="jiro@example.jp"))
    assert form.errors == {"email_confirm": ["E-mailとE-mail（確認）が一致しません。"]}


def test_entry_contact_reason_limit_is_240_characters(app: Flask) -> None:
    ok = submit(app, EntryContactForm, dict(CONTACT, reason="あ" * 240))
    assert ok.errors == {}
    assert set(ok.to_task_data()) == set(CONTACT) | {"reason"}
    too_long = submit(app, EntryContactForm, dict(CONTACT, reason="あ" * 241))
    assert too_long.errors == {"reason": ["申込理由は240文字以内で入力してください。"]}
    crlf = submit(app, EntryContactForm, dict(CONTACT, reason="あ\r\n" * 120))
    assert crlf.errors == {}
    missing = submit(app, EntryContactForm, CONTACT)
    assert missing.errors == {"reason": ["申込理由を入力してください。"]}


def test_entry_start_date_choices_come_from_context(app: Flask) -> None:
    context = {"open_start_dates": [("2025-04-14", "2025年4月14日（月）"), ("2025-04-21", "…")]}
    form = submit(app, EntryStartDateForm, {"wished_start_date": "2025-04-14"}, context)
    assert form.errors == {}
    assert form.to_task_data() == {"wished_start_date": "2025-04-14"}
    assert [c.value for c in form.wished_start_date.choices] == ["", "2025-04-14", "2025-04-21"]
    closed = submit(app, EntryStartDateForm, {"wished_start_date": "2025-04-01"}, context)
    assert "選択された利用開始希望日は選択できません" in closed.errors["wished_start_date"][0]
    missing = submit(app, EntryStartDateForm, {}, context)
    assert missing.errors == {"wished_start_date": ["利用開始希望日を選択してください。"]}


def test_entry_office_happy_path_and_customs_suggestion(app: Flask) -> None:
    form = submit(app, EntryOfficeForm, dict(OFFICE, postal_code="１０５ー００１１"))
    assert form.errors == {}
    data = form.to_task_data()
    assert data["postal_code"] == "1050011"
    assert data["phone"] == "0312345678"
    assert form.suggested_customs() == "東京税関"
    bad = submit(app, EntryOfficeForm, dict(OFFICE, postal_code="105-001", prefecture="東京"))
    assert bad.errors["postal_code"] == ["郵便番号は7桁の数字で入力してください。"]
    assert bad.errors["prefecture"] == ["都道府県は選択肢から選択してください。"]


def test_entry_contractor_address_only_when_other(app: Flask) -> None:
    base = {"name": "山田一郎", "kana": "やまだいちろう", "title": "代表取締役社長"}
    same = submit(app, EntryContractorForm, dict(base, address_mode="same", city="無視①"))
    assert same.errors == {}
    data = same.to_task_data()
    assert data["kana"] == "ヤマダイチロウ"
    assert data["title"] == "代表取締役社長"
    assert data["city"] == "" and data["prefecture"] is None
    other = submit(app, EntryContractorForm, dict(base, address_mode="other"))
    assert set(other.errors) == {"postal_code", "prefecture", "city", "street", "address_kana"}
    assert other.errors["prefecture"] == ["都道府県を選択してください。"]
    full = dict(base, address_mode="other", postal_code="2100005", prefecture="神奈川県")
    full.update(city="川崎市川崎区", street="堀川町999", address_kana="カナガワケン")
    assert submit(app, EntryContractorForm, full).errors == {}


MANAGER_OTHER = {
    "mode": "other",
    "department": "情報システム部",
    "title": "部長",
    "name": "鈴木花子",
    "kana": "スズキハナコ",
    "phone": "045-123-4567",
    "email": "hanako@example.jp",
    "fax1": "0000000000",
    "confirmed": "y",
    "naccs_type": "net",
}


def test_entry_manager_same_needs_only_fax_confirmation_and_type(app: Flask) -> None:
    posted = {
        "mode": "same",
        "fax1": "０３－１２３４－５６７８",
        "confirmed": "y",
        "naccs_type": "net",
    }
    form = submit(app, EntryManagerForm, posted)
    assert form.errors == {}
    data = form.to_task_data()
    assert data["fax1"] == "0312345678" and data["confirmed"] is True
    assert data["name"] == "" and data["fax2"] == ""


def test_entry_manager_other_and_no_fax(app: Flask) -> None:
    form = submit(app, EntryManagerForm, MANAGER_OTHER)
    assert form.errors == {}
    assert form.to_task_data()["fax1"] == "0000000000"
    general = submit(app, EntryManagerForm, dict(MANAGER_OTHER, naccs_type="general"))
    assert list(general.errors) == ["naccs_type"]
    assert "変更申込" in general.errors["naccs_type"][0]
    assert "一般NACCS" in EntryManagerForm.general_naccs_note


def test_entry_manager_messages(app: Flask) -> None:
    form = submit(app, EntryManagerForm, {"mode": "other"})
    assert form.errors["department"] == ["部署を入力してください。"]
    assert form.errors["email"] == ["E-mailを入力してください。"]
    assert form.errors["fax1"] == ["緊急連絡用FAX番号1を入力してください。"]
    assert form.errors["confirmed"] == ["「上記を確認しました」にチェックしてください。"]
    assert form.errors["naccs_type"] == ["利用するNACCSを選択してください。"]
    bad_fax = submit(app, EntryManagerForm, dict(MANAGER_OTHER, fax2="12345"))
    assert bad_fax.errors == {
        "fax2": ["緊急連絡用FAX番号2は10桁または11桁の数字で入力してください。"]
    }


def test_entry_equipment_same_company_same_address(app: Flask) -> None:
    form = submit(app, EntryEquipmentForm, {"owner_office_code": "ｎａｃ００１"}, EQUIPMENT_CONTEXT)
    assert form.errors == {}
    assert form.to_task_data() == {"owner_office_code": "NAC001"}


def test_entry_equipment_other_company_is_joint_use(app: Flask) -> None:
    form = submit(app, EntryEquipmentForm, {"owner_office_code": "OTH001"}, EQUIPMENT_CONTEXT)
    (message,) = form.errors["owner_office_code"]
    assert "他社物流株式会社" in message
    assert "共同利用" in message


def test_entry_equipment_unknown_code_and_other_address(app: Flask) -> None:
    unknown = submit(app, EntryEquipmentForm, {"owner_office_code": "XYZ999"}, EQUIPMENT_CONTEXT)
    assert unknown.errors == {"owner_office_code": ["事業所コード「XYZ999」は登録されていません。"]}
    moved = submit(app, EntryEquipmentForm, {"owner_office_code": "NAC002"}, EQUIPMENT_CONTEXT)
    (message,) = moved.errors["owner_office_code"]
    assert "住所" in message and "同一" in message
    shape = submit(app, EntryEquipmentForm, {"owner_office_code": "NAC01"}, EQUIPMENT_CONTEXT)
    assert shape.errors == {
        "owner_office_code": [
            "機器所有事業所の事業所コードは英数字6文字（例：NAC001）で入力してください。"
        ]
    }


def test_entry_equipment_without_lookup_checks_only_the_shape(app: Flask) -> None:
    assert submit(app, EntryEquipmentForm, {"owner_office_code": "ABC123"}).errors == {}


def test_entry_plan_and_confirm(app: Flask) -> None:
    plan = submit(app, EntryPlanForm, {"plan": "B"})
    assert plan.errors == {} and plan.to_task_data() == {"plan": "B"}
    labels = [c.label for c in plan.plan.choices]
    assert labels == ["プランA「基本＋従量」", "プランB「従量のみ」"]
    assert submit(app, EntryPlanForm, {}).errors == {"plan": ["料金プランを選択してください。"]}
    assert submit(app, EntryConfirmForm, {}).to_task_data() == {"remarks": ""}
    long = submit(app, EntryConfirmForm, {"remarks": "あ" * 501})
    assert long.errors == {"remarks": ["備考は500文字以内で入力してください。"]}
