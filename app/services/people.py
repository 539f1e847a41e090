"""Looking up who a session belongs to (used by the login manager)."""

from app.extensions import db
from app.models import ProvisionalAccount, StaffUser
from app.services import Actor
from app.services.auth import applicant_actor, staff_actor


def principal(key: str) -> tuple[Actor, str] | None:
    kind, _, raw_id = (key or "").partition(":")
    if not raw_id.isdigit():
        return None
    if kind == "a":
        account = db.session.get(ProvisionalAccount, int(raw_id))
        if account is None:
            return None
        # A login disabled by a timer ends the session at the next request.
        if account.disabled_at is not None and account.disabled_reason == "expired":
            return None
        return applicant_actor(account), account.application.contact_name or account.login_id
    if kind == "s":
        staff = db.session.get(StaffUser, int(raw_id))
        if staff is None or not staff.active:
            return None
        return staff_actor(staff), staff.name
    return None


def staff_choices(role: str) -> list[tuple[int, str]]:
    from sqlalchemy import select

    return [
        (s.id, s.name)
        for s in db.session.scalars(
            select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.id)
        )
        if s.has_role(role)
    ]
