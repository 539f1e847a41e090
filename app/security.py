"""Password hashing (Argon2) and encryption of issued passwords that must be shown later."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# --- issued passwords: Fernet with the CREDENTIAL_KEYS (newest first), never SECRET_KEY -----


@lru_cache(maxsize=8)
def _multi(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _fernet() -> MultiFernet:
    keys = tuple(current_app.config.get("CREDENTIAL_KEYS") or ())
    if not keys:
        raise RuntimeError("CREDENTIAL_KEYS is empty: no key to encrypt issued passwords")
    return _multi(keys)


def generate_key() -> str:
    """A new random key for CREDENTIAL_KEYS."""
    return Fernet.generate_key().decode()


def encrypt(text: str) -> str:
    """Encrypt with the newest key."""
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str | None:
    """Decrypt with any configured key; None when no key opens the token."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def is_current(token: str) -> bool:
    """True when the newest key alone opens the token."""
    try:
        Fernet(current_app.config["CREDENTIAL_KEYS"][0]).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def reencrypt(token: str) -> str:
    """The same secret encrypted with the newest key; raises InvalidToken when no key opens it."""
    return _fernet().rotate(token.encode()).decode()
