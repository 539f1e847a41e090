"""Worker heartbeats: when each timer worker last finished a pass, so readiness can be judged."""

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import now
from app.extensions import db
from app.models.types import UTCDateTime


class WorkerHeartbeat(db.Model):
    """One row per timer worker process, overwritten after every pass."""

    __tablename__ = "worker_heartbeat"

    worker_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_pass_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    # Seconds the last pass took, and how late its most overdue timer was when the pass began.
    last_pass_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    last_lag_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    interval_seconds: Mapped[float] = mapped_column(Float, default=5.0)
    passes: Mapped[int] = mapped_column(Integer, default=0)
