"""Incidents: one failing application does not stop the others; staff see it, retry, resolve."""

import os
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Application, AuditEvent, HumanTask, Incident
from app.services import actions
from app.services.signup import start_signup
from app.services.tasks import current_applicant_task, submit_task
from app.services.timers import fire_due_timers
from tests.helpers import (
    SIGNUP_CONTACT,
    complete_applicant_tasks,
    csrf_token,
    login,
    post_page,
    signup,
    staff_login,
)

EXPIRY = timedelta(hours=49)
POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith("postgresql")


def quick_signups(app, count: int) -> list[int]:
    """`count` applications waiting for their 48-hour expiry: the first through the signup
    screens, the others through the same services with the first one's validated answers."""
    client = app.test_client()
    page = client.get("/signup")
    response = client.post("/signup", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    response = post_page(client, response.location, SIGNUP_CONTACT)
    assert post_page(client, response.location, {}).status_code == 302
    first = db.session.scalar(select(Application))
    answers = dict(first.answers)
    # Nobody logs in to these: skip the deliberately slow Argon2 hash of their passwords.
    real_hash, actions.hash_password = actions.hash_password, lambda password: "unused"
    try:
        _more_signups(answers, count)
    finally:
        actions.hash_password = real_hash
    db.session.expire_all()
    ids = list(db.session.scalars(select(Application.id).order_by(Application.id)))
    assert len(ids) == count
    return ids


def _more_signups(answers: dict, count: int) -> None:
    for n in range(1, count):
        actor = start_signup(f"10.9.{n // 200}.{n % 200 + 1}")  # throttled per address
        for form_key in ("signup_contact", "signup_confirm"):
            task = current_applicant_task(actor.application_id, "signup")
            assert task.form_key == form_key
            submit_task(actor, task.task_id, answers.get(form_key, {}))


def poison(monkeypatch, topic: str, application_id: int) -> None:
    """Make the handler of `topic` fail for one application only."""
    real = actions.HANDLERS[topic]

    def handler(ctx, props, data):
        if ctx.application.id == application_id:
            raise RuntimeError("口座情報システムに接続できません")
        return real(ctx, props, data)

    monkeypatch.setitem(actions.HANDLERS, topic, handler)


def timer_fired(application_id: int) -> int:
    # The detail is packed (no JSON operators in SQL): read through the model.
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.application_id == application_id, AuditEvent.action == "timer_fired"
        )
    )
    return sum(e.detail.get("timer") == "仮アカウント有効期限（48時間）" for e in events)


def open_incident(application_id: int) -> Incident | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Incident).where(Incident.application_id == application_id, Incident.status == "open")
    )


def test_one_failing_application_among_20_becomes_an_incident_and_the_others_fire(
    app, smtp, clock_at, monkeypatch
):
    ids = quick_signups(app, 20)
    poisoned = ids[7]
    poison(monkeypatch, "expire_provisional_account", poisoned)
    smtp.clear()
    clock_at.shift(EXPIRY)

    # One pass drains everything due, in batches (here of 6), past the failing one.
    assert fire_due_timers(limit=6) == 19
    db.session.expire_all()
    statuses = dict(db.session.execute(select(Application.id, Application.status)).all())
    assert all(statuses[i] == "expired" for i in ids if i != poisoned)
    assert all(timer_fired(i) == 1 for i in ids if i != poisoned)
    # The failing one is rolled back as a whole and recorded.
    assert statuses[poisoned] == "entry" and timer_fired(poisoned) == 0
    incident = open_incident(poisoned)
    assert incident.attempts == 1 and incident.source == "worker"
    assert incident.element_id == "expire_provisional_account"
    assert incident.element_name == "仮アカウント無効化"
    assert incident.error_class == "RuntimeError"
    assert "口座情報システムに接続できません" in incident.error_message
    assert "Traceback" not in incident.error_message  # the stack goes to the log only
    assert incident.process_instance_id is not None
    assert incident.next_retry_at == incident.last_seen + timedelta(minutes=1)
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 1

    # Back-off: the worker leaves it alone until next_retry_at ...
    assert fire_due_timers() == 0
    assert open_incident(poisoned).attempts == 1
    clock_at.shift(timedelta(seconds=59))
    fire_due_timers()
    assert open_incident(poisoned).attempts == 1
    # ... then tries again (still failing): one more attempt, a longer wait.
    clock_at.shift(timedelta(seconds=2))
    assert fire_due_timers() == 0
    incident = open_incident(poisoned)
    assert incident.attempts == 2
    assert incident.next_retry_at == incident.last_seen + timedelta(minutes=2)

    # Fixed: the next automatic retry fires it and closes the incident.
    monkeypatch.undo()
    clock_at.shift(timedelta(minutes=2))
    assert fire_due_timers() == 1
    db.session.expire_all()
    assert db.session.get(Application, poisoned).status == "expired"
    assert timer_fired(poisoned) == 1
    assert open_incident(poisoned) is None
    closed = db.session.scalar(select(Incident))
    assert closed.status == "resolved" and closed.resolved_by == "timer"


def test_automatic_retries_stop_after_the_limit(app, smtp, clock_at, monkeypatch):
    app.config["INCIDENT_AUTO_RETRIES"] = 2
    try:
        (only,) = quick_signups(app, 1)
        poison(monkeypatch, "expire_provisional_account", only)
        clock_at.shift(EXPIRY)
        fire_due_timers()
        clock_at.shift(timedelta(minutes=1))
        fire_due_timers()
        incident = open_incident(only)
        assert incident.attempts == 2 and incident.next_retry_at is None
        clock_at.shift(timedelta(days=1))
        fire_due_timers()
        assert open_incident(only).attempts == 2  # only staff retry it now
    finally:
        app.config.pop("INCIDENT_AUTO_RETRIES")


def _incident_page(client) -> str:
    response = client.get("/staff/incidents")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_staff_see_retry_and_resolve_incidents(app, smtp, clock_at, monkeypatch):
    first, second = quick_signups(app, 2)
    poison(monkeypatch, "expire_provisional_account", first)
    poison(monkeypatch, "expire_provisional_account", second)
    clock_at.shift(EXPIRY)
    assert fire_due_timers() == 0
    incident_one, incident_two = open_incident(first), open_incident(second)

    supervisor = app.test_client()
    staff_login(supervisor, "supervisor", "supervisor-pass")
    page = _incident_page(supervisor)
    assert "障害一覧" in page and "仮アカウント無効化" in page
    assert "口座情報システムに接続できません" in page and "今すぐ再試行" in page
    home = supervisor.get("/staff/").get_data(as_text=True)
    assert re.search(r"未解決の障害 <span[^>]*>2件</span>", home)
    # The application's staff page has the incident section.
    detail = supervisor.get(f"/staff/applications/{first}").get_data(as_text=True)
    assert 'id="incidents"' in detail and "未解決" in detail

    # Retry while it still fails: one more attempt, the staff member is told.
    response = supervisor.post(
        f"/staff/incidents/{incident_one.id}/retry", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    assert "再び失敗しました" in supervisor.get("/staff/incidents").get_data(as_text=True)
    assert open_incident(first).attempts == 2

    # Fixed: retry now resolves it and the timer has fired.
    monkeypatch.undo()
    response = supervisor.post(
        f"/staff/incidents/{incident_one.id}/retry", data={"csrf_token": csrf_token(page)}
    )
    assert "再試行に成功" in supervisor.get(response.location).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, first).status == "expired"
    resolved = db.session.get(Incident, incident_one.id)
    assert resolved.status == "resolved" and resolved.resolved_by == "staff:supervisor"

    # Resolve by hand needs a note.
    response = supervisor.post(
        f"/staff/incidents/{incident_two.id}/resolve",
        data={"csrf_token": csrf_token(page), "note": ""},
    )
    assert "解決の内容（メモ）" in supervisor.get(response.location).get_data(as_text=True)
    assert open_incident(second) is not None
    supervisor.post(
        f"/staff/incidents/{incident_two.id}/resolve",
        data={"csrf_token": csrf_token(page), "note": "申込者と電話で確認済み。手動で対応。"},
    )
    closed = db.session.get(Incident, incident_two.id)
    db.session.refresh(closed)
    assert closed.status == "resolved" and closed.resolution_note.startswith("申込者と電話")
    assert "未解決の障害はありません" in _incident_page(supervisor)
    resolved_page = supervisor.get("/staff/incidents?status=resolved").get_data(as_text=True)
    assert "申込者と電話で確認済み" in resolved_page

    actions_done = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("incident_%"))
    ).all()
    assert actions_done.count("incident_retried") == 2
    assert actions_done.count("incident_resolved") == 2
    # The audit trail names who did it.
    manual = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "incident_resolved", AuditEvent.application_id == second
        )
    )
    assert manual.actor == "staff:supervisor" and "電話" in manual.detail["note"]


def test_reviewers_cannot_see_or_act_on_incidents(app, smtp, clock_at, monkeypatch):
    (only,) = quick_signups(app, 1)
    poison(monkeypatch, "expire_provisional_account", only)
    clock_at.shift(EXPIRY)
    fire_due_timers()
    incident = open_incident(only)
    reviewer = app.test_client()
    staff_login(reviewer)
    assert reviewer.get("/staff/incidents").status_code == 403
    token = csrf_token(reviewer.get("/staff/").get_data(as_text=True))
    assert (
        reviewer.post(
            f"/staff/incidents/{incident.id}/retry", data={"csrf_token": token}
        ).status_code
        == 403
    )
    response = reviewer.post(
        f"/staff/incidents/{incident.id}/resolve", data={"csrf_token": token, "note": "x"}
    )
    assert response.status_code == 403
    assert open_incident(only).attempts == 1
    home = reviewer.get("/staff/").get_data(as_text=True)
    assert "未解決の障害" not in home
    detail = reviewer.get(f"/staff/applications/{only}").get_data(as_text=True)
    assert 'id="incidents"' not in detail
    assert app.test_client().get("/staff/incidents").status_code == 302  # to the login page


def test_a_failing_submission_is_an_incident_and_the_applicant_reads_why(app, smtp, monkeypatch):
    client = app.test_client()
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client, stop_at="entry_confirm")
    application_id = db.session.scalar(select(Application.id))
    poison(monkeypatch, "register_application", application_id)
    url = client.get("/home").get_data(as_text=True)
    url = re.search(r'href="(/tasks/[0-9a-f-]{36})"', url).group(1)
    response = post_page(client, url, {"remarks": "テスト"})
    assert response.status_code == 302  # not a bare 500
    page = client.get(response.location).get_data(as_text=True)
    assert "システムで処理できませんでした" in page and "障害番号" in page
    incident = open_incident(application_id)
    assert incident.source == "request" and incident.attempts == 1
    assert incident.element_id == "register_application"
    # Nothing of the failed submission was kept: the confirmation screen is still waiting.
    db.session.expire_all()
    assert db.session.get(Application, application_id).reference_no is None
    ready = db.session.scalars(
        select(HumanTask.form_key).where(
            HumanTask.application_id == application_id, HumanTask.state == "ready"
        )
    ).all()
    assert ready == ["entry_confirm"]
    # The user tries again: the same incident counts a second attempt.
    post_page(client, url, {"remarks": "テスト"})
    assert open_incident(application_id).attempts == 2
    # Fixed: the submission goes through; the request incident stays for staff to close.
    monkeypatch.undo()
    assert post_page(client, url, {"remarks": "テスト"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, application_id).status == "submitted"
    assert open_incident(application_id) is not None


@pytest.mark.skipif(
    not POSTGRESQL,
    reason="several timer workers at once are a PostgreSQL deployment (row locks); SQLite has "
    "one writer",
)
def test_four_workers_200_due_one_poisoned(app, smtp, clock_at, monkeypatch):
    count = 200
    ids = quick_signups(app, count)
    poisoned = ids[count // 2]
    poison(monkeypatch, "expire_provisional_account", poisoned)
    clock_at.shift(EXPIRY)
    errors, advanced = [], []

    def work():
        try:
            with app.app_context():
                advanced.append(fire_due_timers(limit=10))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(advanced) == count - 1
    assert all(timer_fired(i) == 1 for i in ids if i != poisoned)
    assert timer_fired(poisoned) == 0
    incidents = db.session.scalars(select(Incident)).all()
    assert [(i.application_id, i.attempts) for i in incidents] == [(poisoned, 1)]
    statuses = db.session.scalars(select(Application.status).order_by(Application.id)).all()
    assert statuses.count("expired") == count - 1


@pytest.mark.skipif(not POSTGRESQL, reason="row locks: PostgreSQL")
def test_a_worker_skips_an_application_another_transaction_holds(app, smtp, clock_at):
    """FOR UPDATE SKIP LOCKED: a row held by another worker (or a request) is left to it, the
    pass goes on with the others at once instead of queueing behind the lock."""
    import time

    from sqlalchemy import text

    ids = quick_signups(app, 3)
    held = ids[1]
    clock_at.shift(EXPIRY)
    result: list[int] = []

    def work():
        with app.app_context():
            result.append(fire_due_timers())

    with db.engine.connect() as other:
        other.execute(
            text("SELECT id FROM process_instance WHERE application_id = :a FOR UPDATE"),
            {"a": held},
        )
        began = time.monotonic()
        worker = threading.Thread(target=work)
        worker.start()
        worker.join(timeout=8)
        elapsed = time.monotonic() - began
        other.rollback()  # a worker queued behind the lock goes on now
        worker.join()
    advanced = result[0]
    assert elapsed < 7, "the pass waited for the held row"
    assert advanced == 2 and timer_fired(held) == 0
    assert [timer_fired(i) for i in ids if i != held] == [1, 1]
    assert db.session.scalars(select(Incident)).all() == []
    assert fire_due_timers() == 1 and timer_fired(held) == 1  # the next pass takes it
