"""Staff people offered in choices (who a session belongs to: services.auth.current_principal)."""

from app.extensions import db
from app.models import StaffUser


def staff_choices(role: str) -> list[tuple[int, str]]:
    from sqlalchemy import select

    return [
        (s.id, s.name)
        for s in db.session.scalars(
            select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.id)
        )
        if s.has_role(role)
    ]
