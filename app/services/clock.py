"""Moving the development clock: stored in the database so the web and the worker agree."""

from datetime import timedelta

from flask import current_app

from app import clock
from app.extensions import db
from app.models import Setting
from app.services import Actor, ServiceError
from app.services.unit import audit

KEY = "clock_offset_seconds"
MAX_STEP = timedelta(days=3650)


def load_offset() -> None:
    if not current_app.config.get("DEV_TOOLS"):
        clock.set_offset(timedelta(0))
        return
    row = db.session.get(Setting, KEY)
    clock.set_offset(timedelta(seconds=float(row.value)) if row else timedelta(0))


def move_clock(actor: Actor, delta: timedelta) -> timedelta:
    """Move the shared clock forward (development only); returns the new offset."""
    if not current_app.config.get("DEV_TOOLS"):
        raise ServiceError("時計の変更は開発環境でのみ使用できます。", 403)
    if delta < timedelta(0):
        raise ServiceError("時計は先に進めることだけができます。", 400)
    if delta > MAX_STEP:
        raise ServiceError("一度に進められるのは10年（3650日）までです。", 400)
    load_offset()
    offset = clock.offset() + delta
    row = db.session.get(Setting, KEY)
    if row is None:
        db.session.add(Setting(key=KEY, value=str(offset.total_seconds())))
    else:
        row.value = str(offset.total_seconds())
    audit(
        None,
        actor,
        "clock_moved",
        by_seconds=delta.total_seconds(),
        offset_seconds=offset.total_seconds(),
    )
    db.session.commit()
    clock.set_offset(offset)
    return offset


def reset_clock(actor: Actor) -> None:
    if not current_app.config.get("DEV_TOOLS"):
        raise ServiceError("時計の変更は開発環境でのみ使用できます。", 403)
    row = db.session.get(Setting, KEY)
    if row is not None:
        db.session.delete(row)
    audit(None, actor, "clock_reset")
    db.session.commit()
    clock.set_offset(timedelta(0))
