"""The 利用者コード / 事業所コード pool of each company: allocation, capacity and release."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from app.clock import now
from app.domain import codes
from app.extensions import db, update_in_core
from app.models import Application, IssuedCredential, Office

# Statuses of an application that ended without its IDs ever being used.
ENDED_WITHOUT_USE = frozenset({"cancelled", "rejected", "withdrawn", "expired", "abandoned"})

CAPACITY_REFUSED = (
    "企業略称「{abbrev}」の利用者コードが不足しているため承認できません"
    "（必要 {wanted} 件、空き {free} 件。1企業あたり最大 {total} 件）。"
    "使われていない利用者コードの整理について、管理者に連絡してください。"
)
OFFICE_CAPACITY_REFUSED = (
    "企業略称「{abbrev}」の事業所コード（{total} 件）をすべて払い出し済みのため承認できません。"
    "管理者に連絡してください。"
)


def company_abbrev_for(application: Application) -> str:
    """The 企業略称 the codes of this application are issued under (the owning office's)."""
    owner = application.answer("entry_equipment").get("owner_office_code", "")
    return codes.company_abbrev(owner) if owner else "NEW"


def wanted_user_codes(application: Application) -> int:
    """How many 利用者コード the application asks for (one per distinct 利用者コード番号)."""
    rows = application.answer("entry_user_codes").get("rows") or []
    return len({int(r.get("code_no") or 1) for r in rows})


def taken_user_codes(abbrev: str) -> set[str]:
    """利用者コード of abbrev held by an application (released ones are free again)."""
    return set(
        db.session.scalars(
            select(IssuedCredential.user_code).where(
                IssuedCredential.user_code.like(f"%{abbrev}"),
                IssuedCredential.released_at.is_(None),
            )
        )
    )


def taken_office_codes(abbrev: str) -> set[str]:
    """事業所コード of abbrev in the registry or ever issued (office codes are never reused)."""
    taken = set(db.session.scalars(select(Office.code).where(Office.code.like(f"{abbrev}%"))))
    taken |= set(
        db.session.scalars(
            select(IssuedCredential.office_code).where(
                IssuedCredential.office_code.like(f"{abbrev}%")
            )
        )
    )
    return taken


def capacity_problem(application: Application) -> str | None:
    """A Japanese refusal when the company's code space cannot hold this approval, else None."""
    if application.credentials:
        return None  # already issued (e.g. a decision reopened): nothing new is allocated
    abbrev = company_abbrev_for(application)
    wanted = wanted_user_codes(application)
    free = codes.free_user_code_count(abbrev, taken_user_codes(abbrev))
    if wanted > free:
        return CAPACITY_REFUSED.format(
            abbrev=abbrev, wanted=wanted, free=free, total=codes.BRANCH_CODES_PER_COMPANY
        )
    offices = taken_office_codes(abbrev)
    if not any(
        codes.office_code(abbrev, n) not in offices
        for n in range(1, codes.OFFICE_NUMBERS_PER_COMPANY + 1)
    ):
        return OFFICE_CAPACITY_REFUSED.format(abbrev=abbrev, total=codes.OFFICE_NUMBERS_PER_COMPANY)
    return None


# Built once (bound parameters): the ORM's UPDATE with synchronize_session cost ten times the
# statement itself.
_CREDENTIALS = IssuedCredential.__table__
_RELEASE_CODES = (
    update(_CREDENTIALS)
    .where(
        _CREDENTIALS.c.application_id == bindparam("key"),
        _CREDENTIALS.c.kind == "user",
        _CREDENTIALS.c.released_at.is_(None),
    )
    .values(released_at=bindparam("at"), password_encrypted=None)
    .returning(_CREDENTIALS.c.user_code)
)


def release_unused_codes(application: Application) -> int:
    """Give back the 利用者コード of an application that ended before use; returns how many.

    Its 利用者ID rows stay (history, 詳細 page) but are marked released, so `issue_ids` may
    hand the same 利用者コード to another application of the company; their passwords are
    wiped. The 事業所コード is not reused (it stays the identity of this ended application).
    Nothing happens to an application in use. The caller commits.
    """
    if application.status == "in_use":
        return 0
    # One UPDATE, without reading the rows first (an ended application usually has none); the
    # copies already in the session read the new values when next used.
    released = update_in_core(
        IssuedCredential,
        _RELEASE_CODES,
        {"key": application.id, "at": now()},
        ["released_at", "password_encrypted"],
        {"application_id": application.id, "kind": "user"},
    )
    return len({code or "" for (code,) in released})
