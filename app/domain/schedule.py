"""The スケジュール表: システム登録日 (利用開始日) with their deadlines, and the timers derived from them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.domain.calendar import add_business_days, business_day_on_or_before, is_business_day
from app.domain.dates import long_date

JST = ZoneInfo("Asia/Tokyo")

# The manual's table: the contract deadline is 15 days, the setup deadline 8 days before;
# a deadline that would fall on a closed day (Sunday, holiday, 12/29–1/3) moves to the
# business day before it: deadlines always fall on business days.
CONTRACT_DEADLINE_DAYS = 15
SETUP_DEADLINE_DAYS = 8
# Passwords can be viewed until the end of the 2nd business day after the start date.
PASSWORD_WINDOW_BUSINESS_DAYS = 2
# The applicant is reminded of the system-setup deadline this many business days before it,
# at this hour (Japan time).
SETUP_REMINDER_BUSINESS_DAYS = 3
SETUP_REMINDER_TIME = time(9, 0)


@dataclass(frozen=True)
class ScheduleEntry:
    """One システム登録日 (利用開始日) with its 利用契約関係 and システム設定関係 deadlines."""

    start_date: date
    contract_deadline: date
    setup_deadline: date


def open_entries(entries: Iterable[ScheduleEntry], today: date) -> list[ScheduleEntry]:
    """Return the entries whose contract deadline has not passed on today, by start date."""
    return sorted(
        (entry for entry in entries if entry.contract_deadline >= today),
        key=lambda entry: entry.start_date,
    )


def entry_for_start(start: date, overrides: Mapping[date, bool] | None = None) -> ScheduleEntry:
    """Return the entry for start with the manual's deadlines, each on a business day."""
    return ScheduleEntry(
        start_date=start,
        contract_deadline=business_day_on_or_before(
            start - timedelta(days=CONTRACT_DEADLINE_DAYS), overrides
        ),
        setup_deadline=business_day_on_or_before(
            start - timedelta(days=SETUP_DEADLINE_DAYS), overrides
        ),
    )


DEADLINE_LABELS = {
    "contract_deadline": "利用契約関係申込締切日",
    "setup_deadline": "システム設定関係申込締切日",
}


def closed_deadline_problems(
    contract: date, setup: date, overrides: Mapping[date, bool] | None = None
) -> list[str]:
    """Japanese reasons a row's deadlines are not business days, naming the day to use."""
    problems = []
    for key, day in (("contract_deadline", contract), ("setup_deadline", setup)):
        if not is_business_day(day, overrides):
            earlier = business_day_on_or_before(day, overrides)
            problems.append(
                f"{DEADLINE_LABELS[key]}（{long_date(day)}）はNACCSセンターの営業日では"
                f"ありません（土日・祝日・12月29日〜1月3日は休業）。前の営業日"
                f"（{long_date(earlier)}）にしてください。"
            )
    return problems


def generate_schedule(
    first: date, last: date, overrides: Mapping[date, bool] | None = None
) -> list[ScheduleEntry]:
    """Return one entry per ISO week: the week's first business day, if within [first, last].

    A week whose first business day falls before first or after last is skipped, and so is a
    week without any business day.
    """
    entries: list[ScheduleEntry] = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        for offset in range(7):
            day = monday + timedelta(days=offset)
            if is_business_day(day, overrides):
                if first <= day <= last:
                    entries.append(entry_for_start(day, overrides))
                break
        monday += timedelta(days=7)
    return entries


def start_of_day(d: date) -> datetime:
    """Return 00:00 Japan time of d, timezone-aware."""
    return datetime.combine(d, time.min, tzinfo=JST)


def end_of_day(d: date) -> datetime:
    """Return the end of d in Japan time, i.e. 00:00 of the next day, timezone-aware."""
    return start_of_day(d + timedelta(days=1))


def password_window_last_day(
    start_date: date, overrides: Mapping[date, bool] | None = None
) -> date:
    """Return the last day passwords can be viewed: the 2nd business day after the start date."""
    return add_business_days(start_date, PASSWORD_WINDOW_BUSINESS_DAYS, overrides)


def subtract_business_days(d: date, n: int, overrides: Mapping[date, bool] | None = None) -> date:
    """Return the n-th business day strictly before d (n >= 1)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    result = d
    for _ in range(n):
        result -= timedelta(days=1)
        for _ in range(366):
            if is_business_day(result, overrides):
                break
            result -= timedelta(days=1)
        else:
            raise ValueError(f"no business day within a year before {d.isoformat()}")
    return result


def setup_reminder_at(
    setup_deadline: date, overrides: Mapping[date, bool] | None = None
) -> datetime:
    """09:00 Japan time, 3 business days before the システム設定関係申込締切日."""
    day = subtract_business_days(setup_deadline, SETUP_REMINDER_BUSINESS_DAYS, overrides)
    return datetime.combine(day, SETUP_REMINDER_TIME, tzinfo=JST)


def timer_dates(
    start_date: date, setup_deadline: date, overrides: Mapping[date, bool] | None = None
) -> dict[str, str]:
    """Return the workflow timer instants of one application as ISO 8601 strings (+09:00).

    setup_reminder_at: the applicant's reminder when the setup application is not yet filed;
    setup_escalation_at: 00:00 of the day before the start date, when 設定作業 still open is
    escalated to supervisors.
    """
    return {
        "setup_deadline_at": end_of_day(setup_deadline).isoformat(),
        "setup_reminder_at": setup_reminder_at(setup_deadline, overrides).isoformat(),
        "setup_escalation_at": start_of_day(start_date - timedelta(days=1)).isoformat(),
        "start_of_use_at": start_of_day(start_date).isoformat(),
        "password_window_end_at": end_of_day(
            password_window_last_day(start_date, overrides)
        ).isoformat(),
        "provisional_end_at": start_of_day(start_date + timedelta(days=1)).isoformat(),
    }
