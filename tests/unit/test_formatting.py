"""Unit tests of app.domain.dates: one way of writing dates, and the deadline countdown."""

from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.dates import (
    JST,
    countdown,
    date_time,
    deadline_day,
    long_date,
    short_date,
    short_date_time,
)

LATE = datetime(2026, 12, 4, 14, 27, tzinfo=UTC)  # 23:27 in Japan


def test_long_date_has_no_zero_padding_and_the_weekday() -> None:
    assert long_date(date(2026, 12, 4)) == "2026年12月4日（金）"
    assert long_date(date(2027, 1, 4)) == "2027年1月4日（月）"
    assert long_date("2026-12-04") == "2026年12月4日（金）"
    assert long_date(None) == "" and long_date("") == ""
    assert long_date("not a date") == "not a date"


def test_datetimes_are_written_in_japan_time() -> None:
    assert date_time(LATE) == "2026年12月4日（金）23:27"
    # 16:00 UTC is already the next day in Japan.
    assert date_time(datetime(2026, 12, 4, 16, 5, tzinfo=UTC)) == "2026年12月5日（土）01:05"
    assert long_date(datetime(2026, 12, 4, 16, 5, tzinfo=UTC)) == "2026年12月5日（土）"
    assert date_time("2026-12-04T23:27:00+09:00") == "2026年12月4日（金）23:27"
    assert date_time(date(2026, 12, 4)) == "2026年12月4日（金）"


def test_short_forms_for_tables() -> None:
    assert short_date(date(2026, 12, 4)) == "12月4日（金）"
    assert short_date_time(LATE) == "12月4日（金）23:27"
    assert short_date_time(date(2026, 1, 5)) == "1月5日（月）"


@pytest.mark.parametrize("value", [date(2026, 1, 5), datetime(2026, 1, 5, 0, 7, tzinfo=JST)])
def test_nothing_is_zero_padded(value) -> None:
    for text in (long_date(value), short_date(value), short_date_time(value)):
        assert "01月" not in text and "05日" not in text and "/" not in text


def test_deadline_day_of_a_midnight_instant_is_the_day_before() -> None:
    assert deadline_day(datetime(2026, 12, 5, 0, 0, tzinfo=JST)) == date(2026, 12, 4)
    assert deadline_day(None) is None


def test_countdown_days_hours_minutes_and_expired() -> None:
    due = datetime(2026, 12, 5, 0, 0, tzinfo=JST)  # the end of 12/4
    assert countdown(due, due - timedelta(days=2, hours=3)) == "あと2日"
    assert countdown(due, due - timedelta(hours=5, minutes=59)) == "あと5時間"
    assert countdown(due, due - timedelta(minutes=30)) == "あと30分"
    assert countdown(due, due - timedelta(seconds=20)) == "あと1分"
    assert countdown(due, due) == "期限切れ"
    assert countdown(due, due + timedelta(hours=1)) == "期限切れ"
    assert countdown(None, due) == ""


def test_countdown_only_when_near_unless_asked() -> None:
    due = datetime(2026, 12, 20, 0, 0, tzinfo=JST)
    now = datetime(2026, 12, 1, 10, 0, tzinfo=JST)
    assert countdown(due, now) == ""  # 18 days away: not near
    assert countdown(due, now, within=None) == "あと18日"
    assert countdown(due, now, within=timedelta(days=30)) == "あと18日"
