"""The timer worker's use case: fire every due timer exactly once, then deliver mail."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, exists, not_, select, tuple_

from app import mailer
from app.clock import now
from app.extensions import db
from app.models import ProcessInstance
from app.services import Actor, ServiceError, housekeeping
from app.services.incidents import IncidentRaised, blocked_clause
from app.services.unit import run

TIMER = Actor(kind="system", label="timer")
BATCH = 100


def _due(at: datetime):
    return and_(
        ProcessInstance.status == "running",
        ProcessInstance.next_timer_at <= at,
        ProcessInstance.suspended_at.is_(None),
        # An application whose step failed waits for its incident's next retry.
        not_(blocked_clause(at)),
    )


def due_application_ids(limit: int = BATCH, after: tuple[datetime, int] | None = None) -> list:
    """(next_timer_at, instance id, application_id) of due instances, oldest deadline first;
    `after` (next_timer_at, instance id) pages. The order is the next_timer_at index's own
    (its key, then the row id), so each batch reads about `limit` index entries even when
    thousands of applications share one deadline (a date timer); an order by application id
    sorted every remaining due row again for each batch."""
    query = select(
        ProcessInstance.next_timer_at, ProcessInstance.id, ProcessInstance.application_id
    ).where(_due(now()))
    if after is not None:
        query = query.where(tuple_(ProcessInstance.next_timer_at, ProcessInstance.id) > after)
    query = query.order_by(ProcessInstance.next_timer_at, ProcessInstance.id)
    return [tuple(row) for row in db.session.execute(query.limit(limit))]


@dataclass
class PassResult:
    """What one worker pass did (for the log, the heartbeat and metrics)."""

    advanced: int = 0
    failed: list[int] = field(default_factory=list)
    skipped: int = 0
    mails_sent: int = 0
    seconds: float = 0.0
    # How late the most overdue timer was when the pass began.
    lag_seconds: float = 0.0


def fire_due(batch: int = BATCH, should_stop: Callable[[], bool] | None = None) -> PassResult:
    """Drain everything due, in batches; each application in its own transaction. A failing
    application becomes an incident and the pass goes on with the others."""
    result = PassResult()
    after = None
    started = now()
    while True:
        rows = due_application_ids(batch, after)
        db.session.rollback()  # end the read; each application is its own transaction
        if not rows:
            break
        if after is None:
            result.lag_seconds = max(0.0, (started - rows[0][0]).total_seconds())
        for at, instance_id, application_id in rows:
            if should_stop is not None and should_stop():
                return result
            after = (at, instance_id)
            try:
                fired = run(application_id, TIMER, lambda unit: bool(unit.fired), skip_blocked=True)
            except IncidentRaised:
                result.failed.append(application_id)
                continue
            except ServiceError:
                # Another worker or request changed it first: its transaction did the work.
                result.skipped += 1
                continue
            result.advanced += int(fired)
    return result


def worker_pass(batch: int = BATCH, should_stop: Callable[[], bool] | None = None) -> PassResult:
    """One pass of `flask workflow worker`: fire all due timers, then deliver all due mail."""
    began = time.monotonic()
    result = fire_due(batch, should_stop)
    housekeeping.run_due()  # processes of no application (reviewer_digest.bpmn)
    if should_stop is None or not should_stop():
        result.mails_sent = mailer.deliver_due(batch=batch, should_stop=should_stop)
    result.seconds = time.monotonic() - began
    if result.failed:
        current_app.logger.warning(
            "worker pass: %s application(s) failed (incidents): %s",
            len(result.failed),
            result.failed,
        )
    return result


def fire_due_timers(limit: int = BATCH) -> int:
    """One full pass (timers, then mail); returns the number of applications advanced."""
    return worker_pass(batch=limit).advanced


def due_exists(application_id, at=None):
    """SQL: the application (`application_id`: a value or a column of the outer query) has a
    timer due at `at` (now if None; a bindparam in a statement built once), as
    refresh_application checks, to fold into a query the request makes anyway."""
    return exists().where(
        ProcessInstance.application_id == application_id, _due(now() if at is None else at)
    )


def refresh_application(application_id: int) -> None:
    """Fire due timers of one application before reading it (login, home page). Best effort:
    a failure is an incident for staff and the page shows the state as it is; a conflict means
    another transaction has just done the work."""
    due = db.session.scalar(
        select(ProcessInstance.id).where(
            ProcessInstance.application_id == application_id, _due(now())
        )
    )
    if due is None:
        return
    try:
        run(application_id, TIMER, lambda unit: None)
    except ServiceError as exc:
        current_app.logger.warning("application %s not refreshed: %s", application_id, exc)
