"""Production defaults: no start without keys, no development tools, key rotation (finding 3)."""

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from app import clock, create_app
from app.config import DEV_CREDENTIAL_KEY, DEV_SECRET_KEY, ConfigError, ProductionConfig
from app.extensions import db
from app.models import Application, AuditEvent, IssuedCredential, Setting
from app.security import decrypt, encrypt, reencrypt

SECRET = "s" * 48
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def no_env_keys(monkeypatch):
    for name in ("SECRET_KEY", "CREDENTIAL_KEYS", "FLASK_SECRET_KEY", "FLASK_CREDENTIAL_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("FLASK_DEV_TOOLS", raising=False)
    return monkeypatch


@pytest.mark.parametrize("config", ["production", None])
def test_production_refuses_to_start_without_keys(no_env_keys, config):
    no_env_keys.delenv("APP_CONFIG", raising=False)  # unset APP_CONFIG means production
    with pytest.raises(ConfigError) as refused:
        create_app(config)
    message = str(refused.value)
    assert "APP_CONFIG=production では起動できません" in message
    assert "SECRET_KEY" in message and "CREDENTIAL_KEYS" in message


def test_production_refuses_dev_keys_and_derived_keys(no_env_keys):
    no_env_keys.setenv("SECRET_KEY", DEV_SECRET_KEY)
    no_env_keys.setenv("CREDENTIAL_KEYS", DEV_CREDENTIAL_KEY)
    with pytest.raises(ConfigError, match="開発用"):
        create_app("production")
    no_env_keys.setenv("SECRET_KEY", SECRET)
    no_env_keys.setenv("CREDENTIAL_KEYS", f"{NEW},not-a-key")
    with pytest.raises(ConfigError, match="2番目の鍵が Fernet 鍵の形式ではありません"):
        create_app("production")
    same = Fernet.generate_key().decode()
    no_env_keys.setenv("SECRET_KEY", same)
    no_env_keys.setenv("CREDENTIAL_KEYS", same)
    with pytest.raises(ConfigError, match="SECRET_KEY と同じ"):
        create_app("production")
    no_env_keys.setenv("SECRET_KEY", SECRET)
    no_env_keys.setenv("CREDENTIAL_KEYS", NEW)
    no_env_keys.setenv("FLASK_DEV_TOOLS", "true")
    with pytest.raises(ConfigError, match="DEV_TOOLS"):
        create_app("production")


def test_development_and_testing_are_explicit(no_env_keys):
    no_env_keys.setenv("APP_CONFIG", "development")
    development = create_app()
    assert development.config["DEV_TOOLS"] and development.config["CREDENTIAL_KEYS"]
    assert "dev.mail" in {rule.endpoint for rule in development.url_map.iter_rules()}
    no_env_keys.setenv("APP_CONFIG", "staging")
    with pytest.raises(ValueError, match="APP_CONFIG='staging'"):
        create_app()


def test_production_with_keys_has_no_dev_pages_and_ignores_the_clock_offset(app, no_env_keys):
    no_env_keys.setenv("SECRET_KEY", SECRET)
    no_env_keys.setenv("CREDENTIAL_KEYS", f"{NEW},{OLD}")

    class Production(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        TESTING = True  # keeps the test run's logging as it is; the production checks still run

    production = create_app(Production)
    assert production.config["SECRET_KEY"] == SECRET
    assert production.config["CREDENTIAL_KEYS"] == [NEW, OLD]
    assert not production.config["DEV_TOOLS"]
    db.session.add(
        Setting(key="clock_offset_seconds", value=str(timedelta(days=3).total_seconds()))
    )
    db.session.commit()
    try:
        # The development/test app follows the stored offset; the production app must not.
        with app.test_request_context("/"):
            app.preprocess_request()
            assert clock.offset() == timedelta(days=3)
        client = production.test_client()
        for path in ("/dev/mail", "/dev/clock"):
            assert client.get(path).status_code == 404
            assert client.post(path, data={"step": "7d"}).status_code in (400, 404)
        with production.test_request_context("/"):
            production.preprocess_request()
            assert clock.offset() == timedelta(0)
    finally:
        clock.set_offset(timedelta(0))
        with production.app_context():
            db.session.remove()
            db.engine.dispose()


def test_rotation_round_trip(app, monkeypatch):
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", [OLD])
    token = encrypt("Pa55word")
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", [NEW, OLD])
    assert decrypt(token) == "Pa55word"  # old tokens stay readable during the rotation
    rotated = reencrypt(token)
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", [NEW])
    assert decrypt(rotated) == "Pa55word"
    assert decrypt(token) is None


def test_issued_passwords_are_not_encrypted_with_the_secret_key(app):
    token = encrypt("Pa55word")
    assert decrypt(token) == "Pa55word"
    with pytest.raises(Exception):  # noqa: B017  (any failure: SECRET_KEY is not a Fernet key)
        Fernet(app.config["SECRET_KEY"]).decrypt(token.encode())


def _credentials(count: int) -> list[int]:
    application = Application(company_name="鍵切替株式会社")
    db.session.add(application)
    db.session.flush()
    rows = [
        IssuedCredential(
            application_id=application.id,
            kind="user",
            office_code="NAC001",
            password_encrypted=encrypt(f"pw-{n}"),
        )
        for n in range(count)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [row.id for row in rows]


def test_cli_rotate_reencrypts_every_row(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", [OLD])
    ids = _credentials(3)
    before = {i: db.session.get(IssuedCredential, i).password_encrypted for i in ids}
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", [NEW, OLD])
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert (
        "re-encrypted 3 password(s)" in result.output
        and "3 were under an older key" in result.output
    )
    db.session.expire_all()
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", [NEW])
    for n, i in enumerate(ids):
        row = db.session.get(IssuedCredential, i)
        assert row.password_encrypted != before[i]
        assert decrypt(row.password_encrypted) == f"pw-{n}"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "credential_keys_rotated")
    ).one()
    assert event.detail == {"rotated": 3, "older": 3}


def test_cli_rotate_refuses_when_a_row_cannot_be_read(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", [OLD])
    ids = _credentials(2)
    before = [db.session.get(IssuedCredential, i).password_encrypted for i in ids]
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", [NEW])  # the old key was dropped too early
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 1
    assert "どの鍵でも復号できないパスワードが 2 件" in result.output
    assert "Traceback" not in result.output
    db.session.expire_all()
    assert [db.session.get(IssuedCredential, i).password_encrypted for i in ids] == before


def test_cli_generate_prints_a_fernet_key(runner):
    result = runner.invoke(args=["keys", "generate"])
    assert result.exit_code == 0
    Fernet(result.output.strip())


def test_a_password_no_configured_key_opens_is_shown_as_unavailable(app, smtp, monkeypatch):
    """A database from before a key change (or a key dropped too early): no 500 anywhere."""
    from tests.helpers import review
    from tests.security.test_role_leaks import staff_client, submitted

    applicant, application = submitted(app, smtp)
    review(staff_client(app, "reviewer"), "approve")
    db.session.expire_all()
    secrets = [decrypt(c.password_encrypted) for c in application.credentials]
    assert secrets and all(secrets)
    monkeypatch.setitem(app.config, "CREDENTIAL_KEYS", [NEW])  # the issuing key is gone
    response = applicant.get("/application/notice")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count("（表示できません）") == len(secrets)
    assert not any(secret in page for secret in secrets)
    document = applicant.get("/application/documents/application_form.pdf")
    assert document.status_code == 200 and document.data.startswith(b"%PDF")
    staff_page = staff_client(app, "reviewer").get(f"/staff/applications/{application.id}/notice")
    assert staff_page.status_code == 200


def test_a_flask_command_without_keys_says_why_without_a_traceback(tmp_path):
    """`make serve` starts with `flask db upgrade`: the operator reads the reasons, not a stack."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "CREDENTIAL_KEYS")}
    env.update(APP_CONFIG="production", DATABASE_URL=f"sqlite:///{tmp_path / 'none.db'}")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Error: APP_CONFIG=production では起動できません" in result.stderr
    assert "SECRET_KEY" in result.stderr and "CREDENTIAL_KEYS" in result.stderr
    assert "Traceback" not in result.stderr
