"""Read models for analysts: versions with their instance counts, and the instance list."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import Application, HumanTask, ProcessInstance, ProcessVersion


def versions() -> list[dict]:
    counts = dict(
        db.session.execute(
            select(ProcessInstance.version_id, func.count())
            .where(ProcessInstance.status == "running")
            .group_by(ProcessInstance.version_id)
        ).all()
    )
    rows = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.id.desc())).all()
    return [{"version": v, "running": counts.get(v.id, 0), "files": sorted(v.files)} for v in rows]


def instances(status: str | None = None, limit: int = 200) -> list[dict]:
    query = (
        select(Application, ProcessInstance).join(ProcessInstance).order_by(Application.id.desc())
    )
    if status:
        query = query.where(Application.status == status)
    result = []
    for app, instance in db.session.execute(query.limit(limit)).all():
        ready = db.session.scalars(
            select(HumanTask.title).where(
                HumanTask.application_id == app.id, HumanTask.state == "ready"
            )
        ).all()
        result.append({"application": app, "instance": instance, "waiting_on": list(ready)})
    return result
