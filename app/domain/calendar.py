"""Business days (営業日) of the NACCS Center: weekends, national holidays and 12/29–1/3 are closed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import jpholiday

YEAR_END_CLOSURE_NOTE = "年末年始休業"


def _is_year_end_closure(d: date) -> bool:
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


def is_business_day(d: date, overrides: Mapping[date, bool] | None = None) -> bool:
    """True when d is a business day; an entry in overrides wins over the default rules."""
    if overrides is not None and d in overrides:
        return bool(overrides[d])
    if d.weekday() >= 5:
        return False
    if _is_year_end_closure(d):
        return False
    return not jpholiday.is_holiday(d)


def next_business_day(d: date, overrides: Mapping[date, bool] | None = None) -> date:
    """Return the first business day strictly after d."""
    candidate = d + timedelta(days=1)
    # A year has at most a few dozen closed days; this bound only guards against bad overrides.
    for _ in range(366):
        if is_business_day(candidate, overrides):
            return candidate
        candidate += timedelta(days=1)
    raise ValueError(f"no business day within a year after {d.isoformat()}")


def business_day_on_or_before(d: date, overrides: Mapping[date, bool] | None = None) -> date:
    """Return d when it is a business day, else the last business day before it."""
    candidate = d
    for _ in range(366):
        if is_business_day(candidate, overrides):
            return candidate
        candidate -= timedelta(days=1)
    raise ValueError(f"no business day within a year before {d.isoformat()}")


def add_business_days(d: date, n: int, overrides: Mapping[date, bool] | None = None) -> date:
    """Return the n-th business day strictly after d (n >= 1)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    result = d
    for _ in range(n):
        result = next_business_day(result, overrides)
    return result


def default_closed_days(year: int) -> list[tuple[date, str]]:
    """Return the national holidays and year-end/new-year closure days of year, with notes.

    Weekends are not listed (they are closed by rule). A day that is both a holiday and a
    closure day (元日) carries the holiday name.
    """
    closed: dict[date, str] = {}
    for day in (date(year, 1, 1), date(year, 1, 2), date(year, 1, 3)):
        closed[day] = YEAR_END_CLOSURE_NOTE
    for day in (date(year, 12, 29), date(year, 12, 30), date(year, 12, 31)):
        closed[day] = YEAR_END_CLOSURE_NOTE
    for day, name in jpholiday.year_holidays(year):
        closed[day] = name
    return sorted(closed.items())
