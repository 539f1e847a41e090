"""Incidents: record a failed step of one application, back off, retry, resolve (audited)."""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select

from app import mailer
from app.clock import now
from app.extensions import db
from app.models import Application, Incident, OutboundMail, ProcessInstance
from app.services import Actor, ServiceError

OPERATIONS_ROLES = ("supervisor", "administrator")
# Automatic retries by the worker, 1, 2, 4 ... minutes apart (at most an hour); after that only
# staff retry ("今すぐ再試行"). Settings: INCIDENT_RETRY_BASE_SECONDS, INCIDENT_RETRY_MAX_SECONDS,
# INCIDENT_AUTO_RETRIES.
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 3600
AUTO_RETRIES = 5
# Mails in "retry" this long are listed with the failed ones.
STALE_RETRY = timedelta(hours=1)


class IncidentRaised(ServiceError):
    """The step failed and was recorded as an incident; the user reads the message."""

    def __init__(self, incident_id: int | None):
        number = f"（障害番号 {incident_id}）" if incident_id else ""
        super().__init__(
            f"システムで処理できませんでした{number}。NACCSセンターに記録されました。"
            "お手数ですが、時間をおいて再度お試しください。",
            500,
        )
        self.incident_id = incident_id


def may_operate(actor: Actor) -> bool:
    return actor.kind == "staff" and any(actor.has_role(r) for r in OPERATIONS_ROLES)


def _require(actor: Actor) -> None:
    if actor.kind != "staff":
        raise ServiceError("ログインしてください。", 401)
    if not may_operate(actor):
        raise ServiceError("この操作は審査責任者または管理者のみ行えます。", 403)


def backoff(attempts: int) -> timedelta | None:
    """Delay before the worker tries again after `attempts` failures; None: staff only."""
    config = current_app.config
    if attempts >= config.get("INCIDENT_AUTO_RETRIES", AUTO_RETRIES):
        return None
    base = config.get("INCIDENT_RETRY_BASE_SECONDS", RETRY_BASE_SECONDS)
    cap = config.get("INCIDENT_RETRY_MAX_SECONDS", RETRY_MAX_SECONDS)
    return timedelta(seconds=min(base * 2 ** (attempts - 1), cap))


def where_failed(exc: BaseException) -> tuple[str | None, str | None]:
    """The BPMN element a failure happened in, when the engine says (its task on the error)."""
    for error in (exc, exc.__cause__, exc.__context__):
        spec = getattr(getattr(error, "task", None), "task_spec", None)
        if spec is not None:
            return getattr(spec, "bpmn_id", None) or spec.name, getattr(spec, "bpmn_name", None)
    return None, None


def _describe(exc: BaseException) -> tuple[str, str]:
    """The original error (the engine wraps a handler's error in its own); its message."""
    cause = exc.__cause__ or getattr(exc, "exception", None)
    error = cause if isinstance(cause, BaseException) else exc
    message = str(error) or type(error).__name__
    if error is not exc and message not in str(exc):
        message = f"{exc}: {message}"  # e.g. the expression the engine was evaluating
    return type(error).__name__[:200], message[:4000]


def record_failure(application_id: int, exc: BaseException, source: str) -> Incident | None:
    """Add one failed attempt to the application's open incident (or open one); the caller
    commits. The stack trace goes to the log only."""
    application = db.session.get(Application, application_id)
    if application is None:
        return None
    instance_id = db.session.scalar(
        select(ProcessInstance.id).where(ProcessInstance.application_id == application_id)
    )
    incident = db.session.scalar(
        select(Incident)
        .where(Incident.application_id == application_id, Incident.status == "open")
        .with_for_update()
    )
    at = now()
    element_id, element_name = where_failed(exc)
    error_class, message = _describe(exc)
    if incident is None:
        incident = Incident(
            application_id=application_id,
            process_instance_id=instance_id,
            source=source,
            first_seen=at,
            attempts=0,
            status="open",
        )
        db.session.add(incident)
    incident.attempts += 1
    incident.last_seen = at
    incident.element_id, incident.element_name = element_id, element_name
    incident.error_class, incident.error_message = error_class, message
    delay = backoff(incident.attempts)
    incident.next_retry_at = at + delay if delay is not None else None
    db.session.flush()
    current_app.logger.error(
        "incident %s: application %s failed at %s (attempt %s, %s)",
        incident.id,
        application_id,
        element_id or "-",
        incident.attempts,
        source,
        exc_info=exc,
    )
    return incident


def blocked_clause(at: datetime):
    """SQL: the application has an open incident the worker must not retry yet."""
    return exists().where(
        Incident.application_id == ProcessInstance.application_id,
        Incident.status == "open",
        or_(Incident.next_retry_at.is_(None), Incident.next_retry_at > at),
    )


def is_blocked(application_id: int) -> bool:
    at = now()
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(Incident)
            .where(
                Incident.application_id == application_id,
                Incident.status == "open",
                or_(Incident.next_retry_at.is_(None), Incident.next_retry_at > at),
            )
        )
    )


def resolve_after_success(application_id: int, actor_label: str) -> None:
    """A later run of the application succeeded: its timer-work incident is over (caller
    commits). Incidents from a user's request stay open for staff: the user's step is not
    redone by other work."""
    from app.services.unit import audit

    for incident in db.session.scalars(
        select(Incident).where(
            Incident.application_id == application_id,
            Incident.status == "open",
            Incident.source != "request",
        )
    ):
        _close(incident, actor_label, "再実行で正常に処理されました。")
        audit(application_id, actor_label, "incident_resolved", incident=incident.id, auto=True)


def _close(incident: Incident, by: str, note: str) -> None:
    incident.status = "resolved"
    incident.resolved_at = now()
    incident.resolved_by = by
    incident.resolution_note = note
    incident.next_retry_at = None


def _open_incident(incident_id: int) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise ServiceError("障害が見つかりません。", 404)
    if incident.status != "open":
        raise ServiceError("この障害はすでに解決済みです。", 409)
    return incident


def retry_now(actor: Actor, incident_id: int) -> bool:
    """Run the application's due work now through services.unit; True when it succeeded (the
    incident is resolved), False when it failed again (one more attempt is recorded)."""
    from app.services.unit import audit, run

    _require(actor)
    incident = _open_incident(incident_id)
    application_id = incident.application_id
    db.session.rollback()
    try:
        run(application_id, actor, lambda unit: None, source="retry")
    except IncidentRaised:
        audit(application_id, actor, "incident_retried", incident=incident_id, ok=False)
        db.session.commit()
        return False
    incident = db.session.get(Incident, incident_id, populate_existing=True)
    if incident.status == "open":  # a request incident: staff retrying it settles it
        _close(incident, actor.label, "今すぐ再試行で正常に処理されました。")
    audit(application_id, actor, "incident_retried", incident=incident_id, ok=True)
    db.session.commit()
    return True


def resolve(actor: Actor, incident_id: int, note: str) -> Incident:
    """Close an incident by hand ("解決済みにする") with the staff member's note."""
    from app.services.unit import audit

    _require(actor)
    if not (note or "").strip():
        raise ServiceError("解決の内容（メモ）を入力してください。", 422)
    incident = _open_incident(incident_id)
    _close(incident, actor.label, note.strip())
    audit(incident.application_id, actor, "incident_resolved", incident=incident.id, note=note)
    db.session.commit()
    return incident


def incident_list(actor: Actor, status: str = "open", limit: int = 200) -> list[dict]:
    _require(actor)
    query = select(Incident, Application.reference_no, Application.company_name).join(
        Application, Application.id == Incident.application_id
    )
    if status in ("open", "resolved"):
        query = query.where(Incident.status == status)
    order = Incident.last_seen.desc() if status != "open" else Incident.first_seen
    rows = db.session.execute(query.order_by(order, Incident.id).limit(limit)).all()
    return [{"incident": i, "reference_no": ref, "company_name": name} for i, ref, name in rows]


def for_application(actor: Actor, application_id: int) -> list[Incident]:
    """An application's incidents, open first then newest (staff page section)."""
    if not may_operate(actor):
        return []
    return list(
        db.session.scalars(
            select(Incident)
            .where(Incident.application_id == application_id)
            .order_by((Incident.status == "open").desc(), Incident.last_seen.desc())
        )
    )


def _stuck_mail_clause(at: datetime):
    return or_(
        OutboundMail.status == "failed",
        and_(OutboundMail.status == "retry", OutboundMail.created_at <= at - STALE_RETRY),
    )


def mail_failures(actor: Actor, limit: int = 200) -> list[dict]:
    _require(actor)
    rows = db.session.execute(
        select(OutboundMail, Application.reference_no)
        .outerjoin(Application, Application.id == OutboundMail.application_id)
        .where(_stuck_mail_clause(now()), mailer.in_rare_status("failed", "retry"))
        .order_by(OutboundMail.created_at, OutboundMail.id)
        .limit(limit)
    ).all()
    return [{"mail": m, "reference_no": ref} for m, ref in rows]


def resend_mail(actor: Actor, mail_id: int) -> OutboundMail:
    """ "再送": the row goes back to pending with a fresh attempt count (the earlier attempts and
    error are kept in the audit event); the worker delivers it on its next pass."""
    from app.services.unit import audit

    _require(actor)
    mail = db.session.get(OutboundMail, mail_id, with_for_update=True)
    if mail is None:
        raise ServiceError("メールが見つかりません。", 404)
    if mail.status not in ("failed", "retry"):
        raise ServiceError(
            "このメールは再送できる状態ではありません（送信済みまたは送信中）。", 409
        )
    audit(
        mail.application_id,
        actor,
        "mail_resent",
        mail=mail.id,
        template=mail.template,
        attempts=mail.attempts,
        error=mail.last_error,
    )
    mail.status, mail.attempts, mail.next_attempt_at, mail.lease_until = "pending", 0, now(), None
    db.session.commit()
    return mail


def counts(actor: Actor) -> dict[str, int]:
    """Open incidents and stuck mails, for the badge on the staff home page."""
    if not may_operate(actor):
        return {}
    at = now()
    open_incidents = db.session.scalar(
        select(func.count()).select_from(Incident).where(Incident.status == "open")
    )
    stuck = db.session.scalar(
        select(func.count())
        .select_from(OutboundMail)
        .where(_stuck_mail_clause(at), mailer.in_rare_status("failed", "retry"))
    )
    failing = len(housekeeping_failures(actor))
    return {"incidents": (open_incidents or 0) + failing, "mails": stuck or 0}


HOUSEKEEPING_LABELS = {"reviewer_digest": "審査担当者への日次通知"}


def housekeeping_failures(actor: Actor) -> list[dict]:
    """Housekeeping processes failing now (recorded once, retried every pass until they run)."""
    from app.services.housekeeping import open_failures

    if not may_operate(actor):
        return []
    return [
        {**detail, "process": process, "label": HOUSEKEEPING_LABELS.get(process, process)}
        for process, detail in sorted(open_failures().items())
    ]
