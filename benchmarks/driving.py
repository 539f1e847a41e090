"""What the benchmarks need to drive the app over HTTP beyond tests/helpers.py: app, database, mail."""

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402
from tests.helpers import FreshContextClient, private_schema  # noqa: E402, F401 - used by others


class OutboxMailbox:
    """The signup helper reads the 仮パスワード from the mail: here from the outbox rows."""

    def __init__(self, app, newest: int | None = None):
        # newest: read only that many of the latest matching mails (a world of 100,000
        # applications holds as many signup mails; the signup helper wants the last one).
        self.app, self.newest = app, newest

    def by_subject(self, fragment: str) -> list:
        from app.models import OutboundMail

        with self.app.app_context():
            query = select(OutboundMail).where(OutboundMail.subject.contains(fragment))
            if self.newest is not None:
                query = query.order_by(OutboundMail.id.desc()).limit(self.newest)
            rows = db.session.scalars(query).all()
            # Oldest first: the helpers take the last one as the newest.
            return [row.body_text for row in sorted(rows, key=lambda row: row.id)]

    def body(self, message) -> str:
        return message


def serving_collector() -> int:
    """P1 and P3 run the product in this process: with the garbage collector set as gunicorn's
    workers and the timer workers set theirs (app.gc_tuning), for the bare step too."""
    from app.gc_tuning import tune_for_serving

    return tune_for_serving()


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
    with private_schema(pg, f"bench_{smoke_label}_{os.getpid()}") as schema_url:
        yield schema_url


def prepare_database() -> None:
    """In an app context: migrate, insert reference data and the demo staff, deploy bpmn/."""
    from flask_migrate import upgrade

    from app.services.deploy import deploy_repository
    from app.services.seed import seed_reference_data, seed_staff

    upgrade()
    seed_reference_data()
    seed_staff()
    db.session.commit()
    deploy_repository("bench")
