"""Reference-data administration: the schedule, the business calendar, the office registry."""

import csv
import io
import re
from datetime import date

from sqlalchemy import func, or_, select

from app.domain.calendar import next_business_day
from app.domain.schedule import JST, closed_deadline_problems, end_of_day
from app.extensions import db
from app.models import (
    Application,
    CalendarDay,
    HumanTask,
    Office,
    ScheduleEntry,
)
from app.services import Actor, ServiceError
from app.services.reference import calendar_overrides
from app.services.staff_views import Page
from app.services.unit import STAFF_LANES, audit

OPEN_STATUSES = ("entry", "submitted", "returned", "issued", "setup_filed", "setup_done")
SCHEDULE_COLUMNS = ("contract_deadline", "setup_deadline", "start_date")
SCHEDULE_HEADERS = {
    "利用契約関係申込締切日": "contract_deadline",
    "システム設定関係申込締切日": "setup_deadline",
    "システム登録日": "start_date",
    "システム登録日（利用開始日）": "start_date",
    "利用開始日": "start_date",
}
OFFICE_COLUMNS = tuple(
    "code company_name company_kana office_name postal_code prefecture city street customs".split()
)
_DATE_RE = re.compile(r"^\s*(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?\s*$")


def require_admin(actor: Actor) -> None:
    if actor.kind != "staff" or not actor.has_role("administrator"):
        raise ServiceError("この操作は管理者のみ行えます。", 403)


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM), or Shift_JIS as Excel in Japan saves it."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ServiceError(
        "CSVファイルの文字コードを判別できません（UTF-8またはShift_JISで保存してください）。"
    )


def parse_date(text: str) -> date | None:
    """2027-03-17, 2027/3/17 or 2027年3月17日; None when it is not a date."""
    match = _DATE_RE.match(text or "")
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


# --- the schedule (スケジュール表) -------------------------------------------------------


def schedule_entries(actor: Actor) -> list[tuple[ScheduleEntry, int]]:
    """Every entry with the number of open applications that chose or were given it."""
    require_admin(actor)
    entries = db.session.scalars(select(ScheduleEntry).order_by(ScheduleEntry.start_date)).all()
    return [(entry, usage) for entry, usage in zip(entries, _usage(entries), strict=True)]


def _usage(entries: list[ScheduleEntry]) -> list[int]:
    days = [e.start_date for e in entries]
    counts: dict[date, int] = {}
    for column in (Application.wished_start_date, Application.confirmed_start_date):
        rows = db.session.execute(
            select(column, func.count())
            .where(column.in_(days), Application.status.in_(OPEN_STATUSES))
            .group_by(column)
        ).all()
        for day, count in rows:
            counts[day] = counts.get(day, 0) + count
    return [counts.get(day, 0) for day in days]


def check_schedule_row(
    start: date, contract: date, setup: date, overrides: dict[date, bool] | None = None
) -> str | None:
    """The Japanese reason a schedule row is inconsistent, or None.

    Deadlines must fall on business days of the calendar (docs/ARCHITECTURE.md: a row with
    a deadline on a closed day is refused, naming the business day before it).
    """
    if not contract <= setup < start:
        return (
            "日付の順序が正しくありません（利用契約関係申込締切日 ≦ システム設定関係申込締切日 < "
            "システム登録日）。"
        )
    problems = closed_deadline_problems(
        contract, setup, calendar_overrides() if overrides is None else overrides
    )
    return "".join(problems) or None


def save_schedule_entry(
    actor: Actor, start: date, contract: date, setup: date, entry_id: int | None = None
) -> ScheduleEntry:
    require_admin(actor)
    if problem := check_schedule_row(start, contract, setup):
        raise ServiceError(problem)
    entry = db.session.get(ScheduleEntry, entry_id) if entry_id else None
    if entry_id and entry is None:
        raise ServiceError("スケジュールが見つかりません。", 404)
    clash = db.session.scalar(select(ScheduleEntry).where(ScheduleEntry.start_date == start))
    if clash is not None and clash is not entry:
        raise ServiceError(f"システム登録日 {start.isoformat()} は既に登録されています。")
    if entry is None:
        entry = ScheduleEntry(start_date=start)
        db.session.add(entry)
    before = {"previous": entry.start_date.isoformat()} if entry.id else {}
    entry.start_date, entry.contract_deadline, entry.setup_deadline = start, contract, setup
    dates = {"start_date": start, "contract_deadline": contract, "setup_deadline": setup}
    audit(None, actor, "schedule_saved", **before, **{k: v.isoformat() for k, v in dates.items()})
    db.session.commit()
    return entry


def delete_schedule_entry(actor: Actor, entry_id: int) -> None:
    require_admin(actor)
    entry = db.session.get(ScheduleEntry, entry_id)
    if entry is None:
        raise ServiceError("スケジュールが見つかりません。", 404)
    if _usage([entry])[0]:
        raise ServiceError("この日付を選択している申込があるため削除できません。", 409)
    db.session.delete(entry)
    audit(None, actor, "schedule_deleted", start_date=entry.start_date.isoformat())
    db.session.commit()


def parse_schedule_csv(text: str) -> tuple[list[tuple[date, date, date]], list[str]]:
    """Rows (start, contract, setup) and the Japanese errors by line. Columns as in the manual's
    table: 利用契約関係申込締切日, システム設定関係申込締切日, システム登録日 (a header is optional)."""
    rows, errors = [], []
    overrides = calendar_overrides()
    reader = csv.reader(io.StringIO(text))
    order = list(SCHEDULE_COLUMNS)
    for number, record in enumerate(reader, start=1):
        cells = [c.strip() for c in record]
        if not any(cells):
            continue
        if number == 1 and parse_date(cells[0]) is None:
            names = [SCHEDULE_HEADERS.get(c, c) for c in cells]
            if set(names[:3]) == set(SCHEDULE_COLUMNS):
                order = names[:3]
                continue
        if len(cells) < 3:
            errors.append(
                f"{number}行目：3列（申込締切日・設定締切日・システム登録日）が必要です。"
            )
            continue
        values = dict(zip(order, (parse_date(c) for c in cells[:3]), strict=True))
        if None in values.values():
            errors.append(f"{number}行目：日付はYYYY-MM-DDの形式で入力してください。")
            continue
        start, contract, setup = (
            values[k] for k in ("start_date", "contract_deadline", "setup_deadline")
        )
        if problem := check_schedule_row(start, contract, setup, overrides):
            errors.append(f"{number}行目：{problem}")
            continue
        rows.append((start, contract, setup))
    if not rows and not errors:
        errors.append("CSVにスケジュールがありません。")
    return rows, errors


def import_schedule(actor: Actor, text: str) -> dict[str, int]:
    """All or nothing: any bad line refuses the whole file (the errors list every line)."""
    require_admin(actor)
    rows, errors = parse_schedule_csv(text)
    if errors:
        raise ServiceError("\n".join(errors))
    existing = {e.start_date: e for e in db.session.scalars(select(ScheduleEntry))}
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    for start, contract, setup in rows:
        entry = existing.get(start)
        if entry is None:
            entry = ScheduleEntry(
                start_date=start, contract_deadline=contract, setup_deadline=setup
            )
            db.session.add(entry)
            existing[start] = entry
            counts["added"] += 1
        elif (entry.contract_deadline, entry.setup_deadline) != (contract, setup):
            entry.contract_deadline, entry.setup_deadline = contract, setup
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    audit(None, actor, "schedule_imported", **counts)
    db.session.commit()
    return counts


# --- the business calendar (営業日) ------------------------------------------------------


def calendar_days(actor: Actor, year: int) -> list[CalendarDay]:
    require_admin(actor)
    return list(
        db.session.scalars(
            select(CalendarDay)
            .where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
            .order_by(CalendarDay.day)
        )
    )


def set_calendar_day(actor: Actor, day: date, is_business_day: bool, note: str) -> int:
    """Mark a day open or closed; the answer-due dates of waiting staff tasks follow."""
    require_admin(actor)
    row = db.session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.is_business_day, row.note = is_business_day, note
    kind = "business" if is_business_day else "closed"
    return _calendar_changed(actor, "calendar_set", day=day.isoformat(), kind=kind, note=note)


def clear_calendar_day(actor: Actor, day: date) -> int:
    """Back to the default rule (weekends, national holidays and 12/29–1/3 closed)."""
    require_admin(actor)
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise ServiceError("この日付の設定はありません。", 404)
    db.session.delete(row)
    return _calendar_changed(actor, "calendar_cleared", day=day.isoformat())


def seed_calendar_year(actor: Actor, year: int) -> int:
    """Add the national holidays and the year-end closure of year (existing entries stay)."""
    from app.services.seed import seed_calendar

    require_admin(actor)
    added = seed_calendar(year, year)
    _calendar_changed(actor, "calendar_seeded", year=year, added=added)
    return added


def _calendar_changed(actor: Actor, action: str, **detail) -> int:
    """One transaction: the calendar change, the due dates it moves, the audit event."""
    db.session.flush()
    moved = recompute_due_dates()
    audit(None, actor, action, **detail, moved=moved)
    db.session.commit()
    return moved


def recompute_due_dates() -> int:
    """Answer-due = end of the next business day after the task arrived, on today's calendar."""
    overrides = calendar_overrides()
    tasks = db.session.scalars(
        select(HumanTask).where(HumanTask.state == "ready", HumanTask.lane.in_(STAFF_LANES))
    ).all()
    moved = 0
    for task in tasks:
        due = end_of_day(next_business_day(task.created_at.astimezone(JST).date(), overrides))
        if task.due_at != due:
            task.due_at = due
            moved += 1
    return moved


# --- the office registry ----------------------------------------------------------------


def offices(actor: Actor, q: str = "", page: int = 1, per_page: int = 50) -> Page:
    require_admin(actor)
    query = select(Office)
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        pairs = (
            (Office.code, like.upper()),
            (Office.company_name, like),
            (Office.office_name, like),
        )
        query = query.where(or_(*(c.like(p, escape="\\") for c, p in pairs)))
    total = db.session.scalar(query.with_only_columns(func.count()).order_by(None)) or 0
    page = max(1, min(page, -(-total // per_page) or 1))
    items = db.session.scalars(
        query.order_by(Office.code).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(list(items), page, per_page, total)


def office(actor: Actor, code: str) -> Office:
    require_admin(actor)
    found = db.session.get(Office, (code or "").upper())
    if found is None:
        raise ServiceError("事業所が見つかりません。", 404)
    return found


def save_office(actor: Actor, data: dict, code: str | None = None) -> Office:
    """Add an office (code None) or edit one; the code itself never changes."""
    require_admin(actor)
    new_code = str(data.get("code") or code or "").upper()
    found = db.session.get(Office, code.upper() if code else new_code)
    if code is None and found is not None:
        raise ServiceError(f"事業所コード {new_code} は既に登録されています。", 409)
    if code is not None and found is None:
        raise ServiceError("事業所が見つかりません。", 404)
    if found is None:
        found = Office(code=new_code)
        db.session.add(found)
    for column in OFFICE_COLUMNS[1:]:
        setattr(found, column, str(data.get(column) or ""))
    audit(None, actor, "office_saved", code=found.code, created=code is None)
    db.session.commit()
    return found


def import_offices(actor: Actor, text: str) -> dict[str, int]:
    """CSV columns: 事業所コード, 企業名, 企業名カナ, 事業所名, 郵便番号, 都道府県, 市区町村, 番地, 管轄税関."""
    require_admin(actor)
    counts, errors = {"added": 0, "updated": 0}, []
    records = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if records and not re.fullmatch(r"[A-Za-z0-9]{6}", records[0][0].strip()):
        records = records[1:]  # header
    for number, record in enumerate(records, start=1):
        cells = [c.strip() for c in record] + [""] * len(OFFICE_COLUMNS)
        data = dict(zip(OFFICE_COLUMNS, cells, strict=False))
        if not re.fullmatch(r"[A-Za-z]{3}[0-9]{3}", data["code"]) or not data["company_name"]:
            errors.append(f"{number}件目：事業所コード（英字3桁＋数字3桁）と企業名が必要です。")
            continue
        existing = db.session.get(Office, data["code"].upper())
        if existing is None:
            existing = Office(code=data["code"].upper())
            db.session.add(existing)
            counts["added"] += 1
        else:
            counts["updated"] += 1
        for column in OFFICE_COLUMNS[1:]:
            setattr(existing, column, data[column])
    if errors:
        db.session.rollback()
        raise ServiceError("\n".join(errors))
    audit(None, actor, "offices_imported", **counts)
    db.session.commit()
    return counts
