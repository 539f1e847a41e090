"""Persistence of versions and instances, and the inbox kept in sync on every save.

Never commits: the calling service owns the transaction.
"""

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import bindparam, insert, inspect, literal, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.clock import now
from app.engine import positions, runtime
from app.engine.serializer import pack_state
from app.engine.timers import next_timer_at
from app.extensions import db
from app.models import HumanTask, ProcessInstance, ProcessVersion

DueFor = Callable[[runtime.ReadyTask], datetime | None]


def deploy(files: dict[str, str], process_id: str, deployed_by: str) -> tuple[ProcessVersion, bool]:
    """Store the bundle as a version unless the same content is already deployed."""
    digest = runtime.content_hash(files)
    existing = db.session.scalar(
        select(ProcessVersion).where(ProcessVersion.content_hash == digest)
    )
    if existing is not None:
        return existing, False
    bundle = runtime.parse_bundle(files, process_id)
    version = ProcessVersion(
        process_id=process_id,
        content_hash=digest,
        files=dict(files),
        spec_json=bundle.spec_json,
        deployed_by=deployed_by,
    )
    db.session.add(version)
    db.session.flush()
    return version, True


def latest_version(process_id: str) -> ProcessVersion | None:
    return db.session.scalar(
        select(ProcessVersion)
        .where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.id.desc())
        .limit(1)
    )


@lru_cache(maxsize=16)
def _lock_query(by_application: bool, skip_locked: bool, flag):
    # One statement: the instance row locked and read fresh, with its application and its
    # version's small columns (the BPMN files and spec JSON are deferred), and `flag` (a SQL
    # expression the caller wants to know about) when given. Only the instance row is locked.
    # Built once per process (bound parameters): building it cost more CPU than running it.
    key = ProcessInstance.application_id if by_application else ProcessInstance.id
    return (
        select(ProcessInstance, flag if flag is not None else literal(False))
        .options(
            joinedload(ProcessInstance.version, innerjoin=True),
            joinedload(ProcessInstance.application, innerjoin=True),
        )
        .where(key == bindparam("key"))
        .with_for_update(of=ProcessInstance, skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )


def _locked(by_application: bool, key: int, skip_locked: bool = False, flag=None):
    query = _lock_query(by_application, skip_locked, flag)
    row = db.session.execute(query, {"key": key}).one_or_none()
    return (row[0], bool(row[1])) if row is not None else (None, False)


def lock_instance(instance_id: int) -> ProcessInstance | None:
    """Row lock on PostgreSQL; the version column protects SQLite, which has no FOR UPDATE."""
    return _locked(False, instance_id)[0]


def lock_instance_of(
    application_id: int, skip_locked: bool = False, flag=None
) -> tuple[ProcessInstance | None, bool]:
    """The application's instance, locked and read once with its application (see _locked),
    and the value of `flag`. `skip_locked` (timer workers): None at once when another
    transaction holds the row (SKIP LOCKED)."""
    return _locked(True, application_id, skip_locked, flag)


def specs(version: ProcessVersion) -> tuple:
    """The version's deserialized specs, cached per content hash; spec_json is read only on a miss."""
    return runtime.version_specs(version.content_hash, lambda: version.spec_json)


def load(instance: ProcessInstance, services: runtime.ServiceHandler) -> BpmnWorkflow:
    """Restore the instance state against its version's cached specs."""
    version = instance.version
    return runtime.restore_workflow(
        instance.state, version.content_hash, lambda: version.spec_json, services
    )


def inbox_task_ids(workflow: BpmnWorkflow) -> set[str]:
    """The READY user tasks of a workflow just restored: after every save these are exactly
    the instance's "ready" inbox rows, so a later save can sync the inbox without reading it."""
    return runtime.ready_task_ids(workflow)


def save(
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    actor: str,
    due_for: DueFor,
    known: set[str] | None = None,
) -> list[runtime.ReadyTask]:
    """Write state, status, next timer and the inbox rows for this instance. `known`: the task
    ids of its "ready" rows (inbox_task_ids at load), or None to read them."""
    standing = workflow.get_tasks(state=positions.STANDING)  # one walk: inbox and positions
    values = {"state": pack_state(workflow)}
    changing = {
        "positions": positions.encode(positions.of_tasks(standing)),
        "status": runtime.workflow_status(workflow),
        "next_timer_at": next_timer_at(workflow),
    }
    # As the ORM did: the columns that changed (positions in the same UPDATE, only then).
    values.update((k, v) for k, v in changing.items() if v != getattr(instance, k))
    values["updated_at"] = now()
    _write(instance, values)
    ready = runtime.ready_of(standing)
    sync_inbox(instance, workflow, ready, actor, due_for, known)
    return ready


@lru_cache(maxsize=16)
def _update_instance(columns: tuple[str, ...]):
    # Built once per set of columns (bound parameters), like the lock query.
    table = ProcessInstance.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("key"), table.c.lock_version == bindparam("seen"))
        .values({name: bindparam(f"new_{name}") for name in (*columns, "lock_version")})
    )


def _write(instance: ProcessInstance, values: dict) -> None:
    """One Core UPDATE of the locked row, compare-and-set on lock_version as the ORM's version
    counter does, and the values kept on the object as written (no flush, no reload). An
    instance not yet in the database, or with other changes pending, goes through the ORM."""
    state = inspect(instance)
    if not state.persistent or state.modified:
        for name, value in values.items():
            setattr(instance, name, value)
        return
    seen = instance.lock_version
    written = {**values, "lock_version": seen + 1}
    parameters = {f"new_{name}": value for name, value in written.items()}
    result = db.session.connection().execute(
        _update_instance(tuple(values)), {**parameters, "key": instance.id, "seen": seen}
    )
    if result.rowcount != 1:
        raise StaleDataError(f"process_instance {instance.id} was changed by another writer")
    for name, value in written.items():
        set_committed_value(instance, name, value)


# The inbox statements, built once (building them cost more CPU than running them).
_TABLE = HumanTask.__table__
_CLOSE_ROWS = (
    update(_TABLE)
    .where(
        _TABLE.c.instance_id == bindparam("key"),
        _TABLE.c.task_id.in_(bindparam("ids", expanding=True)),
        _TABLE.c.state == "ready",
    )
    .values(state=bindparam("new"), completed_at=bindparam("at"), completed_by=bindparam("by"))
)
_INSERT_ROWS = insert(_TABLE)


def sync_inbox(
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    ready: list[runtime.ReadyTask],
    actor: str,
    due_for: DueFor,
    known: set[str] | None = None,
) -> None:
    """By difference: rows of tasks no longer READY are closed (completed or cancelled), rows
    for newly READY tasks inserted; nothing is written when the READY tasks did not change."""
    if known is None:
        known = set(
            db.session.scalars(
                select(HumanTask.task_id).where(
                    HumanTask.instance_id == instance.id, HumanTask.state == "ready"
                )
            )
        )
    # Core statements on the table (no ORM objects for rows this request does not show):
    # the closed rows' copies already in the session are expired below.
    ready_ids = {task.task_id for task in ready}
    gone = known - ready_ids
    done = {task_id for task_id in gone if runtime.task_completed(workflow, task_id)}
    at = now()
    connection = db.session.connection()
    for state, ids, by in (("completed", done, actor), ("cancelled", gone - done, None)):
        if ids:
            connection.execute(
                _CLOSE_ROWS,
                {"key": instance.id, "ids": sorted(ids), "new": state, "at": at, "by": by},
            )
    if gone:
        for row in list(db.session.identity_map.values()):
            if isinstance(row, HumanTask) and row.task_id in gone:
                db.session.expire(row, ["state", "completed_at", "completed_by"])
    new = [
        {
            "instance_id": instance.id,
            "application_id": instance.application_id,
            "task_id": task.task_id,
            "bpmn_id": task.bpmn_id,
            "process_id": task.process_id,
            "title": task.title,
            "form_key": task.form_key,
            "lane": task.lane,
            "due_at": due_for(task),
        }
        for task in ready
        if task.task_id not in known
    ]
    if new:
        connection.execute(_INSERT_ROWS, new)
    db.session.flush()
