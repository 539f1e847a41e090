"""Every mail's HTML part shows user text escaped: company, person, 差戻し comment, address."""

from datetime import UTC, date, datetime
from email import message_from_bytes, policy

import pytest
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


def context_for(template: str, attack: str) -> dict:
    application = hostile_application(attack)
    if template == "signup_done":
        contact = {"company_name": attack, "last_name": attack, "first_name": attack}
        return {
            "application": application,
            "contact": contact,
            "login_id": "1234567",
            "password": "ABCD1234",
            "expires_at": datetime(2026, 12, 3, 10, 0),
        }
    return {"application": application, "resubmission": True}


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("template", sorted(mailer.SUBJECTS))
def test_every_mail_template_escapes_user_text_in_html(app, template, attack):
    row = mailer.queue_mail(template, ["a@example.jp"], context_for(template, attack))
    html = row.body_html
    for raw in RAW:
        if raw in attack:
            assert raw not in html, (template, raw)
    escaped = attack.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped.replace('"', "&#34;").replace("'", "&#39;") in html
    assert attack in row.body_text  # the text part keeps what was typed, unchanged
    # The HTML part says exactly what the text part says (nothing dropped, nothing added).
    assert html.count("&lt;") == row.body_text.count("<")
    db.session.rollback()


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
