"""Incidents: a step of one application that failed, kept open until it succeeds or staff close it."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import now
from app.extensions import db
from app.models.types import UTCDateTime

INCIDENT_STATUSES = {"open": "未解決", "resolved": "解決済み"}
INCIDENT_SOURCES = {
    "worker": "期限処理（ワーカー）",
    "request": "利用者・職員の操作",
    "retry": "再試行",
}


class Incident(db.Model):
    """At most one open incident per application; each failure of it counts one attempt."""

    __tablename__ = "incident"
    __table_args__ = (
        # One open incident per application (a second failure updates it).
        Index(
            "ux_incident_open_application",
            "application_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_incident_status_retry", "status", "next_retry_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    process_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    # Where it failed: the BPMN element (service task, gateway, timer ...) when known.
    element_id: Mapped[str | None] = mapped_column(String(200))
    element_name: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(20), default="worker")
    error_class: Mapped[str] = mapped_column(String(200))
    error_message: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    # The worker leaves the application alone until then; NULL: only staff retry it.
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="open")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolution_note: Mapped[str | None] = mapped_column(Text)
