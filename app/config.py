"""Configuration classes; FLASK_* environment variables override any setting.

APP_CONFIG chooses the class: `production` (the default when unset), `development` (the /dev
pages and the movable clock; `make run` sets it) or `testing`. Outside development and testing
the app refuses to start without SECRET_KEY and CREDENTIAL_KEYS (see `check_config`).
"""

import os
from pathlib import Path

import click
from cryptography.fernet import Fernet

from app import pool_liveness  # noqa: F401 - the pool's checkout check (instead of pre-ping)

BASE_DIR = Path(__file__).resolve().parent.parent

# Fixed keys for development and tests only; refused in production.
DEV_SECRET_KEY = "dev-only-secret-change-me"
# base64 of b"development-only-credential-key!" and of b"test-only-credential-key-32bytes"
DEV_CREDENTIAL_KEY = "ZGV2ZWxvcG1lbnQtb25seS1jcmVkZW50aWFsLWtleSE="
TEST_SECRET_KEY = "test-secret"
TEST_CREDENTIAL_KEY = "dGVzdC1vbmx5LWNyZWRlbnRpYWwta2V5LTMyYnl0ZXM="
KNOWN_KEYS = {DEV_SECRET_KEY, DEV_CREDENTIAL_KEY, TEST_SECRET_KEY, TEST_CREDENTIAL_KEY}
RELAXED = ("development", "testing")


class ConfigError(click.ClickException, RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start (a `flask` command
    prints the reasons as `Error: ...`, without a traceback)."""


class Config:
    """Settings shared by every environment; strict by default (production rules apply)."""

    CONFIG_NAME = "production"
    # Signs sessions and CSRF tokens. From the environment (SECRET_KEY) at start-up.
    SECRET_KEY: str | None = None
    # Fernet keys encrypting issued passwords, newest first; never derived from SECRET_KEY.
    # From the environment (CREDENTIAL_KEYS="new,old") at start-up; `flask keys` rotates.
    CREDENTIAL_KEYS: list[str] = []
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'naccs.sqlite3'}"
    )
    # No pool_pre_ping (a round trip per request): app.pool_liveness checks a pooled
    # connection at checkout by its socket, pings only one the server spoke on (a restart),
    # and the pool replaces one that does not answer; connections are renewed every 30 minutes.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_recycle": 1800}
    BPMN_DIR = str(BASE_DIR / "bpmn")
    MAIN_PROCESS_ID = "naccs_application"
    # Development helpers (the mail capture page and the movable clock): development only.
    DEV_TOOLS = False
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
    # Request limits: any body (a 5 MB diagram fits; the analyst's upload allows more, see
    # app/web/limits.py), and each CSV import file.
    MAX_CONTENT_LENGTH = 6 * 1024 * 1024
    CSV_MAX_BYTES = 2 * 1024 * 1024
    # Logs: one line per event; JSON lines in production for the log collector.
    LOG_JSON = os.environ.get("LOG_JSON", "0") == "1"
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # SpiffWorkflow's own loggers (observability.logs.quiet_engine_loggers): below WARNING
    # they carry every task's data, that is applicants' answers. For local debugging only.
    ENGINE_LOG_LEVEL = os.environ.get("ENGINE_LOG_LEVEL", "WARNING")
    # /metrics: with a token, scrapers send `Authorization: Bearer <token>`; without, loopback only.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN")


class DevelopmentConfig(Config):
    CONFIG_NAME = "development"
    SECRET_KEY = DEV_SECRET_KEY
    CREDENTIAL_KEYS = [DEV_CREDENTIAL_KEY]
    DEV_TOOLS = os.environ.get("DEV_TOOLS", "1") == "1"


class ProductionConfig(Config):
    CONFIG_NAME = "production"
    DEV_TOOLS = False
    SESSION_COOKIE_SECURE = True
    LOG_JSON = os.environ.get("LOG_JSON", "1") == "1"


class TestConfig(Config):
    CONFIG_NAME = "testing"
    TESTING = True
    SECRET_KEY = TEST_SECRET_KEY
    CREDENTIAL_KEYS = [TEST_CREDENTIAL_KEY]
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite://")
    DEV_TOOLS = True
    MAIL_PORT = 0  # set by the smtp fixture
    # Tests talk to a real SMTP server (aiosmtpd); Flask-Mail would otherwise drop mail when TESTING.
    MAIL_SUPPRESS_SEND = False


def split_keys(value: object) -> list[str]:
    """CREDENTIAL_KEYS as a list: from "new,old" (environment) or a list (config classes)."""
    if isinstance(value, str):
        value = value.split(",")
    return [str(k).strip() for k in value or () if str(k).strip()]


def apply_environment(config: dict) -> None:
    """Read the secrets from the environment at start-up (not at import), except in tests."""
    if config.get("CONFIG_NAME") == "testing":
        return
    if os.environ.get("SECRET_KEY"):
        config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("CREDENTIAL_KEYS"):
        config["CREDENTIAL_KEYS"] = os.environ["CREDENTIAL_KEYS"]


def check_config(config: dict) -> None:
    """Normalise the keys; outside development and testing refuse unsafe settings."""
    config["CREDENTIAL_KEYS"] = keys = split_keys(config.get("CREDENTIAL_KEYS"))
    name = config.get("CONFIG_NAME") or "production"
    if name in RELAXED:
        return
    secret = config.get("SECRET_KEY") or ""
    problems = []
    if not secret or secret in KNOWN_KEYS:
        problems.append(
            "SECRET_KEY が設定されていないか開発用の値です（セッション署名用の長いランダムな文字列）"
        )
    elif len(secret) < 32:
        problems.append("SECRET_KEY が短すぎます（32文字以上のランダムな文字列にしてください）")
    if not keys:
        problems.append(
            "CREDENTIAL_KEYS が設定されていません（払い出したパスワードを暗号化する Fernet 鍵。"
            "新しい順にカンマ区切り）"
        )
    for number, key in enumerate(keys, start=1):
        if key in KNOWN_KEYS or key == secret:
            problems.append(
                f"CREDENTIAL_KEYS の{number}番目の鍵は使えません（開発用の鍵か SECRET_KEY と同じです）"
            )
            continue
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(
                f"CREDENTIAL_KEYS の{number}番目の鍵が Fernet 鍵の形式ではありません"
                "（32バイトを URL-safe Base64 にしたもの）"
            )
    if config.get("DEV_TOOLS"):
        problems.append("DEV_TOOLS は開発環境（APP_CONFIG=development）でのみ使えます")
    if problems:
        raise ConfigError(
            f"APP_CONFIG={name} では起動できません。環境変数 SECRET_KEY と CREDENTIAL_KEYS を"
            "設定してください。\n"
            + "\n".join(f"- {p}" for p in problems)
            + "\n鍵の作り方: .venv/bin/python -m app.cli_keys generate"
            "（SECRET_KEY と CREDENTIAL_KEYS には別々の値を使います）。"
            "開発では APP_CONFIG=development を指定してください。"
        )
