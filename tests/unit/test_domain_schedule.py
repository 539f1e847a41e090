"""Unit tests of app.domain.schedule: the スケジュール表 and the timers derived from it."""

from datetime import date, datetime, timedelta

import pytest

from app.domain.calendar import is_business_day
from app.domain.schedule import (
    JST,
    ScheduleEntry,
    closed_deadline_problems,
    end_of_day,
    generate_schedule,
    open_entries,
    password_window_last_day,
    start_of_day,
    timer_dates,
)

# The manual's table (p.9), in 2020 when 4/7, 4/14 and 4/21 were Tuesdays.
MANUAL_TABLE = [
    ScheduleEntry(date(2020, 4, 21), date(2020, 4, 6), date(2020, 4, 13)),
    ScheduleEntry(date(2020, 4, 1), date(2020, 3, 17), date(2020, 3, 24)),
    ScheduleEntry(date(2020, 4, 14), date(2020, 3, 30), date(2020, 4, 6)),
    ScheduleEntry(date(2020, 4, 7), date(2020, 3, 23), date(2020, 3, 30)),
]


def test_schedule_entry_is_frozen() -> None:
    entry = MANUAL_TABLE[0]
    try:
        entry.start_date = date(2020, 5, 1)  # type: ignore[misc]
    except AttributeError:
        return
    raise AssertionError("ScheduleEntry must be immutable")


def test_open_entries_manual_examples() -> None:
    # To start on 4/1, apply by 3/17.
    assert open_entries(MANUAL_TABLE, date(2020, 3, 17))[0].start_date == date(2020, 4, 1)
    assert date(2020, 4, 1) not in [
        e.start_date for e in open_entries(MANUAL_TABLE, date(2020, 3, 18))
    ]
    # Applying on 3/24, the choices are 4/14 or later: 4/7's deadline (3/23) has passed.
    starts = [e.start_date for e in open_entries(MANUAL_TABLE, date(2020, 3, 24))]
    assert starts == [date(2020, 4, 14), date(2020, 4, 21)]


def test_open_entries_sorted_by_start_and_empty_when_all_passed() -> None:
    starts = [e.start_date for e in open_entries(MANUAL_TABLE, date(2020, 3, 1))]
    assert starts == sorted(starts) and len(starts) == 4
    assert open_entries(MANUAL_TABLE, date(2020, 4, 7)) == []


def test_generate_schedule_deadlines_fall_on_business_days() -> None:
    entries = generate_schedule(date(2019, 3, 25), date(2019, 4, 30))
    by_start = {e.start_date: e for e in entries}
    # Mon 2019-04-01: the manual's table says 3/17 and 3/24, both Sundays: the business day
    # before each (Fri 3/15, Fri 3/22) is the deadline.
    assert by_start[date(2019, 4, 1)] == ScheduleEntry(
        date(2019, 4, 1), date(2019, 3, 15), date(2019, 3, 22)
    )
    for e in entries:
        assert is_business_day(e.contract_deadline) and is_business_day(e.setup_deadline)
        assert timedelta(days=15) <= e.start_date - e.contract_deadline <= timedelta(days=21)
        assert timedelta(days=8) <= e.start_date - e.setup_deadline <= timedelta(days=14)


def test_seeded_schedule_has_no_deadline_on_a_closed_day() -> None:
    """Two years of generated rows: no Sunday, holiday or 12/29–1/3 deadline (issue 11)."""
    entries = generate_schedule(date(2026, 1, 1), date(2027, 12, 31))
    for e in entries:
        for day in (e.contract_deadline, e.setup_deadline):
            assert is_business_day(day), (e.start_date, day)
            assert day.weekday() < 5 and not (day.month == 12 and day.day >= 29)
            assert not (day.month == 1 and day.day <= 3)
    # Start Mon 2027-01-11 is 成人の日, so Tue 1/12: 12/28 (Mon) and 1/4 (Mon) are open days.
    by_start = {e.start_date: e for e in entries}
    assert by_start[date(2027, 1, 12)].contract_deadline == date(2026, 12, 28)
    # Start Mon 2027-01-04: 12/20 (Sun) → Fri 12/18; 12/27 (Sun) → Fri 12/25.
    assert by_start[date(2027, 1, 4)].contract_deadline == date(2026, 12, 18)
    assert by_start[date(2027, 1, 4)].setup_deadline == date(2026, 12, 25)


def test_closed_deadline_problems_name_the_day_to_use() -> None:
    assert closed_deadline_problems(date(2026, 12, 18), date(2026, 12, 25)) == []
    problems = closed_deadline_problems(date(2026, 12, 20), date(2026, 12, 30))
    assert problems == [
        "利用契約関係申込締切日（2026年12月20日（日））はNACCSセンターの営業日ではありません"
        "（土日・祝日・12月29日〜1月3日は休業）。前の営業日（2026年12月18日（金））にしてください。",
        "システム設定関係申込締切日（2026年12月30日（水））はNACCSセンターの営業日ではありません"
        "（土日・祝日・12月29日〜1月3日は休業）。前の営業日（2026年12月28日（月））にしてください。",
    ]
    # The calendar's overrides count: an extra closed day is refused too.
    assert closed_deadline_problems(
        date(2026, 12, 18), date(2026, 12, 25), {date(2026, 12, 25): False}
    )


def test_generate_schedule_one_first_business_day_per_week() -> None:
    starts = [e.start_date for e in generate_schedule(date(2026, 4, 1), date(2026, 5, 31))]
    assert starts == [
        date(2026, 4, 6), date(2026, 4, 13), date(2026, 4, 20), date(2026, 4, 27),
        date(2026, 5, 7),  # 5/4–5/6 are holidays: Thursday
        date(2026, 5, 11), date(2026, 5, 18), date(2026, 5, 25),
    ]  # fmt: skip
    # The week of 3/30 starts before `first`, so it is skipped rather than moved.
    assert date(2026, 3, 30) not in starts and date(2026, 4, 1) not in starts


def test_generate_schedule_around_new_year_and_with_overrides() -> None:
    starts = [e.start_date for e in generate_schedule(date(2026, 12, 21), date(2027, 1, 15))]
    assert starts == [date(2026, 12, 21), date(2026, 12, 28), date(2027, 1, 4), date(2027, 1, 12)]
    # 2027-01-11 is 成人の日, so that week starts on Tuesday.
    closed = {date(2026, 12, 28): False}
    starts = [e.start_date for e in generate_schedule(date(2026, 12, 22), date(2027, 1, 8), closed)]
    assert starts == [date(2027, 1, 4)]


def test_day_boundaries_are_japan_time() -> None:
    begin = start_of_day(date(2019, 12, 10))
    assert begin == datetime(2019, 12, 10, tzinfo=JST)
    assert begin.utcoffset() == timedelta(hours=9)
    assert end_of_day(date(2019, 12, 31)) == datetime(2020, 1, 1, tzinfo=JST)
    assert end_of_day(date(2019, 12, 10)).isoformat() == "2019-12-11T00:00:00+09:00"


def test_password_window_manual_example() -> None:
    # Review ended Mon 12/2, start Tue 12/10: viewable through Thu 12/12, not from Fri 12/13.
    assert password_window_last_day(date(2019, 12, 10)) == date(2019, 12, 12)
    assert end_of_day(password_window_last_day(date(2019, 12, 10))) == datetime(
        2019, 12, 13, tzinfo=JST
    )


def test_password_window_skips_weekends_and_overrides() -> None:
    assert password_window_last_day(date(2026, 12, 28)) == date(2027, 1, 5)
    assert password_window_last_day(date(2019, 12, 10), {date(2019, 12, 11): False}) == date(
        2019, 12, 13
    )


def test_timer_dates() -> None:
    timers = timer_dates(date(2019, 12, 10), date(2019, 12, 2))
    assert timers == {
        "setup_deadline_at": "2019-12-03T00:00:00+09:00",
        "start_of_use_at": "2019-12-10T00:00:00+09:00",
        "password_window_end_at": "2019-12-13T00:00:00+09:00",
        "provisional_end_at": "2019-12-11T00:00:00+09:00",
        # Mon 12/2 deadline: 3 business days before is Wed 11/27 (Fri, Thu, Wed), at 09:00.
        "setup_reminder_at": "2019-11-27T09:00:00+09:00",
        # 設定作業 not done at 00:00 of the day before the start date is escalated.
        "setup_escalation_at": "2019-12-09T00:00:00+09:00",
    }
    assert datetime.fromisoformat(timers["start_of_use_at"]).utcoffset() == timedelta(hours=9)


def test_setup_reminder_counts_business_days_back() -> None:
    from app.domain.schedule import setup_reminder_at, subtract_business_days

    # Tue 2027-01-05 deadline: Mon 1/4, then the year-end closure (12/29-1/3) and the weekend.
    assert subtract_business_days(date(2027, 1, 5), 3) == date(2026, 12, 25)
    assert subtract_business_days(date(2019, 12, 2), 1, {date(2019, 11, 29): False}) == date(
        2019, 11, 28
    )
    assert setup_reminder_at(date(2019, 12, 2)) == datetime(2019, 11, 27, 9, 0, tzinfo=JST)
    with pytest.raises(ValueError):
        subtract_business_days(date(2019, 12, 2), 0)
