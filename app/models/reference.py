"""Reference data staff maintain: offices, the schedule, the business calendar, counters."""

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import now
from app.extensions import db
from app.models.types import UTCDateTime


class Office(db.Model):
    """A registered NACCS office (事業所); owning offices are looked up here."""

    __tablename__ = "office"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200), index=True)
    company_kana: Mapped[str] = mapped_column(String(200), default="")
    office_name: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(7), default="")
    prefecture: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    street: Mapped[str] = mapped_column(String(200), default="")
    customs: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    @property
    def address(self) -> str:
        return f"{self.prefecture}{self.city}{self.street}"


class ScheduleEntry(db.Model):
    """One システム登録日 (利用開始日) of the published schedule with its two deadlines."""

    __tablename__ = "schedule_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    start_date: Mapped[date] = mapped_column(Date, unique=True)
    contract_deadline: Mapped[date] = mapped_column(Date, index=True)
    setup_deadline: Mapped[date] = mapped_column(Date)


class CalendarDay(db.Model):
    """An explicit business-calendar entry; days without one follow the default rule."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_business_day: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(String(100), default="")


class Counter(db.Model):
    """Named serial counters (provisional login IDs, reference numbers per year)."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Setting(db.Model):
    """Small key/value settings shared by all processes (e.g. the development clock offset)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
