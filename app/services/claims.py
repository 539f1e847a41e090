"""Claiming staff tasks: exactly one member of staff owns a task at a time."""

from sqlalchemy import select, update

from app.extensions import db
from app.models import HumanTask, StaffUser
from app.services import Actor, ServiceError
from app.services.unit import audit

NEXT_CANDIDATES = 5


def _staff_task(actor: Actor, human_task_id: int) -> HumanTask:
    task = db.session.get(HumanTask, human_task_id)
    if task is None or task.state != "ready":
        raise ServiceError("この手続きは既に完了しています。", 409)
    if actor.kind != "staff" or not (actor.has_role(task.lane) or actor.has_role("supervisor")):
        raise ServiceError("この手続きを操作する権限がありません。", 403)
    return task


def _holder(human_task_id: int) -> tuple[int | None, str | None]:
    row = db.session.execute(
        select(StaffUser.id, StaffUser.name)
        .join(HumanTask, HumanTask.owner_id == StaffUser.id)
        .where(HumanTask.id == human_task_id)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def claim_task(actor: Actor, human_task_id: int) -> HumanTask:
    """担当する: atomic; when two claim at once, one wins and the other is told who has it."""
    task = _staff_task(actor, human_task_id)
    if not actor.has_role(task.lane):
        raise ServiceError("この手続きを担当する権限がありません。", 403)
    # One conditional UPDATE: when two reviewers click at once, only one row count is 1
    # (PostgreSQL re-checks the WHERE after the first commit; SQLite serialises writers).
    result = db.session.execute(
        update(HumanTask)
        .where(
            HumanTask.id == human_task_id, HumanTask.owner_id.is_(None), HumanTask.state == "ready"
        )
        .values(owner_id=actor.staff_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        holder_id, holder = _holder(human_task_id)
        if holder_id is not None and holder_id == actor.staff_id:
            return db.session.get(HumanTask, human_task_id)
        if holder_id is None:
            raise ServiceError("この手続きは既に完了しています。", 409)
        raise ServiceError(f"この手続きは既に{holder}さんが担当しています。", 409)
    audit(task.application_id, actor, "task_claimed", task=task.bpmn_id, title=task.title)
    db.session.commit()
    db.session.refresh(task)
    return task


def claim_next(actor: Actor, lane: str) -> HumanTask | None:
    """Claim the unclaimed task of lane that is due first; None when the queue is empty."""
    if actor.kind != "staff" or not actor.has_role(lane):
        raise ServiceError("この手続きを担当する権限がありません。", 403)
    candidates = db.session.scalars(
        select(HumanTask.id)
        .where(HumanTask.lane == lane, HumanTask.state == "ready", HumanTask.owner_id.is_(None))
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
        .limit(NEXT_CANDIDATES)
    ).all()
    for human_task_id in candidates:
        try:
            return claim_task(actor, human_task_id)
        except ServiceError as exc:
            if exc.status != 409:
                raise
    return None


def unclaim_task(actor: Actor, human_task_id: int) -> None:
    """担当を外す: the owner, or a supervisor."""
    task = _staff_task(actor, human_task_id)
    if task.owner_id is None:
        raise ServiceError("この手続きは担当者が割り当てられていません。", 409)
    if task.owner_id != actor.staff_id and not actor.has_role("supervisor"):
        raise ServiceError("担当者本人または審査責任者のみ担当を外せます。", 403)
    previous = task.owner.login if task.owner else None
    result = db.session.execute(
        update(HumanTask)
        .where(
            HumanTask.id == human_task_id,
            HumanTask.owner_id == task.owner_id,
            HumanTask.state == "ready",
        )
        .values(owner_id=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise ServiceError("担当者が変更されたため、操作できませんでした。", 409)
    audit(task.application_id, actor, "task_unclaimed", task=task.bpmn_id, previous=previous)
    db.session.commit()


def reassign_task(actor: Actor, human_task_id: int, staff_id: int) -> None:
    """審査責任者 gives the task to another member of staff with the lane's role."""
    task = _staff_task(actor, human_task_id)
    if not actor.has_role("supervisor"):
        raise ServiceError("担当の割当ては審査責任者のみ行えます。", 403)
    staff = db.session.get(StaffUser, staff_id)
    if staff is None or not staff.active or not staff.has_role(task.lane):
        raise ServiceError("割り当て先の職員にこの手続きの権限がありません。", 400)
    previous = task.owner.login if task.owner else None
    task.owner_id = staff.id
    audit(
        task.application_id,
        actor,
        "task_reassigned",
        task=task.bpmn_id,
        to=staff.login,
        previous=previous,
    )
    db.session.commit()
