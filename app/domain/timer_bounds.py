"""Sane bounds for BPMN timer values, so that no duration, date or cycle can hang the engine.

SpiffWorkflow turns a duration into a date by walking month by month (``P99999999999Y`` loops for
minutes, ``P10000Y`` overflows), and repeats a cycle without a count forever (``R/PT0S``). These
rules are checked before the library sees a value, both when a diagram is validated and when a
timer starts at run time:

- a duration is longer than zero and at most ``MAX_SPAN`` (10 years of 365.2425 days; a year
  counts 365.2425 days and a month a twelfth of that);
- a date (ISO 8601, naive dates read as UTC) lies within ``MAX_SPAN`` before or after now;
- a cycle ``R<n>/<interval>``, ``R<n>/<start>/<interval>`` or ``R<n>/<interval>/<end>`` has an
  explicit count from 1 to ``MAX_CYCLES``, an interval of at least ``MIN_CYCLE_INTERVAL``, its
  dates within the window above, and all its repetitions together within ``MAX_SPAN``.

Each check returns None when the value is fine, or the reason in Japanese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_SPAN = timedelta(days=3652, hours=10, minutes=12)  # 10 x 365.2425 days
MIN_CYCLE_INTERVAL = timedelta(minutes=1)
MAX_CYCLES = 1000
MAX_TEXT = 80  # characters of one timer value; real ones are under 40
KINDS = ("duration", "date", "cycle")

_YEAR_SECONDS = 365.2425 * 86400
_UNITS = (
    ("years", _YEAR_SECONDS),
    ("months", _YEAR_SECONDS / 12),
    ("weeks", 7 * 86400),
    ("days", 86400),
    ("hours", 3600),
    ("minutes", 60),
    ("seconds", 1),
)
_NUMBER = r"(\d{1,12}(?:[.,]\d{1,9})?)"
DURATION = re.compile(
    rf"^P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$"
)
CYCLE_COUNT = re.compile(r"^R(\d{0,12})$")
EXAMPLES = "例: PT48H、P3D、2027-04-01T00:00:00+09:00、R3/PT1H"


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration's parts as written (fractions allowed, as SpiffWorkflow allows)."""

    years: float = 0
    months: float = 0
    weeks: float = 0
    days: float = 0
    hours: float = 0
    minutes: float = 0
    seconds: float = 0

    def seconds_about(self) -> float:
        """Length in seconds on the average calendar (a year is 365.2425 days)."""
        return sum(getattr(self, name) * size for name, size in _UNITS)


def _years(span: timedelta = MAX_SPAN) -> int:
    return round(span.total_seconds() / _YEAR_SECONDS)


def parse_duration(text: str) -> Duration | None:
    """The parts of an ISO 8601 duration (PT48H, P3D, P1Y2M), or None when it is not one."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return None
    upper = text.strip().upper()
    match = DURATION.match(upper)
    if match is None or upper == "P" or upper.endswith("T"):
        return None
    values = [float(v.replace(",", ".")) if v else 0.0 for v in match.groups()]
    return Duration(*values)


def parse_date(text: str) -> datetime | None:
    """An ISO 8601 date or date-time as an aware datetime (naive ones read as UTC), or None."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def duration_problem(text: str) -> str | None:
    """Why this duration cannot be a timer, or None: it must be > 0 and at most 10 years."""
    duration = parse_duration(text)
    if duration is None:
        return f"'{_shown(text)}' は ISO 8601 の期間として読めません（{EXAMPLES}）。"
    length = duration.seconds_about()
    if length <= 0:
        return f"期間 '{text}' が 0 です。0 より長い期間を書いてください。"
    if length > MAX_SPAN.total_seconds():
        return f"期間 '{text}' が長すぎます（{_years()} 年まで）。"
    return None


def date_problem(text: str, now: datetime) -> str | None:
    """Why this date cannot be a timer, or None: it must lie within 10 years of now."""
    value = parse_date(text)
    if value is None:
        return f"'{_shown(text)}' は ISO 8601 の日時として読めません（{EXAMPLES}）。"
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if abs(value - now) > MAX_SPAN:
        return f"日時 '{text}' が現在から {_years()} 年の範囲を外れています。"
    return None


def cycle_problem(text: str, now: datetime) -> str | None:
    """Why this cycle cannot be a timer, or None (explicit count, interval >= 1 minute)."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return f"'{_shown(text)}' は ISO 8601 の繰り返しとして読めません（{EXAMPLES}）。"
    parts = text.strip().upper().replace("--", "/").split("/")
    count = CYCLE_COUNT.match(parts[0])
    if count is None or len(parts) not in (2, 3):
        return f"'{text}' は ISO 8601 の繰り返しとして読めません（{EXAMPLES}）。"
    if not count.group(1):
        return f"繰り返し '{text}' に回数がありません。R3/PT1H のように回数（1〜{MAX_CYCLES}）を書いてください。"
    cycles = int(count.group(1))
    if not 1 <= cycles <= MAX_CYCLES:
        return f"繰り返し '{text}' の回数は 1〜{MAX_CYCLES} にしてください。"
    rest = parts[1:]
    durations = [d for d in (parse_duration(p) for p in rest) if d is not None]
    dates = [p for p in rest if parse_duration(p) is None]
    if len(durations) != 1:
        return f"'{text}' は ISO 8601 の繰り返しとして読めません（{EXAMPLES}）。"
    for part in dates:
        if problem := date_problem(part, now):
            return f"繰り返し '{text}' の{problem}"
    interval = durations[0].seconds_about()
    if interval < MIN_CYCLE_INTERVAL.total_seconds():
        return f"繰り返し '{text}' の間隔が短すぎます（1 分以上にしてください）。"
    if interval * cycles > MAX_SPAN.total_seconds():
        return f"繰り返し '{text}' の全体（回数 × 間隔）が {_years()} 年を超えます。"
    return None


def timer_problem(kind: str, value: object, now: datetime) -> str | None:
    """Why a timer of this kind ("duration", "date" or "cycle") cannot take this value, or None."""
    if not isinstance(value, str):
        return (
            f"タイマーの値が文字列ではありません（{type(value).__name__}）。"
            f"ISO 8601 の日時・期間・繰り返しを文字列で書いてください（{EXAMPLES}）。"
        )
    if kind == "duration":
        return duration_problem(value)
    if kind == "date":
        return date_problem(value, now)
    if kind == "cycle":
        return cycle_problem(value, now)
    raise ValueError(f"unknown timer kind {kind!r}")


def _shown(text: object) -> str:
    shown = str(text)
    return shown if len(shown) <= MAX_TEXT else shown[:MAX_TEXT] + "…"
