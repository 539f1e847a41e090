"""Malformed query parameters never give a 500: validated (400 / a message) or ignored (finding 12)."""

import re
from pathlib import Path

import pytest
from lxml import html as lxml_html
from sqlalchemy import func, select
from werkzeug.routing import Rule
from wtforms.fields.core import UnboundField

from app.clock import today_jst
from app.extensions import db
from app.models import Application, ProcessVersion, ScheduleEntry, StaffUser
from forms.analyst import InstanceFilterForm
from forms.review import QueueFilterForm
from tests.helpers import login, signup, staff_login

WEB = Path(__file__).resolve().parents[2] / "app" / "web"
BAD_VALUES = [
    "99999999999999999999999",
    "-1",
    "0",
    "abc",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "1e309",
    "１２３",
    "x" * 5000,
    "\u202e\u0000",
    "' OR 1=1 --",
    "javascript",
    "",
]


def query_parameters() -> set[str]:
    """Every query parameter a route reads: from the source of app/web and the GET forms."""
    names: set[str] = {"page", "next", "process", "fit", "year", "q"}
    pattern = re.compile(r"""(?:request\.args\.get|int_arg|page_arg)\(\s*["'](\w+)["']""")
    for source in WEB.glob("*.py"):
        names.update(pattern.findall(source.read_text(encoding="utf-8")))
    for form in (QueueFilterForm, InstanceFilterForm):
        names.update(n for n in dir(form) if isinstance(getattr(form, n), UnboundField))
    return names


def hostile_names(app) -> set[str]:
    """Names that must never reach url_for from a query string: its own options and the
    routes' path arguments (?_external=1&_scheme=javascript, ?_method=POST, ?version_id=x)."""
    names = {"_external", "_scheme", "_anchor", "_method", "endpoint", "values"}
    for rule in app.url_map.iter_rules():
        names.update(rule.arguments)
    return names


def _fill(rule: Rule, values: dict) -> str | None:
    path = rule.rule
    for argument in rule.arguments:
        path = re.sub(rf"<(?:\w+:)?{argument}>", str(values.get(argument, "x")), path)
    return path


@pytest.fixture
def targets(app, client, smtp):
    """GET paths of every route, filled with real ids, and a logged-in applicant and admin."""
    login(client, *signup(client, smtp))
    application = db.session.scalar(select(Application).limit(1))
    values = {
        "application_id": application.id,
        "version_id": db.session.scalar(select(func.max(ProcessVersion.id))),
        "staff_id": db.session.scalar(select(StaffUser.id).where(StaffUser.login == "reviewer")),
        "entry_id": db.session.scalar(select(func.min(ScheduleEntry.id))),
        "code": "NAC001",
        "form_key": "entry_office",
        "kind": "application",
        "name": "application.bpmn",
        "filename": "style.css",
        "day": "2027-01-04",
        "op": "suspend",
    }
    paths = sorted(
        {
            _fill(rule, values)
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint != "static" and "logout" not in rule.endpoint
        }
    )
    admin = app.test_client()
    staff_login(admin, "admin", "admin-pass")
    return paths, {"applicant": client, "admin": admin, "anonymous": app.test_client()}


def test_every_route_survives_malformed_query_parameters(targets):
    paths, clients = targets
    names = sorted(query_parameters() | hostile_names(clients["admin"].application))
    assert {"submitted_from", "year", "page", "within", "version"} <= set(names)
    failures = []
    for who, client in clients.items():
        values = BAD_VALUES if who == "admin" else BAD_VALUES[:4] + BAD_VALUES[9:11]
        for path in paths:
            for value in values:
                response = client.get(path, query_string={name: value for name in names})
                if response.status_code == 500:  # (a 503 of /readyz is its answer)
                    failures.append(f"{who} GET {path} = {value[:20]!r}: {response.status_code}")
                elif "javascript:" in response.get_data(as_text=True).lower():
                    failures.append(f"{who} GET {path} = {value[:20]!r}: a javascript: link")
    assert not failures, "\n".join(failures[:40])


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/staff/", "page"),
        ("/admin/offices", "page"),
        ("/analyst/applications", "page"),
        ("/analyst/applications", "version"),
        ("/analyst/applications", "within"),
        ("/admin/calendar", "year"),
    ],
)
@pytest.mark.parametrize("value", ["-5", "99999999999999999999", "abc", "1e3", "１２"])
def test_numeric_parameters_one_at_a_time(app, path, name, value):
    admin = app.test_client()
    staff_login(admin, "admin", "admin-pass")
    response = admin.get(path, query_string={name: value})
    assert response.status_code in (200, 400), response.status_code


def test_a_submitted_date_out_of_range_is_ignored_with_a_message(app):
    reviewer = app.test_client()
    staff_login(reviewer)
    response = reviewer.get("/staff/?submitted_from=0001-01-01&submitted_to=9999-12-31")
    assert response.status_code == 200
    page = lxml_html.fromstring(response.get_data(as_text=True))
    for field in ("submitted_from", "submitted_to"):
        errors = page.xpath(f'//*[@id="{field}-error"]/li')
        assert [e.text_content() for e in errors] == [
            "日付は2000-01-01から2100-12-31までの範囲で入力してください。"
        ]
    response = reviewer.get("/staff/?start_from=2026-02-30")
    assert response.status_code == 200
    assert "日付はYYYY-MM-DDの形式で入力してください。" in response.get_data(as_text=True)


def test_a_calendar_year_out_of_range_shows_this_year(app):
    admin = app.test_client()
    staff_login(admin, "admin", "admin-pass")
    for year in ("99999", "0", "-2027", "1999", "2101", "x"):
        response = admin.get(f"/admin/calendar?year={year}")
        assert response.status_code == 200, year
        assert f"{today_jst().year}年" in response.get_data(as_text=True)
    assert "2030年" in admin.get("/admin/calendar?year=2030").get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/staff/", "/analyst/applications", "/analyst/versions/{version}"]
)
def test_query_strings_never_steer_the_links(app, path):
    admin = app.test_client()
    staff_login(admin, "admin", "admin-pass")
    path = path.format(version=db.session.scalar(select(func.max(ProcessVersion.id))))
    query = "_external=1&_scheme=javascript&_anchor=x&_method=POST&version_id=abc&q=a&status=y"
    response = admin.get(f"{path}?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "javascript" not in page and "http://localhost" not in page and "#x" not in page


def test_a_calendar_day_outside_the_calendar_pages_is_refused_beside_the_field(app):
    from app.models import CalendarDay

    admin = app.test_client()
    staff_login(admin, "admin", "admin-pass")
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"',
        admin.get("/admin/calendar").get_data(as_text=True),
    ).group(1)
    for day in ("0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"):
        response = admin.post(
            "/admin/calendar",
            data={"day": day, "kind": "closed", "note": "範囲外", "csrf_token": token},
        )
        assert response.status_code == 422, day
        assert "2000-01-01から2100-12-31まで" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(CalendarDay.note == "範囲外")) == 0
