"""Authentication of applicants (仮ログインID or 事業所コード) and staff: throttled, with the same
work for unknown accounts, and sessions that end with logout, a new password or a timer."""

from dataclasses import dataclass
from functools import cache
from secrets import token_hex
from typing import NoReturn

from sqlalchemy import bindparam, select, update

from app.clock import now
from app.extensions import db
from app.models import Application, IssuedCredential, ProvisionalAccount, StaffUser
from app.security import hash_password, verify_password
from app.services import Actor, ServiceError, throttle
from app.services.timers import refresh_application
from app.services.unit import audit

BAD_LOGIN = "ログインIDまたはパスワードが正しくありません。"
LOCKED = (
    "ログインの失敗が続いたため、一時的にログインを制限しています。"
    "{minutes}分後にもう一度お試しください。"
)
EXPIRED = (
    "仮ログインIDの有効期限（48時間）が過ぎたため、ログインできません。"
    "お手数ですが、再度仮アカウント申込を行ってください。"
)
PROVISIONAL_ENDED = (
    "利用開始日の翌日以降は仮ログインIDでログインできません。"
    "事業所コード・事業所パスワードでログインしてください。"
)

# How a session was opened: the record whose session_epoch it must match.
VIA_PROVISIONAL, VIA_OFFICE, VIA_STAFF = "provisional", "office", "staff"


@dataclass(frozen=True)
class Login:
    """A successful login: the Flask-Login user key and the grant the session keeps."""

    user_key: str  # "a:<provisional account id>" or "s:<staff id>"
    grant: tuple[str, int, int]  # (via, record id, session epoch)


def applicant_actor(account: ProvisionalAccount) -> Actor:
    return Actor(
        kind="applicant",
        label=f"applicant:{account.login_id}",
        application_id=account.application_id,
    )


def staff_actor(staff: StaffUser) -> Actor:
    return Actor(
        kind="staff",
        label=f"staff:{staff.login}",
        staff_id=staff.id,
        roles=frozenset(staff.role_set),
    )


# --- logging in ---------------------------------------------------------------------------


def authenticate_applicant(login_id: str, password: str, address: str = "") -> Login:
    """Accepts a 7-digit 仮ログインID, or a 事業所コード once issued."""
    login_id = _printable(login_id).strip().upper()
    _refuse_while_locked("applicant", login_id, address)
    if len(login_id) == 6:
        return _authenticate_office(login_id, password, address)
    account = db.session.scalar(
        select(ProvisionalAccount).where(ProvisionalAccount.login_id == login_id)
    )
    if not _password_matches(account.password_hash if account else None, password):
        _failed("applicant", login_id, address)
    # A deadline that passed while no worker ran must still shut the door.
    refresh_application(account.application_id)
    db.session.refresh(account)
    _refuse_closed(account.application_id)
    if account.disabled_at is not None:
        raise ServiceError(
            EXPIRED if account.disabled_reason == "expired" else PROVISIONAL_ENDED, 403
        )
    _succeeded("applicant", login_id)
    audit(account.application_id, applicant_actor(account), "login")
    db.session.commit()
    return Login(f"a:{account.id}", (VIA_PROVISIONAL, account.id, account.session_epoch))


def _authenticate_office(office_code: str, password: str, address: str) -> Login:
    credential = db.session.scalar(
        select(IssuedCredential).where(
            IssuedCredential.kind == "office", IssuedCredential.office_code == office_code
        )
    )
    if not _password_matches(credential.login_hash if credential else None, password):
        _failed("applicant", office_code, address)
    account = credential.application.account
    _refuse_closed(account.application_id)
    _succeeded("applicant", office_code)
    audit(account.application_id, applicant_actor(account), "login", via="office_code")
    db.session.commit()
    return Login(f"a:{account.id}", (VIA_OFFICE, credential.id, credential.session_epoch))


def authenticate_staff(login: str, password: str, address: str = "") -> Login:
    login = _printable(login).strip()
    _refuse_while_locked("staff", login, address)
    staff = db.session.scalar(select(StaffUser).where(StaffUser.login == login))
    matches = _password_matches(staff.password_hash if staff else None, password)
    if not matches or not staff.active:
        _failed("staff", login, address)
    _succeeded("staff", login)
    audit(None, staff_actor(staff), "staff_login")
    db.session.commit()
    return Login(f"s:{staff.id}", (VIA_STAFF, staff.id, staff.session_epoch))


def _refuse_closed(application_id: int) -> None:
    """A withdrawn, cancelled or rejected application can no longer log in (says why)."""
    from app.services.instance_admin_views import login_refusal

    message = login_refusal(application_id)
    if message is not None:
        raise ServiceError(message, 403)


# --- throttling ---------------------------------------------------------------------------


def _printable(text: str | None) -> str:
    """Control characters never reach a query (PostgreSQL refuses NUL); such IDs match nobody."""
    return "".join(c for c in (text or "") if c.isprintable())[:100]


@cache
def _dummy_hash() -> str:
    return hash_password(token_hex(16))


def _password_matches(password_hash: str | None, password: str) -> bool:
    """One Argon2 verification whether or not the account exists, so timing reveals nothing."""
    if not password_hash:
        verify_password(_dummy_hash(), password or "")
        return False
    return verify_password(password_hash, password or "")


def _keys(kind: str, login: str, address: str) -> dict[str, str]:
    return {
        "account": f"account:{kind}:{login}",
        "address": throttle.address_key("address", address),
    }


def _refuse_while_locked(kind: str, login: str, address: str) -> None:
    rest = throttle.remaining_lock(list(_keys(kind, login, address).values()))
    if rest is not None:
        raise ServiceError(LOCKED.format(minutes=throttle.minutes(rest)), 429)


def _failed(kind: str, login: str, address: str) -> NoReturn:
    """Count the failure for the login ID and the address, record it, and refuse."""
    actor = f"anonymous@{address or '-'}"[:100]
    audit(None, actor, "login_failed", kind=kind, login=login, address=address)
    locked_until = None
    for scope, key in _keys(kind, login, address).items():
        until = throttle.hit(key, throttle.limit(scope))
        if until is not None:
            audit(
                None,
                actor,
                "login_locked",
                kind=kind,
                scope=scope,
                key=key,
                until=until.isoformat(),
            )
            locked_until = max(locked_until or until, until)
    db.session.commit()
    if locked_until is not None:
        raise ServiceError(LOCKED.format(minutes=throttle.minutes(locked_until - now())), 429)
    raise ServiceError(BAD_LOGIN, 401)


def _succeeded(kind: str, login: str) -> None:
    # The address keeps its count: one's own valid login must not reset a spray of guesses.
    throttle.clear(_keys(kind, login, "")["account"])


# --- sessions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """Whom a request acts for, from one read of the login's rows. `rows` are the loaded ORM
    rows: kept for the request (the web layer holds the Principal), later reads of them in
    the request come from the session's identity map instead of the database."""

    actor: Actor
    display_name: str
    application: Application | None = None  # an applicant's application, status included
    rows: tuple = ()


def current_principal(user_key: str, grant) -> Principal | None:
    """Who the session belongs to, while the login it was opened with still stands: same
    epoch (no logout or new password since), staff still active, a 仮ログインID not disabled
    by its timers (a due timer of the application is fired first). One query per request."""
    if not isinstance(grant, list | tuple) or len(grant) != 3:
        return None
    via, record_id, epoch = grant
    kind, _, raw_id = (user_key or "").partition(":")
    if not raw_id.isdigit() or not isinstance(record_id, int):
        return None
    if via == VIA_STAFF:
        staff = db.session.get(StaffUser, record_id)
        if kind != "s" or staff is None or staff.id != int(raw_id) or not staff.active:
            return None
        if staff.session_epoch != epoch:
            return None
        return Principal(staff_actor(staff), staff.name, None, (staff,))
    if kind != "a":
        return None
    if via == VIA_PROVISIONAL:
        return _provisional_principal(record_id, int(raw_id), epoch)
    if via == VIA_OFFICE:
        return _office_principal(record_id, int(raw_id), epoch)
    return None


@cache
def _provisional_query():
    # Built once per process (bound parameters): building the due-timer clause per request
    # cost more CPU than running the query.
    from app.services.timers import due_exists

    due = due_exists(ProvisionalAccount.application_id, bindparam("now"))
    return (
        select(ProvisionalAccount, Application, due)
        .join(Application, Application.id == ProvisionalAccount.application_id)
        .where(ProvisionalAccount.id == bindparam("account_id"))
    )


def _provisional_principal(
    account_id: int, key_id: int, epoch: int, fired: bool = False
) -> Principal | None:
    row = db.session.execute(
        _provisional_query(),
        {"account_id": account_id, "now": now()},
        execution_options={"populate_existing": fired},
    ).one_or_none()
    if row is None:
        return None
    account, application, due = row
    if account.id != key_id:
        return None
    if due and not fired:
        # A timer that disables the 仮ログインID must end the session even if no worker ran.
        refresh_application(account.application_id)
        return _provisional_principal(account_id, key_id, epoch, fired=True)
    if account.disabled_at is not None or account.session_epoch != epoch:
        return None
    return _applicant(account, application, (account, application))


def _office_principal(credential_id: int, key_id: int, epoch: int) -> Principal | None:
    row = db.session.execute(
        select(IssuedCredential, Application, ProvisionalAccount)
        .join(Application, Application.id == IssuedCredential.application_id)
        .join(ProvisionalAccount, ProvisionalAccount.application_id == Application.id)
        .where(IssuedCredential.id == credential_id)
    ).one_or_none()
    if row is None:
        return None
    credential, application, account = row
    if credential.kind != "office" or not credential.login_hash:
        return None
    if credential.session_epoch != epoch or account.id != key_id:
        return None
    # A login disabled by a timer ends the session at the next request.
    if account.disabled_at is not None and account.disabled_reason == "expired":
        return None
    return _applicant(account, application, (credential, account, application))


def _applicant(account: ProvisionalAccount, application: Application, rows: tuple) -> Principal:
    name = application.contact_name or account.login_id
    return Principal(applicant_actor(account), name, application, rows)


def staff_grant(staff_id: int) -> tuple[str, int, int]:
    """The grant a session of this staff member needs now (after their own new password)."""
    staff = db.session.get(StaffUser, staff_id)
    return (VIA_STAFF, staff_id, staff.session_epoch if staff is not None else -1)


def end_sessions(grant) -> None:
    """Logout: every session opened with this login (any browser, any copied cookie) ends."""
    if not isinstance(grant, list | tuple) or len(grant) != 3:
        return
    via, record_id, _ = grant
    model = {
        VIA_STAFF: StaffUser,
        VIA_PROVISIONAL: ProvisionalAccount,
        VIA_OFFICE: IssuedCredential,
    }
    if via not in model or not isinstance(record_id, int):
        return
    table = model[via]
    db.session.execute(
        update(table).where(table.id == record_id).values(session_epoch=table.session_epoch + 1)
    )
    db.session.commit()
