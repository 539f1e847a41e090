"""Versions, concurrency, the outbox, the clock, CSRF and access rules, against the real database."""

import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import (
    Application,
    AuditEvent,
    HumanTask,
    OutboundMail,
    ProcessInstance,
    ProcessVersion,
)
from app.services.deploy import deploy_files, read_directory
from app.services.timers import fire_due_timers
from tests.helpers import (
    SIGNUP_CONTACT,
    csrf_token,
    login,
    next_task_url,
    post_page,
    signup,
    staff_login,
)

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"


def test_running_application_keeps_its_version_when_diagrams_change(app, client, smtp):
    signup(client, smtp)
    old = db.session.scalar(select(ProcessInstance.version_id))
    files = read_directory(BPMN_DIR)
    files["signup.bpmn"] = files["signup.bpmn"].replace("入力内容の確認", "入力内容の確認（改訂）")
    version, created = deploy_files(files, "analyst")
    assert created and version.id != old
    again, created_again = deploy_files(files, "analyst")
    assert not created_again and again.id == version.id  # stored once per content hash
    # The running application stays on its version; a new one starts on the latest.
    assert db.session.scalar(select(ProcessInstance.version_id)) == old
    other = client.application.test_client()
    signup(other, smtp)
    versions = db.session.scalars(
        select(ProcessInstance.version_id).order_by(ProcessInstance.id)
    ).all()
    assert versions == [old, version.id]
    titles = db.session.scalars(select(HumanTask.title).order_by(HumanTask.id)).all()
    assert "入力内容の確認（改訂）" in titles and "入力内容の確認" in titles


def test_two_workers_fire_each_timer_exactly_once(app, client, smtp, clock_at):
    for _ in range(3):
        signup(app.test_client(), smtp)
    smtp.clear()
    clock_at.shift(timedelta(hours=49))
    results, errors = [], []

    def work():
        try:
            with app.app_context():
                results.append(fire_due_timers())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(results) == 3
    fired = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "timer_fired")
    )
    assert fired == 6  # each: the 36-hour reminder and the 48-hour expiry, exactly once
    assert set(db.session.scalars(select(Application.status))) == {"expired"}
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ProcessInstance)
            .where(ProcessInstance.next_timer_at.is_not(None))
        )
        == 0
    )


def test_two_submissions_of_the_same_task_only_one_wins(app, smtp):
    first, second = app.test_client(), app.test_client()
    login_id, password = signup(first, smtp)
    login(first, login_id, password)
    login(second, login_id, password)
    url = next_task_url(first)
    pages = [c.get(url).get_data(as_text=True) for c in (first, second)]
    responses = []

    def submit(c, page):
        responses.append(c.post(url, data={"submit": "1", "csrf_token": csrf_token(page)}))

    threads = [
        threading.Thread(target=submit, args=(c, p))
        for c, p in zip((first, second), pages, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "task_completed"))
    assert sum(e.detail.get("form") == "entry_guidance" for e in events) == 1
    assert sorted(r.status_code for r in responses) == [
        302,
        302,
    ]  # the loser is told and redirected
    ready = db.session.scalars(select(HumanTask.form_key).where(HumanTask.state == "ready")).all()
    assert ready == ["entry_contact"]


def test_mail_survives_an_smtp_outage_and_is_retried(app, client, smtp, clock_at):
    mail_state = app.extensions["mail"]
    mail_state.port = 1  # nothing listens there
    try:
        page = client.get("/signup")
        r = client.post("/signup", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
        r = post_page(client, r.location, SIGNUP_CONTACT)
        post_page(client, r.location, {})
        mail = db.session.scalar(select(OutboundMail))
        assert mail.status == "retry" and mail.attempts == 1 and mail.last_error
    finally:
        mail_state.port = smtp.port
    assert smtp.by_subject("仮アカウント登録完了") == []
    clock_at.shift(timedelta(minutes=2))
    fire_due_timers()
    db.session.expire_all()
    assert db.session.scalar(select(OutboundMail.status)) == "sent"
    assert smtp.by_subject("仮アカウント登録完了")


def test_clock_command_moves_the_shared_clock_and_the_worker_fires(app, client, smtp, runner):
    signup(client, smtp)
    result = runner.invoke(args=["clock", "forward", "49h"])
    assert result.exit_code == 0, result.output
    assert clock.offset() == timedelta(hours=49)
    result = runner.invoke(args=["workflow", "tick"])
    assert "advanced 1" in result.output
    assert db.session.scalar(select(Application.status)) == "expired"
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clock_moved")) is not None
    )
    runner.invoke(args=["clock", "reset"])
    assert clock.offset() == timedelta(0)


def test_posts_without_csrf_token_are_refused(app, client):
    refused = client.post("/signup")
    assert refused.status_code == 400
    assert "画面の有効期限が切れています" in refused.get_data(as_text=True)
    assert client.post("/login", data={"login_id": "0000001", "password": "x"}).status_code == 400
    assert (
        client.post(
            "/staff/login", data={"login": "reviewer", "password": "reviewer-pass"}
        ).status_code
        == 400
    )
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_an_applicant_cannot_open_another_applicants_task(app, smtp):
    alice, bob = app.test_client(), app.test_client()
    login(alice, *signup(alice, smtp))
    login(
        bob,
        *signup(
            bob,
            smtp,
            {**SIGNUP_CONTACT, "email": "bob@example.jp", "email_confirm": "bob@example.jp"},
        ),
    )
    alice_task = next_task_url(alice)
    assert bob.get(alice_task).status_code == 403
    page = bob.get(next_task_url(bob)).get_data(as_text=True)
    assert (
        bob.post(alice_task, data={"submit": "1", "csrf_token": csrf_token(page)}).status_code
        == 403
    )
    assert bob.get("/staff/").status_code == 302  # not staff


def test_staff_cannot_decide_without_claiming_and_applicants_cannot_review(
    app, client, staff_client, smtp
):
    from tests.helpers import complete_applicant_tasks

    login(client, *signup(client, smtp))
    complete_applicant_tasks(client)
    task = db.session.scalar(select(HumanTask).where(HumanTask.state == "ready"))
    assert task.lane == "reviewer"
    assert (
        client.get(f"/staff/tasks/{task.task_id}").status_code == 302
    )  # applicant: to staff login
    staff_login(staff_client)
    refused = staff_client.get(f"/staff/tasks/{task.task_id}")
    assert refused.status_code == 403 and "担当する" in refused.get_data(as_text=True)
    analyst = app.test_client()
    staff_login(analyst, "analyst", "analyst-pass")
    assert analyst.get(f"/staff/tasks/{task.task_id}").status_code == 403


def test_passwords_are_hashed_at_rest(app, client, smtp):
    login_id, password = signup(client, smtp)
    from app.models import ProvisionalAccount, StaffUser

    account = db.session.scalar(select(ProvisionalAccount))
    assert account.login_id == login_id and password not in account.password_hash
    assert account.password_hash.startswith("$argon2")
    assert all(s.password_hash.startswith("$argon2") for s in db.session.scalars(select(StaffUser)))


def test_dev_mail_page_shows_captured_mail(app, client, tmp_path):
    from app.devmail import start

    controller = start("127.0.0.1", _free_port(), str(tmp_path / "box"))
    mail_state = app.extensions["mail"]
    try:
        mail_state.port = controller.port
        app.config["MAILBOX_DIR"] = str(tmp_path / "box")
        page = client.get("/signup")
        r = client.post("/signup", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
        r = post_page(client, r.location, SIGNUP_CONTACT)
        post_page(client, r.location, {})
        listing = client.get("/dev/mail").get_data(as_text=True)
        assert "【NSS】仮アカウント登録完了のお知らせ" in listing and "仮ログインID：" in listing
    finally:
        mail_state.port = app.config["MAIL_PORT"]
        controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_versions_table_has_the_repository_diagrams(app):
    version = db.session.scalar(select(ProcessVersion).order_by(ProcessVersion.id))
    assert set(version.files) == {p.name for p in BPMN_DIR.glob("*.bpmn")}
