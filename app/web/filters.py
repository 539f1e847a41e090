"""Jinja filters, registered once: the formatters of app.domain.dates and status words."""

from datetime import date, datetime, timedelta

from flask import Flask

from app.clock import now
from app.domain.dates import (
    countdown,
    date_time,
    deadline_day,
    long_date,
    short_date,
    short_date_time,
)
from app.services.views import STATUS_LABELS

# Kept as names for older imports: the formatters themselves live in app.domain.dates.
jdate = long_date
jdatetime = date_time


def _within(days: int | None) -> timedelta | None:
    return None if days is None else timedelta(days=days)


def due_countdown(due: datetime | None, within_days: int | None = 7) -> str:
    """「あと2日」 / 「あと5時間」 when the deadline instant is near (clock-aware)."""
    return countdown(due, now(), _within(within_days))


def day_countdown(day: date | None, within_days: int | None = 7) -> str:
    """The countdown to the end of a deadline day (Japan time)."""
    from app.domain.schedule import end_of_day

    return countdown(end_of_day(day), now(), _within(within_days)) if day else ""


FILTERS = {
    "jdate": long_date,  # 2026年12月4日（金）
    "jdatetime": date_time,  # 2026年12月4日（金）23:27
    "jshortdate": short_date,  # 12月4日（金）
    "jshort": short_date_time,  # 12月4日（金）23:27, or 12月4日（金） for a date
    "due_day": deadline_day,  # the day a due instant of 00:00 belongs to
    "countdown": due_countdown,  # あと5時間
    "day_countdown": day_countdown,  # あと2日 (to the end of that day)
}


def register_filters(app: Flask) -> None:
    """Every date filter of pages and mails, and status_label."""
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.filters["status_label"] = lambda s: STATUS_LABELS.get(s, s)
