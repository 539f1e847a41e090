"""Authentication of applicants (仮ログインID or 事業所コード) and staff."""

from sqlalchemy import select

from app.extensions import db
from app.models import IssuedCredential, ProvisionalAccount, StaffUser
from app.security import verify_password
from app.services import Actor, ServiceError
from app.services.timers import refresh_application
from app.services.unit import audit

BAD_LOGIN = "ログインIDまたはパスワードが正しくありません。"
EXPIRED = (
    "仮ログインIDの有効期限（48時間）が過ぎたため、ログインできません。"
    "お手数ですが、再度仮アカウント申込を行ってください。"
)
PROVISIONAL_ENDED = (
    "利用開始日の翌日以降は仮ログインIDでログインできません。"
    "事業所コード・事業所パスワードでログインしてください。"
)


def applicant_actor(account: ProvisionalAccount) -> Actor:
    return Actor(
        kind="applicant",
        label=f"applicant:{account.login_id}",
        application_id=account.application_id,
    )


def authenticate_applicant(login_id: str, password: str) -> ProvisionalAccount:
    """Accepts a 7-digit 仮ログインID, or a 事業所コード once issued; returns the account."""
    login_id = (login_id or "").strip().upper()
    if len(login_id) == 6:
        return _authenticate_office(login_id, password)
    account = db.session.scalar(
        select(ProvisionalAccount).where(ProvisionalAccount.login_id == login_id)
    )
    if account is None or not verify_password(account.password_hash, password):
        raise ServiceError(BAD_LOGIN, 401)
    # A deadline that passed while no worker ran must still shut the door.
    refresh_application(account.application_id)
    db.session.refresh(account)
    if account.disabled_at is not None:
        raise ServiceError(
            EXPIRED if account.disabled_reason == "expired" else PROVISIONAL_ENDED, 403
        )
    audit(account.application_id, applicant_actor(account), "login")
    db.session.commit()
    return account


def _authenticate_office(office_code: str, password: str) -> ProvisionalAccount:
    credential = db.session.scalar(
        select(IssuedCredential).where(
            IssuedCredential.kind == "office", IssuedCredential.office_code == office_code
        )
    )
    if (
        credential is None
        or not credential.login_hash
        or not verify_password(credential.login_hash, password)
    ):
        raise ServiceError(BAD_LOGIN, 401)
    account = credential.application.account
    audit(account.application_id, applicant_actor(account), "login", via="office_code")
    db.session.commit()
    return account


def authenticate_staff(login: str, password: str) -> StaffUser:
    staff = db.session.scalar(select(StaffUser).where(StaffUser.login == (login or "").strip()))
    if staff is None or not staff.active or not verify_password(staff.password_hash, password):
        raise ServiceError(BAD_LOGIN, 401)
    return staff


def staff_actor(staff: StaffUser) -> Actor:
    return Actor(
        kind="staff",
        label=f"staff:{staff.login}",
        staff_id=staff.id,
        roles=frozenset(staff.role_set),
    )
