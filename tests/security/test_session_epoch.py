"""Finding 9: a session ends with its login. Logout, a new staff password or a timer that
disables the 仮ログインID end every copy of the (signed cookie) session."""

from datetime import datetime, time, timedelta

from sqlalchemy import select, update

from app.domain.schedule import JST
from app.extensions import db
from app.models import Application, IssuedCredential, ProvisionalAccount, StaffUser
from app.security import decrypt, hash_password
from app.services import Actor
from app.services.staff_admin import save_staff_user
from app.services.timers import fire_due_timers
from tests.helpers import (
    ANSWERS,
    claim_and_open,
    complete_applicant_tasks,
    csrf_token,
    login,
    post_page,
    review,
    signup,
    staff_login,
)


def copy_session(app, source):
    """Another browser holding a copy of source's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", source.get_cookie("session").value)
    return thief


def logout(client):
    page = client.get("/staff/login").get_data(as_text=True)
    return client.post("/logout", data={"csrf_token": csrf_token(page)})


def test_a_copied_applicant_cookie_dies_with_logout(app, client, smtp):
    assert login(client, *signup(client, smtp)).status_code == 302
    thief = copy_session(app, client)
    assert thief.get("/home").status_code == 200  # the copy works while the login stands
    assert logout(client).status_code == 302
    response = thief.get("/home")
    assert response.status_code == 302 and "/login" in response.location
    assert client.get("/home").status_code == 302


def test_a_copied_staff_cookie_dies_with_logout(app, client):
    staff_login(client, "reviewer2", "reviewer2-pass")
    thief = copy_session(app, client)
    assert thief.get("/staff/").status_code == 200
    logout(client)
    response = thief.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.location


def test_a_copied_office_code_cookie_dies_with_logout(app, client, smtp):
    signup(client, smtp)
    application = db.session.scalars(select(Application)).one()
    db.session.add(
        IssuedCredential(
            application=application,
            kind="office",
            office_code="NAC778",
            login_hash=hash_password("OFFICE78"),
        )
    )
    db.session.commit()
    assert login(client, "NAC778", "OFFICE78").status_code == 302
    thief = copy_session(app, client)
    assert thief.get("/home").status_code == 200
    logout(client)
    assert thief.get("/home").status_code == 302


def test_a_new_staff_password_ends_every_session(app):
    user = db.session.scalar(select(StaffUser).where(StaffUser.login == "epoch-reviewer"))
    if user is None:
        user = StaffUser(
            login="epoch-reviewer",
            name="エポック 審査",
            password_hash=hash_password("old-pass-1"),
            roles="reviewer",
        )
        db.session.add(user)
    user.password_hash, user.active = hash_password("old-pass-1"), True
    db.session.commit()
    office, home = app.test_client(), app.test_client()
    staff_login(office, "epoch-reviewer", "old-pass-1")
    staff_login(home, "epoch-reviewer", "old-pass-1")
    admin = db.session.scalar(select(StaffUser).where(StaffUser.login == "admin"))
    actor = Actor(
        kind="staff", label="staff:admin", staff_id=admin.id, roles=frozenset(["administrator"])
    )

    # Editing the name and roles keeps the sessions ...
    save_staff_user(actor, {"name": "エポック 審査二", "roles": ["reviewer"]}, user.id)
    assert office.get("/staff/").status_code == 200
    # ... a new password ends them all.
    save_staff_user(actor, {"roles": ["reviewer"], "password": "new-pass-2"}, user.id)
    for client in (office, home):
        response = client.get("/staff/")
        assert response.status_code == 302 and "/staff/login" in response.location
    staff_login(office, "epoch-reviewer", "new-pass-2")
    assert office.get("/staff/").status_code == 200
    retire("epoch-reviewer")


def retire(login_name: str) -> None:
    """staff_user outlives each test: a test's own account must not count as staff later."""
    db.session.rollback()
    db.session.execute(update(StaffUser).where(StaffUser.login == login_name).values(active=False))
    db.session.commit()


def test_an_administrator_changing_their_own_password_stays_logged_in(app, client):
    """Loose end of finding 9: the new password ends the other copies, not this session."""
    user = db.session.scalar(select(StaffUser).where(StaffUser.login == "epoch-admin"))
    if user is None:
        user = StaffUser(login="epoch-admin", name="エポック 管理", password_hash="x")
        db.session.add(user)
    user.password_hash, user.roles, user.active = hash_password("old-pass-1"), "administrator", True
    db.session.commit()
    staff_login(client, "epoch-admin", "old-pass-1")
    thief = copy_session(app, client)
    page = client.get(f"/admin/staff/{user.id}").get_data(as_text=True)
    response = client.post(
        f"/admin/staff/{user.id}",
        data={
            "csrf_token": csrf_token(page),
            "name": "エポック 管理",
            "roles": ["administrator"],
            "active": "y",
            "password": "new-pass-22",
            "password_confirm": "new-pass-22",
        },
    )
    assert response.status_code == 302 and response.location.endswith("/admin/staff")
    assert client.get("/admin/staff").status_code == 200  # still logged in here
    stolen = thief.get("/admin/staff")
    assert stolen.status_code == 302 and "/staff/login" in stolen.location
    staff_login(app.test_client(), "epoch-admin", "new-pass-22")
    retire("epoch-admin")


def test_a_provisional_session_ends_when_the_48_hour_timer_disables_the_id(
    app, client, smtp, clock_at
):
    login_id, password = signup(client, smtp)
    clock_at.shift(timedelta(hours=47, minutes=30))
    assert login(client, login_id, password).status_code == 302  # a fresh session
    assert client.get("/home").status_code == 200
    clock_at.shift(timedelta(minutes=31))  # 48 hours and a minute: the expiry timer is due
    # The very first request after the deadline is refused, worker or not.
    response = client.get("/home")
    assert response.status_code == 302 and "/login" in response.location
    account = db.session.scalars(select(ProvisionalAccount)).one()
    db.session.refresh(account)
    assert account.disabled_reason == "expired"


def test_a_provisional_session_ends_when_a_worker_disabled_the_id(app, client, smtp, clock_at):
    """The end of the 仮ログインID (any reason, here set by the worker) ends its sessions."""
    login_id, password = signup(client, smtp)
    clock_at.shift(timedelta(hours=47, minutes=30))
    assert login(client, login_id, password).status_code == 302
    thief = copy_session(app, client)
    clock_at.shift(timedelta(minutes=31))
    assert fire_due_timers() == 1
    for browser in (client, thief):
        assert browser.get("/home").status_code == 302


def test_the_day_after_the_start_date_only_office_code_sessions_go_on(app, client, smtp, clock_at):
    """The 仮ログインID ends the day after the 利用開始日 (a timer): its open sessions end with
    it, while a session opened with the 事業所コード goes on."""
    login_id, password = signup(client, smtp)
    assert login(client, login_id, password).status_code == 302
    complete_applicant_tasks(client)
    staff = app.test_client()
    staff_login(staff)
    review(staff, "approve")
    complete_applicant_tasks(client)  # 発行確認 and システム設定の申込
    url = claim_and_open(staff, lane="operator")
    assert post_page(staff, url, ANSWERS["setup_work"]).status_code == 302
    application = db.session.scalars(select(Application)).one()
    db.session.refresh(application)
    office = next(c for c in application.credentials if c.kind == "office")
    office_password = decrypt(office.password_encrypted)

    start = datetime.combine(application.confirmed_start_date, time(23, 30), tzinfo=JST)
    clock_at.move_to(start)
    fire_due_timers()  # 利用開始
    assert login(client, login_id, password).status_code == 302
    by_office = app.test_client()
    assert login(by_office, office.office_code, office_password).status_code == 302
    assert client.get("/home").status_code == 200

    clock_at.move_to(start + timedelta(minutes=31))  # 00:01 the next day
    response = client.get("/home")
    assert response.status_code == 302 and "/login" in response.location
    db.session.refresh(application.account)
    assert application.account.disabled_reason == "start_of_use"
    assert by_office.get("/home").status_code == 200


def test_a_session_without_its_grant_is_anonymous(app, client, smtp):
    """An old cookie (before epochs) or a forged one without the grant is not a login."""
    assert login(client, *signup(client, smtp)).status_code == 302
    with client.session_transaction() as session:
        session.pop("login_grant")
    assert client.get("/home").status_code == 302
