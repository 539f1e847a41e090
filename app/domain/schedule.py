"""The スケジュール表: システム登録日 (利用開始日) with their deadlines, and the timers derived from them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.domain.calendar import add_business_days, is_business_day

JST = ZoneInfo("Asia/Tokyo")

# The manual's table: the contract deadline is 15 days, the setup deadline 8 days before.
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


def entry_for_start(start: date) -> ScheduleEntry:
    """Return the entry for start with the manual's default deadlines."""
    return ScheduleEntry(
        start_date=start,
        contract_deadline=start - timedelta(days=CONTRACT_DEADLINE_DAYS),
        setup_deadline=start - timedelta(days=SETUP_DEADLINE_DAYS),
    )


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
                    entries.append(entry_for_start(day))
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
