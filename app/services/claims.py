"""Claiming staff tasks: exactly one reviewer owns a task at a time."""

from sqlalchemy import select, update

from app.extensions import db
from app.models import HumanTask, StaffUser
from app.services import Actor, ServiceError
from app.services.unit import audit


def _staff_task(actor: Actor, human_task_id: int) -> HumanTask:
    task = db.session.get(HumanTask, human_task_id)
    if task is None or task.state != "ready":
        raise ServiceError("この手続きは既に完了しています。", 409)
    if actor.kind != "staff" or not (actor.has_role(task.lane) or actor.has_role("supervisor")):
        raise ServiceError("この手続きを操作する権限がありません。", 403)
    return task


def claim_task(actor: Actor, human_task_id: int) -> HumanTask:
    task = _staff_task(actor, human_task_id)
    if not actor.has_role(task.lane):
        raise ServiceError("この手続きを担当する権限がありません。", 403)
    # One conditional UPDATE: when two reviewers click at once, only one row count is 1.
    result = db.session.execute(
        update(HumanTask)
        .where(
            HumanTask.id == human_task_id, HumanTask.owner_id.is_(None), HumanTask.state == "ready"
        )
        .values(owner_id=actor.staff_id)
    )
    if result.rowcount != 1:
        db.session.rollback()
        holder = db.session.scalar(
            select(StaffUser.name)
            .join(HumanTask, HumanTask.owner_id == StaffUser.id)
            .where(HumanTask.id == human_task_id)
        )
        raise ServiceError(f"この手続きは既に{holder or '他の担当者'}さんが担当しています。", 409)
    audit(task.application_id, actor, "task_claimed", task=task.bpmn_id, title=task.title)
    db.session.commit()
    return task


def unclaim_task(actor: Actor, human_task_id: int) -> None:
    task = _staff_task(actor, human_task_id)
    if task.owner_id != actor.staff_id and not actor.has_role("supervisor"):
        raise ServiceError("担当者本人または審査責任者のみ担当を外せます。", 403)
    task.owner_id = None
    audit(task.application_id, actor, "task_unclaimed", task=task.bpmn_id)
    db.session.commit()


def reassign_task(actor: Actor, human_task_id: int, staff_id: int) -> None:
    task = _staff_task(actor, human_task_id)
    if not actor.has_role("supervisor"):
        raise ServiceError("担当の割当ては審査責任者のみ行えます。", 403)
    staff = db.session.get(StaffUser, staff_id)
    if staff is None or not staff.has_role(task.lane):
        raise ServiceError("割り当て先の職員にこの手続きの権限がありません。", 400)
    task.owner_id = staff.id
    audit(task.application_id, actor, "task_reassigned", task=task.bpmn_id, to=staff.login)
    db.session.commit()
