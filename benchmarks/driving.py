"""What the benchmarks need to drive the app over HTTP beyond tests/helpers.py: app, database, mail."""

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402


class FreshContextClient(FlaskClient):
    """Each request in its own app context (its own session), as in production."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


class OutboxMailbox:
    """The signup helper reads the 仮パスワード from the mail: here from the outbox rows."""

    def __init__(self, app):
        self.app = app

    def by_subject(self, fragment: str) -> list:
        from app.models import OutboundMail

        with self.app.app_context():
            rows = db.session.scalars(
                select(OutboundMail)
                .where(OutboundMail.subject.contains(fragment))
                .order_by(OutboundMail.id)  # the helpers take the last one as the newest
            ).all()
            return [row.body_text for row in rows]

    def body(self, message) -> str:
        return message


def bench_config(url: str, **settings):
    """The test configuration on `url`, mail kept in the outbox, and unlimited sign-ups (every
    applicant signs up from 127.0.0.1); `settings` are a benchmark's further overrides."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        MAIL_SUPPRESS_SEND = True
        SIGNUP_MAX_PER_ADDRESS = 10**6

    for name, value in settings.items():
        setattr(Config, name, value)
    return Config


@contextmanager
def database(smoke_label: str = "bench", url: str | None = None):
    """A private database: a temporary SQLite file, or a schema of its own on `url` (by default
    DATABASE_URL) when that is PostgreSQL."""
    pg = url or os.environ.get("DATABASE_URL", "")
    if not pg.startswith("postgresql"):
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/{smoke_label}.sqlite3"
        return
    schema = f"bench_{smoke_label}_{os.getpid()}"
    engine = create_engine(pg)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in pg else "?"
    try:
        yield f"{pg}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()
