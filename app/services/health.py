"""Read-only checks and figures for /readyz and /metrics: database, migrations, versions, worker."""

import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from app.clock import now
from app.extensions import db
from app.models import (
    Application,
    HumanTask,
    Incident,
    OutboundMail,
    ProcessInstance,
    ProcessVersion,
    WorkerHeartbeat,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# A timer more than this late is "overdue": the workers are not keeping up.
OVERDUE_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def migration_heads() -> set[str]:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return set(ScriptDirectory.from_config(config).get_heads())


def readiness(worker_interval: float) -> list[Check]:
    """Every condition for serving traffic; the first failure does not hide the others."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready", never a 500
        db.session.rollback()
        return [Check("database", False, type(exc).__name__)]
    checks = [Check("database", True, "ok")]
    current = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    heads = migration_heads()
    checks.append(
        Check("migrations", current == heads, f"database {sorted(current)} / code {sorted(heads)}")
    )
    versions = db.session.scalar(select(func.count(ProcessVersion.id))) or 0
    checks.append(Check("deployed_version", versions > 0, f"{versions} version(s)"))
    newest = db.session.scalar(select(func.max(WorkerHeartbeat.last_pass_at)))
    limit = timedelta(seconds=2 * worker_interval + 5)
    if newest is None:
        checks.append(Check("worker", False, "no worker has finished a pass"))
    else:
        age = (now() - newest).total_seconds()
        checks.append(Check("worker", now() - newest <= limit, f"last pass {age:.1f}s ago"))
    return checks


def record_worker_pass(
    worker_id: str, seconds: float, lag_seconds: float, interval_seconds: float
) -> None:
    """Overwrite this worker's heartbeat after a pass; committed on its own."""
    row = db.session.get(WorkerHeartbeat, worker_id)
    if row is None:
        row = WorkerHeartbeat(worker_id=worker_id, started_at=now(), passes=0)
        db.session.add(row)
    row.last_pass_at = now()
    row.last_pass_seconds = seconds
    row.last_lag_seconds = lag_seconds
    row.interval_seconds = interval_seconds
    row.passes = (row.passes or 0) + 1
    db.session.commit()


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def timer_lag_seconds() -> float:
    """How late the most overdue timer is right now (0 when nothing is due)."""
    earliest = db.session.scalar(
        select(func.min(ProcessInstance.next_timer_at)).where(ProcessInstance.status == "running")
    )
    if earliest is None:
        return 0.0
    return max(0.0, (now() - earliest).total_seconds())


def _grouped(column, *where) -> dict[str, int]:
    query = select(column, func.count()).group_by(column)
    for condition in where:
        query = query.where(condition)
    return {str(key): count for key, count in db.session.execute(query)}


def gauges() -> dict[str, object]:
    """The figures /metrics exports as gauges, read in one short transaction."""
    moment = now()
    running = ProcessInstance.status == "running"
    figures: dict[str, object] = {
        "applications": _grouped(Application.status),
        "open_tasks": _grouped(HumanTask.lane, HumanTask.state == "ready"),
        "outbox": _grouped(OutboundMail.status),
        "timers_due": db.session.scalar(
            select(func.count()).where(running, ProcessInstance.next_timer_at <= moment)
        ),
        "timers_overdue": db.session.scalar(
            select(func.count()).where(
                running, ProcessInstance.next_timer_at <= moment - OVERDUE_AFTER
            )
        ),
        "incidents_open": _open_incidents(),
        "workers": [
            (
                row.worker_id,
                row.last_pass_seconds,
                row.last_lag_seconds,
                (moment - row.last_pass_at).total_seconds(),
            )
            for row in db.session.scalars(select(WorkerHeartbeat))
        ],
    }
    return figures


def _open_incidents() -> int:
    return db.session.scalar(select(func.count(Incident.id)).where(Incident.status == "open")) or 0
