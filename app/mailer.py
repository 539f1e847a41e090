"""Outbox e-mail: rows are written inside the business transaction; the worker delivers them.

States: pending -> sending (claimed, with a lease) -> sent | retry (back-off) | failed.
A row is claimed by one conditional UPDATE before it is sent, so two delivery passes never
send it twice; a sender that dies leaves it "sending" until the lease ends, then it is claimed
again (counted as a new attempt). Requests never talk to SMTP: they commit the rows and the
timer worker (`flask workflow worker`) delivers them within one interval.
"""

import smtplib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, render_template
from flask_mail import Connection, Message
from sqlalchemy import and_, func, insert, literal_column, or_, select, update

from app.clock import now
from app.extensions import db
from app.models import OutboundMail
from app.models.packed import pack_json

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
    "withdrawn": "【NSS】利用申込取下げのお知らせ",
    "cancelled_by_center": "【NSS】利用申込取消のお知らせ（NACCSセンター）",
}


@dataclass(frozen=True)
class QueuedMail:
    """A mail just added to the outbox (its row is written, not loaded as an ORM object)."""

    id: int
    recipients: list[str]
    body_text: str
    body_html: str


# Built once: an INSERT through the ORM (object, flush, the packed body written twice by the
# two setters) cost more than rendering the mail.
_OUTBOX = OutboundMail.__table__
_INSERT_MAIL = insert(_OUTBOX).returning(_OUTBOX.c.id)


def queue_mail(
    template: str, recipients: list[str], context: dict, application_id: int | None = None
) -> QueuedMail:
    """Render a mail from templates/mail/<template>.txt/.html and add it to the outbox."""
    recipients = sorted({r for r in recipients if r})
    context = {"base_url": current_app.config["PUBLIC_BASE_URL"], **context}
    body_text = render_template(f"mail/{template}.txt", **context)
    # The HTML part shows the same text, autoescaped: a plain str, never Markup.
    body_html = render_template(f"mail/{template}.html", **context, body_text=str(body_text))
    at = now()
    row = {
        "application_id": application_id,
        "template": template,
        "recipients": recipients,
        "subject": SUBJECTS[template],
        "body": pack_json("mail", [body_text, body_html]),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
    }
    mail_id = db.session.connection().execute(_INSERT_MAIL, row).scalar_one()
    return QueuedMail(mail_id, recipients, body_text, body_html)


def deliver_pending(ids: list[int] | None = None, limit: int = 100) -> int:
    """Hand committed outbox rows to the worker; never talks to SMTP.

    Services call this after their commit (the name is kept for them); the rows are already
    pending, so nothing is left to do but note them. The worker's `deliver_due` sends them."""
    if ids:
        current_app.logger.debug("outbox rows %s handed to the worker", ids)
    return 0


def _due_clause(at):
    return or_(
        and_(
            OutboundMail.status.in_(("pending", "retry")),
            or_(OutboundMail.next_attempt_at.is_(None), OutboundMail.next_attempt_at <= at),
        ),
        # A sender that died mid-delivery: its claim ran out.
        and_(OutboundMail.status == "sending", OutboundMail.lease_until < at),
    )


def in_rare_status(*statuses: str):
    """Rows in statuses few rows have (all but "sent"), through the status index. Nearly every
    row is "sent", which SQLite's statistics cannot tell (one average per index): likelihood()
    tells it (a constant: plain unlikely() still lost to the id order at 100k rows), or it walks
    the whole table (every worker pass, the failed-mail list)."""
    rare = OutboundMail.status.in_(statuses)
    if db.session.get_bind().dialect.name != "sqlite":
        return rare
    return func.likelihood(rare, literal_column("0.000001"))


def deliver_due(limit: int | None = None, batch: int = 100, should_stop=None) -> int:
    """The worker's delivery: claim each due row, send it, record the outcome; drains in
    batches until nothing is due (or `limit` rows were tried). Returns the number sent."""
    sent = tried = 0
    last_id = 0
    while limit is None or tried < limit:
        size = batch if limit is None else min(batch, limit - tried)
        ids = list(
            db.session.scalars(
                select(OutboundMail.id)
                .where(_due_clause(now()), OutboundMail.id > last_id)
                .where(in_rare_status("pending", "retry", "sending"))
                .order_by(OutboundMail.id)
                .limit(size)
            )
        )
        db.session.rollback()  # end the read; each claim is its own transaction
        if not ids:
            break
        for row_id in ids:
            if should_stop is not None and should_stop():
                return sent
            last_id = row_id
            tried += 1
            sent += deliver_one(row_id)
    return sent


def claim(row_id: int) -> int | None:
    """Take one due row for this sender: one conditional UPDATE, committed. Returns the
    attempt number claimed, or None when another sender has it (or it is no longer due)."""
    at = now()
    lease = timedelta(seconds=current_app.config.get("MAIL_LEASE_SECONDS", 300))
    result = db.session.execute(
        update(OutboundMail)
        .where(OutboundMail.id == row_id, _due_clause(at))
        .values(
            status="sending",
            lease_until=at + lease,
            attempts=OutboundMail.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return None
    attempt = db.session.scalar(select(OutboundMail.attempts).where(OutboundMail.id == row_id))
    db.session.commit()
    return attempt


def deliver_one(row_id: int) -> int:
    """Claim, send and record one row; 1 when sent by this call."""
    attempt = claim(row_id)
    if attempt is None:
        return 0
    row = db.session.get(OutboundMail, row_id, populate_existing=True)
    if not row.recipients:
        return _finish(row_id, attempt, status="failed", last_error="no recipients")
    message = Message(
        subject=row.subject, recipients=list(row.recipients), body=row.body_text, html=row.body_html
    )
    db.session.rollback()  # no transaction stays open while SMTP is talked to
    try:
        send(message)
    except (smtplib.SMTPException, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        current_app.logger.warning("mail %s not sent (attempt %s): %s", row_id, attempt, error)
        final = attempt >= current_app.config["MAIL_MAX_ATTEMPTS"]
        # Back off 1, 2, 4 ... minutes; after the last attempt staff must look at it.
        return _finish(
            row_id,
            attempt,
            status="failed" if final else "retry",
            last_error=error,
            next_attempt_at=now() + timedelta(minutes=2 ** (attempt - 1)),
        )
    _finish(row_id, attempt, status="sent", sent_at=now(), last_error=None)
    return 1


def _finish(row_id: int, attempt: int, **values) -> int:
    """Record the outcome of the attempt this sender claimed (and only that attempt)."""
    db.session.execute(
        update(OutboundMail)
        .where(
            OutboundMail.id == row_id,
            OutboundMail.status == "sending",
            OutboundMail.attempts == attempt,
        )
        .values(lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return 0


class TimeoutConnection(Connection):
    """Flask-Mail's SMTP connection with a timeout on connect and on every command
    (Flask-Mail 0.10 has no timeout option: a server that never answers would block forever)."""

    def __init__(self, state, timeout: float):
        super().__init__(state)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        state = self.mail
        smtp_class = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        host = smtp_class(state.server, state.port, timeout=self.timeout)
        host.set_debuglevel(int(state.debug))
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host

    def __exit__(self, exc_type, exc_value, tb) -> None:
        # The message is accepted once DATA is answered: a failing QUIT must not undo that.
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()


def send(message: Message) -> None:
    """Send one message over SMTP with MAIL_TIMEOUT seconds (default 10) per operation."""
    state = current_app.extensions["mail"]
    timeout = float(current_app.config.get("MAIL_TIMEOUT", 10.0))
    with TimeoutConnection(state, timeout) as connection:
        message.send(connection)
