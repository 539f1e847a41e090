"""Key rotation for the encrypted issued passwords: re-encrypt every row with the newest key."""

from cryptography.fernet import InvalidToken
from sqlalchemy import select

from app.extensions import db
from app.models import IssuedCredential
from app.security import is_current, reencrypt
from app.services import ServiceError
from app.services.unit import audit


def rotate_credentials(by: str = "cli") -> dict[str, int]:
    """Re-encrypt every stored password with the newest of CREDENTIAL_KEYS, in one transaction.

    Returns counts: `rotated` (rows re-encrypted), `older` (of those, how many were under an
    older key). A row no configured key opens refuses the whole rotation (nothing changes)."""
    rows = db.session.scalars(
        select(IssuedCredential)
        .where(IssuedCredential.password_encrypted.is_not(None))
        .order_by(IssuedCredential.id)
        .with_for_update()
    ).all()
    counts = {"rotated": 0, "older": 0}
    unreadable: list[int] = []
    for row in rows:
        token = row.password_encrypted or ""
        try:
            fresh = reencrypt(token)
        except InvalidToken:
            unreadable.append(row.id)
            continue
        counts["older"] += not is_current(token)
        row.password_encrypted = fresh
        counts["rotated"] += 1
    if unreadable:
        db.session.rollback()
        shown = ", ".join(str(i) for i in unreadable[:20])
        raise ServiceError(
            f"どの鍵でも復号できないパスワードが {len(unreadable)} 件あります（issued_credential.id: "
            f"{shown}{' ほか' if len(unreadable) > 20 else ''}）。古い鍵を CREDENTIAL_KEYS の末尾に"
            "残したまま実行してください。何も変更していません。"
        )
    audit(None, by, "credential_keys_rotated", **counts)
    db.session.commit()
    return counts
