"""Authorization matrix: every route of `app.url_map` x every principal -> the expected answer.

A route that is not in ENDPOINT_ACCESS fails `test_every_route_is_in_the_matrix`: add a row for
it (use the policies below, or spell the principals out) when you add a route.

The world the matrix runs against is built over HTTP, as people would:
  applicant A  submitted and approved (IDs issued; the ID通知内容 exists; task 発行確認 READY)
  applicant B  submitted, its review task unclaimed            (B is the one trying A's things)
  applicant C  submitted, its review task claimed by the matrix reviewer (not a principal)
Staff principals are single-role accounts, so each column is exactly one role.

GET requests are sent by every principal. A POST is sent by every principal that must be
refused (with plausible valid data, so that a refusal comes from the role, not the data) and,
unless the route is in UNSAFE_WHEN_ALLOWED, by allowed principals with only a CSRF token: then
anything but a refusal or a 5xx is fine (a re-render, a 400/422, a redirect).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import delete, insert, select, update

from app.extensions import db
from app.models import (
    Application,
    CalendarDay,
    HumanTask,
    Office,
    OutboundMail,
    ProcessVersion,
    ScheduleEntry,
    StaffUser,
)
from app.security import hash_password
from tests.helpers import (
    SIGNUP_CONTACT,
    complete_applicant_tasks,
    login,
    review,
    signup,
    staff_login,
)

# --- what a principal may get back -----------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    label: str
    check: Callable  # (status, location, error_flashed) -> bool

    def __repr__(self) -> str:
        return self.label


def _is_login(location: str) -> bool:
    path = location.split("?")[0]
    return path.endswith("/login") or path.endswith("/staff/login")


OK = Expect(
    "OK (2xx, or a redirect that is not to a login page)",
    lambda s, loc, f: 200 <= s < 300 or (300 <= s < 400 and not _is_login(loc)),
)
LOGIN = Expect("redirect to a login page", lambda s, loc, f: 300 <= s < 400 and _is_login(loc))
FORBIDDEN = Expect("403", lambda s, loc, f: s == 403)
NOT_FOUND = Expect("404", lambda s, loc, f: s == 404)
# A health probe: 503 when a dependency is down (no worker runs during the tests).
PROBE = Expect("200 or 503", lambda s, loc, f: s in (200, 503))
# Refused by the service: 403/404, or (small staff actions) a redirect carrying an error message.
DENIED = Expect(
    "refused (403/404, or a redirect with an error flash)",
    lambda s, loc, f: s in (403, 404) or (300 <= s < 400 and f and not _is_login(loc)),
)

ANONYMOUS, APPLICANT_A, APPLICANT_B = "anonymous", "applicant_a", "applicant_b"
APPLICANTS = (APPLICANT_A, APPLICANT_B)
STAFF_ROLES = ("reviewer", "supervisor", "operator", "analyst", "administrator")
PRINCIPALS = (ANONYMOUS, *APPLICANTS, *STAFF_ROLES)

# --- policies --------------------------------------------------------------------------------


def policy(default: Expect, **overrides: Expect) -> dict[str, Expect]:
    unknown = set(overrides) - set(PRINCIPALS)
    assert not unknown, f"unknown principals {unknown}"
    return {p: overrides.get(p, default) for p in PRINCIPALS}


PUBLIC = policy(OK)
# Development pages exist only when the development config is chosen (TestConfig has them);
# tests/security/test_config_keys.py checks that the production config has no such route.
DEV_ONLY = policy(OK)
STAFF_ANY = policy(OK, anonymous=LOGIN, applicant_a=LOGIN, applicant_b=LOGIN)


def ROLE(*roles: str, applicants: Expect = LOGIN, others: Expect = FORBIDDEN) -> dict:
    """Staff with one of `roles`; other staff get `others`; applicants `applicants`."""
    assert set(roles) <= set(STAFF_ROLES), roles
    table = {ANONYMOUS: LOGIN, APPLICANT_A: applicants, APPLICANT_B: applicants}
    table.update({role: OK if role in roles else others for role in STAFF_ROLES})
    return table


# An applicant's page about their own application (no id in the URL): B sees B's own.
APPLICANT_SESSION = policy(LOGIN, applicant_a=OK, applicant_b=OK)
# A resource of applicant A named in the URL: B is refused, staff are sent to the applicants' login.
APPLICANT_OWN = policy(LOGIN, applicant_a=OK, applicant_b=FORBIDDEN)
ADMIN = ROLE("administrator")
ANALYST = ROLE("analyst", applicants=FORBIDDEN)

# --- the matrix ------------------------------------------------------------------------------

ENDPOINT_ACCESS: dict[str, dict] = {
    # authentication
    "auth.login": PUBLIC,
    "auth.staff_login": PUBLIC,
    "auth.logout": PUBLIC,
    # applicant pages
    "applicant.index": PUBLIC,
    "applicant.signup": PUBLIC,
    "applicant.signup_done": PUBLIC,
    # signup screens belong to the anonymous signup session; everyone else is sent away.
    "applicant.signup_section": PUBLIC,
    # A's own task through the signup route is harmless; nobody else gets anything there.
    "applicant.signup_task": policy(FORBIDDEN, applicant_a=OK),
    "applicant.home": APPLICANT_SESSION,
    "applicant.detail": APPLICANT_SESSION,
    "applicant.received": APPLICANT_SESSION,
    "applicant.section": APPLICANT_SESSION,
    "applicant.notice": APPLICANT_SESSION | {APPLICANT_B: NOT_FOUND},  # B has no IDs yet
    "applicant.document_pdf": APPLICANT_SESSION,
    "applicant.task": APPLICANT_OWN,
    "applicant.postal": policy(OK, anonymous=LOGIN),
    # staff
    "staff.inbox": STAFF_ANY,
    "staff.application": STAFF_ANY,
    "staff.notice": ROLE("reviewer", "supervisor", "administrator"),
    "staff.note": ROLE("reviewer", "supervisor", "operator", "administrator", others=DENIED),
    "staff.claim": ROLE("reviewer", "supervisor", others=DENIED),
    "staff.claim_next_task": ROLE("reviewer", others=DENIED),
    "staff.unclaim": ROLE("reviewer", "supervisor", others=DENIED),
    "staff.reassign": ROLE("supervisor", others=DENIED),
    "staff.task": ROLE("reviewer"),
    # instance administration (reopen: supervisors only, see EXTRA_TARGETS)
    "instance_admin.withdraw": APPLICANT_SESSION,  # A (approved) is sent home with a message
    "instance_admin.operation": ROLE("supervisor", "administrator"),
    "instance_admin.variables": ROLE("supervisor", "administrator"),
    # operations: incidents and failed mail (supervisors and administrators)
    "operations.incident_list": ROLE("supervisor", "administrator"),
    "operations.incident_retry": ROLE("supervisor", "administrator"),
    "operations.incident_resolve": ROLE("supervisor", "administrator"),
    "operations.mail_failures": ROLE("supervisor", "administrator"),
    "operations.mail_resend": ROLE("supervisor", "administrator"),
    # analyst studio
    "analyst.index": ANALYST,
    "analyst.upload": ANALYST,
    "analyst.version": ANALYST,
    "analyst.download": ANALYST,
    "analyst.migration": ANALYST,
    "analyst.applications": ANALYST,
    "analyst.application": ANALYST,
    # administration
    "admin.index": ADMIN,
    "admin.schedule": ADMIN,
    "admin.schedule_entry": ADMIN,
    "admin.schedule_delete": ADMIN,
    "admin.schedule_import": ADMIN,
    "admin.calendar": ADMIN,
    "admin.calendar_delete": ADMIN,
    "admin.calendar_seed": ADMIN,
    "admin.offices": ADMIN,
    "admin.office": ADMIN,
    "admin.offices_import": ADMIN,
    "admin.staff_list": ADMIN,
    "admin.staff_user": ADMIN,
    # health and monitoring (metrics: bearer token, or loopback clients like the test client)
    "health.healthz": PUBLIC,
    "health.readyz": policy(PROBE),
    "health.metrics": PUBLIC,
    # development tools
    "dev.mail": DEV_ONLY,
    "dev.clock_page": DEV_ONLY,
}

# The same endpoint against another target: (endpoint, target name) -> policy.
# A staff task opened through the applicant routes: nobody may act on it there (finding 8).
NOBODY = policy(FORBIDDEN, anonymous=FORBIDDEN)
EXTRA_TARGETS: dict[tuple[str, str], dict] = {
    ("applicant.signup_task", "review_task"): NOBODY,
    ("applicant.task", "review_task"): policy(LOGIN, applicant_a=FORBIDDEN, applicant_b=FORBIDDEN),
    ("instance_admin.operation", "reopen"): ROLE("supervisor"),
}

# POSTs whose success changes the world the other rows rely on: only refusals are sent.
UNSAFE_WHEN_ALLOWED = {
    "auth.logout",
    "auth.login",
    "auth.staff_login",
    "applicant.signup",
    "applicant.signup_task",
    "applicant.signup_section",
    "applicant.task",
    "applicant.section",
    "staff.claim",
    "staff.claim_next_task",
    "staff.unclaim",
    "staff.reassign",
    "staff.task",
    "admin.calendar_seed",
    "admin.calendar_delete",
    "admin.schedule_delete",
    "admin.staff_user",  # a post without fields would clear the user's roles
    "analyst.migration",
    "operations.incident_retry",
    "operations.incident_resolve",
    "operations.mail_resend",
    "dev.clock_page",
}
NOT_A_ROUTE = {"static"}

# --- the world -------------------------------------------------------------------------------

REFERENCE = (StaffUser.__table__, ScheduleEntry.__table__, CalendarDay.__table__)
STAFF_LOGINS = {role: (f"matrix-{role}", f"matrix-{role}-pass") for role in STAFF_ROLES}


@dataclass
class World:
    clients: dict
    values: dict  # URL argument values by name
    targets: dict  # target name -> URL argument values overriding `values`
    post_data: dict  # endpoint -> plausible valid data for refused principals


def _staff_accounts(active: bool = True) -> None:
    """The single-role accounts; staff_user outlives each test, so they are switched off after
    the matrix (other tests counting reviewers or supervisors never see them)."""
    for role, (name, password) in STAFF_LOGINS.items():
        found = db.session.scalar(select(StaffUser).where(StaffUser.login == name))
        if found is not None:
            found.active = active
        elif active:
            db.session.add(
                StaffUser(
                    login=name,
                    name=f"マトリクス {role}",
                    password_hash=hash_password(password),
                    roles=role,
                    email=f"{name}@naccs-center.example.jp",
                )
            )
    db.session.commit()


def _submitted(app, smtp, name: str):
    client = app.test_client()
    contact = {"email": f"{name}@naccs.example.jp", "email_confirm": f"{name}@naccs.example.jp"}
    assert login(client, *signup(client, smtp, {**SIGNUP_CONTACT, **contact})).status_code == 302
    complete_applicant_tasks(client)
    db.session.expire_all()
    application = db.session.scalars(select(Application).order_by(Application.id.desc())).first()
    return client, application


def _ready(application_id: int, lane: str) -> HumanTask:
    return db.session.scalars(
        select(HumanTask).where(
            HumanTask.application_id == application_id,
            HumanTask.lane == lane,
            HumanTask.state == "ready",
        )
    ).one()


def build_world(app, smtp) -> World:
    client_a, application_a = _submitted(app, smtp, "matrix-a")
    demo_reviewer = app.test_client()
    staff_login(demo_reviewer)
    review(demo_reviewer, "approve")
    client_b, application_b = _submitted(app, smtp, "matrix-b")
    _, application_c = _submitted(app, smtp, "matrix-c")
    clients = {ANONYMOUS: app.test_client(), APPLICANT_A: client_a, APPLICANT_B: client_b}
    for role, (name, password) in STAFF_LOGINS.items():
        clients[role] = app.test_client()
        staff_login(clients[role], name, password)
    # The matrix reviewer claims C (B's review task is claimed first in queue order otherwise).
    reviewer = clients["reviewer"]
    reviewer.post(
        f"/staff/human-tasks/{_ready(application_c.id, 'reviewer').id}/claim",
        data={"csrf_token": token(reviewer)},
    )
    db.session.expire_all()
    task_c = _ready(application_c.id, "reviewer")
    assert task_c.owner_id is not None, "the matrix reviewer could not claim C's review"
    task_a = _ready(application_a.id, "applicant")
    task_b = _ready(application_b.id, "reviewer")
    version = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.id)).first()
    other_staff = db.session.scalar(select(StaffUser).where(StaffUser.login == "reviewer2"))
    values = {
        "application_id": application_c.id,
        "human_task_id": task_c.id,
        "task_id": task_a.task_id,
        "version_id": version.id,
        "name": "application.bpmn",
        "staff_id": other_staff.id,
        "entry_id": db.session.scalars(select(ScheduleEntry.id)).first(),
        "day": db.session.scalars(select(CalendarDay.day)).first().isoformat(),
        "kind": "application_form",
        "form_key": "entry_office",
        "mail_id": db.session.scalars(select(OutboundMail.id)).first(),
        "incident_id": 1,  # refused before any lookup; allowed POSTs are not sent
    }
    targets = {
        "admin.office": {"code": db.session.scalars(select(Office.code)).first()},
        "applicant.postal": {"code": "2120013"},
        "applicant.signup_section": {"form_key": "signup_contact"},
        "staff.claim": {"human_task_id": task_b.id},
        "staff.task": {"task_id": task_c.task_id},
        "staff.notice": {"application_id": application_a.id},
        "review_task": {"task_id": task_c.task_id},
        "instance_admin.operation": {"op": "suspend"},
        "reopen": {"op": "reopen"},
    }
    post_data = {
        "staff.note": {"body": "マトリクスのメモ"},
        "instance_admin.operation": {"reason": "マトリクスの確認"},
        "instance_admin.variables": {
            "name": "entry_plan",
            "kind": "string",
            "value": "x",
            "reason": "確認",
        },
        "instance_admin.withdraw": {"reason": "マトリクスの確認"},
        "staff.reassign": {"staff_id": str(other_staff.id)},
        "staff.claim_next_task": {"lane": "reviewer"},
        "staff.task": {"decision": "reject"},
        "applicant.task": {"checked": "y", "submit": "1"},
        "applicant.signup_task": {"decision": "reject", "submit": "1"},
    }
    return World(clients, values, targets, post_data)


# --- running the matrix ----------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def token(client) -> str:
    """A CSRF token of this client's session (the staff login page always carries a form)."""
    page = client.get("/staff/login").get_data(as_text=True)
    return CSRF.search(page).group(1)


def error_flashed(client) -> bool:
    with client.session_transaction() as session:
        flashes = session.pop("_flashes", [])
    return any(category == "error" for category, _ in flashes)


def routes(app) -> list[tuple[str, str, object]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_A_ROUTE:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    return found


def expectation(endpoint: str, method: str) -> dict:
    entry = ENDPOINT_ACCESS[endpoint]
    return entry[method] if method in entry else entry


def url_for_rule(rule, world: World, target: str | None) -> str:
    values = {**world.values, **world.targets.get(rule.endpoint, {})}
    if target:
        values.update(world.targets[target])
    args = {name: values[name] for name in rule.arguments}
    return rule.build(args, append_unknown=False)[1]


def unlisted(app) -> list[str]:
    return sorted({e for e, _, _ in routes(app)} - set(ENDPOINT_ACCESS))


def test_a_route_missing_from_the_matrix_is_caught():
    probe = Flask("probe")
    probe.add_url_rule("/healthz", "health.healthz", lambda: "")
    probe.add_url_rule("/new-page", "staff.new_page", lambda: "")
    assert unlisted(probe) == ["staff.new_page"]


def test_metrics_answer_loopback_and_refuse_remote_clients_without_a_token(app, client):
    assert not app.config.get("METRICS_TOKEN")
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 403


def test_every_route_is_in_the_matrix(app):
    missing = unlisted(app)
    assert not missing, (
        f"routes without an authorization rule: {missing}. Add each to ENDPOINT_ACCESS in "
        f"{__file__} with the answer every principal must get."
    )
    stale = sorted(set(ENDPOINT_ACCESS) - {e for e, _, _ in routes(app)})
    assert not stale, f"ENDPOINT_ACCESS names endpoints that no longer exist: {stale}"
    for endpoint in ENDPOINT_ACCESS:
        for method in ("GET", "POST"):
            assert set(expectation(endpoint, method)) == set(PRINCIPALS), endpoint


def _check(world, endpoint, method, rule, target, table, failures) -> None:
    url = url_for_rule(rule, world, target)
    for principal in PRINCIPALS:
        expected = table[principal]
        client = world.clients[principal]
        if method == "GET":
            response = client.get(url)
        else:
            allowed = expected is OK
            if allowed and endpoint in UNSAFE_WHEN_ALLOWED:
                continue
            data = {} if allowed else dict(world.post_data.get(endpoint, {}))
            response = client.post(url, data={**data, "csrf_token": token(client)})
        flashed = error_flashed(client)
        status, location = response.status_code, response.headers.get("Location", "")
        if status >= 500 and not expected.check(status, location, flashed):
            failures.append(f"{method} {url} as {principal}: {status} (server error)")
        elif method == "POST" and expected is OK:
            if status in (403, 404) or (300 <= status < 400 and _is_login(location)):
                failures.append(f"{method} {url} as {principal}: refused ({status}) but allowed")
        elif not expected.check(status, location, flashed):
            failures.append(
                f"{method} {url} [{endpoint}] as {principal}: got {status} {location} "
                f"(error flash: {flashed}), expected {expected.label}"
            )


def snapshot_reference_data() -> dict:
    """staff_user, schedule_entry and calendar_day outlive each test (tests/conftest.py): the
    rows as they are, so that what allowed principals post here can be undone."""
    # Ordered by key: PostgreSQL returns updated rows in a new physical order.
    return {
        t.name: [
            dict(r._mapping) for r in db.session.execute(select(t).order_by(*t.primary_key.columns))
        ]
        for t in REFERENCE
    }


def restore_reference_data(saved: dict) -> None:
    db.session.rollback()
    for table in REFERENCE:
        key = list(table.primary_key.columns)[0]
        before = {row[key.name]: row for row in saved[table.name]}
        now = {r[0] for r in db.session.execute(select(key))}
        db.session.execute(delete(table).where(key.not_in(list(before))))
        for value, row in before.items():
            if value in now:
                db.session.execute(update(table).where(key == value).values(**row))
            else:
                db.session.execute(insert(table).values(**row))
    db.session.commit()


@pytest.fixture
def world(app, smtp):
    _staff_accounts()
    saved = snapshot_reference_data()
    try:  # restored even when building the world fails half-way
        yield build_world(app, smtp)
    finally:
        restore_reference_data(saved)
        assert snapshot_reference_data() == saved, "the matrix left reference rows changed"
        _staff_accounts(active=False)


def test_every_route_answers_every_principal_as_the_matrix_says(app, world):
    failures: list[str] = []
    for endpoint, method, rule in sorted(routes(app), key=lambda r: (r[1] != "GET", r[0])):
        table = expectation(endpoint, method)
        _check(world, endpoint, method, rule, None, table, failures)
        for (extra_endpoint, target), extra in EXTRA_TARGETS.items():
            if extra_endpoint == endpoint:
                _check(world, endpoint, method, rule, target, extra, failures)
    assert not failures, "authorization matrix mismatches:\n" + "\n".join(failures)
