"""Finding 6: login abuse. Throttled per login ID and per client address (in the database),
the same Argon2 work for unknown accounts, unguessable 仮ログインID, throttled sign-ups."""

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import _trust_proxies
from app.extensions import db
from app.models import Application, AuditEvent, IssuedCredential, LoginThrottle, ProvisionalAccount
from app.security import hash_password
from app.services import auth as auth_service
from app.services.reference import new_provisional_login_id
from tests.helpers import csrf_token, login, signup, staff_login

LOCKED = "ログインの失敗が続いたため、一時的にログインを制限しています。"
BAD = "ログインIDまたはパスワードが正しくありません。"


def staff_attempt(client, login_name: str, password: str, address: str = "127.0.0.1"):
    page = client.get("/staff/login", environ_base={"REMOTE_ADDR": address})
    return client.post(
        "/staff/login",
        data={
            "login": login_name,
            "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
        environ_base={"REMOTE_ADDR": address},
    )


def applicant_attempt(client, login_id: str, password: str, address: str = "127.0.0.1"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    return client.post(
        "/login",
        data={
            "login_id": login_id,
            "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
        environ_base={"REMOTE_ADDR": address},
    )


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).where(AuditEvent.action == action))


def assert_locked(response) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 429, page[:2000]
    assert LOCKED in page and re.search(r"\d+分後にもう一度お試しください。", page)


def test_thirty_wrong_provisional_passwords_then_the_right_one_is_refused(
    app, client, smtp, clock_at
):
    login_id, password = signup(client, smtp)
    for attempt in range(1, 31):
        response = login(client, login_id, "WRONG123")
        if attempt < 10:
            assert BAD in response.get_data(as_text=True)
        else:  # the 10th failure locks the 仮ログインID
            assert_locked(response)
    assert_locked(login(client, login_id, password))
    assert client.get("/home").status_code == 302  # not logged in
    # Counted until the lock (10 per account), not beyond: the lock is audited once.
    assert audit_count("login_failed") == 10
    assert audit_count("login_locked") == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login_locked"))
    assert event.detail["scope"] == "account" and login_id in event.detail["key"]

    clock_at.shift(timedelta(minutes=16))
    assert login(client, login_id, password).status_code == 302
    assert client.get("/home").status_code == 200


def test_wrong_office_passwords_lock_the_office_code(app, client, smtp, clock_at):
    signup(client, smtp)
    application = db.session.scalars(select(Application)).one()
    db.session.add(
        IssuedCredential(
            application=application,
            kind="office",
            office_code="NAC777",
            login_hash=hash_password("OFFICE77"),
        )
    )
    db.session.commit()
    for _ in range(30):
        login(client, "nac777", "WRONG777")
    assert_locked(login(client, "NAC777", "OFFICE77"))
    clock_at.shift(timedelta(minutes=16))
    assert login(client, "NAC777", "OFFICE77").status_code == 302


def test_thirty_wrong_staff_passwords_then_the_right_one_is_refused(app, client, clock_at):
    for _ in range(30):
        response = staff_attempt(client, "reviewer", "guess")
        assert response.status_code in (200, 429)
    assert_locked(staff_attempt(client, "reviewer", "reviewer-pass"))
    assert client.get("/staff/").status_code == 302
    clock_at.shift(timedelta(minutes=16))
    assert staff_attempt(client, "reviewer", "reviewer-pass").status_code == 302


def test_one_address_guessing_many_accounts_is_stopped(app, client, clock_at):
    attacker = "203.0.113.9"
    for number in range(30):
        staff_attempt(client, f"nobody{number}", "guess", address=attacker)
    assert db.session.get(LoginThrottle, f"address:{attacker}").locked_until is not None
    # Every account is closed to that address, even with the right password ...
    assert_locked(staff_attempt(client, "reviewer2", "reviewer2-pass", address=attacker))
    assert_locked(applicant_attempt(client, "1234567", "PASSWORD", address=attacker))
    # ... and open to everybody else.
    assert (
        staff_attempt(client, "reviewer2", "reviewer2-pass", address="198.51.100.7").status_code
        == 302
    )
    locked = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login_locked"))
    event = next((e for e in locked if e.detail.get("scope") == "address"), None)
    assert event is not None and event.actor == f"anonymous@{attacker}"


def test_success_clears_the_account_count_but_not_the_address_count(app, client):
    for _ in range(5):
        staff_attempt(client, "supervisor", "guess")
    assert staff_attempt(client, "supervisor", "supervisor-pass").status_code == 302
    assert db.session.get(LoginThrottle, "account:staff:supervisor") is None
    assert db.session.get(LoginThrottle, "address:127.0.0.1").count == 5


@pytest.mark.parametrize(
    ("path", "field", "login_name"),
    [
        ("/staff/login", "login", "no-such-staff"),
        ("/login", "login_id", "9999999"),  # no such 仮ログインID
        ("/login", "login_id", "ZZZ999"),  # no such 事業所コード
    ],
)
def test_unknown_accounts_cost_one_password_verification(
    app, client, monkeypatch, path, field, login_name
):
    calls = []
    real_verify = auth_service.verify_password

    def counting_verify(password_hash, password):
        calls.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth_service, "verify_password", counting_verify)
    page = client.get(path).get_data(as_text=True)
    response = client.post(
        path, data={field: login_name, "password": "whatever", "csrf_token": csrf_token(page)}
    )
    assert BAD in response.get_data(as_text=True)
    assert len(calls) == 1 and calls[0].startswith("$argon2")


def test_inactive_staff_costs_the_same_and_is_refused(app, client, monkeypatch):
    from app.models import StaffUser

    db.session.add(
        StaffUser(
            login="gone", name="退職 者", password_hash=hash_password("gone-pass"), active=False
        )
    )
    db.session.commit()
    calls = []
    monkeypatch.setattr(
        auth_service, "verify_password", lambda h, p: calls.append(h) or h is not None
    )
    assert BAD in staff_attempt(client, "gone", "gone-pass").get_data(as_text=True)
    assert len(calls) == 1
    db.session.delete(db.session.scalar(select(StaffUser).where(StaffUser.login == "gone")))
    db.session.commit()


def test_provisional_login_ids_are_seven_random_digits(app, client, smtp):
    ids = []
    for _ in range(4):
        login_id, _ = signup(app.test_client(), smtp)
        ids.append(login_id)
    assert all(re.fullmatch(r"\d{7}", i) for i in ids)
    assert len(set(ids)) == 4
    numbers = sorted(int(i) for i in ids)
    assert [b - a for a, b in zip(numbers, numbers[1:], strict=False)] != [1, 1, 1]
    assert "0000001" not in ids or "0000002" not in ids


def test_a_drawn_login_id_that_is_taken_is_drawn_again(app, client, smtp, monkeypatch):
    signup(client, smtp)
    account = db.session.scalars(select(ProvisionalAccount)).one()
    account.login_id = "0000042"
    db.session.commit()
    draws = iter([41, 41, 99])  # 1 + draw: "0000042" twice (taken), then "0000100"
    monkeypatch.setattr("app.services.reference.secrets.randbelow", lambda n: next(draws))
    assert new_provisional_login_id() == "0000100"


def test_anonymous_signups_are_throttled_per_address(app, client, clock_at, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUP_MAX_PER_ADDRESS", 3)

    def agree(address: str):
        page = client.get("/signup", environ_base={"REMOTE_ADDR": address})
        return client.post(
            "/signup",
            data={"csrf_token": csrf_token(page.get_data(as_text=True))},
            environ_base={"REMOTE_ADDR": address},
        )

    for _ in range(3):
        assert agree("192.0.2.1").status_code == 302
    refused = agree("192.0.2.1")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "一時的に受付を制限しています" in page and "分後にもう一度お試しください" in page
    assert db.session.scalar(select(func.count()).select_from(Application)) == 3
    assert audit_count("signup_locked") == 1
    assert agree("192.0.2.2").status_code == 302  # another address
    clock_at.shift(timedelta(minutes=61))
    assert agree("192.0.2.1").status_code == 302


def test_staff_logins_are_audited(app, client):
    staff_login(client, "analyst", "analyst-pass")
    assert audit_count("staff_login") == 1


def test_trust_proxy_hops_reads_the_forwarded_address(app, client, monkeypatch):
    from werkzeug.middleware.proxy_fix import ProxyFix

    assert not isinstance(app.wsgi_app, ProxyFix)  # default: X-Forwarded-For is ignored
    bare = Flask("behind_a_proxy")
    bare.config["TRUST_PROXY_HOPS"] = 1
    _trust_proxies(bare)
    assert isinstance(bare.wsgi_app, ProxyFix)
    # Behind one proxy, the address the proxy saw is the one counted.
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1))
    page = client.get("/staff/login").get_data(as_text=True)
    client.post(
        "/staff/login",
        data={"login": "x", "password": "y", "csrf_token": csrf_token(page)},
        headers={"X-Forwarded-For": "198.51.100.99"},
    )
    assert db.session.get(LoginThrottle, "address:198.51.100.99").count == 1


def test_an_ipv6_client_counts_as_its_whole_64(app, client):
    for number in range(30):
        staff_attempt(client, f"nobody{number}", "guess", address=f"2001:db8:1:2::{number + 1:x}")
    assert_locked(staff_attempt(client, "reviewer2", "reviewer2-pass", address="2001:db8:1:2::ff"))
    other = staff_attempt(client, "reviewer2", "reviewer2-pass", address="2001:db8:1:3::1")
    assert other.status_code == 302
