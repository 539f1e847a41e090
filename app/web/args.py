"""Query parameters read safely: malformed or out-of-range values fall back to a default."""

from datetime import date

from flask import request

PAGES = range(1, 100_000)
# Dates staff may search by: wide enough for any real application, far from datetime's limits.
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2100, 12, 31)
DATE_RANGE_MESSAGE = "日付は2000-01-01から2100-12-31までの範囲で入力してください。"


def int_arg(name: str, default: int, allowed: range = PAGES) -> int:
    """An integer query parameter; missing, malformed (signs, words, huge) or outside `allowed`
    means `default`."""
    value = request.args.get(name, "")
    if value.isascii() and value.isdigit() and len(value) <= 9 and int(value) in allowed:
        return int(value)
    return default


def page_arg(name: str = "page") -> int:
    return int_arg(name, 1, PAGES)


def date_in_range(value: date | None) -> bool:
    return value is None or FIRST_DATE <= value <= LAST_DATE
