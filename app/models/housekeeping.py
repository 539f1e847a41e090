"""Housekeeping processes: diagrams run by the worker that belong to no application."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import now
from app.extensions import db
from app.models.types import UTCDateTime


class HousekeepingInstance(db.Model):
    """The one running instance of a housekeeping process (e.g. the reviewers' daily digest)."""

    __tablename__ = "housekeeping_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), unique=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    state: Mapped[str | None] = mapped_column(Text)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # When its work last ran (the digest: "new since" the previous mail).
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runs: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lock_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    # Two workers: the second writer of the same row fails instead of firing twice (SQLite).
    __mapper_args__ = {"version_id_col": lock_version}
