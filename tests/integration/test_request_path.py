"""The submission's hot path: SQL statements per POST, no BPMN blobs read, the task_id index."""

from contextlib import contextmanager

from flask import request_finished, request_started
from sqlalchemy import event, inspect

from app.extensions import db
from tests.helpers import (
    complete_applicant_tasks,
    csrf_token,
    first_option,
    login,
    next_task_url,
    signup,
)

# The statements of one submission that read or write data, the same on SQLite and PostgreSQL:
# the session's login with its application (and whether a timer is due), the task row by
# task_id, the instance locked with its application and version (and whether an incident is
# open), then one UPDATE of the application (answers and drafts, compare-and-set), the audit
# INSERT, the state UPDATE, the inbox by difference (the finished task's row closed, the next
# one inserted). It was 26 before issue 10, 23 after its first part.
MAX_STATEMENTS_PER_SUBMISSION = 8
# Not counted: transaction control (the timer workers' SAVEPOINT and RELEASE on PostgreSQL;
# BEGIN and COMMIT are not seen on either) and the development clock's offset, read per
# request only with DEV_TOOLS (the tests' configuration; never in production).
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
DEV_CLOCK = "SELECT setting."


def counted(seen: list[str]) -> list[str]:
    """The statements that touch data, without transaction control and the dev clock."""
    return [s for s in seen if not s.startswith(TRANSACTION_CONTROL) and DEV_CLOCK not in s]


@contextmanager
def statements_of_requests(app):
    """The SQL statements run while a request is handled (not the test's own, nor the stand-in
    mail worker that runs after each request)."""
    seen: list[str] = []
    active = {"on": False}

    def started(sender, **extra):
        active["on"] = True

    def finished(sender, response, **extra):
        active["on"] = False

    def record(conn, cursor, statement, parameters, context, executemany):
        if active["on"]:
            seen.append(statement)

    request_started.connect(started, app)
    request_finished.connect(finished, app)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        request_started.disconnect(started, app)
        request_finished.disconnect(finished, app)


def _at_first_detail_screen(client, smtp) -> str:
    login_id, password = signup(client, smtp)
    assert login(client, login_id, password).status_code == 302
    url = next_task_url(client)
    assert url and url.startswith("/tasks/")
    return url


def test_one_submission_runs_a_bounded_number_of_statements(app, client, smtp):
    url = _at_first_detail_screen(client, smtp)
    page = client.get(url).get_data(as_text=True)
    assert 'data-form-key="entry_guidance"' in page
    with statements_of_requests(app) as seen:
        response = client.post(url, data={"csrf_token": csrf_token(page), "submit": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert next_task_url(client) != url  # the screen was really completed
    data = counted(seen)
    assert 0 < len(data) <= MAX_STATEMENTS_PER_SUBMISSION, "\n".join(seen)
    # No savepoint around a request's work (only the timer workers keep one: see
    # services.unit._incident), so transaction control costs nothing on either database.
    control = [s for s in seen if s.startswith(TRANSACTION_CONTROL)]
    assert control == [], control
    assert len([s for s in seen if s.startswith(DEV_CLOCK)]) <= 1
    # Each row read once: the login (with its application), the task by task_id, the instance
    # locked (its state; the application read again with it, fresh under the lock).
    assert len([s for s in data if "FROM provisional_account" in s]) == 1, data
    instance_reads = [s for s in data if "process_instance.state" in s and s.startswith("SELECT")]
    assert len(instance_reads) == 1, instance_reads
    by_task_id = [s for s in data if "human_task.task_id =" in s]
    assert len(by_task_id) == 1, by_task_id
    # Not read at all on this screen: the schedule (its form has no date), the drafts again
    # (compared and set in the answers' UPDATE), incidents (none open), the inbox rows (synced
    # by difference from the workflow), the task rows after the commit.
    for table in ("schedule_entry", "incident", "setting"):
        assert not [s for s in data if s.startswith(f"SELECT {table}.")], data
    assert not [s for s in data if s.startswith("SELECT application.drafts")], data
    assert [s for s in data if s.startswith("SELECT") and "FROM human_task" in s] == by_task_id


def test_the_start_date_screen_reads_the_schedule_ahead_once(app, client, smtp):
    _at_first_detail_screen(client, smtp)
    complete_applicant_tasks(client, stop_at="entry_start_date")
    url = next_task_url(client)
    page = client.get(url).get_data(as_text=True)
    assert 'data-form-key="entry_start_date"' in page
    data = {"wished_start_date": first_option(page, "wished_start_date")}
    with statements_of_requests(app) as seen:
        response = client.post(url, data={**data, "csrf_token": csrf_token(page), "submit": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    reads = [s for s in seen if s.startswith("SELECT schedule_entry.")]
    assert len(reads) == 1, reads
    # Bounded by today's date: the schedule's history is not read.
    assert "schedule_entry.start_date >=" in reads[0], reads[0]
    assert len(counted(seen)) <= MAX_STATEMENTS_PER_SUBMISSION + 1, "\n".join(seen)


def test_task_pages_and_submissions_never_read_the_bpmn_files(app, client, smtp):
    url = _at_first_detail_screen(client, smtp)
    with statements_of_requests(app) as seen:
        page = client.get(url).get_data(as_text=True)
        client.post(url, data={"csrf_token": csrf_token(page), "submit": "1"})
        client.get("/home")
    reads = [s for s in seen if "FROM process_version" in s]
    assert all("process_version.files" not in s for s in reads), reads
    # The spec of this version is cached in the process since the signup: never read again.
    assert all("process_version.spec_json" not in s for s in reads), reads


def test_human_task_is_indexed_by_task_id(app):
    indexes = inspect(db.engine).get_indexes("human_task")
    assert any(ix["column_names"] == ["task_id"] for ix in indexes), indexes


def test_a_draft_saved_after_the_submissions_read_is_kept(app, client, smtp, monkeypatch):
    """The submission compares the drafts it read under the instance lock with the row; a draft
    another tab saved since then makes it read the row again, and both survive."""
    import threading

    from app.models import Application
    from app.services import Actor, ServiceError
    from app.services import tasks as task_service

    login_id, password = signup(client, smtp)
    assert login(client, login_id, password).status_code == 302
    complete_applicant_tasks(client, stop_at="entry_start_date")
    with app.app_context():
        task = task_service.current_applicant_task(_application_id())
        application_id, task_id = task.application_id, task.task_id
        db.session.remove()
    actor = Actor(kind="applicant", label=f"applicant:{login_id}", application_id=application_id)
    real_is_ready = task_service.runtime.is_ready

    def other_tab_saves_first(*args):
        # Runs inside the submission, after its locked read of the application.
        def save():
            with app.app_context():
                raw = {"reason": ["別のタブで入力中"]}
                task_service.save_section_draft(actor, application_id, "entry_contact", raw)
                db.session.remove()

        thread = threading.Thread(target=save)
        thread.start()
        thread.join(30)
        return real_is_ready(*args)

    monkeypatch.setattr(task_service.runtime, "is_ready", other_tab_saves_first)
    with app.app_context():
        wished = _first_open_date()
        try:
            task_service.submit_task(actor, task_id, {"wished_start_date": wished})
            submitted = True
        except ServiceError as exc:  # SQLite may refuse the stale write: nothing is lost
            assert exc.status == 409, exc.message
            submitted = False
        db.session.remove()
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.drafts["entry_contact"] == {"reason": ["別のタブで入力中"]}
        if submitted or db.engine.dialect.name == "postgresql":
            assert submitted
            assert application.answers["entry_start_date"]["wished_start_date"] == wished
        db.session.remove()


def _application_id() -> int:
    from sqlalchemy import select

    from app.models import Application

    return db.session.scalars(select(Application.id).order_by(Application.id.desc())).first()


def _first_open_date() -> str:
    from app.services.reference import open_schedule

    return open_schedule()[0].start_date.isoformat()
