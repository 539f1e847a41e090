"""The reviewers' daily digest: new and overdue reviews, one mail per reviewer, business days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from app import mailer
from app.clock import now
from app.domain.calendar import is_business_day, next_business_day
from app.domain.schedule import JST
from app.extensions import db
from app.models import Application, HumanTask, StaffUser
from app.services.reference import calendar_overrides
from app.services.unit import audit

LANE = "reviewer"
LISTED = 20  # at most this many applications are listed per section of a mail


@dataclass(frozen=True)
class DigestItem:
    reference_no: str
    company_name: str
    title: str
    due_at: datetime | None
    owner_id: int | None


def _parse_time(text: str) -> time:
    try:
        hour, minute = (int(part) for part in (text or "09:00").strip().split(":"))
        return time(hour, minute)
    except (ValueError, TypeError):
        raise ValueError(f"digest time must be HH:MM, not {text!r}") from None


def time_problem(text: str) -> str | None:
    """Why `text` is not a digest time (checked when the diagram is validated), or None."""
    try:
        _parse_time(text)
    except ValueError:
        return "配信時刻は24時間表記の「時:分」で指定してください（例: 09:00）。"
    return None


def next_digest_at(at: str = "09:00", after: datetime | None = None) -> datetime:
    """The next business day's `at` (Japan time) strictly after `after` (now)."""
    after = after or now()
    clock = _parse_time(at)
    overrides = calendar_overrides()
    day = after.astimezone(JST).date()
    candidate = datetime.combine(day, clock, tzinfo=JST)
    if is_business_day(day, overrides) and candidate > after:
        return candidate
    return datetime.combine(next_business_day(day, overrides), clock, tzinfo=JST)


def _open_reviews() -> list[tuple[datetime, DigestItem]]:
    rows = db.session.execute(
        select(HumanTask, Application.reference_no, Application.company_name)
        .join(Application, Application.id == HumanTask.application_id)
        .where(HumanTask.lane == LANE, HumanTask.state == "ready")
        .order_by(HumanTask.due_at, HumanTask.id)
    ).all()
    return [
        (
            task.created_at,
            DigestItem(reference or "—", company or "", task.title, task.due_at, task.owner_id),
        )
        for task, reference, company in rows
    ]


def send_digest(since_iso: str | None = None) -> dict:
    """Queue one mail per reviewer with the reviews new since the last digest (unclaimed) and
    the overdue ones (unclaimed or theirs). Nothing on a closed day; no mail to a reviewer with
    nothing listed. Returns what was done (kept in the process data)."""
    current = now()
    if not is_business_day(current.astimezone(JST).date(), calendar_overrides()):
        return {"digest_sent_at": None, "digest_mails": 0}
    since = datetime.fromisoformat(since_iso) if since_iso else current - timedelta(days=1)
    reviews = _open_reviews()
    new = [item for created, item in reviews if created > since and item.owner_id is None]
    overdue_all = [
        item for _, item in reviews if item.due_at is not None and item.due_at <= current
    ]
    reviewers = [
        staff
        for staff in db.session.scalars(
            select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.id)
        )
        if staff.has_role(LANE) and staff.email
    ]
    mails = 0
    for reviewer in reviewers:
        overdue = [i for i in overdue_all if i.owner_id in (None, reviewer.id)]
        if not new and not overdue:
            continue
        mailer.queue_mail(
            "reviewer_digest",
            [reviewer.email],
            {
                "reviewer": reviewer,
                "new": new[:LISTED],
                "new_count": len(new),
                "overdue": overdue[:LISTED],
                "overdue_count": len(overdue),
                "today": current,
            },
        )
        mails += 1
    audit(None, "system", "reviewer_digest", mails=mails, new=len(new), overdue=len(overdue_all))
    return {"digest_sent_at": current.isoformat(), "digest_mails": mails}
