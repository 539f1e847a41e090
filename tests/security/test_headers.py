"""Security headers on every response, and templates that keep the strict CSP working."""

import base64
import hashlib
import re
from pathlib import Path

import pytest

from app import mailer
from app.extensions import db
from app.models import Application
from app.web.security_headers import CONTENT_SECURITY_POLICY
from tests.helpers import (
    SIGNUP_CONTACT,
    complete_applicant_tasks,
    csrf_token,
    login,
    post_page,
    staff_login,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
STATIC = Path(__file__).resolve().parents[2] / "app" / "static"


def assert_secure(response, where: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in csp.split(";")) if part
    )
    assert directives.get("script-src") == "'self'", (where, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert directives.get("default-src") == "'self'", where
    assert directives.get("frame-ancestors") == "'none'", where
    assert directives.get("object-src") == "'none'", where
    assert directives.get("base-uri") == "'none'", where
    assert directives.get("form-action") == "'self'", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert "Strict-Transport-Security" not in headers, f"{where}: no HSTS in tests"


def test_anonymous_pages_redirects_errors_and_static_files_carry_the_headers(app, client):
    for url, status in [
        ("/", 200),
        ("/login", 200),
        ("/signup", 200),
        ("/staff/login", 200),
        ("/home", 302),
        ("/staff/", 302),
        ("/analyst/", 302),
        ("/admin/", 302),
        ("/no-such-page", 404),
        ("/static/style.css", 200),
        ("/static/forms.js", 200),
    ]:
        response = client.get(url)
        assert response.status_code == status, url
        assert_secure(response, url)
    refused = client.post("/login", data={"login_id": "1", "password": "x"})  # no CSRF token
    assert refused.status_code == 400
    assert_secure(refused, "CSRF error page")
    assert_secure(client.put("/login"), "405")


def signed_up(client, smtp) -> tuple[str, str]:
    """Sign up and read the 仮ログインID from the mail (delivered by whichever path exists)."""
    page = client.get("/signup")
    response = client.post("/signup", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    response = post_page(client, response.location, SIGNUP_CONTACT)
    post_page(client, response.location, {})
    if not smtp.by_subject("仮アカウント登録完了") and hasattr(mailer, "deliver_due"):
        mailer.deliver_due()  # the worker's delivery, where requests no longer send
    body = smtp.body(smtp.by_subject("仮アカウント登録完了")[-1])
    login_id = re.search(r"仮ログインID：(\d{7})", body).group(1)
    return login_id, re.search(r"仮パスワード：([A-Z0-9]{8})", body).group(1)


def test_applicant_staff_analyst_and_admin_pages_carry_the_headers(app, client, smtp):
    assert_secure(client.get("/signup/done"), "/signup/done")
    login_id, password = signed_up(client, smtp)
    assert_secure(login(client, login_id, password), "applicant login")
    complete_applicant_tasks(client)  # through 申込内容の確認: submitted, documents printable
    for url in ["/home", "/application", "/application/received"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_secure(response, url)
    pdf = client.get("/application/documents/application_form.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    # The browser's own PDF viewer needs its inline styles: no page policy on a PDF.
    assert "Content-Security-Policy" not in pdf.headers
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    assert pdf.headers["X-Frame-Options"] == "DENY"
    application = db.session.query(Application).one()

    admin = app.test_client()
    staff_login(admin, "admin", "admin-pass")
    for url in [
        "/staff/",
        f"/staff/applications/{application.id}",
        "/analyst/",
        "/analyst/versions/1",
        f"/analyst/applications/{application.id}",
        "/analyst/upload",
        "/admin/",
        "/admin/calendar",
        "/admin/offices",
    ]:
        response = admin.get(url)
        assert response.status_code == 200, url
        assert_secure(response, url)


def test_the_diagram_stylesheet_is_the_one_the_policy_allows_by_hash(app, analyst):
    """The SVG inlined in the page embeds a <style>; the CSP names its hash, nothing else."""
    html = analyst.get("/analyst/versions/1").get_data(as_text=True)
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert styles, "the diagram embeds its stylesheet"
    for style in set(styles):
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in CONTENT_SECURITY_POLICY
    assert len(re.findall(r"'sha256-", CONTENT_SECURITY_POLICY)) == 1


def test_hsts_only_in_production(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.setitem(app.config, "CONFIG_NAME", "development")
    assert "Strict-Transport-Security" not in client.get("/login").headers
    monkeypatch.setitem(app.config, "CONFIG_NAME", "production")
    response = client.get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    monkeypatch.setitem(app.config, "DEBUG", True)
    assert "Strict-Transport-Security" not in client.get("/login").headers


# -- templates: nothing the policy would block, so that new templates keep to it ---------------

SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
HANDLER = re.compile(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", re.S)
# Handlers passed as keyword arguments to a field in Jinja: form.x(onchange="...").
EVENTS = r"on(?:click|dblclick|change|input|submit|reset|load|error|focus|blur|key\w+|mouse\w+)"
JINJA_HANDLER = re.compile(rf"\{{\{{[^}}]*(?:\b{EVENTS}\s*=|['\"]{EVENTS}['\"]\s*:)", re.S)
STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*?\sstyle\s*=", re.S)
TEMPLATE_FILES = sorted(p for p in TEMPLATES.rglob("*.html"))
WEB_TEMPLATES = [p for p in TEMPLATE_FILES if p.parent.name != "mail"]  # mails are not pages


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_inline_script_or_event_handler(path):
    text = path.read_text(encoding="utf-8")
    for attributes, body in SCRIPT.findall(text):
        assert not body.strip(), f"inline script body in {path.name}: move it to app/static/*.js"
        assert "src=" in attributes, path.name
    assert text.lower().count("<script") == len(SCRIPT.findall(text)), path.name
    match = HANDLER.search(text)
    assert match is None, f"inline event handler in {path.name}: {match.group(0)[-60:]}"
    match = JINJA_HANDLER.search(text)
    assert match is None, f"event handler argument in {path.name}: {match.group(0)[-60:]}"
    assert "javascript:" not in text.lower(), path.name


@pytest.mark.parametrize("path", WEB_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_inline_style_in_pages(path):
    text = path.read_text(encoding="utf-8")
    assert "<style" not in text.lower(), f"<style> in {path.name}: use app/static/*.css"
    match = STYLE_ATTRIBUTE.search(text)
    assert match is None, f"style attribute in {path.name}: {match.group(0)[-60:]}"


def test_every_script_and_stylesheet_a_template_loads_exists():
    names = set()
    for path in TEMPLATE_FILES:
        names |= set(re.findall(r"filename='([^']+)'", path.read_text(encoding="utf-8")))
    assert names and all((STATIC / name).is_file() for name in names), names


def test_the_checks_catch_what_they_look_for():
    """The template checks above would fail on the patterns they forbid."""
    assert SCRIPT.findall("<script>alert(1)</script>")[0][1]
    assert HANDLER.search('<button type="button" onclick="go()">')
    assert HANDLER.search("<body\n  onload='x()'>")
    assert not HANDLER.search('<input name="ontime" data-on="x">')
    assert JINJA_HANDLER.search("{{ form.plan(onchange='this.form.submit()') }}")
    assert JINJA_HANDLER.search("{{ form.plan(**{'onclick': 'x()'}) }}")
    assert not JINJA_HANDLER.search("{{ render_fields(form, only=('a',)) }}")
    assert STYLE_ATTRIBUTE.search('<span style="color: red">')
