"""Reads of reference data (calendar, schedule, offices), the serial counters and the
unguessable 仮ログインID."""

import secrets
from datetime import date

from sqlalchemy import select, update

from app.clock import today_jst
from app.domain.codes import provisional_login_id
from app.domain.schedule import ScheduleEntry as ScheduleRow
from app.domain.schedule import open_entries
from app.extensions import db
from app.models import CalendarDay, Counter, Office, ProvisionalAccount, ScheduleEntry


def calendar_overrides() -> dict[date, bool]:
    return {row.day: row.is_business_day for row in db.session.scalars(select(CalendarDay))}


def schedule_rows() -> list[ScheduleRow]:
    rows = db.session.scalars(select(ScheduleEntry).order_by(ScheduleEntry.start_date)).all()
    return [ScheduleRow(r.start_date, r.contract_deadline, r.setup_deadline) for r in rows]


def open_schedule(today: date | None = None) -> list[ScheduleRow]:
    """システム登録日 whose 利用契約関係申込締切日 has not passed."""
    return open_entries(schedule_rows(), today or today_jst())


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
