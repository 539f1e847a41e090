"""Handlers of the diagrams' service tasks (camunda:topic); they run inside the transaction."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import bindparam, select, update

from app import mailer
from app.clock import now, now_jst
from app.domain import codes
from app.domain.schedule import entry_for_start, timer_dates
from app.extensions import db, update_in_core
from app.models import Application, IssuedCredential, Office, ProvisionalAccount, StaffUser
from app.security import encrypt, hash_password
from app.services import ServiceError, drafts
from app.services import codes as code_pool
from app.services.reference import (
    calendar_overrides,
    new_provisional_login_id,
    next_serial,
    schedule_entry,
)
from app.services.status_write import write_status

PROVISIONAL_HOURS = 48

# The status an application takes when a topic runs; a camunda:property "status" overrides it.
TOPIC_STATUS = {
    "create_provisional_account": "entry",
    "register_application": "submitted",
    "expire_provisional_account": "expired",
    "issue_ids": "issued",
    "cancel_application": "cancelled",
    "file_system_setup": "setup_filed",
    "start_use": "in_use",
}


@dataclass
class ActionContext:
    application: Application
    audit: Callable
    mail_ids: list[int] = field(default_factory=list)

    def mail(self, template: str, recipients: list[str], **context) -> None:
        row = mailer.queue_mail(
            template, recipients, {"application": self.application, **context}, self.application.id
        )
        self.mail_ids.append(row.id)
        self.audit(
            self.application.id, "system", "mail_queued", template=template, to=row.recipients
        )


def contacts(application: Application) -> list[str]:
    """申込担当者 and 管理責任者 addresses, as the manual's mails go to both."""
    contact = application.answer("entry_contact") or application.answer("signup_contact")
    manager = application.answer("entry_manager")
    recipients = [contact.get("email") or application.contact_email]
    if manager.get("mode") == "other":
        recipients.append(manager.get("email"))
    return [r for r in recipients if r]


def billing_contacts(application: Application) -> list[str]:
    """The 請求に関する担当者's addresses (1 to 5): they handle the 預金口座振替依頼書."""
    return [e for e in application.answer("entry_billing").get("emails") or [] if e]


def create_provisional_account(ctx: ActionContext, props: dict, data: dict) -> dict:
    app = ctx.application
    contact = app.answer("signup_contact")
    app.company_name = contact.get("company_name", "")
    app.contact_name = f"{contact.get('last_name', '')} {contact.get('first_name', '')}".strip()
    app.contact_email = contact.get("email", "")
    login_id = new_provisional_login_id()
    password = codes.generate_password(8)
    db.session.add(
        ProvisionalAccount(
            application=app, login_id=login_id, password_hash=hash_password(password)
        )
    )
    expires = now_jst() + timedelta(hours=PROVISIONAL_HOURS)
    ctx.mail(
        "signup_done",
        [app.contact_email],
        login_id=login_id,
        password=password,
        expires_at=expires,
        contact=contact,
    )
    return {"provisional_login_id": login_id, "provisional_expires_at": expires.isoformat()}


def register_application(ctx: ActionContext, props: dict, data: dict) -> dict:
    app = ctx.application
    resubmission = app.reference_no is not None
    if not resubmission:
        year = now_jst().year
        app.reference_no = codes.reference_number(year, next_serial(f"reference:{year % 100:02d}"))
    app.submitted_at = now()
    wished = app.answer("entry_start_date").get("wished_start_date")
    app.wished_start_date = date.fromisoformat(wished) if wished else None
    contact = app.answer("entry_contact")
    app.company_name = app.answer("entry_office").get("company_name") or app.company_name
    app.contact_name = f"{contact.get('last_name', '')} {contact.get('first_name', '')}".strip()
    app.contact_email = contact.get("email") or app.contact_email
    # Input kept with 一時保存/「戻る」 on earlier screens is superseded by what was registered.
    drafts.change_in_place(app, lambda _: {})
    ctx.mail("received", contacts(app), resubmission=resubmission)
    billing = app.answer("entry_billing")
    if billing.get("payment") == "debit" and billing.get("same_account") == "no":
        ctx.mail("direct_debit", [*contacts(app), *billing_contacts(app)])
    return {"reference_no": app.reference_no}


def expire_provisional_account(ctx: ActionContext, props: dict, data: dict) -> None:
    _disable_login(ctx.application, "expired")


def disable_provisional_login(ctx: ActionContext, props: dict, data: dict) -> None:
    _disable_login(ctx.application, "start_of_use")


# Built once (bound parameters): the ORM's UPDATE with synchronize_session cost ten times the
# statement itself.
_ACCOUNTS = ProvisionalAccount.__table__
_DISABLE_LOGIN = (
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.application_id == bindparam("key"), _ACCOUNTS.c.disabled_at.is_(None))
    .values(disabled_at=bindparam("at"), disabled_reason=bindparam("reason"))
)


def _disable_login(app: Application, reason: str) -> None:
    # One UPDATE instead of reading the account first; a login disabled earlier keeps its
    # reason. A copy of the row already in the session reads the new values when next used.
    update_in_core(
        ProvisionalAccount,
        _DISABLE_LOGIN,
        {"key": app.id, "at": now(), "reason": reason},
        ["disabled_at", "disabled_reason"],
        {"application_id": app.id},
    )


def issue_ids(ctx: ActionContext, props: dict, data: dict) -> dict:
    """Issue 事業所コード, passwords and 利用者ID, and fix every date the timers need."""
    app = ctx.application
    start = date.fromisoformat(
        data.get("confirmed_start_date") or app.wished_start_date.isoformat()
    )
    entry = schedule_entry(start)
    overrides = calendar_overrides()
    setup_deadline = (
        entry.setup_deadline if entry else entry_for_start(start, overrides).setup_deadline
    )
    dates = timer_dates(start, setup_deadline, overrides)
    app.confirmed_start_date = start
    app.setup_deadline = setup_deadline
    app.password_visible_until = date.fromisoformat(
        dates["password_window_end_at"][:10]
    ) - timedelta(days=1)
    if not app.credentials:
        _issue_credentials(app, code_pool.company_abbrev_for(app))
    return {**dates, "office_code": app.office_code, "confirmed_start_date": start.isoformat()}


def _issue_credentials(app: Application, abbrev: str) -> None:
    problem = code_pool.capacity_problem(app)
    if problem:
        # The review page refuses before this; a race with another approval ends here.
        raise ServiceError(problem, 409)
    taken_offices = code_pool.taken_office_codes(abbrev)
    number = next(
        n
        for n in range(1, codes.OFFICE_NUMBERS_PER_COMPANY + 1)
        if codes.office_code(abbrev, n) not in taken_offices
    )
    app.office_code = codes.office_code(abbrev, number)
    office_password = codes.generate_password(8)
    app.credentials.append(
        IssuedCredential(
            kind="office",
            office_code=app.office_code,
            password_encrypted=encrypt(office_password),
            login_hash=hash_password(office_password),
        )
    )
    rows = app.answer("entry_user_codes").get("rows") or []
    code_numbers = sorted({int(r.get("code_no") or 1) for r in rows})
    free = codes.free_user_codes(abbrev, code_pool.taken_user_codes(abbrev), len(code_numbers))
    for code_no, user_code in zip(code_numbers, free, strict=True):
        ident = 0
        for row in (r for r in rows if int(r.get("code_no") or 1) == code_no):
            for _ in range(max(1, int(row.get("identifier_count") or 1))):
                app.credentials.append(
                    IssuedCredential(
                        kind="user",
                        office_code=app.office_code,
                        user_code=user_code,
                        identifier=codes.identifier(ident),
                        system_kind=row.get("system_kind"),
                        industries="・".join(row.get("industries") or []),
                        password_encrypted=encrypt(codes.generate_password(8)),
                    )
                )
                ident += 1


def close_password_window(ctx: ActionContext, props: dict, data: dict) -> None:
    for credential in ctx.application.credentials:
        credential.password_encrypted = None


def cancel_application(ctx: ActionContext, props: dict, data: dict) -> None:
    ctx.mail("cancelled", contacts(ctx.application))


def file_system_setup(ctx: ActionContext, props: dict, data: dict) -> None:
    ctx.mail("setup_filed", contacts(ctx.application))


def start_use(ctx: ActionContext, props: dict, data: dict) -> None:
    """The new office joins the registry, so it can be an owning office itself later."""
    app = ctx.application
    office = app.answer("entry_office")
    if app.office_code and db.session.get(Office, app.office_code) is None:
        db.session.add(
            Office(
                code=app.office_code,
                company_name=office.get("company_name", ""),
                company_kana=office.get("company_kana", ""),
                office_name=office.get("office_name", ""),
                postal_code=office.get("postal_code", ""),
                prefecture=office.get("prefecture", ""),
                city=office.get("city", ""),
                street=office.get("street", ""),
                customs=office.get("customs", ""),
            )
        )


def escalate_setup(ctx: ActionContext, props: dict, data: dict) -> None:
    """設定作業 still open on the day before the start date: tell supervisors, mark the queue."""
    app = ctx.application
    app.setup_escalated_at = now()
    supervisors = db.session.scalars(
        select(StaffUser.email).where(
            StaffUser.active.is_(True), StaffUser.roles.like("%supervisor%"), StaffUser.email != ""
        )
    ).all()
    if supervisors:
        ctx.mail("setup_escalation", list(supervisors))


def schedule_reviewer_digest(ctx: ActionContext | None, props: dict, data: dict) -> dict:
    """Housekeeping (reviewer_digest.bpmn): the next business day at camunda:property time."""
    from app.services.digest import next_digest_at

    return {"next_digest_at": next_digest_at(props.get("time") or "09:00").isoformat()}


def send_reviewer_digest(ctx: ActionContext | None, props: dict, data: dict) -> dict:
    """Housekeeping: one mail per reviewer with new and overdue reviews (business days)."""
    from app.services.digest import send_digest

    return send_digest(data.get("last_digest_at"))


def send_mail(ctx: ActionContext, props: dict, data: dict) -> None:
    template = props.get("template")
    if template not in mailer.SUBJECTS:
        raise ValueError(f"unknown mail template {template!r}")
    ctx.mail(template, contacts(ctx.application), data=data)


HANDLERS: dict[str, Callable[[ActionContext, dict, dict], dict | None]] = {
    "create_provisional_account": create_provisional_account,
    "register_application": register_application,
    "expire_provisional_account": expire_provisional_account,
    "disable_provisional_login": disable_provisional_login,
    "issue_ids": issue_ids,
    "close_password_window": close_password_window,
    "cancel_application": cancel_application,
    "file_system_setup": file_system_setup,
    "start_use": start_use,
    "escalate_setup": escalate_setup,
    "schedule_reviewer_digest": schedule_reviewer_digest,
    "send_reviewer_digest": send_reviewer_digest,
    "send_mail": send_mail,
}

# Setup and start of use run in parallel: a late 設定作業 must not take an application in use
# back to an earlier status.
NO_REGRESSION = {"in_use": frozenset({"issued", "setup_filed", "setup_done"})}


def dispatch(ctx: ActionContext, topic: str, props: dict, data: dict) -> dict | None:
    handler = HANDLERS.get(topic)
    if handler is None:
        raise ValueError(f"no handler for service topic {topic!r}")
    result = handler(ctx, props, data)
    status = props.get("status") or TOPIC_STATUS.get(topic)
    if status in NO_REGRESSION.get(ctx.application.status, ()):
        status = None
    if status:
        write_status(ctx.application, status)
    ctx.audit(ctx.application.id, "system", "service_task", topic=topic, status=status)
    if status in code_pool.ENDED_WITHOUT_USE:
        released = code_pool.release_unused_codes(ctx.application)
        if released:
            ctx.audit(ctx.application.id, "system", "user_codes_released", count=released)
    return result
