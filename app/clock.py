"""The one clock read by the app, the workflow engine and the timer worker.

Real time plus an offset that staff may move forward in development; tests move real time
itself with time-machine, which this clock follows because it reads datetime.now().
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")

_offset = timedelta(0)


def now() -> datetime:
    """Current time, timezone-aware UTC, including the development offset."""
    return datetime.now(UTC) + _offset


def now_jst() -> datetime:
    return now().astimezone(JST)


def today_jst() -> date:
    return now_jst().date()


def offset() -> timedelta:
    return _offset


def set_offset(value: timedelta) -> None:
    """Set the process-local offset; callers load it from the shared setting first."""
    global _offset
    _offset = value
