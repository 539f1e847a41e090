"""The whole procedure over HTTP, through the engine, the database and a real SMTP server."""

import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.domain.schedule import JST
from app.extensions import db
from app.models import Application, AuditEvent, HumanTask, Office, OutboundMail, ProcessInstance
from app.security import decrypt
from app.services.timers import fire_due_timers
from tests.helpers import (
    complete_applicant_tasks,
    login,
    next_task_url,
    post_page,
    review,
    signup,
    staff_login,
)

DETAIL_SCREENS = [
    "entry_guidance",
    "entry_contact",
    "entry_start_date",
    "entry_office",
    "entry_contractor",
    "entry_manager",
    "entry_user_codes",
    "entry_equipment",
    "entry_plan",
    "entry_billing",
    "entry_confirm",
]


def only_application() -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application)).one()


def submit_application(client, smtp) -> Application:
    login_id, password = signup(client, smtp)
    assert login(client, login_id, password).status_code == 302
    assert complete_applicant_tasks(client) == DETAIL_SCREENS
    return only_application()


def jst_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=JST)


def test_happy_path_to_start_of_use(app, client, staff_client, smtp, clock_at):
    login_id, password = signup(client, smtp)
    application = only_application()
    assert (
        application.answer("signup_contact")["company_kana"] == "ナックスシステムカブシキカイシャ"
    )
    assert application.answer("signup_contact")["phone"] == "0123456789"

    assert login(client, login_id, password).status_code == 302
    assert complete_applicant_tasks(client) == DETAIL_SCREENS
    application = only_application()
    assert application.status == "submitted"
    assert re.fullmatch(r"26\d{5}[A-Z]", application.reference_no)
    received = smtp.by_subject("受付完了")
    assert received and application.reference_no in smtp.body(received[-1])
    assert "審査待ち" in client.get("/home").get_data(as_text=True)

    staff_login(staff_client)
    review(staff_client, "approve", confirmed_start_date=application.wished_start_date.isoformat())
    application = only_application()
    assert application.status == "issued"
    assert application.office_code == "NAC002" or application.office_code.startswith("NAC")
    users = [c for c in application.credentials if c.kind == "user"]
    assert [c.user_id for c in users] == [users[0].user_code + "A0A", users[0].user_code + "A0B"]
    confirmation = smtp.by_subject("利用申込確認完了")
    assert confirmation
    body = smtp.body(confirmation[-1])
    assert application.reference_no in body and "システム設定関係申込締切日" in body
    home = client.get("/home").get_data(as_text=True)
    assert (
        f"【{application.reference_no}】利用申込の審査が終了しました。通知内容を確認してください。"
        in home
    )

    notice = client.get("/application/notice").get_data(as_text=True)
    assert users[0].user_code in notice and "まで表示できます" in notice
    assert complete_applicant_tasks(client) == ["issuance_confirm", "system_setup"]
    assert only_application().status == "setup_filed"

    staff_url = review_operator(staff_client)
    assert staff_url
    application = only_application()
    assert application.status == "setup_done"
    assert smtp.by_subject("作業完了")

    # 00:00 on the start date: the start-of-use timer fires.
    clock_at.move_to(jst_midnight(application.confirmed_start_date) + timedelta(minutes=1))
    assert fire_due_timers() == 1
    application = only_application()
    assert application.status == "in_use"
    assert db.session.get(Office, application.office_code) is not None
    assert login(client, login_id, password).status_code == 302  # still the start date

    # The day after: the provisional login is refused; the office code works.
    clock_at.move_to(
        jst_midnight(application.confirmed_start_date + timedelta(days=1)) + timedelta(minutes=1)
    )
    # (the 8-hour session has long expired: a fresh login is needed anyway)
    refused = login(client, login_id, password)
    assert refused.status_code == 200
    assert "仮ログインIDでログインできません" in refused.get_data(as_text=True)
    assert db.session.scalar(select(ProcessInstance.status)) in ("running", "completed")
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {
        "terms_agreed",
        "task_completed",
        "task_claimed",
        "timer_fired",
        "passwords_viewed",
    } <= actions
    assert all(m.status == "sent" for m in db.session.scalars(select(OutboundMail)))


def _token(client) -> str:
    from tests.helpers import csrf_token

    page = client.get("/home", follow_redirects=True)  # may resume the 一時保存 screen
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    return csrf_token(page.get_data(as_text=True))


def review_operator(staff_client) -> str:
    from tests.helpers import ANSWERS, claim_and_open

    url = claim_and_open(staff_client, lane="operator")
    response = post_page(staff_client, url, ANSWERS["setup_work"])
    assert response.status_code == 302
    return url


def test_provisional_expiry_after_48_hours_even_with_temp_save(app, client, smtp, clock_at):
    login_id, password = signup(client, smtp)
    assert login(client, login_id, password).status_code == 302
    complete_applicant_tasks(client, stop_at="entry_start_date")
    url = next_task_url(client)
    # 一時保存 keeps what was typed and logs out.
    response = post_page(client, url, {"wished_start_date": ""}, button="save_draft")
    assert response.status_code == 302 and response.location.endswith("/login")
    assert only_application().drafts.get("entry_start_date") is not None

    clock_at.shift(timedelta(hours=47))
    assert login(client, login_id, password).status_code == 302  # still inside 48 hours
    client.post("/logout", data={"csrf_token": _token(client)})
    assert client.get("/home").status_code == 302  # logged out

    clock_at.shift(timedelta(hours=1, minutes=1))
    refused = login(client, login_id, password)
    assert refused.status_code == 200
    assert "有効期限（48時間）が過ぎた" in refused.get_data(as_text=True)
    application = only_application()
    assert application.status == "expired"
    assert application.account.disabled_reason == "expired"
    assert db.session.scalar(select(HumanTask).where(HumanTask.state == "ready")) is None


def test_expiry_fires_from_the_worker_without_any_login(app, client, smtp, clock_at, runner):
    signup(client, smtp)
    clock_at.shift(timedelta(hours=48, minutes=1))
    result = runner.invoke(args=["workflow", "tick"])
    assert "advanced 1" in result.output
    assert only_application().status == "expired"


def test_submitted_application_does_not_expire(app, client, smtp, clock_at):
    submit_application(client, smtp)
    clock_at.shift(timedelta(hours=72))
    fire_due_timers()
    assert only_application().status == "submitted"


def test_return_for_correction_and_resubmission(app, client, staff_client, smtp, clock_at):
    application = submit_application(client, smtp)
    reference = application.reference_no
    staff_login(staff_client)
    review(staff_client, "return", comment="事業所名をご確認ください。")
    application = only_application()
    assert application.status == "returned"
    returned = smtp.by_subject("利用申込内容の修正のお願い")
    assert returned and "事業所名をご確認ください。" in smtp.body(returned[-1])
    home = client.get("/home").get_data(as_text=True)
    assert "事業所名をご確認ください。" in home
    # The correction pass goes straight to the confirmation page with the earlier answers.
    url = next_task_url(client)
    page = client.get(url).get_data(as_text=True)
    assert 'data-form-key="entry_confirm"' in page and "海上事業所" in page
    edit = post_page(
        client, "/sections/entry_office", {**_office(), "office_name": "海上第二事業所"}, button=""
    )
    assert edit.status_code == 302
    assert post_page(client, url, {"remarks": ""}).status_code == 302
    application = only_application()
    assert application.status == "submitted" and application.reference_no == reference
    assert application.answer("entry_office")["office_name"] == "海上第二事業所"
    review(staff_client, "approve", confirmed_start_date=application.wished_start_date.isoformat())
    assert only_application().status == "issued"


def _office():
    from tests.helpers import ANSWERS

    return ANSWERS["entry_office"]


def test_rejection_mails_the_reason(app, client, staff_client, smtp, clock_at):
    submit_application(client, smtp)
    staff_login(staff_client)
    review(staff_client, "reject", reason="機器所有事業所との関係が確認できません。")
    application = only_application()
    assert application.status == "rejected"
    mails = smtp.by_subject("却下")
    assert mails and "機器所有事業所との関係が確認できません。" in smtp.body(mails[-1])
    # A rejected application can no longer log in: the session ends, saying why (issue 9).
    home = client.get("/home", follow_redirects=True).get_data(as_text=True)
    assert "この申込は却下されたため、ログインできません。" in home


def test_setup_deadline_cancels_the_application(app, client, staff_client, smtp, clock_at):
    application = submit_application(client, smtp)
    staff_login(staff_client)
    review(staff_client, "approve", confirmed_start_date=application.wished_start_date.isoformat())
    application = only_application()
    deadline = application.setup_deadline
    clock_at.move_to(jst_midnight(deadline) + timedelta(hours=23))
    fire_due_timers()  # only the reminder (3 business days before the deadline) has fired
    assert only_application().status == "issued"  # still the deadline day
    clock_at.move_to(jst_midnight(deadline + timedelta(days=1)) + timedelta(minutes=1))
    assert fire_due_timers() == 1
    application = only_application()
    assert application.status == "cancelled"
    cancelled = smtp.by_subject("申込取消")
    assert cancelled and application.reference_no in smtp.body(cancelled[-1])
    assert db.session.scalar(select(ProcessInstance.status)) == "completed"
    assert db.session.scalar(select(HumanTask).where(HumanTask.state == "ready")) is None


def test_passwords_visible_only_inside_the_window(app, client, staff_client, smtp, clock_at):
    credentials = signup(client, smtp)
    login(client, *credentials)
    complete_applicant_tasks(client)
    application = only_application()
    staff_login(staff_client)
    review(staff_client, "approve", confirmed_start_date=application.wished_start_date.isoformat())
    complete_applicant_tasks(client)
    application = only_application()
    # After the 利用開始日 the 仮ログインID is closed: the 事業所コード is the login.
    office = next(c for c in application.credentials if c.kind == "office")
    credentials = (office.office_code, decrypt(office.password_encrypted))
    last_day = application.password_visible_until
    assert last_day > application.confirmed_start_date
    clock_at.move_to(jst_midnight(last_day) + timedelta(hours=23))
    fire_due_timers()
    assert login(client, *credentials).status_code == 302
    page = client.get("/application/notice").get_data(as_text=True)
    assert "まで表示できます" in page
    clock_at.move_to(jst_midnight(last_day + timedelta(days=1)) + timedelta(minutes=1))
    fire_due_timers()
    application = only_application()
    assert all(c.password_encrypted is None for c in application.credentials)
    assert login(client, *credentials).status_code == 302
    page = client.get("/application/notice").get_data(as_text=True)
    assert "表示できません" in page and "まで表示できます" not in page


def test_late_submission_loses_to_the_due_timer(app, client, smtp, clock_at):
    """A submission arriving after the deadline (no worker ran) is refused: the timer fires first."""
    from app.services import Actor, ServiceError
    from app.services.tasks import submit_task

    login_id, password = signup(client, smtp)
    application = only_application()
    task = db.session.scalar(select(HumanTask).where(HumanTask.state == "ready"))
    actor = Actor(kind="applicant", label=f"applicant:{login_id}", application_id=application.id)
    clock_at.shift(timedelta(hours=49))
    try:
        submit_task(actor, task.task_id, {})
    except ServiceError as exc:
        assert exc.status == 409
    else:
        raise AssertionError("a late submission was accepted")
    assert only_application().status == "expired"


def test_signup_left_unfinished_ends_as_abandoned_after_24_hours(app, client, clock_at):
    """The end event's camunda:property "status" names how the application ended."""
    from tests.helpers import csrf_token

    page = client.get("/signup")
    assert (
        client.post(
            "/signup", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
        ).status_code
        == 302
    )
    clock_at.shift(timedelta(hours=23, minutes=59))
    assert fire_due_timers() == 0
    clock_at.shift(timedelta(minutes=2))
    assert fire_due_timers() == 1
    application = only_application()
    assert application.status == "abandoned"
    assert db.session.scalar(select(ProcessInstance.status)) == "completed"
    assert db.session.scalar(select(HumanTask).where(HumanTask.state == "ready")) is None
