"""Persistence of versions and instances, and the inbox kept in sync on every save.

Never commits: the calling service owns the transaction.
"""

from collections.abc import Callable
from datetime import datetime

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.clock import now
from app.engine import runtime
from app.engine.serializer import workflow_state_to_json
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


def _locked(condition, skip_locked: bool = False) -> ProcessInstance | None:
    # One statement: the instance row locked and read fresh, with its version's small columns
    # (the BPMN files and spec JSON are deferred). Only the instance row is locked.
    return db.session.scalar(
        select(ProcessInstance)
        .options(joinedload(ProcessInstance.version, innerjoin=True))
        .where(condition)
        .with_for_update(of=ProcessInstance, skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )


def lock_instance(instance_id: int) -> ProcessInstance | None:
    """Row lock on PostgreSQL; the version column protects SQLite, which has no FOR UPDATE."""
    return _locked(ProcessInstance.id == instance_id)


def lock_instance_of(application_id: int, skip_locked: bool = False) -> ProcessInstance | None:
    """The application's instance, locked and read once (see lock_instance). `skip_locked`
    (timer workers): None at once when another transaction holds the row (SKIP LOCKED)."""
    return _locked(ProcessInstance.application_id == application_id, skip_locked)


def specs(version: ProcessVersion) -> tuple:
    """The version's deserialized specs, cached per content hash; spec_json is read only on a miss."""
    return runtime.version_specs(version.content_hash, lambda: version.spec_json)


def load(instance: ProcessInstance, services: runtime.ServiceHandler) -> BpmnWorkflow:
    """Restore the instance state against its version's cached specs."""
    version = instance.version
    return runtime.restore_workflow(
        instance.state, version.content_hash, lambda: version.spec_json, services
    )


def save(
    instance: ProcessInstance, workflow: BpmnWorkflow, actor: str, due_for: DueFor
) -> list[runtime.ReadyTask]:
    """Write state, status, next timer and the inbox rows for this instance."""
    instance.state = workflow_state_to_json(workflow)
    instance.status = runtime.workflow_status(workflow)
    instance.next_timer_at = next_timer_at(workflow)
    instance.updated_at = now()
    ready = runtime.ready_tasks(workflow)
    sync_inbox(instance, workflow, ready, actor, due_for)
    return ready


def sync_inbox(
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    ready: list[runtime.ReadyTask],
    actor: str,
    due_for: DueFor,
) -> None:
    rows = db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "ready")
    ).all()
    by_task = {row.task_id: row for row in rows}
    ready_ids = {task.task_id for task in ready}
    for row in rows:
        if row.task_id not in ready_ids:
            done = runtime.task_completed(workflow, row.task_id)
            row.state = "completed" if done else "cancelled"
            row.completed_at = now()
            row.completed_by = actor if done else None
    for task in ready:
        if task.task_id in by_task:
            continue
        db.session.add(
            HumanTask(
                instance_id=instance.id,
                application_id=instance.application_id,
                task_id=task.task_id,
                bpmn_id=task.bpmn_id,
                process_id=task.process_id,
                title=task.title,
                form_key=task.form_key,
                lane=task.lane,
                due_at=due_for(task),
            )
        )
    db.session.flush()
