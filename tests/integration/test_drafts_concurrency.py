"""Two tabs saving different screens at the same moment: both inputs are kept."""

import threading

import pytest
from sqlalchemy import select

from app.domain.text import bounded_draft
from app.extensions import db
from app.models import Application, AuditEvent
from app.services import Actor
from app.services import tasks as task_service
from tests.helpers import complete_applicant_tasks, login, signup


def only_application() -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application)).one()


@pytest.fixture
def in_detail_entry(app, client, smtp):
    credentials = signup(client, smtp)
    assert login(client, *credentials).status_code == 302
    complete_applicant_tasks(client, stop_at="entry_contractor")
    application = only_application()
    assert {"entry_contact", "entry_office"} <= set(application.answers)
    return application.id, credentials[0]


def _together(monkeypatch) -> threading.Barrier:
    """Hold each save between its read and its commit until the other one got there too.

    With the lost-update bug both read the same JSON, then both write: one screen is lost.
    With the fix the second waits for (PostgreSQL) or detects (SQLite) the first; the barrier
    then times out and lets it go on."""
    barrier = threading.Barrier(2, timeout=1.5)
    real_audit = task_service.audit

    def audit(*args, **kwargs):
        if args[2] == "draft_saved":
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
        return real_audit(*args, **kwargs)

    monkeypatch.setattr(task_service, "audit", audit)
    return barrier


def _run_in_threads(app, *calls) -> list:
    errors: list = []

    def run(call):
        with app.app_context():
            try:
                call()
            except Exception as exc:  # noqa: BLE001 - reported to the test
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def test_two_tabs_saving_different_screens_keep_both(app, in_detail_entry, monkeypatch):
    application_id, login_id = in_detail_entry
    actor = Actor(kind="applicant", label=f"applicant:{login_id}", application_id=application_id)
    _together(monkeypatch)
    for round_no in range(3):
        contact = {"last_name": f"混載{round_no}", "email": "bad"}
        office = {"office_name": f"第{round_no}事業所"}
        errors = _run_in_threads(
            app,
            lambda c=contact: task_service.save_section_draft(
                actor, application_id, "entry_contact", c
            ),
            lambda o=office: task_service.save_section_draft(
                actor, application_id, "entry_office", o
            ),
        )
        assert errors == []
        drafts = only_application().drafts
        assert drafts["entry_contact"] == bounded_draft(contact), round_no
        assert drafts["entry_office"] == bounded_draft(office), round_no
    saved = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "draft_saved")).all()
    assert len(saved) == 6  # each save audited once, retries included


def test_current_screen_and_earlier_screen_saved_at_once(app, in_detail_entry, monkeypatch):
    application_id, login_id = in_detail_entry
    actor = Actor(kind="applicant", label=f"applicant:{login_id}", application_id=application_id)
    from app.services.tasks import current_applicant_task

    task_id = current_applicant_task(application_id).task_id
    version = only_application().drafts_version
    db.session.rollback()
    _together(monkeypatch)
    current = {"name": "途中まで入力"}
    earlier = {"office_name": "修正中の事業所"}
    errors = _run_in_threads(
        app,
        lambda: task_service.save_draft(actor, task_id, current),
        lambda: task_service.save_section_draft(actor, application_id, "entry_office", earlier),
    )
    assert errors == []
    drafts = only_application().drafts
    assert drafts["entry_contractor"] == bounded_draft(current)
    assert drafts["entry_office"] == bounded_draft(earlier)
    assert drafts["_resume"] in ("entry_contractor", "section:entry_office")
    assert only_application().drafts_version == version + 2
