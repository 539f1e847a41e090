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


# The accepted SQLITE_SYNCHRONOUS values (anything else means the default, NORMAL).
_SYNCHRONOUS = {"NORMAL": "NORMAL", "FULL": "FULL", "EXTRA": "EXTRA"}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, let readers and a writer overlap, wait instead of failing,
    and sync the write-ahead log at checkpoints rather than at every commit."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        # NORMAL in WAL mode: the database stays consistent after any crash, and a commit
        # survives the process dying; only a power loss or OS crash may lose the last commits.
        # The fsync per commit it saves was ~10 % of a submission's CPU. FULL restores it
        # (docs/OPERATIONS.md); PostgreSQL deployments are not affected.
        level = _SYNCHRONOUS.get(os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL").upper(), "NORMAL")
        cursor.execute(f"PRAGMA synchronous={level}")
        cursor.close()
