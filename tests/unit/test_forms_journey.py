"""Unit tests of the journey's form features: 反映, user-code editor, summary, defaults, rules."""

from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from forms.address import fill_from_postal_code, postal_payload
from forms.base import TaskForm
from forms.defaults import initial_data
from forms.entry import (
    EntryBillingForm,
    EntryConfirmForm,
    EntryContractorForm,
    EntryManagerForm,
    EntryOfficeForm,
    EntryUserCodesForm,
)
from forms.summary import summarize, summarize_answers
from forms.user_codes import apply_user_code_action


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False, SECRET_KEY="test-secret")
    return app


def posted(app: Flask, cls: type[TaskForm], data: Any, context: dict | None = None) -> TaskForm:
    with app.test_request_context(method="POST", data=data):
        return cls(context=context or {})


def test_postal_fill_sets_address_kana_and_customs(app: Flask) -> None:
    form = posted(app, EntryOfficeForm, {"postal_code": "２１２－００１３", "street": ""})
    assert fill_from_postal_code(form, "postal_code")
    assert (form.prefecture.data, form.city.data, form.street.data) == (
        "神奈川県",
        "川崎市幸区",
        "堀川町",
    )
    assert form.customs.data == "横浜税関" and form.postal_code.data == "2120013"
    assert form.address_kana.data == "カナガワケンカワサキシサイワイクホリカワチョウ"
    assert form.page_message.startswith("郵便番号から住所を反映しました")


def test_postal_fill_keeps_typed_street_and_a_chosen_customs(app: Flask) -> None:
    data = {
        "postal_code": "2820004",
        "street": "古込１－１",
        "prefecture": "東京都",
        "customs": "長崎税関",
    }
    form = posted(app, EntryOfficeForm, data)
    fill_from_postal_code(form, "postal_code")
    assert form.prefecture.data == "千葉県" and form.street.data == "古込1-1"
    assert (
        form.customs.data == "長崎税関"
    )  # not the old prefecture's customs: the applicant's choice
    form = posted(app, EntryOfficeForm, {**data, "customs": "東京税関"})
    fill_from_postal_code(form, "postal_code")
    assert form.customs.data == "横浜税関"  # was the suggestion for 東京都: follows the address


def test_postal_fill_unknown_and_malformed(app: Flask) -> None:
    form = posted(app, EntryContractorForm, {"postal_code": "9999999", "address_mode": "other"})
    assert not fill_from_postal_code(form, "postal_code")
    assert form.postal_code.errors == [
        "郵便番号「9999999」に該当する住所が見つかりません。郵便番号を確認するか、住所を直接入力してください。"
    ]
    assert postal_payload("12-34")["message"] == "郵便番号は7桁の数字で入力してください。"


def test_office_prepare_preselects_customs_from_prefecture(app: Flask) -> None:
    with app.test_request_context():
        form = EntryOfficeForm(formdata=MultiDict({"prefecture": "福岡県"}), context={})
        assert form.customs.data == "門司税関"
        chosen = EntryOfficeForm(
            formdata=MultiDict({"prefecture": "長崎県", "customs": "門司税関"}), context={}
        )
        assert chosen.customs.data == "門司税関"


def test_conditional_fields_say_when_they_apply(app: Flask) -> None:
    form = posted(app, EntryBillingForm, {})
    assert (
        form.condition_note(form.bulk_billing_code)
        == "「一括請求」で「希望する」を選択した場合に入力してください。"
    )
    assert form.conditions_of(form.debit_company) == {
        "payment": ("debit",),
        "same_account": ("yes",),
    }
    assert form.condition_note(form.contact_name) == ""


def test_billing_offers_five_numbered_emails_and_refuses_duplicates(app: Flask) -> None:
    form = posted(app, EntryBillingForm, {"emails-0": "a@example.jp", "emails-1": "a@example.jp"})
    form.validate()
    assert [e.label.text for e in form.emails.entries] == [f"E-mail{i}" for i in range(1, 6)]
    # Beside the repeated box only (the first one is right), and the form fails.
    assert form.emails.entries[1].errors == ["同じE-mailが重複しています。"]
    assert form.emails.entries[0].errors == []
    assert not form.validate()


def test_manager_fax_duplicates_and_no_fax(app: Flask) -> None:
    data = {
        "mode": "same",
        "fax1": "0000000000",
        "fax2": "0000000000",
        "confirmed": "y",
        "naccs_type": "net",
    }
    form = posted(app, EntryManagerForm, data)
    form.validate()
    assert form.errors == {"fax2": ["同じFAX番号が重複しています。"]}
    form = posted(app, EntryManagerForm, {**data, "fax2": ""})
    assert form.validate()
    form = posted(app, EntryManagerForm, {**data, "fax2": "", "confirmed": ""})
    form.validate()
    assert form.errors == {"confirmed": ["「上記を確認しました」にチェックしてください。"]}


def test_confirm_refuses_a_wished_date_no_longer_open(app: Flask) -> None:
    context = {
        "open_start_dates": [("2026-12-21", "")],
        "applicant": {"entry_start_date": {"wished_start_date": "2026-12-14"}},
    }
    form = posted(app, EntryConfirmForm, {"remarks": ""}, context)
    assert not form.validate()
    assert (
        "利用開始希望日（2026年12月14日（月））は利用契約関係申込締切日を過ぎたため"
        in form.form_errors[0]
    )
    context["applicant"]["entry_start_date"]["wished_start_date"] = "2026-12-21"
    assert posted(app, EntryConfirmForm, {"remarks": ""}, context).validate()


ROW = {
    "new-system_kind": "海上",
    "new-sso": "要",
    "new-industries": ["通関業", "海貨業"],
    "new-identifier_count": "1",
}


def act(app: Flask, form: EntryUserCodesForm, action: str, extra: dict | None = None):
    """Post the form's own state plus extra, then press the button."""
    data = MultiDict(form.raw_input())
    for key, value in (extra or {}).items():
        data.setlist(key, value if isinstance(value, list) else [value])
    with app.test_request_context(method="POST", data=data):
        return apply_user_code_action(EntryUserCodesForm(context={}), action)


def test_user_code_editor_rows_and_codes(app: Flask) -> None:
    with app.test_request_context():
        form = EntryUserCodesForm(formdata=MultiDict(), context={})
    assert form.view == "list" and form.row_dicts() == []
    form = act(app, form, "add_code")
    assert (form.view, form.code_no) == ("code", 1)
    form = act(app, form, "set_row", ROW)
    assert form.row_dicts()[0]["industries"] == ["通関業", "海貨業"]
    assert form.editor.industries.data == [] and form.editor.sso.data == "否"  # a fresh entry
    form = act(app, form, "set_row", {**ROW, "new-sso": "否", "new-industries": ["CY"]})
    assert (
        form.form_errors and "グループⅠ（通関業・海貨業）、グループⅡ（CY）" in form.form_errors[0]
    )
    assert form.editor.industries.data == ["CY"]  # kept for correction
    form = act(app, form, "set_row", {**ROW, "new-sso": "否", "new-industries": ["混載業"]})
    form = act(app, form, "edit_row:1")
    assert form.editing_index == 1 and form.editor.industries.data == ["混載業"]
    form = act(app, form, "set_row", {**ROW, "new-sso": "否", "new-industries": ["NVOCC"]})
    assert [r["industries"] for r in form.row_dicts()] == [["通関業", "海貨業"], ["NVOCC"]]
    form = act(app, form, "delete_row:0")
    assert [r["industries"] for r in form.row_dicts()] == [["NVOCC"]]
    form = act(app, form, "done_code")
    assert form.view == "list"
    form = act(app, form, "add_code")
    form = act(app, form, "done_code", {**ROW, "new-sso": "否", "new-industries": ["船会社"]})
    assert [(r["code_no"], r["industries"]) for r in form.row_dicts()] == [
        (1, ["NVOCC"]),
        (2, ["船会社"]),
    ]
    form = act(app, form, "delete_code:1")
    assert [(r["code_no"], r["industries"]) for r in form.row_dicts()] == [(1, ["船会社"])]
    form = act(app, form, "to_confirm")
    assert form.view == "confirm"
    assert form.to_task_data() == {"rows": form.to_task_data()["rows"]}  # no screen state


def test_user_code_editor_refuses_sso_with_a_cross_industry(app: Flask) -> None:
    with app.test_request_context():
        form = EntryUserCodesForm(
            formdata=MultiDict({"uc_view": "code", "uc_code": "1"}), context={}
        )
    form = act(app, form, "set_row", {**ROW, "new-industries": ["通関業", "通関士"]})
    assert form.form_errors == [
        "利用者コード1：1行目：業種「通関士」はシングルサインオンはできません。"
    ]
    form = act(app, form, "set_row", {**ROW, "new-identifier_count": "0"})
    assert form.editor.identifier_count.errors == ["識別番号数は1以上の数字を入力してください。"]


def test_summary_uses_labels_and_choice_words(app: Flask) -> None:
    with app.test_request_context():
        manager = summarize(
            "entry_manager",
            {"mode": "same", "fax1": "0000000000", "confirmed": True, "naccs_type": "net"},
        )
        billing = summarize(
            "entry_billing",
            {
                "bulk": "no",
                "address_mode": "other",
                "postal_code": "1000001",
                "emails": ["a@x.jp", "b@x.jp"],
                "payment": "transfer",
                "bank": "三菱UFJ銀行",
            },
        )
        start = summarize("entry_start_date", {"wished_start_date": "2026-12-21"})
        codes = summarize_answers(
            {
                "entry_user_codes": {
                    "rows": [
                        {
                            "code_no": 2,
                            "system_kind": "海上",
                            "sso": "否",
                            "industries": ["船会社"],
                            "processing": "netNACCS",
                            "identifier_count": 1,
                        }
                    ]
                }
            }
        )
    assert ("管理責任者", "申込担当者に同じ") in manager.items
    assert all(label != "部署" for label, _ in manager.items)  # 「その他」 only
    assert ("請求先住所", "その他") in billing.items and (
        "E-mail",
        "a@x.jp、b@x.jp",
    ) in billing.items
    assert ("振込先銀行", "三菱UFJ銀行") in billing.items
    assert all(label != "同一口座振替" for label, _ in billing.items)
    assert start.items == [("利用開始希望日", "2026年12月21日（月）")]
    assert codes[0].rows[0][:4] == ["利用者コード2", "海上", "否", "船会社"]


def test_defaults_come_from_earlier_answers() -> None:
    answers = {
        "signup_contact": {"company_name": "A社", "company_kana": "エーシャ", "email": "a@x.jp"},
        "entry_office": {"postal_code": "2120013"},
    }
    assert initial_data("entry_office", answers) == {
        "company_name": "A社",
        "company_kana": "エーシャ",
    }
    assert initial_data("entry_contact", answers)["email"] == "a@x.jp"
    assert initial_data("entry_manager", answers) == {"mode": "same", "naccs_type": "net"}
    assert initial_data("system_setup", answers) == {"postal_code": "2120013"}
    assert initial_data("entry_user_codes", answers) == {}
