"""Counting failed logins and sign-ups per key in the database, so every web process agrees."""

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.clock import now
from app.extensions import db
from app.models import LoginThrottle


@dataclass(frozen=True)
class Limit:
    """At most `count` events in `window`; reaching it locks the key for `lock`."""

    count: int
    window: timedelta
    lock: timedelta


# Defaults; each can be changed with the config key named in `limit()`.
DEFAULTS = {
    # A wrong password for one login ID (or 事業所コード, or 職員ID), from anywhere.
    "account": ("LOGIN_MAX_FAILURES_PER_ACCOUNT", 10, "LOGIN_WINDOW_MINUTES", 15),
    # Wrong passwords from one client address, whatever the login ID.
    "address": ("LOGIN_MAX_FAILURES_PER_ADDRESS", 30, "LOGIN_WINDOW_MINUTES", 15),
    # Anonymous 仮アカウント申込 started from one client address (each makes an instance).
    "signup": ("SIGNUP_MAX_PER_ADDRESS", 10, "SIGNUP_WINDOW_MINUTES", 60),
}


def address_key(prefix: str, address: str) -> str:
    """The key of a client address; IPv6 by its /64, which one client usually holds whole."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"{prefix}:{address[:100] or '-'}"
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return f"{prefix}:{parsed.ipv4_mapped}"
        return f"{prefix}:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"{prefix}:{parsed}"


def limit(scope: str) -> Limit:
    count_key, count, window_key, window = DEFAULTS[scope]
    config = current_app.config
    minutes = timedelta(minutes=int(config.get(window_key, window)))
    lock = (
        minutes
        if scope == "signup"
        else timedelta(minutes=int(config.get("LOGIN_LOCK_MINUTES", 15)))
    )
    return Limit(int(config.get(count_key, count)), minutes, lock)


def remaining_lock(keys: list[str]) -> timedelta | None:
    """How long the longest lock among keys still lasts, or None when none is locked."""
    moment = now()
    until = db.session.scalars(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.key.in_(keys), LoginThrottle.locked_until > moment
        )
    ).all()
    return max(until) - moment if until else None


def minutes(delta: timedelta) -> int:
    """A lock's rest in whole minutes, rounded up (never 0)."""
    return max(1, math.ceil(delta.total_seconds() / 60))


def hit(key: str, rule: Limit) -> datetime | None:
    """Count one event for key in the caller's transaction; returns the lock's end when this
    event reached the limit (the count then starts again after the lock)."""
    moment = now()
    _ensure_row(key, moment)
    row = db.session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
    if row.window_start <= moment - rule.window:
        row.window_start, row.count = moment, 0
    row.count += 1
    if row.count < rule.count:
        return None
    row.window_start, row.count, row.locked_until = moment, 0, moment + rule.lock
    return row.locked_until


def clear(key: str) -> None:
    """Forget the failures of key (after a successful login), in the caller's transaction."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def _ensure_row(key: str, moment: datetime) -> None:
    """Insert the key's row unless it exists; also takes SQLite's write lock, and PostgreSQL
    then locks the row with SELECT ... FOR UPDATE, so concurrent processes count in turn."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = {"key": key, "window_start": moment, "count": 0}
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - other backends
        if db.session.get(LoginThrottle, key) is None:
            db.session.add(LoginThrottle(**values))
            db.session.flush()
        return
    db.session.execute(insert(LoginThrottle).values(**values).on_conflict_do_nothing())
