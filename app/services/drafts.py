"""Application.drafts written one screen at a time: merged into the fresh row, never overwritten.

Two tabs saving different screens at once must both be kept. Every write reads the row again
(SELECT ... FOR UPDATE: PostgreSQL makes the second writer wait) and applies its change only
if `drafts_version` is still the one it read (compare-and-swap: SQLite has no row locks and
a stale read there is caught by the version); on a conflict it reads again and retries.
"""

from collections.abc import Callable
from functools import lru_cache

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import Application
from app.services import ServiceError

ATTEMPTS = 5
CONFLICT = "他の画面と同時に保存されたため、保存できませんでした。もう一度お試しください。"


def _read(application_id: int) -> tuple[dict, int]:
    row = db.session.execute(
        select(Application.drafts, Application.drafts_version)
        .where(Application.id == application_id)
        .with_for_update()
    ).one()
    return dict(row.drafts or {}), row.drafts_version or 0


@lru_cache(maxsize=8)
def _update(columns: tuple[str, ...]):
    # Built once per set of columns (bound parameters): building it cost more than running it.
    table = Application.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("key"), table.c.drafts_version == bindparam("seen"))
        .values({name: bindparam(f"new_{name}") for name in ("drafts", *columns)})
        .values(drafts_version=bindparam("seen") + 1)
    )


def _write(application_id: int, version: int, drafts: dict, values: dict | None = None) -> bool:
    # A Core UPDATE of the table (the ORM's bulk-update machinery cost more than the query);
    # the caller sets the written values on the loaded row itself.
    values = values or {}
    parameters = {f"new_{name}": value for name, value in values.items()}
    result = db.session.execute(
        _update(tuple(values)),
        {"key": application_id, "seen": version, "new_drafts": drafts, **parameters},
    )
    return result.rowcount == 1


def change_in_place(
    application: Application, change: Callable[[dict], dict], **values: object
) -> None:
    """Apply change(drafts) to the fresh row inside the caller's transaction (caller commits);
    `values`: other columns of the row written in the same UPDATE (a submission's answers).

    For writes inside a larger unit of work (submission, registration), which cannot be
    retried from here: the row lock (PostgreSQL) or the open write transaction (SQLite)
    keeps other writers out between the read and the write. The first try compares against
    the drafts read with the application in this transaction (the unit's locked read), if
    loaded; a concurrent write makes the version differ, then the row is read again.
    """
    loaded = not {"drafts", "drafts_version"} & inspect(application).unloaded
    for attempt in range(ATTEMPTS):
        if attempt == 0 and loaded:
            drafts, version = dict(application.drafts or {}), application.drafts_version or 0
        else:
            drafts, version = _read(application.id)
        changed = change(drafts)
        if _write(application.id, version, changed, values):
            written = {"drafts": changed, "drafts_version": version + 1, **values}
            for name, value in written.items():  # as written: no reload, no second UPDATE
                set_committed_value(application, name, value)
            db.session.expire(application, ["updated_at"])
            return
    raise ServiceError(CONFLICT, 409)


def save(application_id: int, change: Callable[[dict], dict], before_commit=None) -> None:
    """Apply change(drafts) to the fresh row and commit; retried on a concurrent write."""
    for _ in range(ATTEMPTS):
        try:
            drafts, version = _read(application_id)
            if _write(application_id, version, change(drafts)):
                if before_commit is not None:
                    before_commit()
                db.session.commit()
                return
        except OperationalError:
            pass  # SQLite: busy or a stale snapshot; read again
        db.session.rollback()
    raise ServiceError(CONFLICT, 409)


def put(form_key: str, raw: dict, resume: str | None, resume_key: str) -> Callable[[dict], dict]:
    """The change that stores one screen's raw input (and where to resume)."""

    def change(drafts: dict) -> dict:
        drafts = {**drafts, form_key: raw}
        if resume:
            drafts[resume_key] = resume
        return drafts

    return change


def without(*keys: str) -> Callable[[dict], dict]:
    """The change that drops the given screens (and keys) from the drafts."""
    return lambda drafts: {k: v for k, v in drafts.items() if k not in keys}
