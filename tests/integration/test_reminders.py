"""Reminders on the diagram: 12 hours before the 仮ログインID expires, 3 business days before
the system-setup deadline, and the reviewers' daily digest."""

import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.domain.calendar import is_business_day
from app.domain.schedule import JST
from app.extensions import db
from app.models import Application
from app.services.reference import calendar_overrides
from app.services.timers import fire_due_timers
from tests.helpers import complete_applicant_tasks, login, review, signup, staff_login

PROVISIONAL = "仮ログインIDの有効期限が近づいています"
SETUP = "システム設定関係申込締切日が近づいています"


def only_application() -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application)).one()


def test_provisional_reminder_at_36_hours_when_not_registered(app, client, smtp, clock_at):
    login_id, password = signup(client, smtp)
    assert login(client, login_id, password).status_code == 302
    complete_applicant_tasks(client, stop_at="entry_office")  # some screens, not registered
    clock_at.shift(timedelta(hours=35, minutes=59))
    fire_due_timers()
    assert not smtp.by_subject(PROVISIONAL)
    clock_at.shift(timedelta(minutes=2))
    fire_due_timers()
    mails = smtp.by_subject(PROVISIONAL)
    assert len(mails) == 1
    assert mails[0]["To"] == "konsai.ichiro@naccs.example.jp"
    body = smtp.body(mails[0])
    assert login_id in body and "残り12時間" in body
    expires = datetime(2026, 12, 3, 10, 0, tzinfo=JST)  # START (12/1 10:00 JST) + 48 hours
    assert f"{expires.month}月{expires.day}日" in body and "10:00" in body
    html = mails[0].get_body(preferencelist=("html",)).get_content()
    assert "ナックスシステム株式会社" in html and login_id in html
    # Still open: the 48-hour expiry is unchanged by the reminder.
    assert only_application().status == "entry"
    fire_due_timers()
    assert len(smtp.by_subject(PROVISIONAL)) == 1
    clock_at.shift(timedelta(hours=12))
    fire_due_timers()
    assert only_application().status == "expired"


def test_no_provisional_reminder_once_registered(app, client, smtp, clock_at):
    login_id, password = signup(client, smtp)
    assert login(client, login_id, password).status_code == 302
    complete_applicant_tasks(client)
    assert only_application().status == "submitted"
    clock_at.shift(timedelta(hours=40))
    fire_due_timers()
    assert not smtp.by_subject(PROVISIONAL)


def third_business_day_before(day: date) -> date:
    overrides = calendar_overrides()
    found = 0
    while found < 3:
        day -= timedelta(days=1)
        found += is_business_day(day, overrides)
    return day


def approved(client, staff_client, smtp) -> Application:
    credentials = signup(client, smtp)
    assert login(client, *credentials).status_code == 302
    complete_applicant_tasks(client)
    application = only_application()
    staff_login(staff_client)
    review(staff_client, "approve", confirmed_start_date=application.wished_start_date.isoformat())
    return only_application()


def test_setup_reminder_three_business_days_before_the_deadline(
    app, client, staff_client, smtp, clock_at
):
    application = approved(client, staff_client, smtp)
    day = third_business_day_before(application.setup_deadline)
    at = datetime(day.year, day.month, day.day, 9, 0, tzinfo=JST)
    clock_at.move_to(at - timedelta(minutes=1))
    fire_due_timers()
    assert not smtp.by_subject(SETUP)
    clock_at.move_to(at + timedelta(minutes=1))
    fire_due_timers()
    mails = smtp.by_subject(SETUP)
    assert len(mails) == 1
    body = smtp.body(mails[0])
    deadline = application.setup_deadline
    assert application.reference_no in body and f"{deadline.month}月{deadline.day}日" in body
    # The application is still waiting for the setup application.
    assert only_application().status == "issued"


def test_no_setup_reminder_once_filed(app, client, staff_client, smtp, clock_at):
    application = approved(client, staff_client, smtp)
    assert complete_applicant_tasks(client) == ["issuance_confirm", "system_setup"]
    clock_at.move_to(datetime.combine(application.setup_deadline, datetime.min.time(), JST))
    fire_due_timers()
    assert not smtp.by_subject(SETUP)
    assert only_application().status == "setup_filed"


# --- the reviewers' daily digest (bpmn/reviewer_digest.bpmn, run by the worker) ----------

DIGEST = "審査状況のお知らせ"
REVIEWERS = {
    "reviewer@naccs-center.example.jp",
    "reviewer2@naccs-center.example.jp",
    "supervisor@naccs-center.example.jp",
    "admin@naccs-center.example.jp",
}


def at_jst(day: date, hour: int = 9, minute: int = 1) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST)


def digests(smtp) -> dict[str, str]:
    """The digest mails received so far, by recipient (each has exactly one)."""
    mails = smtp.by_subject(DIGEST)
    result = {}
    for mail in mails:
        assert len(mail["To"].addresses) == 1
        result.setdefault(str(mail["To"]), []).append(smtp.body(mail))
    return result


def submit(client, smtp) -> Application:
    login_id, password = signup(client, smtp)
    assert login(client, login_id, password).status_code == 302
    complete_applicant_tasks(client)
    return only_application()


def test_digest_one_mail_per_reviewer_with_new_and_overdue(
    app, client, staff_client, smtp, clock_at
):
    from tests.helpers import claim_and_open

    fire_due_timers()  # the worker starts the digest process; next run Wed 12/2 09:00
    application = submit(client, smtp)  # Tue 12/1: answer due by the end of Wed 12/2
    clock_at.move_to(at_jst(date(2026, 12, 2), 8, 59))
    fire_due_timers()
    assert not smtp.by_subject(DIGEST)

    clock_at.move_to(at_jst(date(2026, 12, 2)))
    fire_due_timers()
    first = digests(smtp)
    assert set(first) == REVIEWERS
    for bodies in first.values():
        assert len(bodies) == 1
        assert "新着の審査（前回のお知らせ以降に届いた未割当の審査）：1件" in bodies[0]
        assert application.reference_no in bodies[0]
        assert "期限超過の審査（未割当またはご担当分）：0件" in bodies[0]
    fire_due_timers()
    assert len(smtp.by_subject(DIGEST)) == 4  # once a day

    # The reviewer claims it; on Thursday it is overdue: only the owner hears of it.
    staff_login(staff_client)
    claim_and_open(staff_client)
    smtp.clear()
    clock_at.move_to(at_jst(date(2026, 12, 3)))
    fire_due_timers()
    second = digests(smtp)
    assert set(second) == {"reviewer@naccs-center.example.jp"}
    body = second["reviewer@naccs-center.example.jp"][0]
    assert "新着の審査（前回のお知らせ以降に届いた未割当の審査）：0件" in body
    assert "期限超過の審査（未割当またはご担当分）：1件" in body and "ご担当" in body


def test_no_digest_on_weekends_and_holidays(app, client, smtp, clock_at):
    fire_due_timers()
    submit(client, smtp)  # unclaimed, overdue from Thursday on
    for day in (date(2026, 12, 5), date(2026, 12, 6)):  # Saturday, Sunday
        clock_at.move_to(at_jst(day))
        fire_due_timers()
        assert not smtp.by_subject(DIGEST), day
    clock_at.move_to(at_jst(date(2026, 12, 7)))  # Monday
    fire_due_timers()
    monday = digests(smtp)
    assert set(monday) == REVIEWERS
    assert all("期限超過の審査（未割当またはご担当分）：1件" in b[0] for b in monday.values())
    smtp.clear()
    clock_at.move_to(at_jst(date(2026, 12, 29)))  # year-end closure
    fire_due_timers()
    assert not smtp.by_subject(DIGEST)
    clock_at.move_to(at_jst(date(2027, 1, 4)))  # the first business day of 2027
    fire_due_timers()
    assert set(digests(smtp)) == REVIEWERS


def test_no_digest_when_nothing_is_due(app, clock_at, smtp):
    from app.models import AuditEvent, HousekeepingInstance

    fire_due_timers()
    clock_at.move_to(at_jst(date(2026, 12, 2)))
    fire_due_timers()
    assert not smtp.by_subject(DIGEST)
    run = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reviewer_digest"))
    assert run is not None and run.detail["mails"] == 0
    row = db.session.scalar(select(HousekeepingInstance))
    assert row.runs == 1 and row.next_timer_at > at_jst(date(2026, 12, 2))


def test_the_digest_diagram_is_in_the_analyst_studio(app, analyst):
    from app.models import ProcessVersion

    version = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.id.desc())).first()
    page = analyst.get(f"/analyst/versions/{version.id}").get_data(as_text=True)
    assert "審査状況の日次通知" in page  # listed among the version's processes
    page = analyst.get(f"/analyst/versions/{version.id}?process=reviewer_digest")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-element="wait_digest"' in html and 'data-element="send_digest"' in html


def test_two_workers_send_the_digest_once(app, client, smtp, clock_at):
    import threading

    fire_due_timers()
    submit(client, smtp)
    clock_at.move_to(at_jst(date(2026, 12, 2)))
    errors = []

    def work():
        try:
            with app.app_context():
                fire_due_timers()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    fire_due_timers()  # deliver anything a pass left
    assert sorted(digests(smtp)) == sorted(REVIEWERS)
    assert len(smtp.by_subject(DIGEST)) == 4


def test_a_digest_time_that_is_not_a_time(app, clock_at, smtp, caplog, monkeypatch):
    """「9時」: the validator refuses it in Japanese; a version that has it anyway (deployed
    before the check) is recorded once as a failure staff see, not logged on every pass."""
    import logging

    from app.models import AuditEvent, ProcessVersion
    from app.services import housekeeping
    from app.services.validation import validate_files
    from tests.helpers import staff_login

    version = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.id.desc())).first()
    good = version.files["reviewer_digest.bpmn"]
    bad = good.replace('name="time" value="09:00"', 'name="time" value="9時"')
    assert bad != good
    problems = validate_files({**version.files, "reviewer_digest.bpmn": bad}, version.process_id)
    (problem,) = [p for p in problems if p.code == "property"]
    assert problem.element_id == "schedule_digest" and "「time」" in problem.message
    assert "09:00" in problem.message and problem.severity == "error"

    monkeypatch.setattr(housekeeping, "_specs", {})
    db.session.add(
        ProcessVersion(
            process_id=version.process_id,
            content_hash="bad-digest-time",
            files={**version.files, "reviewer_digest.bpmn": bad},
            spec_json=version.spec_json,
        )
    )
    db.session.commit()
    caplog.set_level(logging.DEBUG)
    for hours in range(3):
        clock_at.shift(timedelta(hours=hours))
        fire_due_timers()
    logged = [r for r in caplog.records if "housekeeping process" in r.getMessage()]
    assert [r.levelno for r in logged].count(logging.ERROR) == 1
    failed = select(AuditEvent).where(AuditEvent.action == "housekeeping_failed")
    (event,) = db.session.scalars(failed).all()
    assert (
        event.detail["element_id"] == "schedule_digest" and "9時" in event.detail["error_message"]
    )

    supervisor = app.test_client()
    staff_login(supervisor, "supervisor", "supervisor-pass")
    page = supervisor.get("/staff/incidents").get_data(as_text=True)
    assert "定期処理の障害" in page and "審査担当者への日次通知" in page and "9時" in page
    home = supervisor.get("/staff/").get_data(as_text=True)
    assert re.search(r"未解決の障害 <span[^>]*>1件", home), "the count on the staff home page"

    # Fixed by a new version: the next pass runs it and records the recovery.
    db.session.add(
        ProcessVersion(
            process_id=version.process_id,
            content_hash="good-digest-time",
            files={**version.files},
            spec_json=version.spec_json,
        )
    )
    db.session.commit()
    fire_due_timers()
    recovered = select(AuditEvent).where(AuditEvent.action == "housekeeping_recovered")
    assert len(db.session.scalars(recovered).all()) == 1
    assert "定期処理の障害" not in supervisor.get("/staff/incidents").get_data(as_text=True)
