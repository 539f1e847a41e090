"""One transaction on one application's workflow: lock, fire due timers, act, save, commit, mail."""

import weakref
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime
from typing import TypeVar

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import exists, insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app import clock, mailer
from app.domain.calendar import next_business_day
from app.domain.schedule import JST, end_of_day
from app.domain.status import SUSPENDED
from app.engine import runtime, store
from app.extensions import db
from app.models import Application, AuditEvent, Incident, ProcessInstance
from app.services import SYSTEM, Actor, ServiceError
from app.services.actions import ActionContext, dispatch
from app.services.reference import calendar_overrides
from app.services.status_write import write_status

T = TypeVar("T")

# Whether the locked application has an open incident (folded into the locking query).
_OPEN_INCIDENT = (
    exists()
    .where(Incident.application_id == ProcessInstance.application_id, Incident.status == "open")
    .correlate(ProcessInstance)
)

# Lanes whose tasks are NACCS Center work, answered by the next business day.
STAFF_LANES = {"reviewer", "operator"}


# db.session.info key: the audit rows of the running unit, written by its save in one INSERT.
_AUDIT_ROWS = "unit_audit_rows"
_INSERT_AUDIT = insert(AuditEvent.__table__)


def audit(application_id: int | None, actor: Actor | str, action: str, **detail) -> None:
    label = actor if isinstance(actor, str) else actor.label
    rows = db.session.info.get(_AUDIT_ROWS)
    if rows is not None:  # inside a unit, before its save: a row for save's Core INSERT
        rows.append(
            {"application_id": application_id, "at": clock.now(), "actor": label, "action": action}
            | {"detail": detail}
        )
        return
    db.session.add(
        AuditEvent(application_id=application_id, actor=label, action=action, detail=detail)
    )


def _write_audit_rows() -> None:
    """The unit's audit rows in one Core INSERT (no ORM objects: nothing reads them back);
    audits after the save (resolving an incident) go through the session again."""
    rows = db.session.info.pop(_AUDIT_ROWS, None)
    if rows:
        db.session.connection().execute(_INSERT_AUDIT, rows)


def due_for(created: datetime) -> Callable[[runtime.ReadyTask], datetime | None]:
    overrides = None

    def compute(task: runtime.ReadyTask) -> datetime | None:
        nonlocal overrides
        if task.lane not in STAFF_LANES:
            return None
        if overrides is None:
            overrides = calendar_overrides()
        answer_day = next_business_day(created.astimezone(JST).date(), overrides)
        return end_of_day(answer_day)

    return compute


class Unit:
    """The state one operation works on; handed to the operation callback."""

    def __init__(self, application: Application, instance: ProcessInstance, actor: Actor):
        self.application = application
        self.instance = instance
        self.actor = actor
        self.context = ActionContext(application=application, audit=audit)
        self.workflow: BpmnWorkflow | None = None
        self.fired: list[str] = []
        # Task ids of the instance's "ready" inbox rows (store.inbox_task_ids at load; None:
        # unknown, the save reads them). An operation that changes inbox rows itself sets None.
        self.inbox: set[str] | None = None
        self.ready: list[runtime.ReadyTask] = []  # the READY user tasks after the save

    @property
    def services(self) -> runtime.ServiceHandler:
        """The workflow's way to this unit's actions (dispatch), holding the unit weakly: a
        restored workflow is cyclic garbage that lives until the collector runs, and must not
        keep the unit's rows alive with it (a timer worker's session would keep every
        application it fired, and each commit expires all of them)."""
        unit = weakref.ref(self)

        def handle(topic: str, properties: dict, data: dict) -> dict | None:
            return dispatch(unit().context, topic, properties, data)

        return handle


def run(
    application_id: int,
    actor: Actor,
    operation: Callable[[Unit], T],
    while_suspended: bool = False,
    *,
    source: str | None = None,
    skip_blocked: bool = False,
) -> T:
    """Run `operation` on the locked, timer-refreshed workflow of one application.
    A suspended instance refuses it (timers wait) unless `while_suspended` (administration).

    Any unexpected error rolls back this application's work and is recorded as an incident
    (services.incidents: `source` worker/request/retry, guessed from the actor when None), then
    raised as IncidentRaised, a ServiceError with a Japanese message. `skip_blocked` (the
    worker) leaves an application alone while its open incident waits for its next retry."""
    try:
        result, mail_ids = _run(application_id, actor, operation, while_suspended, skip_blocked)
    except (StaleDataError, OperationalError) as exc:
        db.session.rollback()
        raise ServiceError(
            "他の操作と同時に更新されたため、処理できませんでした。もう一度お試しください。", 409
        ) from exc
    except ServiceError:
        db.session.rollback()
        raise
    except Exception as exc:
        raise _incident(application_id, actor, exc, source) from exc
    mailer.deliver_pending(mail_ids)
    return result


class Skipped(ServiceError):
    """The worker found the application blocked by an open incident (not retried yet)."""


class Suspended(ServiceError):
    """The application is suspended: the screen keeps what was posted (see web.task_pages)."""


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _incident(application_id: int, actor: Actor, exc: Exception, source: str | None):
    """Record the failure in its own commit. A worker's unit on PostgreSQL was rolled back to
    its savepoint with the row lock still held: the other workers, which skip locked rows,
    cannot take the application and fail on it meanwhile (one failure, one attempt). Other
    units roll the whole transaction back and lock the row again to record it."""
    from flask import current_app

    from app.services import incidents

    relock = not getattr(exc, "_rolled_back_to_savepoint", False)
    if relock:
        db.session.rollback()
    kind = source or ("worker" if actor.kind == "system" else "request")
    try:
        if relock:
            store.lock_instance_of(application_id)
        incident = incidents.record_failure(application_id, exc, kind)
        db.session.commit()
        incident_id = incident.id if incident is not None else None
    except Exception:  # the database itself is failing: the log is all there is
        db.session.rollback()
        current_app.logger.exception("application %s failed; no incident recorded", application_id)
        incident_id = None
    return incidents.IncidentRaised(incident_id)


def _run(
    application_id: int,
    actor: Actor,
    operation,
    while_suspended: bool = False,
    skip_blocked: bool = False,
):
    from app.services import incidents

    # One statement: the instance locked and read with its application and version, and
    # whether the application has any open incident (the incident queries run only then).
    # The worker skips a row another worker (or a request) holds: several workers share the
    # due applications instead of queueing on one row (FOR UPDATE SKIP LOCKED on PostgreSQL).
    instance, open_incident = store.lock_instance_of(
        application_id, skip_locked=skip_blocked, flag=_OPEN_INCIDENT
    )
    if instance is None and skip_blocked:  # the worker's ids are of existing applications
        raise Skipped("他の処理が実行中です。", 409)
    if instance is None:
        raise ServiceError("申込が見つかりません。", 404)
    if skip_blocked and open_incident and incidents.is_blocked(application_id):
        raise Skipped("障害の再試行待ちです。", 409)
    # Workers only: requests skip the two statements (see _incident).
    savepoint = skip_blocked and _postgresql()
    refusal = None
    db.session.info[_AUDIT_ROWS] = []  # until the save writes them (rolled back: never)
    try:
        with db.session.begin_nested() if savepoint else nullcontext():
            unit = Unit(instance.application, instance, actor)
            unit.workflow = store.load(instance, unit.services)
            unit.inbox = store.inbox_task_ids(unit.workflow)
            suspended = instance.suspended_at is not None
            if suspended and not while_suspended:
                raise Suspended(SUSPENDED, 409)
            # Deadlines first: a timer that is due must win over a late submission. Whether
            # one is due is in the row (next_timer_at, written on every save; the worker goes
            # by it too): an instance with none due is not asked.
            if not suspended and _timer_due(instance):
                fire_and_audit(unit)
            try:
                result = operation(unit)
            except ServiceError as exc:
                # Operations refuse before changing anything; the timers that fired still count.
                refusal, result = exc, None
            save(unit)
            if open_incident:
                incidents.resolve_after_success(application_id, actor.label)
    except (StaleDataError, OperationalError, ServiceError):
        raise
    except Exception as exc:
        exc._rolled_back_to_savepoint = savepoint
        raise
    finally:
        db.session.info.pop(_AUDIT_ROWS, None)
    db.session.commit()
    if refusal is not None:
        mailer.deliver_pending(unit.context.mail_ids)
        raise refusal
    return result, unit.context.mail_ids


def _timer_due(instance: ProcessInstance) -> bool:
    from app.clock import now

    return instance.next_timer_at is not None and instance.next_timer_at <= now()


def fire_and_audit(unit: Unit) -> list[str]:
    fired = runtime.fire_due_timers(unit.workflow)
    unit.fired.extend(fired)
    for name in fired:
        audit(unit.application.id, "timer", "timer_fired", timer=name)
    return fired


def save(unit: Unit) -> list[runtime.ReadyTask]:
    from app.clock import now

    ended = runtime.end_status(unit.workflow)
    if ended:
        write_status(unit.application, ended)
    known = unit.inbox
    unit.ready = store.save(unit.instance, unit.workflow, unit.actor.label, due_for(now()), known)
    unit.inbox = {task.task_id for task in unit.ready}
    _write_audit_rows()
    return unit.ready


def start_instance(application: Application, data: dict, actor: Actor = SYSTEM) -> Unit:
    """Create the instance of a new application on the latest version (caller commits)."""
    from flask import current_app

    version = store.latest_version(current_app.config["MAIN_PROCESS_ID"])
    if version is None:
        raise ServiceError("業務フローが配備されていません。管理者に連絡してください。", 503)
    instance = ProcessInstance(application=application, version=version, state="{}")
    db.session.add(instance)
    db.session.flush()
    unit = Unit(application, instance, actor)
    unit.inbox = set()  # a new instance has no inbox rows yet
    unit.workflow = runtime.start_workflow(
        None, {"application_id": application.id, **data}, unit.services, store.specs(version)
    )
    save(unit)
    return unit
