"""Unit tests of the review, issuance confirmation, system setup and setup work forms."""

from typing import Any

import pytest
from flask import Flask

from forms.base import TaskForm
from forms.confirmation import IssuanceConfirmForm, SetupWorkForm, SystemSetupForm
from forms.fields import date_label
from forms.review import ReviewDecisionForm

SCHEDULE = {"schedule_dates": ["2025-04-01", "2025-04-07", "2025-04-14"]}
SETUP = {
    "change_all_offices": "y",
    "company_name_en": "NACCS SYSTEM CO.,LTD.",
    "office_name_en": "HONSHA",
    "postal_code": "210-0005",
    "address_en1": "KANAGAWA KEN",
    "address_en2": "KAWASAKI SHI SAIWAI KU",
    "address_en3": "HORIKAWA CYO 999",
    "contact_name_en": "I.KONSAI",
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


def test_date_label() -> None:
    assert date_label("2025-04-01") == "2025年4月1日（火）"
    assert date_label("not a date") == "not a date"


def test_review_approve_fixes_the_start_date(app: Flask) -> None:
    posted = {"decision": "approve", "confirmed_start_date": "2025-04-07", "comment": "x"}
    form = submit(app, ReviewDecisionForm, posted, SCHEDULE)
    assert form.errors == {}
    assert form.to_task_data() == {
        "decision": "approve",
        "confirmed_start_date": "2025-04-07",
        "comment": "",
        "reason": "",
    }
    labels = [c.label for c in form.confirmed_start_date.choices]
    assert labels[1:] == ["2025年4月1日（火）", "2025年4月7日（月）", "2025年4月14日（月）"]


def test_review_messages_per_decision(app: Flask) -> None:
    approve = submit(app, ReviewDecisionForm, {"decision": "approve"}, SCHEDULE)
    assert approve.errors == {"confirmed_start_date": ["利用開始日を選択してください。"]}
    off_schedule = {"decision": "approve", "confirmed_start_date": "2025-04-02"}
    form = submit(app, ReviewDecisionForm, off_schedule, SCHEDULE)
    assert form.errors == {
        "confirmed_start_date": ["利用開始日はスケジュールから選択してください。"]
    }
    back = submit(app, ReviewDecisionForm, {"decision": "return"}, SCHEDULE)
    assert back.errors == {"comment": ["差戻し内容を入力してください。"]}
    reject = submit(app, ReviewDecisionForm, {"decision": "reject"}, SCHEDULE)
    assert reject.errors == {"reason": ["却下理由を入力してください。"]}
    nothing = submit(app, ReviewDecisionForm, {}, SCHEDULE)
    assert nothing.errors == {"decision": ["審査結果を選択してください。"]}


def test_review_return_with_comment(app: Flask) -> None:
    posted = {"decision": "return", "comment": "事業所名を確認してください。"}
    form = submit(app, ReviewDecisionForm, posted, SCHEDULE)
    assert form.errors == {}
    assert form.to_task_data()["confirmed_start_date"] is None


def test_issuance_confirm_needs_the_check(app: Flask) -> None:
    assert submit(app, IssuanceConfirmForm, {"checked": "y"}).to_task_data() == {"checked": True}
    form = submit(app, IssuanceConfirmForm, {})
    assert form.errors == {
        "checked": ["「利用開始日・ID通知内容を確認しました」にチェックしてください。"]
    }


def test_system_setup_happy_path_keeps_english_as_typed(app: Flask) -> None:
    form = submit(app, SystemSetupForm, dict(SETUP, address_en3="ＨＯＲＩＫＡＷＡ ＣＹＯ ９９９"))
    assert form.errors == {}
    data = form.to_task_data()
    assert data["postal_code"] == "2100005"
    assert data["address_en3"] == "HORIKAWA CYO 999"
    assert data["contact_name_en"] == "I.KONSAI"
    assert data["change_all_offices"] is True
    assert data["company_name_en"] == "NACCS SYSTEM CO.,LTD."
    lower = submit(app, SystemSetupForm, dict(SETUP, office_name_en="Honsha (Main) & Co/1"))
    assert lower.errors == {}
    assert lower.to_task_data()["office_name_en"] == "Honsha (Main) & Co/1"


def test_system_setup_english_only(app: Flask) -> None:
    form = submit(app, SystemSetupForm, dict(SETUP, office_name_en="本社", address_en1="KANAGAWA#"))
    message = "半角英数字と記号（. , - ' & ( ) /）で入力してください。"
    assert form.errors == {"office_name_en": [message], "address_en1": [message]}
    missing = submit(app, SystemSetupForm, {k: v for k, v in SETUP.items() if k != "address_en1"})
    assert missing.errors == {"address_en1": ["住所（英）1を入力してください。"]}


def test_system_setup_company_name_needs_the_checkbox(app: Flask) -> None:
    unchecked = {k: v for k, v in SETUP.items() if k != "change_all_offices"}
    form = submit(app, SystemSetupForm, unchecked)
    assert form.errors == {
        "company_name_en": [
            "企業名（英）を入力するには「同一企業の全事業所情報を変更します」にチェックしてください。"
        ]
    }
    checked = submit(app, SystemSetupForm, SETUP)
    assert checked.errors == {}
    assert checked.to_task_data()["company_name_en"] == "NACCS SYSTEM CO.,LTD."


def test_system_setup_every_english_entry_is_mandatory(app: Flask) -> None:
    """SPEC stage 6: 企業名（英）, 事業所名（英）, 住所（英） in three lines and 担当者名（英）."""
    names = ("company_name_en", "office_name_en", "address_en1", "address_en2", "address_en3")
    form = submit(app, SystemSetupForm, {"change_all_offices": "y", "postal_code": "2100005"})
    assert set(form.errors) == {*names, "contact_name_en"}
    assert form.errors["company_name_en"] == ["企業名（英）を入力してください。"]
    assert form.errors["address_en3"] == ["住所（英）3を入力してください。"]


def test_setup_work(app: Flask) -> None:
    form = submit(app, SetupWorkForm, {"certificate_issued": "y", "note": "発行済み"})
    assert form.to_task_data() == {"certificate_issued": True, "note": "発行済み"}
    form = submit(app, SetupWorkForm, {})
    assert form.errors == {
        "certificate_issued": ["「デジタル証明書発行作業を完了しました」にチェックしてください。"]
    }
