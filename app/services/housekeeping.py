"""Housekeeping processes: diagrams that belong to no application, run by the timer worker.

Each process in PROCESSES has exactly one running instance (table housekeeping_instance) on
the latest deployed version; when it ends, the next one starts in the same transaction. Its
service tasks call the same handlers as the application diagrams (services.actions).
"""

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.clock import now
from app.engine import runtime, store
from app.engine.serializer import workflow_state_to_json
from app.engine.timers import next_timer_at
from app.extensions import db
from app.models import HousekeepingInstance, ProcessVersion

# process id -> the topics its service tasks may use
PROCESSES = {"reviewer_digest": ("schedule_reviewer_digest", "send_reviewer_digest")}

_specs: dict[tuple[int, str], str] = {}


def _spec(version: ProcessVersion, process_id: str) -> str:
    key = (version.id, process_id)
    if key not in _specs:
        _specs[key] = runtime.parse_bundle(version.files, process_id).spec_json
    return _specs[key]


def _defines(version: ProcessVersion, process_id: str) -> bool:
    return any(f'id="{process_id}"' in xml for xml in version.files.values())


def run_due() -> int:
    """Advance every housekeeping process that is due (or not yet started); one transaction
    each. A failure is logged and rolled back; the applications' work is never held up."""
    advanced = 0
    for process_id in PROCESSES:
        try:
            moved = _advance(process_id)
            db.session.commit()
            advanced += moved
        except (StaleDataError, IntegrityError, OperationalError):
            db.session.rollback()  # another worker advanced it at the same moment
        except Exception as exc:
            db.session.rollback()
            record_failure(process_id, exc)
        else:
            if moved and process_id in open_failures():
                _audit(process_id, "housekeeping_recovered")
    return advanced


FAILURE_ACTIONS = ("housekeeping_failed", "housekeeping_recovered")


def _audit(process_id: str, action: str, **detail) -> None:
    from app.models import AuditEvent

    try:
        db.session.add(
            AuditEvent(
                application_id=None,
                actor="system:worker",
                action=action,
                detail={"process": process_id, **detail},
            )
        )
        db.session.commit()
    except Exception:  # the database itself is failing: the log is all there is
        db.session.rollback()


def open_failures(limit: int = 50) -> dict[str, dict]:
    """Housekeeping processes whose latest record is a failure: process id -> its detail."""
    from app.models import AuditEvent

    latest: dict[str, dict] = {}
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.application_id.is_(None), AuditEvent.action.in_(FAILURE_ACTIONS))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    for event in events:
        process = (event.detail or {}).get("process")
        if process and process not in latest:
            failed = event.action == "housekeeping_failed"
            latest[process] = {**event.detail, "at": event.at} if failed else {}
    return {process: detail for process, detail in latest.items() if detail}


def record_failure(process_id: str, exc: Exception) -> None:
    """A failing housekeeping process (e.g. a digest `time` that is not a time) is logged with
    its stack and recorded in the audit trail once per distinct error, not on every pass; the
    next passes retry it quietly until it runs again (housekeeping_recovered) or fails otherwise.
    Staff see it at the top of the incidents page (open_failures)."""
    from app.services.incidents import _describe, where_failed

    error_class, message = _describe(exc)
    recorded = open_failures().get(process_id) or {}
    if (recorded.get("error_class"), recorded.get("error_message")) == (error_class, message):
        current_app.logger.debug("housekeeping process %s still failing: %s", process_id, message)
        return
    current_app.logger.error(
        "housekeeping process %s failed", process_id, exc_info=(type(exc), exc, exc.__traceback__)
    )
    element_id, element_name = where_failed(exc)
    _audit(
        process_id,
        "housekeeping_failed",
        element_id=element_id,
        element_name=element_name,
        error_class=error_class,
        error_message=message,
    )


def _advance(process_id: str) -> int:
    current = now()
    waiting = db.session.execute(
        select(HousekeepingInstance.state.is_not(None), HousekeepingInstance.next_timer_at).where(
            HousekeepingInstance.process_id == process_id
        )
    ).first()
    if waiting is not None and waiting[0] and waiting[1] is not None and waiting[1] > current:
        return 0  # the common case: one indexed read per pass, no lock
    row = db.session.scalar(
        select(HousekeepingInstance)
        .where(HousekeepingInstance.process_id == process_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        row = HousekeepingInstance(process_id=process_id)
        db.session.add(row)
        db.session.flush()  # two workers creating it: the second fails here (IntegrityError)
    elif row.state and row.next_timer_at is not None and row.next_timer_at > current:
        return 0  # another worker advanced it while we waited for the lock

    def services(topic: str, properties: dict, data: dict) -> dict | None:
        from app.services.actions import HANDLERS

        if topic not in PROCESSES[process_id]:
            raise ValueError(f"topic {topic!r} is not a housekeeping topic of {process_id}")
        result = HANDLERS[topic](None, properties, data)
        if topic.startswith("send_"):
            row.last_run_at = now()
            row.runs = (row.runs or 0) + 1
        return result

    workflow = None
    if row.state and row.version_id is not None:
        # A running instance finishes on its own version, like an application.
        old = db.session.get(ProcessVersion, row.version_id)
        workflow = runtime.load_workflow(row.state, _spec(old, process_id), services)
        runtime.fire_due_timers(workflow)
    if workflow is None or workflow.completed:
        version = store.latest_version(current_app.config["MAIN_PROCESS_ID"])
        if version is None or not _defines(version, process_id):
            # Not deployed (any more): nothing runs until a version has the diagram again.
            row.state, row.next_timer_at = None, None
            return 0
        since = row.last_run_at.isoformat() if row.last_run_at else None
        workflow = runtime.start_workflow(
            _spec(version, process_id), {"last_digest_at": since}, services
        )
        row.version_id = version.id
    row.state = workflow_state_to_json(workflow)
    row.next_timer_at = next_timer_at(workflow)
    return 1
