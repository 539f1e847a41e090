"""Unit tests of the 利用者コード and 請求先 forms: FieldLists, groups and exclusive codes."""

from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from forms.base import TaskForm
from forms.entry import EntryBillingForm, EntryUserCodesForm

ROW = {
    "code_no": "1",
    "system_kind": "航空",
    "sso": "否",
    "processing": "netNACCS",
    "identifier_count": "1",
    "paid_statistics": "否",
    "free_statistics": "否",
    "bonded_storage": "否",
}
BILLING = {
    "bulk": "no",
    "address_mode": "same",
    "contact_name": "佐藤次郎",
    "contact_kana": "さとうじろう",
    "contact_phone": "03-1234-5678",
    "emails-0": "billing@example.jp",
    "payment": "transfer",
    "bank": "三菱UFJ銀行",
}


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False, SECRET_KEY="test-secret")
    return app


def submit(app: Flask, cls: type[TaskForm], data: Any) -> TaskForm:
    """Post data to a new form of cls and validate it."""
    with app.test_request_context(method="POST", data=data):
        form = cls()
        form.prepare({})
        form.validate()
        return form


def rows(*specs: dict[str, Any]) -> MultiDict:
    """Formdata for user-code rows: each spec overrides ROW; industries is a list."""
    posted = MultiDict()
    for index, spec in enumerate(specs):
        for name, value in {**ROW, **spec}.items():
            for item in value if isinstance(value, list) else [value]:
                posted.add(f"rows-{index}-{name}", item)
    return posted


def test_user_codes_happy_path_with_several_rows_and_codes(app: Flask) -> None:
    posted = rows(
        {"industries": ["通関業", "混載業"], "sso": "要"},
        {"industries": ["混載業"], "identifier_count": "２"},
        {"code_no": "２", "industries": ["保税蔵置場", "CY"], "sso": "要", "bonded_storage": "要"},
    )
    form = submit(app, EntryUserCodesForm, posted)
    assert form.errors == {}
    data = form.to_task_data()
    assert [row["code_no"] for row in data["rows"]] == [1, 1, 2]
    assert data["rows"][0]["industries"] == ["通関業", "混載業"]
    assert data["rows"][1]["identifier_count"] == 2
    assert [code["code_no"] for code in form.user_codes()] == [1, 2]
    assert "通関士" in form.customs_broker_note()


def test_user_codes_groups_across_one_code_are_refused(app: Flask) -> None:
    posted = rows({"industries": ["通関業"]}, {"industries": ["保税蔵置場"]})
    form = submit(app, EntryUserCodesForm, posted)
    assert form.rows.errors == []
    (message,) = form.form_errors
    assert message.startswith(
        "利用者コード1：異なるグループの業種は同一の利用者コードに設定できません"
    )
    assert form.errors == {"": form.form_errors}


def test_user_codes_sso_across_groups_in_one_row_is_refused(app: Flask) -> None:
    form = submit(app, EntryUserCodesForm, rows({"industries": ["通関業", "CY"], "sso": "要"}))
    assert any("グループⅠ（通関業）" in m and "グループⅡ（CY）" in m for m in form.form_errors)


def test_user_codes_sso_rules_within_a_group(app: Flask) -> None:
    no_sso = submit(app, EntryUserCodesForm, rows({"industries": ["通関業", "混載業"]}))
    assert any("シングルサインオンを「要」にしてください" in m for m in no_sso.form_errors)
    not_allowed = submit(app, EntryUserCodesForm, rows({"industries": ["自社通関"], "sso": "要"}))
    assert any(
        "業種「自社通関」はシングルサインオンはできません" in m for m in not_allowed.form_errors
    )


def test_user_codes_separate_codes_for_separate_groups_are_valid(app: Flask) -> None:
    posted = rows({"industries": ["通関業"]}, {"code_no": "2", "industries": ["船会社"]})
    assert submit(app, EntryUserCodesForm, posted).errors == {}


def test_user_codes_row_field_errors(app: Flask) -> None:
    posted = rows(
        {"industries": [], "code_no": "21", "identifier_count": "0"},
        {"industries": ["密輸業"], "identifier_count": "abc", "processing": "一般NACCS"},
    )
    form = submit(app, EntryUserCodesForm, posted)
    first, second = form.rows.errors
    assert first["industries"] == ["業種を選択してください。"]
    assert first["code_no"] == ["利用者コード番号は1から20までの数字で入力してください。"]
    assert first["identifier_count"] == ["識別番号数は1以上の数字を入力してください。"]
    assert second["industries"] == ["業種に選択できない値があります：密輸業"]
    assert second["identifier_count"] == ["識別番号数は半角数字で入力してください。"]
    assert second["processing"] == ["処理方式は選択肢から選択してください。"]
    assert form.form_errors == []  # rows with field errors are not checked as a code


def test_user_codes_empty_post_asks_for_a_code(app: Flask) -> None:
    form = submit(app, EntryUserCodesForm, {})
    assert form.rows.entries == []
    assert form.form_errors == [
        "利用者コードが設定されていません。「新規に利用者コードを追加する」から設定してください。"
    ]


def test_user_codes_accepts_at_most_50_rows(app: Flask) -> None:
    form = submit(app, EntryUserCodesForm, rows(*[{"industries": ["通関業"]}] * 51))
    assert len(form.rows.entries) == 50


def test_billing_happy_path_blanks_what_does_not_apply(app: Flask) -> None:
    posted = dict(BILLING, bulk_company="無視", postal_code="999", same_account="yes")
    form = submit(app, EntryBillingForm, posted)
    assert form.errors == {}
    data = form.to_task_data()
    assert data["emails"] == ["billing@example.jp"]
    assert data["contact_kana"] == "サトウジロウ"
    assert data["contact_phone"] == "0312345678"
    assert data["bulk_company"] == "" and data["postal_code"] == ""
    assert data["same_account"] is None and data["bank"] == "三菱UFJ銀行"


def test_billing_bulk_with_both_codes_is_an_error(app: Flask) -> None:
    posted = dict(BILLING, bulk="yes", bulk_billing_code="B12345", bulk_office_code="NAC001")
    posted.update(bulk_company="NACCS商事株式会社", bulk_office="本社")
    form = submit(app, EntryBillingForm, posted)
    assert form.errors == {
        "bulk_billing_code": ["請求先コードと事業所コードはどちらか一方のみ入力してください。"]
    }
    del posted["bulk_billing_code"]
    form = submit(app, EntryBillingForm, posted)
    assert form.errors == {}
    assert form.to_task_data()["address_mode"] is None


def test_billing_bulk_needs_one_code_company_and_office(app: Flask) -> None:
    form = submit(app, EntryBillingForm, dict(BILLING, bulk="yes"))
    assert form.errors["bulk_billing_code"] == [
        "請求先コードまたは事業所コードのどちらか一方を入力してください。"
    ]
    assert form.errors["bulk_company"] == ["企業名を入力してください。"]
    assert form.errors["bulk_office"] == ["事業所名を入力してください。"]
    assert "address_mode" not in form.errors


def test_billing_other_address_is_required(app: Flask) -> None:
    form = submit(app, EntryBillingForm, dict(BILLING, address_mode="other"))
    assert set(form.errors) == {"postal_code", "prefecture", "city", "street", "address_kana"}
    form = submit(app, EntryBillingForm, dict(BILLING, address_mode=""))
    assert form.errors == {"address_mode": ["請求先住所を選択してください。"]}


def test_billing_emails_one_to_five(app: Flask) -> None:
    posted = {k: v for k, v in BILLING.items() if k != "emails-0"}
    form = submit(app, EntryBillingForm, dict(posted, **{"emails-0": "", "emails-1": " "}))
    assert form.errors == {"emails": ["E-mailを1件以上入力してください。"]}
    form = submit(
        app, EntryBillingForm, dict(posted, **{"emails-0": "a@example.jp", "emails-1": "x@"})
    )
    assert form.errors == {"emails": [[], ["E-mailの形式が正しくありません。"], [], [], []]}
    many = dict(posted, **{f"emails-{i}": f"user{i}@example.jp" for i in range(6)})
    form = submit(app, EntryBillingForm, many)
    assert form.to_task_data()["emails"] == [f"user{i}@example.jp" for i in range(5)]


def test_billing_debit_same_account_codes_and_bank(app: Flask) -> None:
    posted = dict(BILLING, payment="debit", same_account="yes", bank="")
    posted.update(debit_billing_code="B1", debit_office_code="NAC001")
    form = submit(app, EntryBillingForm, posted)
    assert form.errors["debit_billing_code"] == [
        "登録請求先コードと事業所コードはどちらか一方のみ入力してください。"
    ]
    assert form.errors["debit_company"] == ["企業名を入力してください。"]
    form = submit(app, EntryBillingForm, dict(BILLING, payment="debit"))
    assert form.errors == {"same_account": ["同一口座振替を選択してください。"]}
    form = submit(app, EntryBillingForm, dict(BILLING, payment="debit", same_account="no"))
    assert form.errors == {} and form.to_task_data()["bank"] is None
    form = submit(app, EntryBillingForm, dict(BILLING, bank=""))
    assert form.errors == {"bank": ["振込先銀行を選択してください。"]}
