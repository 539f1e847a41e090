"""Fixtures: the app on a migrated database (SQLite file, or PostgreSQL via DATABASE_URL),
a real SMTP server, a movable clock, and HTTP helpers for each role."""

import itertools
import os
import socket
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from uuid import UUID

import pytest
import time_machine
from aiosmtpd.controller import Controller
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from app import clock, create_app
from app.config import TestConfig
from app.extensions import db
from app.models import ProcessVersion
from tests.helpers import (
    FreshContextClient,
    instances_by_version,
    private_schema,
    version_counts_kept,
)

# Tuesday 1 December 2026, 10:00 JST: every test starts here unless it moves the clock.
START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
KEEP_TABLES = {"alembic_version", "process_version", "staff_user", "calendar_day", "schedule_entry"}


class Mailbox:
    """aiosmtpd handler keeping every message received, decoded."""

    def __init__(self):
        self.messages: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def by_subject(self, fragment: str) -> list:
        with self.lock:
            return [m for m in self.messages if fragment in str(m["subject"])]

    def body(self, message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


@pytest.fixture(scope="session")
def smtp():
    mailbox = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        mailbox.port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A private database per test run: a temporary SQLite file, or on PostgreSQL a schema of
    its own, so that concurrent runs against the same server never see each other."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    with private_schema(url, f"test_run_{os.getpid()}") as schema_url:
        yield schema_url


class WorkerMailStandIn:
    """WSGI wrapper: after each request, run the timer worker's own mail delivery
    (`mailer.deliver_due`: claim, send, record), as the worker would within seconds in
    production. Requests themselves never talk to SMTP; this keeps the tests that read a mail
    right after a request real (test client and the browser tests' live server alike)."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        from app import mailer

        iterable = self.wsgi_app(environ, start_response)
        try:
            body = list(iterable)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        with self.app.app_context():
            mailer.deliver_due()
            db.session.remove()
        return body


@pytest.fixture(scope="session")
def _app(database_url, smtp):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        MAIL_PORT = smtp.port
        MAILBOX_DIR = str(
            os.path.join(os.path.dirname(database_url.replace("sqlite:///", "")), "mailbox")
        )

    app = create_app(Config)
    app.test_client_class = FreshContextClient
    app.wsgi_app = WorkerMailStandIn(app, app.wsgi_app)
    with app.app_context():
        upgrade()
        from app.services.deploy import deploy_repository
        from app.services.seed import seed_calendar, seed_schedule, seed_staff

        with time_machine.travel(START, tick=False):
            seed_calendar(2025, 2028)
            db.session.flush()
            seed_schedule(START.date() - timedelta(days=60), START.date() + timedelta(days=430))
            seed_staff()
            db.session.commit()
            deploy_repository("test")
        db.session.remove()
    return app


def _truncate():
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    # Versions a test deployed go too: every test starts on the repository's diagrams.
    extra_versions = ProcessVersion.__table__.delete().where(
        ProcessVersion.id > db.session.scalar(select(func.min(ProcessVersion.id)))
    )
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        # The append-only tables refuse TRUNCATE (a trigger); the test reset alone skips it.
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.execute(extra_versions)
    db.session.commit()


def _assert_version_tally_exact():
    """Every test, whatever path its applications took (started, ended, cancelled, migrated,
    deleted), ends with the triggers' per-version counts equal to a count of the instances."""
    kept, counted = version_counts_kept(), instances_by_version()
    db.session.remove()
    assert kept == counted, "version_instance_count drifted from process_instance"


@pytest.fixture
def clock_at():
    """The clock, frozen at START; .shift(timedelta) / .move_to(datetime) move it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def app(_app, smtp, clock_at):
    with _app.app_context():
        _truncate()
        from app.services.seed import seed_offices

        seed_offices()
        db.session.commit()
        clock.set_offset(timedelta(0))
        smtp.clear()
        yield _app
        db.session.remove()
        _assert_version_tally_exact()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff_client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def analyst(app):
    """A client logged in as the demo analyst."""
    from tests.helpers import staff_login

    client = app.test_client()
    staff_login(client, "analyst", "analyst-pass")
    return client


@pytest.fixture
def numbered_ids(monkeypatch):
    """Task ids from a counter (restarted by calling the fixture's value), so that two runs of
    the same steps give the same ids and their states can be compared byte for byte."""
    counter = itertools.count(1)

    def restart():
        nonlocal counter
        counter = itertools.count(1)

    monkeypatch.setattr("SpiffWorkflow.task.uuid4", lambda: UUID(int=next(counter)))
    return restart
