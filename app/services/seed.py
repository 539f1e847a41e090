"""Demo and reference data for a first run: offices, schedule, calendar, staff accounts."""

from datetime import date, timedelta

from sqlalchemy import select

from app.clock import today_jst
from app.domain.calendar import default_closed_days
from app.domain.schedule import (
    CONTRACT_DEADLINE_DAYS,
    SETUP_DEADLINE_DAYS,
    generate_schedule,
)
from app.domain.schedule import ScheduleEntry as DomainEntry
from app.extensions import db
from app.models import CalendarDay, Office, ScheduleEntry, StaffUser
from app.security import hash_password

DEMO_OFFICES = [
    (
        "NAC001",
        "ナックスシステム株式会社",
        "ナックスシステムカブシキカイシャ",
        "本社",
        "2120013",
        "神奈川県",
        "川崎市幸区",
        "堀川町９９９ ナックスタワー１階",
        "横浜税関",
    ),
    (
        "NAC002",
        "ナックスシステム株式会社",
        "ナックスシステムカブシキカイシャ",
        "成田事業所",
        "2820004",
        "千葉県",
        "成田市",
        "古込１－１",
        "東京税関",
    ),
    (
        "ABC001",
        "エービーシー物流株式会社",
        "エービーシーブツリュウカブシキカイシャ",
        "東京本社",
        "1050011",
        "東京都",
        "港区",
        "芝公園１－１－１",
        "東京税関",
    ),
    (
        "XYZ001",
        "株式会社エックスワイゼット",
        "カブシキカイシャエックスワイゼット",
        "大阪支店",
        "5300001",
        "大阪府",
        "大阪市北区",
        "梅田１－１－１",
        "大阪税関",
    ),
]

# Demo staff: login, password, name, roles. The README lists these credentials.
DEMO_STAFF = [
    ("reviewer", "reviewer-pass", "審査 太郎", "reviewer,operator"),
    ("reviewer2", "reviewer2-pass", "審査 花子", "reviewer,operator"),
    ("supervisor", "supervisor-pass", "責任者 一郎", "reviewer,supervisor,operator"),
    ("analyst", "analyst-pass", "分析 次郎", "analyst"),
    ("admin", "admin-pass", "管理 三郎", "administrator,analyst,supervisor,reviewer,operator"),
]


def seed_calendar(first_year: int, last_year: int) -> int:
    added = 0
    for year in range(first_year, last_year + 1):
        for day, note in default_closed_days(year):
            if db.session.get(CalendarDay, day) is None:
                db.session.add(CalendarDay(day=day, is_business_day=False, note=note))
                added += 1
    return added


def seed_schedule(first: date, last: date) -> int:
    """Add the generated schedule rows missing in [first, last]; deadlines on business days.

    Rows seeded before deadlines were moved off closed days (start − 15/8 days on a Sunday,
    a holiday or 12/29–1/3) are moved to the business day before as well.
    """
    overrides = {row.day: row.is_business_day for row in db.session.scalars(select(CalendarDay))}
    existing = {row.start_date: row for row in db.session.scalars(select(ScheduleEntry))}
    added = 0
    for entry in generate_schedule(first, last, overrides):
        row = existing.get(entry.start_date)
        if row is None:
            db.session.add(
                ScheduleEntry(
                    start_date=entry.start_date,
                    contract_deadline=entry.contract_deadline,
                    setup_deadline=entry.setup_deadline,
                )
            )
            added += 1
        else:
            _move_seeded_deadlines(row, entry)
    return added


def entry_for_calendar_days(start: date) -> DomainEntry:
    """The deadlines older seeds wrote: 15 and 8 calendar days before, closed days or not."""
    return DomainEntry(
        start,
        start - timedelta(days=CONTRACT_DEADLINE_DAYS),
        start - timedelta(days=SETUP_DEADLINE_DAYS),
    )


def _move_seeded_deadlines(row: ScheduleEntry, entry: DomainEntry) -> None:
    """An older seed's calendar-day deadline becomes the generated business-day one."""
    old = entry_for_calendar_days(row.start_date)
    if (row.contract_deadline, row.setup_deadline) == (old.contract_deadline, old.setup_deadline):
        row.contract_deadline, row.setup_deadline = entry.contract_deadline, entry.setup_deadline


def seed_offices() -> int:
    added = 0
    for code, company, kana, office, postal, pref, city, street, customs in DEMO_OFFICES:
        if db.session.get(Office, code) is None:
            db.session.add(
                Office(
                    code=code,
                    company_name=company,
                    company_kana=kana,
                    office_name=office,
                    postal_code=postal,
                    prefecture=pref,
                    city=city,
                    street=street,
                    customs=customs,
                )
            )
            added += 1
    return added


def seed_staff() -> int:
    added = 0
    for login, password, name, roles in DEMO_STAFF:
        if db.session.scalar(select(StaffUser).where(StaffUser.login == login)) is None:
            db.session.add(
                StaffUser(
                    login=login,
                    name=name,
                    password_hash=hash_password(password),
                    roles=roles,
                    email=f"{login}@naccs-center.example.jp",
                )
            )
            added += 1
    return added


def seed_reference_data(today: date | None = None) -> dict[str, int]:
    """Idempotent: running it again adds only what is missing (e.g. next year's dates)."""
    today = today or today_jst()
    counts = {"calendar": seed_calendar(today.year - 1, today.year + 2)}
    db.session.flush()
    counts["schedule"] = seed_schedule(today - timedelta(days=60), today + timedelta(days=430))
    counts["offices"] = seed_offices()
    db.session.commit()
    return counts


def seed_demo(today: date | None = None) -> dict[str, int]:
    counts = seed_reference_data(today)
    counts["staff"] = seed_staff()
    db.session.commit()
    return counts
