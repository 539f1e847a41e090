"""The append-only audit trail of everything that happens to an application."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import now
from app.extensions import db
from app.models.packed import PackedJSON
from app.models.types import UTCDateTime


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    # Packed against the audit dictionary (keys, task ids and names, topics, timers): read
    # and written as a dict; in SQL it is bytes (app.models.packed.unpack_json reads one).
    detail: Mapped[dict] = mapped_column(PackedJSON("audit"), default=dict)


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):  # pragma: no cover - guard
    raise RuntimeError("audit events cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):  # pragma: no cover - guard
    raise RuntimeError("audit events cannot be deleted")
