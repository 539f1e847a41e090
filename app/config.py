"""Configuration classes; FLASK_* environment variables override any setting."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'naccs.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    BPMN_DIR = str(BASE_DIR / "bpmn")
    MAIN_PROCESS_ID = "naccs_application"
    # Development helpers: the mail capture page and the movable clock.
    DEV_TOOLS = os.environ.get("DEV_TOOLS", "1") == "1"
    MAILBOX_DIR = str(BASE_DIR / "instance" / "mailbox")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "8025"))
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_DEFAULT_SENDER = ("NACCSセンター", "no-reply@nss.example.jp")
    MAIL_MAX_ATTEMPTS = 8
    # The public login URL printed in e-mails.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    WORKER_INTERVAL_SECONDS = 5.0
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    PER_PAGE = 25


class ProductionConfig(Config):
    DEV_TOOLS = False
    SESSION_COOKIE_SECURE = True


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite://")
    DEV_TOOLS = True
    MAIL_PORT = 0  # set by the smtp fixture
    # Tests talk to a real SMTP server (aiosmtpd); Flask-Mail would otherwise drop mail when TESTING.
    MAIL_SUPPRESS_SEND = False
