"""NACCS Center staff accounts and their roles."""

from datetime import datetime

from sqlalchemy import String
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

    @property
    def role_set(self) -> set[str]:
        return {r for r in self.roles.split(",") if r}

    def has_role(self, role: str) -> bool:
        return role in self.role_set
