"""Reads of reference data (calendar, schedule, offices), the serial counters and the
unguessable 仮ログインID."""

import secrets
from datetime import date

from sqlalchemy import or_, select, update

from app.clock import today_jst
from app.domain.codes import provisional_login_id
from app.domain.schedule import ScheduleEntry as ScheduleRow
from app.domain.schedule import open_entries
from app.extensions import db
from app.models import CalendarDay, Counter, Office, ProvisionalAccount, ScheduleEntry


def calendar_overrides() -> dict[date, bool]:
    return {row.day: row.is_business_day for row in db.session.scalars(select(CalendarDay))}


_SCHEDULE_COLUMNS = (
    ScheduleEntry.start_date,
    ScheduleEntry.contract_deadline,
    ScheduleEntry.setup_deadline,
)


def schedule_rows() -> list[ScheduleRow]:
    """The whole schedule, past dates included (pages that show its history)."""
    rows = db.session.execute(select(*_SCHEDULE_COLUMNS).order_by(ScheduleEntry.start_date))
    return [ScheduleRow(*row) for row in rows]


def schedule_ahead(today: date) -> list[ScheduleRow]:
    """The rows still ahead on `today`: a システム登録日 from today on, or a 利用契約関係申込締切日
    not passed. One query bounded by the date (both columns indexed): the schedule's history
    grows, the rows ahead do not."""
    rows = db.session.execute(
        select(*_SCHEDULE_COLUMNS)
        .where(or_(ScheduleEntry.start_date >= today, ScheduleEntry.contract_deadline >= today))
        .order_by(ScheduleEntry.start_date)
    )
    return [ScheduleRow(*row) for row in rows]


def open_schedule(today: date | None = None) -> list[ScheduleRow]:
    """システム登録日 whose 利用契約関係申込締切日 has not passed."""
    today = today or today_jst()
    return open_entries(schedule_ahead(today), today)


def schedule_entry(start_date: date) -> ScheduleEntry | None:
    return db.session.scalar(select(ScheduleEntry).where(ScheduleEntry.start_date == start_date))


def office(code: str) -> Office | None:
    return db.session.get(Office, (code or "").upper())


def office_as_dict(code: str) -> dict | None:
    found = office(code)
    if found is None:
        return None
    return {
        "code": found.code,
        "company_name": found.company_name,
        "office_name": found.office_name,
        "postal_code": found.postal_code,
        "prefecture": found.prefecture,
        "city": found.city,
        "street": found.street,
    }


def next_serial(name: str) -> int:
    """Atomically increment a named counter inside the caller's transaction."""
    if db.session.get(Counter, name) is None:
        db.session.add(Counter(name=name, value=0))
        db.session.flush()
    db.session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1))
    return db.session.scalar(select(Counter.value).where(Counter.name == name))


def new_provisional_login_id(attempts: int = 20) -> str:
    """A random, unused 仮ログインID in the manual's 7-digit format (never a serial number,
    so one ID says nothing about the others); the unique index catches a concurrent twin."""
    for _ in range(attempts):
        candidate = provisional_login_id(1 + secrets.randbelow(9_999_999))
        taken = db.session.scalar(
            select(ProvisionalAccount.id).where(ProvisionalAccount.login_id == candidate)
        )
        if taken is None:
            return candidate
    raise RuntimeError("no free 仮ログインID found")  # pragma: no cover - 10 million IDs
