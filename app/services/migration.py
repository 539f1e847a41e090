"""Moving running applications to another version of the diagrams: a plan, then one action."""

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app import mailer
from app.engine import migration, runtime, store
from app.extensions import db
from app.models import Application, HumanTask, ProcessInstance, ProcessVersion
from app.services import Actor, ServiceError
from app.services.analyst import get_version, jst
from app.services.unit import Unit, audit, fire_and_audit, save


def _others(target: ProcessVersion) -> list[ProcessInstance]:
    """Running applications of the same process that are on another version."""
    return list(
        db.session.scalars(
            select(ProcessInstance)
            .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
            .where(
                ProcessInstance.status == "running",
                ProcessInstance.version_id != target.id,
                ProcessVersion.process_id == target.process_id,
            )
            .order_by(ProcessInstance.application_id)
        )
    )


def _timers(plan: migration.Plan) -> list[dict]:
    return [
        {"element": t.element_id, "name": t.name, "old": jst(t.old_due), "new": jst(t.new_due)}
        for t in plan.timers
    ]


def candidates(version_id: int) -> dict:
    """Which running applications can move to this version, and why the others cannot."""
    target = get_version(version_id)
    movable, blocked = [], []
    for instance in _others(target):
        try:
            workflow = store.load(instance, None)
            plan = migration.plan(workflow, target.spec_json)
        except Exception as exc:  # a state the engine cannot read must not hide the others
            plan = migration.Plan(blockers=[f"状態を読み込めません: {exc}"])
        row = {
            "application": instance.application,
            "instance": instance,
            "plan": plan,
            "timers": _timers(plan),
        }
        (movable if plan.ok else blocked).append(row)
    statuses = sorted({row["application"].status for row in movable})
    return {"target": target, "movable": movable, "blocked": blocked, "statuses": statuses}


def migrate_all(
    version_id: int,
    actor: Actor,
    only: Collection[int] | None = None,
    status: str | None = None,
) -> dict:
    """Move the applications that can move, in one transaction; returns moved and refused ids.

    `only` keeps the applications chosen one by one (ids), `status` those in one status;
    without either, every running application of another version is tried.
    """
    target = get_version(version_id)
    if not actor.has_role("analyst"):
        raise ServiceError("版の移行は業務分析者だけが行えます。", 403)
    if only is not None and not only:
        raise ServiceError("移す申込を1件以上選んでください（何も変更していません）。", 400)
    chosen = [
        c
        for c in _others(target)
        if (only is None or c.application_id in only)
        and (status is None or c.application.status == status)
    ]
    if not chosen and (only is not None or status is not None):
        raise ServiceError(
            "選んだ条件に合う、移行できる申込がありません（何も変更していません）。", 400
        )
    moved, refused, mail_ids = [], [], []
    try:
        for candidate in chosen:
            application = db.session.get(Application, candidate.application_id)
            instance = store.lock_instance(candidate.id)
            unit = Unit(application, instance, actor)
            unit.workflow = store.load(instance, unit.services)
            # A deadline that is due fires on the old version first; a suspended application's
            # timers wait (it moves, stays suspended, and they fire after it is resumed).
            fired = fire_and_audit(unit) if instance.suspended_at is None else []
            mail_ids += unit.context.mail_ids
            outcome = None
            if runtime.workflow_status(unit.workflow) == "running":
                outcome = migration.plan(unit.workflow, target.spec_json)
            if outcome is None or not outcome.ok:
                if fired:
                    save(unit)
                refused.append((application.id, outcome.blockers if outcome else ["完了済み"]))
                continue
            old_version = instance.version_id
            migration.migrate(unit.workflow, target.spec_json)
            instance.version = target
            ready = save(unit)
            _retitle(instance, ready)
            audit(
                application.id,
                actor,
                "version_migrated",
                from_version=old_version,
                to_version=target.id,
                timers=_timers(outcome),
            )
            moved.append(application.id)
        db.session.commit()
    except (StaleDataError, OperationalError) as exc:
        db.session.rollback()
        raise ServiceError(
            "他の操作と同時に更新されたため移行できませんでした（何も変更していません）。"
            "もう一度お試しください。",
            409,
        ) from exc
    except migration.MigrationRefused as exc:
        db.session.rollback()
        raise ServiceError(f"移行できませんでした（何も変更していません）: {exc}", 409) from exc
    except Exception:
        db.session.rollback()
        raise
    mailer.deliver_pending(mail_ids)
    return {"moved": moved, "refused": refused, "target": target}


def _retitle(instance: ProcessInstance, ready: list[runtime.ReadyTask]) -> None:
    """Inbox rows kept across the move show the new version's task names."""
    by_id = {task.task_id: task for task in ready}
    rows = db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "ready")
    )
    for row in rows:
        task = by_id.get(row.task_id)
        if task is not None:
            row.title, row.bpmn_id = task.title, task.bpmn_id
