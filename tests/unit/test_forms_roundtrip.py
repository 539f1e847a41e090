"""Every form: a happy path, JSON-safe task data and the to_task_data → to_formdata round trip."""

import json
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from forms import FORMS

OFFICE = {
    "company_name": "ＮＡＣＣＳ商事株式会社",
    "company_kana": "なっくすしょうじ",
    "office_name": "海上貨物営業所",
    "office_kana": "ｶｲｼﾞｮｳｶﾓﾂｴｲｷﾞｮｳｼｮ",
    "postal_code": "１０５－００１１",
    "prefecture": "東京都",
    "city": "港区",
    "street": "芝公園１－２－３",
    "address_kana": "とうきょうと みなとく",
    "phone": "03-1234-5678",
    "fax": "03-1234-5679",
    "customs": "東京税関",
}
CONTACT = {
    "company_name": "NACCS商事株式会社",
    "company_kana": "ナックスショウジ",
    "last_name": "山田",
    "first_name": "太郎",
    "last_kana": "やまだ",
    "first_kana": "たろう",
    "phone": "090-1234-5678",
    "email": "taro@example.jp",
    "email_confirm": "taro@example.jp",
}
CONTEXT = {
    "open_start_dates": [("2025-04-14", "2025年4月14日（月）"), ("2025-04-21", "2025年4月21日")],
    "office_lookup": {
        "NAC001": {
            "company_name": "NACCS商事株式会社",
            "office_name": "航空貨物営業所",
            "postal_code": "1050011",
            "prefecture": "東京都",
            "city": "港区",
            "street": "芝公園1-2-3",
        }
    }.get,
    "applicant": {"entry_office": {**OFFICE, "company_name": "NACCS商事株式会社"}},
    "schedule_dates": ["2025-04-14", "2025-04-21"],
}
USER_CODES = MultiDict(
    [
        ("rows-0-code_no", "1"),
        ("rows-0-system_kind", "海上"),
        ("rows-0-sso", "要"),
        ("rows-0-industries", "通関業"),
        ("rows-0-industries", "海貨業"),
        ("rows-0-processing", "netNACCS"),
        ("rows-0-identifier_count", "1"),
        ("rows-0-paid_statistics", "要"),
        ("rows-0-free_statistics", "否"),
        ("rows-0-bonded_storage", "否"),
        ("rows-1-code_no", "2"),
        ("rows-1-system_kind", "海上・航空共用"),
        ("rows-1-sso", "否"),
        ("rows-1-industries", "保税蔵置場"),
        ("rows-1-identifier_count", "３"),
        ("rows-1-paid_statistics", "否"),
        ("rows-1-free_statistics", "要"),
        ("rows-1-bonded_storage", "要"),
    ]
)
VALID: dict[str, Any] = {
    "signup_contact": dict(CONTACT, fax="03-1234-5679"),
    "signup_confirm": {},
    "entry_guidance": {},
    "entry_contact": dict(CONTACT, reason="海上貨物の通関業務を開始するため。\r\n以上"),
    "entry_start_date": {"wished_start_date": "2025-04-21"},
    "entry_office": OFFICE,
    "entry_contractor": {
        "name": "山田一郎",
        "kana": "ﾔﾏﾀﾞｲﾁﾛｳ",
        "title": "代表取締役社長",
        "address_mode": "other",
        "postal_code": "2100005",
        "prefecture": "神奈川県",
        "city": "川崎市川崎区",
        "street": "堀川町999",
        "address_kana": "かながわけん",
    },
    "entry_manager": {
        "mode": "other",
        "department": "情報システム部",
        "title": "部長",
        "name": "鈴木花子",
        "kana": "スズキハナコ",
        "phone": "045-123-4567",
        "email": "hanako@example.jp",
        "fax1": "0000000000",
        "fax3": "045-123-4568",
        "confirmed": "y",
        "naccs_type": "net",
    },
    "entry_user_codes": USER_CODES,
    "entry_equipment": {"owner_office_code": "nac001"},
    "entry_plan": {"plan": "A"},
    "entry_billing": {
        "bulk": "yes",
        "bulk_office_code": "NAC001",
        "bulk_company": "NACCS商事株式会社",
        "bulk_office": "航空貨物営業所",
        "contact_name": "佐藤次郎",
        "contact_kana": "サトウジロウ",
        "contact_phone": "0312345678",
        "emails-0": "billing@example.jp",
        "emails-1": "",
        "emails-2": "ｋｅｉｒｉ＠ｅｘａｍｐｌｅ．ｊｐ",
        "payment": "debit",
        "same_account": "yes",
        "debit_billing_code": "ｂ００１",
        "debit_company": "NACCS商事株式会社",
        "debit_office": "本社",
    },
    "entry_confirm": {"remarks": "通関業許可XX月XX日予定"},
    "review_decision": {"decision": "approve", "confirmed_start_date": "2025-04-14"},
    "issuance_confirm": {"checked": "y"},
    "system_setup": {
        "change_all_offices": "y",
        "company_name_en": "NACCS SYSTEM CO.,LTD.",
        "office_name_en": "HONSHA",
        "postal_code": "210-0005",
        "address_en1": "KANAGAWA KEN",
        "address_en2": "KAWASAKI SHI SAIWAI KU",
        "address_en3": "HORIKAWA CYO 999",
        "contact_name_en": "I.KONSAI",
    },
    "setup_work": {"certificate_issued": "y", "note": ""},
}


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False, SECRET_KEY="test-secret")
    return app


def test_every_form_has_valid_sample_data() -> None:
    assert set(VALID) == set(FORMS)


@pytest.mark.parametrize("key", sorted(FORMS))
def test_round_trip(app: Flask, key: str) -> None:
    cls = FORMS[key]
    with app.test_request_context(method="POST", data=VALID[key]):
        form = cls()
        form.prepare(CONTEXT)
        assert form.validate(), form.errors
        data = form.to_task_data()
        assert json.loads(json.dumps(data, ensure_ascii=False)) == data

        again = cls(formdata=cls.to_formdata(data))
        again.prepare(CONTEXT)
        assert again.validate(), again.errors
        assert again.to_task_data() == data

        restored = cls(formdata=MultiDict(form.raw_input()), context=CONTEXT)
        assert restored.validate(), restored.errors
        assert restored.to_task_data() == data


def test_round_trip_types_and_normalisation(app: Flask) -> None:
    results = {}
    for key in ("entry_office", "entry_user_codes", "entry_billing", "entry_equipment"):
        with app.test_request_context(method="POST", data=VALID[key]):
            form = FORMS[key](context=CONTEXT)
            assert form.validate(), form.errors
            results[key] = form.to_task_data()
    office = results["entry_office"]
    assert office["company_name"] == "NACCS商事株式会社"
    assert office["company_kana"] == "ナックスショウジ"
    assert office["office_kana"] == "カイジョウカモツエイギョウショ"
    assert office["address_kana"] == "トウキョウト\u3000ミナトク"
    assert office["postal_code"] == "1050011"
    codes = results["entry_user_codes"]["rows"]
    assert codes[0]["industries"] == ["通関業", "海貨業"]
    assert codes[1]["identifier_count"] == 3 and codes[1]["processing"] == "netNACCS"
    billing = results["entry_billing"]
    assert billing["emails"] == ["billing@example.jp", "keiri@example.jp"]
    assert billing["debit_billing_code"] == "B001"
    assert billing["address_mode"] is None and billing["bank"] is None
    assert results["entry_equipment"] == {"owner_office_code": "NAC001"}
