"""Every mail's HTML part shows user text escaped: company, person, 差戻し comment, address."""

import re
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

from app import mailer
from app.extensions import db
from app.models import Application, OutboundMail

ATTACKS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"'><b>&amp;"]
RAW = ("<script", "<img", "<b>", "onerror=alert(1)>")


def hostile_application(attack: str) -> Application:
    """An application whose every free-text field a person typed holds `attack`."""
    return Application(
        reference_no="26000001",
        status="submitted",
        company_name=f"{attack}株式会社",
        contact_name=f"{attack} 一郎",
        contact_email="a@example.jp",
        review_comment=f"住所：{attack}\n氏名：{attack}",
        wished_start_date=date(2027, 1, 4),
        confirmed_start_date=date(2027, 1, 5),
        setup_deadline=date(2026, 12, 20),
        submitted_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
    )


def context_for(attack: str) -> dict:
    """Everything any mail template reads, with `attack` in every field a person typed."""
    return {
        "application": hostile_application(attack),
        "contact": {"company_name": attack, "last_name": attack, "first_name": attack},
        "login_id": "1234567",
        "password": "ABCD1234",
        "expires_at": datetime(2026, 12, 3, 10, 0),
        "resubmission": True,
        "reason": attack,
        "data": {"provisional_expires_at": datetime(2026, 12, 3, 1, 0, tzinfo=UTC)},
        # reviewer_digest: the listed applications' company names were typed by applicants
        "reviewer": {"name": "審査 太郎"},
        "new": [
            {
                "reference_no": "26000001",
                "company_name": f"{attack}株式会社",
                "due_at": datetime(2026, 12, 2, 15, 0, tzinfo=UTC),
            }
        ],
        "new_count": 1,
        "overdue": [],
        "overdue_count": 0,
        "today": datetime(2026, 12, 2, 0, 1, tzinfo=UTC),
    }


MAIL_DIR = Path(__file__).resolve().parents[2] / "templates" / "mail"
# Every mail the product sends whose templates exist (a new mail joins this test by itself;
# if it needs more context than context_for gives, add it there).
TEMPLATES = sorted(t for t in mailer.SUBJECTS if (MAIL_DIR / f"{t}.txt").exists())


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_mail_template_escapes_user_text_in_html(app, template, attack):
    row = mailer.queue_mail(template, ["a@example.jp"], context_for(attack))
    html = row.body_html
    for raw in RAW:
        if raw in attack:
            assert raw not in html, (template, raw)
    assert attack in row.body_text, template  # the text part keeps what was typed, unchanged
    assert str(escape(attack)) in html, template
    if "mail/_layout.html" in (MAIL_DIR / f"{template}.html").read_text(encoding="utf-8"):
        # The HTML part says exactly what the text part says (nothing dropped, nothing added).
        assert html.count("&lt;") == row.body_text.count("<")
    db.session.rollback()


@pytest.mark.parametrize("path", sorted(MAIL_DIR.glob("*.html")), ids=lambda p: p.name)
def test_no_html_mail_template_marks_text_as_safe(path):
    """Autoescaping does the work only if nothing turns it off or wraps text as markup."""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"\|\s*safe\b|autoescape\s+false|Markup", text), path.name
    assert not re.search(r"\{%\s*include\s+[^%]*\.txt", text), f"{path.name}: text included raw"
    assert not re.search(r"\{%\s*filter\s+(e|escape)\b", text), path.name


def test_a_returned_application_mail_arrives_escaped_over_smtp(app, smtp):
    """End to end: the outbox row goes through SMTP and the received HTML part is inert."""
    attack = "<img src=x onerror=alert(1)>"
    application = hostile_application(attack)
    db.session.add(application)
    db.session.flush()
    row = mailer.queue_mail(
        "returned", ["konsai@example.jp"], {"application": application}, application.id
    )
    db.session.commit()
    mailer.deliver_pending([row.id])
    if hasattr(mailer, "deliver_due"):
        mailer.deliver_due()  # the worker's delivery, where requests no longer send
    assert db.session.scalar(select(OutboundMail.status).where(OutboundMail.id == row.id)) == (
        "sent"
    )
    (message,) = smtp.by_subject("利用申込内容の修正のお願い")
    message = message_from_bytes(message.as_bytes(), policy=policy.default)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert attack in message.get_body(preferencelist=("plain",)).get_content()
