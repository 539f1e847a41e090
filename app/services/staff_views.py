"""Read models for NACCS Center staff pages: the inbox and an application's staff page."""

from sqlalchemy import select

from app.clock import now
from app.extensions import db
from app.models import AuditEvent, HumanTask
from app.services import Actor, ServiceError
from app.services.views import STATUS_LABELS, application_for, deadlines


def inbox(actor: Actor, lane: str, scope: str, page: int = 1, per_page: int = 25) -> dict:
    if actor.kind != "staff":
        raise ServiceError("ログインしてください。", 401)
    query = select(HumanTask).where(HumanTask.state == "ready", HumanTask.lane == lane)
    if scope == "mine":
        query = query.where(HumanTask.owner_id == actor.staff_id)
    elif scope == "unclaimed":
        query = query.where(HumanTask.owner_id.is_(None))
    query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    page_obj = db.paginate(query, page=page, per_page=per_page, error_out=False)
    return {"page": page_obj, "now": now()}


def staff_application(actor: Actor, application_id: int) -> dict:
    if actor.kind != "staff":
        raise ServiceError("ログインしてください。", 401)
    app = application_for(actor, application_id)
    tasks = db.session.scalars(
        select(HumanTask).where(HumanTask.application_id == app.id).order_by(HumanTask.id)
    ).all()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.application_id == app.id).order_by(AuditEvent.id)
    ).all()
    return {
        "application": app,
        "status_label": STATUS_LABELS.get(app.status, app.status),
        "tasks": tasks,
        "events": events,
        "deadlines": deadlines(app),
    }
