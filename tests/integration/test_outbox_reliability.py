"""The outbox under faults: rows are claimed before sending (never sent twice), SMTP that stalls
times out, requests never talk to SMTP, staff see and resend mail that failed."""

import os
import re
import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from app import mailer
from app.clock import now
from app.extensions import db
from app.models import AuditEvent, OutboundMail
from app.services.timers import fire_due_timers
from tests.helpers import SIGNUP_CONTACT, csrf_token, staff_login

POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith("postgresql")


def outbox_rows(count: int, **values) -> list[int]:
    rows = [
        OutboundMail(
            template="received",
            recipients=[f"to{n}@naccs.example.jp"],
            subject=f"【NSS】試験メール {n:02d}",
            body_text=f"本文 {n}",
            body_html=None,
            next_attempt_at=now(),
            **values,
        )
        for n in range(count)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [row.id for row in rows]


def subjects(smtp) -> list[str]:
    with smtp.lock:
        return [str(m["subject"]) for m in smtp.messages]


def test_two_concurrent_delivery_passes_send_each_row_exactly_once(app, smtp):
    ids = outbox_rows(20)
    start = threading.Barrier(2)
    sent, errors = [], []

    def deliver():
        try:
            with app.app_context():
                start.wait()
                sent.append(mailer.deliver_due())
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(sent) == 20
    received = subjects(smtp)
    assert len(received) == 20 and len(set(received)) == 20
    db.session.expire_all()
    rows = db.session.scalars(select(OutboundMail).where(OutboundMail.id.in_(ids))).all()
    assert {(r.status, r.attempts, r.lease_until) for r in rows} == {("sent", 1, None)}


def test_a_claimed_row_is_not_claimed_again_until_its_lease_ends(app, smtp, clock_at):
    (row_id,) = outbox_rows(1)
    assert mailer.claim(row_id) == 1
    assert mailer.claim(row_id) is None  # another sender finds it taken
    assert mailer.deliver_due() == 0 and subjects(smtp) == []
    # The first sender died: after the lease the row is claimed again, as a new attempt.
    clock_at.shift(timedelta(seconds=app.config.get("MAIL_LEASE_SECONDS", 300) + 1))
    assert mailer.deliver_due() == 1
    row = db.session.get(OutboundMail, row_id, populate_existing=True)
    assert (row.status, row.attempts) == ("sent", 2)
    # A late report from the dead sender's attempt 1 changes nothing.
    mailer._finish(row_id, 1, status="retry", last_error="late")
    db.session.refresh(row)
    assert (row.status, row.last_error) == ("sent", None)
    assert len(subjects(smtp)) == 1


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never says anything."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_an_smtp_server_that_never_greets_times_out_and_the_row_is_retried(
    app, smtp, silent_server
):
    port, accepted = silent_server
    state = app.extensions["mail"]
    (row_id,) = outbox_rows(1)
    app.config["MAIL_TIMEOUT"] = 0.5
    state.port = port
    try:
        began = time.monotonic()
        assert mailer.deliver_due() == 0
        elapsed = time.monotonic() - began
    finally:
        state.port = smtp.port
        app.config.pop("MAIL_TIMEOUT")
    assert accepted, "the delivery never reached the silent server"
    assert elapsed < 5
    row = db.session.get(OutboundMail, row_id, populate_existing=True)
    assert row.status == "retry" and row.attempts == 1 and row.lease_until is None
    assert "timed out" in row.last_error.lower() or "timeout" in row.last_error.lower()


def test_requests_hand_mail_to_the_outbox_and_never_wait_on_smtp(
    app, smtp, silent_server, monkeypatch
):
    port, accepted = silent_server
    # The application as production serves it: no test stand-in delivering after requests.
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app.wsgi_app)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 30)
    monkeypatch.setattr(app.extensions["mail"], "port", port)
    client = app.test_client()
    page = client.get("/signup")
    began = time.monotonic()
    response = client.post("/signup", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    page = client.get(response.location).get_data(as_text=True)
    response = client.post(
        response.location, data={**SIGNUP_CONTACT, "submit": "1", "csrf_token": csrf_token(page)}
    )
    page = client.get(response.location).get_data(as_text=True)
    response = client.post(response.location, data={"submit": "1", "csrf_token": csrf_token(page)})
    assert response.location.endswith("/signup/done")
    assert time.monotonic() - began < 5  # the stalled server was never waited on
    assert accepted == []
    row = db.session.scalar(select(OutboundMail))
    assert (row.status, row.attempts) == ("pending", 0)
    # The worker delivers it (here to the real SMTP fixture).
    monkeypatch.setattr(app.extensions["mail"], "port", smtp.port)
    fire_due_timers()
    db.session.refresh(row)
    assert row.status == "sent" and smtp.by_subject("仮アカウント登録完了")


def _fail_everything(app, smtp, clock_at) -> tuple[int, int, int]:
    """Two mails that could not be sent: one failed for good, one retrying for over an hour;
    and one retrying for 10 minutes only (not listed)."""
    failed, stale, fresh = outbox_rows(3)
    state = app.extensions["mail"]
    state.port = 1  # nothing listens there
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    try:
        mailer.deliver_due()
    finally:
        state.port = smtp.port
        app.config["MAIL_MAX_ATTEMPTS"] = 8
    db.session.execute(
        update(OutboundMail)
        .where(OutboundMail.id.in_((stale, fresh)))
        .values(status="retry", next_attempt_at=now() + timedelta(days=1))
    )
    db.session.execute(
        update(OutboundMail)
        .where(OutboundMail.id.in_((failed, stale)))
        .values(created_at=now() - timedelta(hours=2))
    )
    db.session.commit()
    return failed, stale, fresh


def test_staff_see_mail_that_failed_and_resend_it(app, smtp, clock_at):
    failed, stale, fresh = _fail_everything(app, smtp, clock_at)
    supervisor = app.test_client()
    staff_login(supervisor, "supervisor", "supervisor-pass")
    home = supervisor.get("/staff/").get_data(as_text=True)
    assert re.search(r"送信できなかったメール <span[^>]*>2件</span>", home)
    page = supervisor.get("/staff/mail-failures").get_data(as_text=True)
    assert f'id="mail-{failed}"' in page and f'id="mail-{stale}"' in page
    assert f'id="mail-{fresh}"' not in page
    assert "ConnectionRefusedError" in page and "送信失敗" in page and "再送待ち" in page

    response = supervisor.post(
        f"/staff/mail/{failed}/resend", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    # The worker stand-in delivered it after the request, through the real claim and send.
    row = db.session.get(OutboundMail, failed, populate_existing=True)
    assert (row.status, row.attempts) == ("sent", 1)
    assert "【NSS】試験メール 00" in subjects(smtp)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mail_resent"))
    assert event.actor == "staff:supervisor"
    assert event.detail["attempts"] == 1 and "ConnectionRefusedError" in event.detail["error"]
    # A sent mail cannot be resent.
    response = supervisor.post(
        f"/staff/mail/{failed}/resend", data={"csrf_token": csrf_token(page)}
    )
    assert "再送できる状態ではありません" in supervisor.get(response.location).get_data(
        as_text=True
    )
    assert len(subjects(smtp)) == 1
    home = supervisor.get("/staff/").get_data(as_text=True)
    assert re.search(r"送信できなかったメール <span[^>]*>1件</span>", home)


def test_reviewers_cannot_see_or_resend_failed_mail(app, smtp, clock_at):
    failed, _, _ = _fail_everything(app, smtp, clock_at)
    reviewer = app.test_client()
    staff_login(reviewer)
    assert reviewer.get("/staff/mail-failures").status_code == 403
    token = csrf_token(reviewer.get("/staff/").get_data(as_text=True))
    assert (
        reviewer.post(f"/staff/mail/{failed}/resend", data={"csrf_token": token}).status_code == 403
    )
    assert db.session.get(OutboundMail, failed, populate_existing=True).status == "failed"
    assert "送信できなかったメール" not in reviewer.get("/staff/").get_data(as_text=True)


@pytest.mark.skipif(not POSTGRESQL, reason="SQLite has no TRUNCATE statement")
def test_truncate_of_append_only_tables_is_refused_on_postgresql(app):
    for table in ("audit_event", "review_decision", "return_comment", "staff_note"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(f"TRUNCATE {table} CASCADE"))
        db.session.rollback()
