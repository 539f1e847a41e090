"""The one way dates and times are written (pages, mails, PDFs): 2026年12月4日（金）23:27."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
WEEKDAYS = "月火水木金土日"
# A deadline closer than this gets a countdown (「あと2日」, 「あと5時間」).
COUNTDOWN_WITHIN = timedelta(days=7)

DateLike = date | datetime | str | None


def _as_date(value: date | datetime | str) -> date | datetime:
    """An ISO string becomes a date (YYYY-MM-DD) or an aware datetime (with a time)."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= 10:
            return date.fromisoformat(text)
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=JST)
    return value


def _local(value: datetime) -> datetime:
    """Japan time; a naive datetime is taken as Japan time already."""
    return value.astimezone(JST) if value.tzinfo else value.replace(tzinfo=JST)


def _day(value: date | datetime) -> date:
    return _local(value).date() if isinstance(value, datetime) else value


def long_date(value: DateLike) -> str:
    """2026年12月4日（金） (no zero padding); '' for nothing; unparsable text as given."""
    if not value:
        return ""
    try:
        day = _day(_as_date(value))
    except ValueError:
        return str(value)
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


def short_date(value: DateLike) -> str:
    """12月4日（金）, where the year is obvious (tables, lists)."""
    if not value:
        return ""
    try:
        day = _day(_as_date(value))
    except ValueError:
        return str(value)
    return f"{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


def date_time(value: DateLike) -> str:
    """2026年12月4日（金）23:27 in Japan time; a plain date is written as long_date."""
    if not value:
        return ""
    try:
        parsed = _as_date(value)
    except ValueError:
        return str(value)
    if not isinstance(parsed, datetime):
        return long_date(parsed)
    local = _local(parsed)
    return f"{long_date(local.date())}{local:%H:%M}"


def short_date_time(value: DateLike) -> str:
    """12月4日（金）23:27, or 12月4日（金） for a plain date (tables)."""
    if not value:
        return ""
    try:
        parsed = _as_date(value)
    except ValueError:
        return str(value)
    if not isinstance(parsed, datetime):
        return short_date(parsed)
    local = _local(parsed)
    return f"{short_date(local.date())}{local:%H:%M}"


def deadline_day(due: datetime | None) -> date | None:
    """The day a deadline falls on: a due instant of 00:00 JST belongs to the day before."""
    if not due:
        return None
    return (_local(due) - timedelta(microseconds=1)).date()


def countdown(
    due: datetime | None, now: datetime, within: timedelta | None = COUNTDOWN_WITHIN
) -> str:
    """「あと2日」 / 「あと5時間」 / 「あと30分」 when due is near; 「期限切れ」 once passed; else ''.

    due is the instant the deadline ends (end of its last day). Days are whole days left,
    rounded down; under a day the hours are shown, under an hour the minutes. within=None
    counts down however far the deadline is.
    """
    if due is None:
        return ""
    left = _local(due) - _local(now)
    if left <= timedelta(0):
        return "期限切れ"
    if within is not None and left > within:
        return ""
    if left >= timedelta(days=1):
        return f"あと{left.days}日"
    if left >= timedelta(hours=1):
        return f"あと{int(left.total_seconds() // 3600)}時間"
    return f"あと{max(int(left.total_seconds() // 60), 1)}分"
