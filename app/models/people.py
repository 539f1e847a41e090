"""NACCS Center staff accounts and their roles."""

from datetime import datetime

from sqlalchemy import Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import now
from app.extensions import db
from app.models.types import UTCDateTime

STAFF_ROLES = {
    "reviewer": "審査担当",
    "supervisor": "審査責任者",
    "operator": "設定作業担当",
    "analyst": "業務分析者",
    "administrator": "管理者",
}


class StaffUser(db.Model):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # Sessions carry the epoch they began in; logout and a new password bump it (ending them).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def role_set(self) -> set[str]:
        return {r for r in self.roles.split(",") if r}

    def has_role(self, role: str) -> bool:
        return role in self.role_set


@event.listens_for(StaffUser.password_hash, "set", active_history=True)
def _new_password_ends_sessions(target: StaffUser, value, old, initiator) -> None:
    """Whoever changes a staff password (admin page, CLI), every open session ends with it."""
    if isinstance(old, str) and old and value != old:
        target.session_epoch = (target.session_epoch or 0) + 1
