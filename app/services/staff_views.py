"""Read models for NACCS Center staff pages: the queues (an application's page: staff_page)."""

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select

from app.clock import now, today_jst
from app.domain.schedule import end_of_day, start_of_day
from app.extensions import db
from app.models import (
    Application,
    HumanTask,
    ReviewDecision,
    ScheduleEntry,
    StaffUser,
)
from app.services import Actor, ServiceError
from app.services.people import staff_choices

SCOPES = ("unclaimed", "mine", "all", "done")
APPLICATION_FILTERS = ("q", "submitted_from", "submitted_to", "start_from", "start_to")
COUNT_CAP = 1_000  # queue counts stop here (count_label)
NARROWING = (*APPLICATION_FILTERS, "due", "status")  # filters that make a list shorter than its tab
SORT_COLUMNS = {
    "due": HumanTask.due_at,
    "reference": Application.reference_no,
    "company": Application.company_name,
    "submitted": Application.submitted_at,
    "start": Application.wished_start_date,
    "status": Application.status,
    "completed": HumanTask.completed_at,
}


@dataclass(frozen=True)
class QueueRow:
    task: HumanTask
    application: Application
    owner_name: str | None
    contract_deadline: date | None
    setup_deadline: date | None
    returns: int  # earlier 差戻し of this application (0 for a first submission)
    overdue: bool
    due_today: bool
    # 設定作業 still open on the day before the start date (the diagram's escalation timer).
    setup_escalated: bool = False
    # The start date the row is about: the confirmed one once approved (設定作業), else the wish.
    start_date: date | None = None
    start_confirmed: bool = False
    # 00:00 of the day before the confirmed start: the escalation timer (timer_dates).
    work_due: datetime | None = None


@dataclass(frozen=True)
class Page:
    """One page of a list; ``total`` is None for the history, which is not counted."""

    items: list
    page: int
    per_page: int
    total: int | None
    more: bool = False  # without a total: whether another page follows

    @property
    def pages(self) -> int:
        if self.total is None:
            return self.page + int(self.more)
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first(self) -> int:
        return 0 if not self.items else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)


def count_label(n: int) -> str:
    """A tab count as shown: exact up to COUNT_CAP, then 「1,000件以上」."""
    return f"{COUNT_CAP:,}件以上" if n > COUNT_CAP else f"{n}件"


def visible_scopes(actor: Actor) -> list[str]:
    """全件 is for supervisors; everyone with the lane's role sees the rest."""
    return [s for s in SCOPES if s != "all" or actor.has_role("supervisor")]


def queue_counts(actor: Actor, lane: str) -> dict[str, int]:
    """Tab counts of one lane: one statement of four counts, each over a range of an inbox
    index and stopped after COUNT_CAP + 1 rows (shown as 「1,000件以上」: past that, the exact
    size of a queue is not what anyone works from, and counting it grows with the queue)."""
    ready = (HumanTask.lane == lane, HumanTask.state == "ready")

    def count(*where):
        rows = select(HumanTask.id).where(*ready, *where).limit(COUNT_CAP + 1).subquery()
        return select(func.count()).select_from(rows).scalar_subquery()

    row = db.session.execute(
        select(
            count(),
            count(HumanTask.owner_id.is_(None)),
            count(HumanTask.owner_id == (actor.staff_id or -1)),
            count(HumanTask.due_at <= now()),
        )
    ).one()
    return {"all": row[0], "unclaimed": row[1], "mine": row[2], "overdue": row[3]}


REFERENCE_LIKE = re.compile(r"[0-9]{2,8}[A-Z]?")


def _search(query, text: str):
    """申込受付番号 (prefix) or 企業名 (part); something shaped like a number is only a number."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return query
    upper = text.upper()
    # A prefix range on the unique index instead of LIKE (portable, index-friendly).
    by_reference = and_(Application.reference_no >= upper, Application.reference_no < upper + "~")
    if REFERENCE_LIKE.fullmatch(upper):
        return query.where(by_reference)
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    by_company = Application.company_name.like(f"%{escaped}%", escape="\\")
    return query.where(or_(by_reference, by_company))


def start_column(lane: str):
    """設定作業 works to the confirmed 利用開始日; 審査 to the wished one."""
    if lane == "operator":
        return Application.confirmed_start_date
    return Application.wished_start_date


def _filtered(query, actor: Actor, scope: str, filters: dict[str, Any], lane: str = "reviewer"):
    current = now()
    if scope == "mine":
        query = query.where(HumanTask.owner_id == actor.staff_id)
    elif scope == "unclaimed":
        query = query.where(HumanTask.owner_id.is_(None))
    elif scope == "done" and not actor.has_role("supervisor"):
        query = query.where(HumanTask.completed_by == actor.label)
    if filters.get("q"):
        query = _search(query, filters["q"])
    if filters.get("submitted_from"):
        query = query.where(Application.submitted_at >= start_of_day(filters["submitted_from"]))
    if filters.get("submitted_to"):
        query = query.where(Application.submitted_at < end_of_day(filters["submitted_to"]))
    if filters.get("start_from"):
        query = query.where(start_column(lane) >= filters["start_from"])
    if filters.get("start_to"):
        query = query.where(start_column(lane) <= filters["start_to"])
    due = filters.get("due")
    if due == "overdue":
        query = query.where(HumanTask.due_at <= current)
    elif due == "today":
        query = query.where(HumanTask.due_at > current, HumanTask.due_at <= end_of_day(today_jst()))
    elif due == "later":
        query = query.where(HumanTask.due_at > end_of_day(today_jst()))
    status = filters.get("status")
    returned = exists().where(
        ReviewDecision.application_id == HumanTask.application_id,
        ReviewDecision.decision == "return",
    )
    if status == "resubmitted":
        query = query.where(returned)
    elif status == "first":
        query = query.where(~returned)
    return query


def inbox(
    actor: Actor, lane: str, scope: str, page: int = 1, per_page: int = 25, **filters: Any
) -> dict:
    """One page of a queue with its tab counts; filters come from QueueFilterForm.filters()."""
    if actor.kind != "staff" or not actor.has_role(lane):
        raise ServiceError("この一覧を表示する権限がありません。", 403)
    if scope not in visible_scopes(actor):
        raise ServiceError("この一覧を表示する権限がありません。", 403)
    state = "completed" if scope == "done" else "ready"
    sort = filters.get("sort") if filters.get("sort") in SORT_COLUMNS else None
    sort = sort or ("completed" if scope == "done" else "due")
    column = start_column(lane) if sort == "start" else SORT_COLUMNS[sort]
    by_application = column.class_ is Application
    base = select(HumanTask.id).where(HumanTask.lane == lane, HumanTask.state == state)
    # Join the applications only when a filter or the order needs them: the tab lists and
    # the answer-due order are then read from the inbox indexes alone.
    joined = base.join(Application, Application.id == HumanTask.application_id)
    filtered = any(filters.get(k) for k in APPLICATION_FILTERS)
    counted = _filtered(joined if filtered else base, actor, scope, filters, lane)
    base = _filtered(joined if filtered or by_application else base, actor, scope, filters, lane)
    counts = queue_counts(actor, lane)
    if scope == "done":
        # The history grows without end: no count, just "is there a next page".
        total, page = None, max(1, page)
    elif not any(filters.get(k) for k in NARROWING):
        # Nothing narrows the list: the tab's own count; past the cap the list is paged like
        # the history ("is there a next page").
        total = counts[scope] if counts[scope] <= COUNT_CAP else None
        page = max(1, page if total is None else min(page, math.ceil(total / per_page) or 1))
    else:
        total = db.session.scalar(counted.with_only_columns(func.count(HumanTask.id)))
        page = max(1, min(page, max(1, math.ceil(total / per_page))))
    descending = bool(filters.get("descending")) or (scope == "done" and sort == "completed")
    # The tie-breaker follows the sorted table's key, so that an index gives the order.
    tie = Application.id if by_application else HumanTask.id
    order = [c.desc() if descending else c.asc() for c in (column, tie)]
    ids = db.session.scalars(
        base.order_by(*order).limit(per_page + 1).offset((page - 1) * per_page)
    ).all()
    more, ids = len(ids) > per_page, ids[:per_page]
    return {
        "page": Page(_rows(ids, lane), page, per_page, total, more),
        "counts": counts,
        "count_labels": {k: count_label(n) for k, n in counts.items()},
        "scopes": visible_scopes(actor),
        "now": now(),
        "reviewers": staff_choices(lane) if actor.has_role("supervisor") else [],
    }


def _rows(ids: list[int], lane: str) -> list[QueueRow]:
    if not ids:
        return []
    found = db.session.execute(
        select(
            HumanTask,
            Application,
            StaffUser.name,
            ScheduleEntry.contract_deadline,
            ScheduleEntry.setup_deadline,
        )
        .join(Application, Application.id == HumanTask.application_id)
        .outerjoin(StaffUser, StaffUser.id == HumanTask.owner_id)
        .outerjoin(ScheduleEntry, ScheduleEntry.start_date == start_column(lane))
        .where(HumanTask.id.in_(ids))
    ).all()
    app_ids = [row[1].id for row in found]
    returns = dict(
        db.session.execute(
            select(ReviewDecision.application_id, func.count())
            .where(ReviewDecision.application_id.in_(app_ids), ReviewDecision.decision == "return")
            .group_by(ReviewDecision.application_id)
        ).all()
    )
    current, today_end = now(), end_of_day(today_jst())
    by_id = {
        row[0].id: QueueRow(
            task=row[0],
            application=row[1],
            owner_name=row[2],
            contract_deadline=row[3],
            # 設定作業: the one issue_ids fixed at approval (with timer_dates).
            setup_deadline=(lane == "operator" and row[1].setup_deadline) or row[4],
            returns=returns.get(row[1].id, 0),
            overdue=bool(row[0].due_at and row[0].due_at <= current),
            due_today=bool(row[0].due_at and current < row[0].due_at <= today_end),
            setup_escalated=bool(
                row[0].lane == "operator" and row[0].state == "ready" and row[1].setup_escalated_at
            ),
            start_date=_start(row[1], lane),
            start_confirmed=lane == "operator" and row[1].confirmed_start_date is not None,
            work_due=work_due(row[1].confirmed_start_date),
        )
        for row in found
    }
    return [by_id[i] for i in ids if i in by_id]


def _start(application: Application, lane: str) -> date | None:
    if lane == "operator":
        return application.confirmed_start_date
    return application.wished_start_date


def work_due(start: date | None) -> datetime | None:
    """設定作業 is due before 00:00 of the day before the start (timer_dates' setup_escalation_at)."""
    return start_of_day(start - timedelta(days=1)) if start else None
