"""Read models of staff task pages: who holds a task, and what the 設定作業 operator needs."""

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select

from app.domain.status import STATUS_LABELS
from app.extensions import db
from app.models import Application, AuditEvent, HumanTask, Office
from app.services import Actor
from app.services.reference import office, schedule_entry
from app.services.staff_page import TimelineItem, timeline
from app.services.staff_views import work_due

CLAIM_ACTIONS = ("task_claimed", "task_reassigned")


@dataclass(frozen=True)
class Holder:
    """Who holds a ready staff task (None: nobody), since when (audit trail), who may act."""

    name: str | None
    since: datetime | None
    supervisor: bool  # the viewer may unclaim or reassign (審査責任者)
    human_task_id: int
    application_id: int
    reference_no: str | None
    lane: str
    title: str


def task_holder(actor: Actor, task_id: str) -> Holder | None:
    """Who holds a ready staff task of actor's role that actor does not hold (else None).

    There is no claimed-at column: the time is that of the latest claim or reassignment of
    this task in the audit trail.
    """
    if actor.kind != "staff":
        return None
    task = db.session.scalar(select(HumanTask).where(HumanTask.task_id == task_id))
    if task is None or task.state != "ready" or task.lane == "applicant":
        return None
    if task.owner_id == actor.staff_id or not actor.has_role(task.lane):
        return None
    base = Holder(
        name=None,
        since=None,
        supervisor=actor.has_role("supervisor"),
        human_task_id=task.id,
        application_id=task.application_id,
        reference_no=task.application.reference_no,
        lane=task.lane,
        title=task.title,
    )
    if task.owner_id is None:
        return base
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.application_id == task.application_id,
            AuditEvent.action.in_(CLAIM_ACTIONS),
            AuditEvent.at >= task.created_at,
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    since = next((e.at for e in events if (e.detail or {}).get("task") == task.bpmn_id), None)
    name = task.owner.name if task.owner else "（不明な職員）"
    return replace(base, name=name, since=since)


@dataclass(frozen=True)
class Credential:
    label: str  # 事業所コード / 利用者ID
    value: str
    system_kind: str
    industries: str


@dataclass(frozen=True)
class SetupWork:
    """Everything the operator needs on the 設定作業 page (no passwords)."""

    status_label: str
    wished_start_date: date | None
    confirmed_start_date: date | None
    setup_deadline: date | None  # システム設定関係申込締切日 fixed at approval
    work_due: datetime | None  # 00:00 of the day before the start: supervisors are told
    escalated_at: datetime | None
    credentials: list[Credential]
    owner_office_code: str
    owner_office: Office | None
    timeline: list[TimelineItem]


def setup_work(application: Application) -> SetupWork:
    """The 設定作業 facts of one application: dates, issued IDs, the shared equipment, history."""
    start = application.confirmed_start_date
    setup_deadline = application.setup_deadline
    if setup_deadline is None and start is not None:
        entry = schedule_entry(start)
        setup_deadline = entry.setup_deadline if entry else None
    credentials = []
    for c in sorted(application.credentials, key=lambda c: (c.kind != "office", c.id)):
        if c.kind == "office":
            credentials.append(Credential("事業所コード", c.office_code, "", ""))
        elif c.user_id:
            credentials.append(
                Credential("利用者ID", c.user_id, c.system_kind or "", c.industries or "")
            )
    owner_code = str(application.answer("entry_equipment").get("owner_office_code") or "")
    return SetupWork(
        status_label=STATUS_LABELS.get(application.status, application.status),
        wished_start_date=application.wished_start_date,
        confirmed_start_date=start,
        setup_deadline=setup_deadline,
        work_due=work_due(start),
        escalated_at=application.setup_escalated_at,
        credentials=credentials,
        owner_office_code=owner_code,
        owner_office=office(owner_code) if owner_code else None,
        timeline=timeline(application),
    )
