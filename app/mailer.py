"""Outbox e-mail: rows are written inside the business transaction, delivered after commit."""

import smtplib
from datetime import timedelta

from flask import current_app, render_template
from flask_mail import Message
from sqlalchemy import or_, select

from app.clock import now
from app.extensions import db, mail
from app.models import OutboundMail

SUBJECTS = {
    "signup_done": "【NSS】仮アカウント登録完了のお知らせ",
    "received": "【NSS】利用申込受付完了のお知らせ",
    "confirmation_done": "【NACCS】利用申込確認完了のお知らせ",
    "returned": "【NSS】利用申込内容の修正のお願い",
    "rejected": "【NSS】利用申込却下のお知らせ",
    "cancelled": "【NSS】利用申込取消のお知らせ",
    "setup_filed": "【NSS】システム設定申込受付のお知らせ",
    "work_done": "【NACCS】作業完了のお知らせ",
    "direct_debit": "【NACCS】預金口座振替依頼書についてのお知らせ",
    "provisional_reminder": "【NSS】仮ログインIDの有効期限が近づいています",
    "setup_reminder": "【NSS】システム設定関係申込締切日が近づいています",
    "setup_escalation": "【NSS】設定作業が利用開始日の前日までに完了していません",
    "reviewer_digest": "【NSS】審査状況のお知らせ（新着・期限超過）",
}


def queue_mail(
    template: str, recipients: list[str], context: dict, application_id: int | None = None
) -> OutboundMail:
    """Render a mail from templates/mail/<template>.txt/.html and add it to the outbox."""
    recipients = sorted({r for r in recipients if r})
    context = {"base_url": current_app.config["PUBLIC_BASE_URL"], **context}
    body_text = render_template(f"mail/{template}.txt", **context)
    row = OutboundMail(
        application_id=application_id,
        template=template,
        recipients=recipients,
        subject=SUBJECTS[template],
        body_text=body_text,
        # The HTML part shows the same text, autoescaped: a plain str, never Markup.
        body_html=render_template(f"mail/{template}.html", **context, body_text=str(body_text)),
        next_attempt_at=now(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def deliver_pending(ids: list[int] | None = None, limit: int = 100) -> int:
    """Send due outbox rows; each result is committed on its own so one failure loses nothing."""
    query = select(OutboundMail).where(
        OutboundMail.status.in_(("pending", "retry")),
        or_(OutboundMail.next_attempt_at.is_(None), OutboundMail.next_attempt_at <= now()),
    )
    if ids is not None:
        if not ids:
            return 0
        query = query.where(OutboundMail.id.in_(ids))
    sent = 0
    for row in db.session.scalars(query.order_by(OutboundMail.id).limit(limit)).all():
        sent += _deliver(row)
        db.session.commit()
    return sent


def _deliver(row: OutboundMail) -> int:
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    message = Message(
        subject=row.subject, recipients=list(row.recipients), body=row.body_text, html=row.body_html
    )
    row.attempts += 1
    if not row.recipients:
        row.status, row.last_error = "failed", "no recipients"
        return 0
    try:
        mail.send(message)
    except (smtplib.SMTPException, OSError) as exc:
        row.last_error = f"{type(exc).__name__}: {exc}"
        # Back off 1, 2, 4 ... minutes; after the last attempt staff must look at it.
        row.status = "failed" if row.attempts >= max_attempts else "retry"
        row.next_attempt_at = now() + timedelta(minutes=2 ** (row.attempts - 1))
        current_app.logger.warning("mail %s not sent: %s", row.id, row.last_error)
        return 0
    row.status = "sent"
    row.sent_at = now()
    row.last_error = None
    return 1
