"""Jinja filters: Japan-time dates and times, status words."""

from datetime import date, datetime

from flask import Flask

from app.domain.schedule import JST
from app.services.views import STATUS_LABELS

WEEKDAYS = "月火水木金土日"


def jdate(value: date | datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(JST).date()
    return f"{value.year}年{value.month}月{value.day}日（{WEEKDAYS[value.weekday()]}）"


def jdatetime(value: datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(JST)
    return f"{jdate(local.date())} {local:%H:%M}"


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["jdate"] = jdate
    app.jinja_env.filters["jdatetime"] = jdatetime
    app.jinja_env.filters["status_label"] = lambda s: STATUS_LABELS.get(s, s)
