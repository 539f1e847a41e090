"""Staff administration: staff users and their roles (administrator only)."""

from sqlalchemy import select

from app.extensions import db
from app.models import STAFF_ROLES, StaffUser
from app.security import hash_password
from app.services import Actor, ServiceError
from app.services.admin import require_admin
from app.services.unit import audit

ROLE_LABELS = STAFF_ROLES


def staff_users(actor: Actor) -> list[StaffUser]:
    require_admin(actor)
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.login)))


def staff_user(actor: Actor, staff_id: int) -> StaffUser:
    require_admin(actor)
    found = db.session.get(StaffUser, staff_id)
    if found is None:
        raise ServiceError("職員が見つかりません。", 404)
    return found


def save_staff_user(actor: Actor, data: dict, staff_id: int | None = None) -> StaffUser:
    """Create or edit a staff account; the password is stored hashed (only when given)."""
    require_admin(actor)
    roles = [r for r in STAFF_ROLES if r in set(data.get("roles") or [])]
    unknown = set(data.get("roles") or []) - set(STAFF_ROLES)
    if unknown:
        raise ServiceError(f"不明な役割です：{'、'.join(sorted(unknown))}")
    user = db.session.get(StaffUser, staff_id) if staff_id else None
    if staff_id and user is None:
        raise ServiceError("職員が見つかりません。", 404)
    login = str(data.get("login") or (user.login if user else "")).strip()
    clash = db.session.scalar(select(StaffUser).where(StaffUser.login == login))
    if clash is not None and clash is not user:
        raise ServiceError(f"ログインID「{login}」は既に使われています。", 409)
    active = bool(data.get("active", True))
    if user is not None and user.id == actor.staff_id:
        if "administrator" not in roles or not active:
            raise ServiceError("自分自身の管理者権限の削除・利用停止はできません。", 400)
    if user is None:
        if not data.get("password"):
            raise ServiceError("新しい職員にはパスワードを設定してください。")
        user = StaffUser(login=login)
        db.session.add(user)
    user.name = str(data.get("name") or user.name or login)
    user.email = str(data.get("email") or "")
    user.roles = ",".join(roles)
    user.active = active
    if data.get("password"):
        user.password_hash = hash_password(str(data["password"]))
    db.session.flush()
    audit(
        None,
        actor,
        "staff_saved",
        login=user.login,
        roles=user.roles,
        active=user.active,
        password_set=bool(data.get("password")),
    )
    db.session.commit()
    return user
