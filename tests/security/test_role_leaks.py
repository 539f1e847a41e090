"""Finding 8: roles. The ID通知内容 passwords are the applicant's alone; 職員メモ are not for
analysts; staff tasks are decided on the staff pages only, applicant screens on theirs."""

from sqlalchemy import select

from app.extensions import db
from app.models import Application, AuditEvent, HumanTask, StaffNote, StaffUser
from app.security import decrypt, hash_password
from tests.helpers import (
    claim_and_open,
    complete_applicant_tasks,
    csrf_token,
    login,
    review,
    signup,
    staff_login,
)


def submitted(app, smtp):
    client = app.test_client()
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client)
    db.session.expire_all()
    return client, db.session.scalars(select(Application)).one()


def staff_client(app, login_name: str, roles: str | None = None):
    """A logged-in staff client; with `roles`, a single-purpose account made for the test."""
    password = f"{login_name}-pass"
    if roles and db.session.scalar(select(StaffUser).where(StaffUser.login == login_name)) is None:
        db.session.add(
            StaffUser(
                login=login_name,
                name=login_name,
                password_hash=hash_password(password),
                roles=roles,
            )
        )
        db.session.commit()
    client = app.test_client()
    staff_login(client, login_name, password)
    return client


def test_only_the_applicant_sees_the_notice_passwords(app, smtp):
    applicant, application = submitted(app, smtp)
    review(staff_client(app, "reviewer"), "approve")
    db.session.expire_all()
    office = next(c for c in application.credentials if c.kind == "office")
    users = [c for c in application.credentials if c.kind == "user"]
    secrets = [decrypt(c.password_encrypted) for c in (office, *users)]
    assert all(secrets)

    page = applicant.get("/application/notice").get_data(as_text=True)
    assert all(secret in page for secret in secrets)  # inside the viewing window

    url = f"/staff/applications/{application.id}/notice"
    analyst = staff_client(app, "analyst")  # the demo analyst: analyst only
    refused = analyst.get(url)
    assert refused.status_code == 403
    assert not any(secret in refused.get_data(as_text=True) for secret in secrets)
    assert "ID通知内容" not in analyst.get(f"/staff/applications/{application.id}").get_data(
        as_text=True
    )

    for login_name in ("reviewer", "supervisor", "admin"):
        response = staff_client(app, login_name).get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and office.office_code in page
        assert users[0].user_code in page
        assert not any(secret in page for secret in secrets)
        assert "申込者本人の画面にのみ表示されます" in page

    operator = staff_client(app, "matrix-like-operator", roles="operator")
    assert operator.get(url).status_code == 403
    shown = db.session.scalars(
        select(AuditEvent.actor).where(AuditEvent.action == "passwords_viewed")
    ).all()
    assert shown and all(actor.startswith("applicant:") for actor in shown)


def test_analysts_cannot_write_staff_notes(app, smtp):
    _, application = submitted(app, smtp)
    url = f"/staff/applications/{application.id}"
    analyst = staff_client(app, "analyst")
    page = analyst.get(url).get_data(as_text=True)
    assert "メモを記入する" not in page
    response = analyst.post(
        f"{url}/notes", data={"csrf_token": csrf_token(page), "body": "分析者のメモ"}
    )
    assert response.status_code == 403
    assert db.session.scalars(select(StaffNote)).all() == []

    operator = staff_client(app, "notes-operator", roles="operator")
    page = operator.get(url).get_data(as_text=True)
    assert "メモを記入する" in page
    response = operator.post(
        f"{url}/notes", data={"csrf_token": csrf_token(page), "body": "設定作業のメモ"}
    )
    assert response.status_code == 302
    assert [n.body for n in db.session.scalars(select(StaffNote))] == ["設定作業のメモ"]


def test_a_claimed_review_cannot_be_decided_through_the_applicant_routes(app, smtp):
    _, application = submitted(app, smtp)
    reviewer = staff_client(app, "reviewer")
    claim_and_open(reviewer)
    task = db.session.scalars(
        select(HumanTask).where(HumanTask.lane == "reviewer", HumanTask.state == "ready")
    ).one()
    assert task.owner_id is not None
    token = csrf_token(reviewer.get("/staff/").get_data(as_text=True))
    # A start date the staff page would never offer (its deadline has long passed).
    decision = {
        "csrf_token": token,
        "decision": "approve",
        "confirmed_start_date": "2026-01-05",
        "submit": "1",
    }
    for url in (f"/signup/tasks/{task.task_id}", f"/tasks/{task.task_id}"):
        assert reviewer.get(url).status_code in (302, 403)
        response = reviewer.post(url, data=decision)
        assert response.status_code in (302, 403)
        if response.status_code == 302:  # /tasks/ is for applicants: sent to their login
            assert response.location.split("?")[0].endswith("/login")
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).state == "ready"
    assert db.session.get(Application, application.id).status == "submitted"
    # The staff page still works for the owner of the claim.
    assert reviewer.get(f"/staff/tasks/{task.task_id}").status_code == 200


def test_staff_routes_refuse_applicant_tasks(app, smtp):
    applicant, application = submitted(app, smtp)
    review(staff_client(app, "reviewer"), "approve")
    task = db.session.scalars(
        select(HumanTask).where(HumanTask.lane == "applicant", HumanTask.state == "ready")
    ).one()
    admin = staff_client(app, "admin")  # every role
    response = admin.get(f"/staff/tasks/{task.task_id}")
    assert response.status_code == 403
    assert applicant.get(f"/tasks/{task.task_id}").status_code == 200


def test_each_staff_member_sees_only_the_links_their_roles_can_use(app):
    """The header offers no page the roles cannot use; the queue sends those without a queue
    role to their own home instead of 「審査・作業の権限がありません。」."""
    links = {"審査・作業一覧", "業務フロー", "管理メニュー", "障害対応"}
    cases = {
        "nav-analyst": ("analyst", "/analyst/", {"業務フロー"}),
        "nav-admin": ("administrator", "/admin/", {"管理メニュー", "障害対応"}),
        "nav-supervisor": ("supervisor", "/staff/incidents", {"障害対応"}),
        "nav-operator": ("operator", None, {"審査・作業一覧"}),
    }
    try:
        for login_name, (roles, home, shown) in cases.items():
            user = db.session.scalar(select(StaffUser).where(StaffUser.login == login_name))
            if user is None:
                user = StaffUser(login=login_name, name=login_name, password_hash="x")
                db.session.add(user)
            user.roles, user.active = roles, True
            user.password_hash = hash_password(f"{login_name}-pass")
            db.session.commit()
            client = staff_client(app, login_name)
            response = client.get("/staff/")
            if home is None:
                assert response.status_code == 200, login_name
            else:
                assert response.status_code == 302 and response.location.endswith(home), (
                    login_name,
                    response.location,
                )
                response = client.get(response.location)
            page = response.get_data(as_text=True)
            assert response.status_code == 200 and "権限がありません" not in page, login_name
            nav = page.split('<nav aria-label="メニュー">')[1].split("</nav>")[0]
            assert {label for label in links if label in nav} == shown, (login_name, nav)
    finally:
        db.session.rollback()
        for user in db.session.scalars(select(StaffUser).where(StaffUser.login.in_(cases))):
            user.active = False  # staff_user outlives the test: no extra staff for later tests
        db.session.commit()
