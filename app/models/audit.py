"""The append-only audit trail of everything that happens to an application."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import now
from app.extensions import db
from app.models.types import UTCDateTime


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    detail: Mapped[dict] = mapped_column(db.JSON, default=dict)


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):  # pragma: no cover - guard
    raise RuntimeError("audit events cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):  # pragma: no cover - guard
    raise RuntimeError("audit events cannot be deleted")
