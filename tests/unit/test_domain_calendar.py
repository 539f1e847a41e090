"""Unit tests of app.domain.calendar: NACCS Center business days."""

from datetime import date

import pytest

from app.domain.calendar import (
    add_business_days,
    default_closed_days,
    is_business_day,
    next_business_day,
)


def test_weekdays_are_business_days_and_weekends_are_not() -> None:
    assert is_business_day(date(2026, 6, 10))  # Wednesday
    assert not is_business_day(date(2026, 6, 13))  # Saturday
    assert not is_business_day(date(2026, 6, 14))  # Sunday


def test_national_holidays_and_substitute_holidays_are_closed() -> None:
    assert not is_business_day(date(2026, 11, 3))  # 文化の日 (Tuesday)
    assert not is_business_day(date(2026, 5, 6))  # 憲法記念日 振替休日 (Wednesday)
    assert not is_business_day(date(2026, 9, 22))  # 国民の休日 (Tuesday)
    assert is_business_day(date(2026, 5, 7))


@pytest.mark.parametrize("day", [29, 30, 31])
def test_year_end_closure(day: int) -> None:
    assert not is_business_day(date(2026, 12, day))


def test_new_year_closure_and_first_business_day() -> None:
    assert is_business_day(date(2026, 12, 28))  # Monday before the closure
    for day in (1, 2, 3):
        assert not is_business_day(date(2027, 1, day))
    assert is_business_day(date(2027, 1, 4))  # Monday after the closure
    assert next_business_day(date(2026, 12, 28)) == date(2027, 1, 4)


def test_overrides_win_either_way() -> None:
    closure = date(2026, 12, 29)
    assert is_business_day(closure, {closure: True})
    ordinary = date(2026, 6, 10)
    assert not is_business_day(ordinary, {ordinary: False})
    saturday = date(2026, 6, 13)
    assert is_business_day(saturday, {saturday: True})
    assert next_business_day(date(2026, 6, 12), {saturday: True}) == saturday


def test_next_business_day_is_strictly_after() -> None:
    assert next_business_day(date(2026, 6, 10)) == date(2026, 6, 11)
    assert next_business_day(date(2026, 6, 12)) == date(2026, 6, 15)  # Friday → Monday
    assert next_business_day(date(2026, 5, 1)) == date(2026, 5, 7)  # Golden Week


def test_add_business_days() -> None:
    assert add_business_days(date(2019, 12, 10), 2) == date(2019, 12, 12)
    assert add_business_days(date(2026, 12, 25), 2) == date(2027, 1, 4)  # via Mon 12/28
    assert add_business_days(date(2026, 6, 12), 1) == date(2026, 6, 15)
    with pytest.raises(ValueError):
        add_business_days(date(2026, 6, 12), 0)


def test_default_closed_days() -> None:
    closed = dict(default_closed_days(2026))
    assert closed[date(2026, 1, 1)] == "元日"
    assert closed[date(2026, 1, 2)] == "年末年始休業"
    assert closed[date(2026, 12, 31)] == "年末年始休業"
    assert closed[date(2026, 5, 6)] == "憲法記念日 振替休日"
    assert date(2026, 6, 13) not in closed  # plain weekends are not listed
    assert all(d.year == 2026 for d in closed)
    days = [d for d, _ in default_closed_days(2026)]
    assert days == sorted(days)
    assert len(days) == len(set(days)) == 18 + 5  # 18 holidays, 1/2 1/3 12/29 12/30 12/31
