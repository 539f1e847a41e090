"""Flask extension objects, created unbound and initialised in create_app."""

import os
import sqlite3

from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
mail = Mail()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "ログインしてください。"


def update_in_core(
    model: type, statement, parameters: dict, attributes: list[str], match: dict
) -> list:
    """A prebuilt Core UPDATE of `model`'s table, kept in step with the session as the ORM's
    UPDATE would be (its synchronize_session cost ten times the statement): the session's
    unwritten rows of `model` are flushed first, and afterwards `attributes` are expired on its
    copies whose columns equal `match` (or are not loaded: compared without loading anything),
    so a later read goes to the database. Returns the RETURNING rows, if the statement has any."""
    session = db.session
    if any(isinstance(row, model) for row in (*session.new, *session.dirty)):
        session.flush()
    result = session.connection().execute(statement, parameters)
    rows = result.all() if result.returns_rows else []
    for row in list(session.identity_map.values()):
        if isinstance(row, model):
            loaded = vars(row)
            if all(loaded.get(name, value) == value for name, value in match.items()):
                session.expire(row, attributes)
    return rows


# The accepted SQLITE_SYNCHRONOUS values (anything else means the default, NORMAL).
_SYNCHRONOUS = frozenset({"NORMAL", "FULL", "EXTRA"})


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, let readers and a writer overlap, wait instead of failing,
    sync the write-ahead log at checkpoints rather than at every commit, cache more pages,
    read the file through a memory map."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        # NORMAL in WAL mode: the database stays consistent after any crash, and a commit
        # survives the process dying; only a power loss or OS crash may lose the last commits.
        # The fsync per commit it saves was ~10 % of a submission's CPU. FULL restores it
        # (docs/OPERATIONS.md); PostgreSQL deployments are not affected.
        level = os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL").upper()
        level = level if level in _SYNCHRONOUS else "NORMAL"
        cursor.execute(f"PRAGMA synchronous={level}")
        # A page cache of 64 MB instead of SQLite's 2 MB: at 100,000 applications the inbox,
        # audit and outbox indexes no longer fit, and each fired timer re-read their pages
        # (~10 % of its CPU). Memory is taken as pages are used, per pooled connection.
        cursor.execute(f"PRAGMA cache_size=-{_cache_kib()}")
        # Reads through a memory map of the file (shared by every connection and process, no
        # copy into each connection's cache, no read() call per page): a fired timer at
        # 100,000 applications took ~15 % less CPU. Capped by SQLite's build (2 GB here).
        cursor.execute(f"PRAGMA mmap_size={_mmap_bytes()}")
        cursor.close()


def _megabytes(name: str, default: int) -> int:
    """A size setting in MB from the environment; anything but digits means the default."""
    raw = os.environ.get(name, "")
    return int(raw) if raw.isdigit() else default


def _mmap_bytes() -> int:
    """SQLITE_MMAP_MB (default 2048; 0: no memory map, SQLite's own default) in bytes."""
    return _megabytes("SQLITE_MMAP_MB", 2048) * 1024 * 1024


def _cache_kib() -> int:
    """SQLITE_CACHE_MB (default 64) as KiB, at least 2 MB (SQLite's own default)."""
    return max(_megabytes("SQLITE_CACHE_MB", 64), 2) * 1024
