"""The timer worker's use case: fire every due timer exactly once, then deliver mail."""

from sqlalchemy import select

from app import mailer
from app.clock import now
from app.extensions import db
from app.models import ProcessInstance
from app.services import Actor, ServiceError
from app.services.unit import run

TIMER = Actor(kind="system", label="timer")


def due_application_ids(limit: int = 100) -> list[int]:
    return list(
        db.session.scalars(
            select(ProcessInstance.application_id)
            .where(ProcessInstance.status == "running", ProcessInstance.next_timer_at <= now())
            .order_by(ProcessInstance.next_timer_at)
            .limit(limit)
        )
    )


def fire_due_timers(limit: int = 100) -> int:
    """One pass over due instances; each in its own transaction. Returns instances advanced."""
    advanced = 0
    for application_id in due_application_ids(limit):
        try:
            fired = run(application_id, TIMER, lambda unit: bool(unit.fired))
        except ServiceError:
            # Another worker or request changed it first: its transaction did the work.
            continue
        advanced += int(fired)
    mailer.deliver_pending()
    return advanced


def refresh_application(application_id: int) -> None:
    """Fire due timers of one application before reading it (login, home page)."""
    due = db.session.scalar(
        select(ProcessInstance.id).where(
            ProcessInstance.application_id == application_id,
            ProcessInstance.status == "running",
            ProcessInstance.next_timer_at <= now(),
        )
    )
    if due is not None:
        run(application_id, TIMER, lambda unit: None)
