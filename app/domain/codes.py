"""Identifier formats: 申込受付番号, 仮ログインID, passwords, 事業所コード, 利用者コード and 利用者ID."""

from __future__ import annotations

import re
import secrets
import string

# Check letter of the 申込受付番号: A + (Σ weight·digit mod 26). The seven weights are
# distinct and non-zero modulo 13, and a digit changes by less than 13, so the sum changes
# modulo 26 on any single-digit change and on any swap of two different digits. They were
# chosen so that the manual's example 1800055A is valid (1·1 + 3·8 + 9·5 + 12·5 = 130 = 5·26).
REFERENCE_WEIGHTS = (1, 3, 4, 5, 6, 9, 12)
_REFERENCE_RE = re.compile(r"[0-9]{7}[A-Z]")

PASSWORD_ALPHABET = "".join(
    ch for ch in string.ascii_uppercase + string.digits if ch not in "0O1IL"
)

_LETTERS = string.ascii_uppercase
_ABBREV_RE = re.compile(r"[A-Z0-9]{3}")
_OFFICE_CODE_RE = re.compile(r"[A-Z0-9]{3}[0-9]{3}")
_BRANCH_RE = re.compile(r"[1-9][A-Z]")
_USER_CODE_RE = re.compile(r"[1-9][A-Z][A-Z0-9]{3}")
_IDENTIFIER_RE = re.compile(r"[A-Z][0-9][A-Z]")


def _check_letter(digits: str) -> str:
    total = sum(
        weight * int(digit) for weight, digit in zip(REFERENCE_WEIGHTS, digits, strict=True)
    )
    return _LETTERS[total % 26]


def reference_number(year: int, serial: int) -> str:
    """Return the 申込受付番号: 2-digit year, 5-digit serial and a check letter (1800055A)."""
    if not 0 <= serial <= 99999:
        raise ValueError("serial must be between 0 and 99999")
    digits = f"{year % 100:02d}{serial:05d}"
    return digits + _check_letter(digits)


def is_valid_reference_number(s: str) -> bool:
    """True when s is 7 digits followed by the matching check letter."""
    if not isinstance(s, str) or _REFERENCE_RE.fullmatch(s) is None:
        return False
    return _check_letter(s[:7]) == s[7]


def provisional_login_id(serial: int) -> str:
    """Return the 仮ログインID: serial as 7 zero-padded digits (1 → 0000001)."""
    if not 0 <= serial <= 9_999_999:
        raise ValueError("serial must be between 0 and 9999999")
    return f"{serial:07d}"


def generate_password(length: int = 8) -> str:
    """Return a random password of uppercase letters and digits without 0, O, 1, I and L.

    When length >= 2 it contains at least one letter and one digit.
    """
    if length < 1:
        raise ValueError("length must be at least 1")
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
        if length < 2:
            return password
        if any(ch.isdigit() for ch in password) and any(ch.isalpha() for ch in password):
            return password


def office_code(abbrev: str, number: int) -> str:
    """Return the 事業所コード: 企業略称 + 3 digits ('NAC', 555 → 'NAC555')."""
    if _ABBREV_RE.fullmatch(abbrev) is None:
        raise ValueError(f"invalid company abbreviation: {abbrev!r}")
    if not 0 <= number <= 999:
        raise ValueError("number must be between 0 and 999")
    return f"{abbrev}{number:03d}"


def is_valid_office_code(s: str) -> bool:
    """True when s has the 事業所コード shape: 3 letters/digits then 3 digits (NAC001)."""
    return isinstance(s, str) and _OFFICE_CODE_RE.fullmatch(s) is not None


def company_abbrev(office_code: str) -> str:
    """Return the 企業略称 of an 事業所コード (its first 3 characters)."""
    if len(office_code) != 6:
        raise ValueError(f"invalid office code: {office_code!r}")
    return office_code[:3]


# The code space of one company (企業略称): 9 × 26 営業所コード, so 234 利用者コード; 999
# 事業所コード numbers (001-999); 26 × 10 × 26 識別番号 per 利用者コード.
BRANCH_CODES_PER_COMPANY = 9 * 26
OFFICE_NUMBERS_PER_COMPANY = 999
IDENTIFIERS_PER_USER_CODE = 26 * 10 * 26


def branch_code(n: int) -> str:
    """Return the n-th 営業所コード: 0 → '1A', 25 → '1Z', 26 → '2A', up to '9Z'."""
    if not 0 <= n < BRANCH_CODES_PER_COMPANY:
        raise ValueError("n must be between 0 and 233")
    return f"{n // 26 + 1}{_LETTERS[n % 26]}"


def user_code(branch: str, abbrev: str) -> str:
    """Return the 利用者コード: 営業所コード + 企業略称 ('1A', 'NAC' → '1ANAC')."""
    if _BRANCH_RE.fullmatch(branch) is None:
        raise ValueError(f"invalid branch code: {branch!r}")
    if _ABBREV_RE.fullmatch(abbrev) is None:
        raise ValueError(f"invalid company abbreviation: {abbrev!r}")
    return branch + abbrev


def free_user_codes(abbrev: str, taken: set[str], wanted: int) -> list[str]:
    """Return the first `wanted` 利用者コード of abbrev not in taken, in 営業所コード order.

    Raises ValueError when fewer than `wanted` are free (see `free_user_code_count`).
    """
    free: list[str] = []
    for n in range(BRANCH_CODES_PER_COMPANY):
        if len(free) == wanted:
            break
        code = user_code(branch_code(n), abbrev)
        if code not in taken:
            free.append(code)
    if len(free) < wanted:
        raise ValueError(f"only {len(free)} user codes of {abbrev} are free, {wanted} wanted")
    return free


def free_user_code_count(abbrev: str, taken: set[str]) -> int:
    """How many of abbrev's 234 利用者コード are not in taken."""
    own = {c for c in taken if len(c) == 5 and c[2:] == abbrev and _BRANCH_RE.fullmatch(c[:2])}
    return BRANCH_CODES_PER_COMPANY - len(own)


def identifier(n: int) -> str:
    """Return the n-th 識別番号: letter, digit, letter (0 → 'A0A', 1 → 'A0B', 26 → 'A1A')."""
    if not 0 <= n < 26 * 10 * 26:
        raise ValueError("n must be between 0 and 6759")
    return f"{_LETTERS[n // 260]}{(n // 26) % 10}{_LETTERS[n % 26]}"


def user_id(user_code: str, identifier: str) -> str:
    """Return the 8-character NACCS 利用者ID: 利用者コード + 識別番号 ('1ANAC' + 'A0A')."""
    if _USER_CODE_RE.fullmatch(user_code) is None:
        raise ValueError(f"invalid user code: {user_code!r}")
    if _IDENTIFIER_RE.fullmatch(identifier) is None:
        raise ValueError(f"invalid identifier: {identifier!r}")
    return user_code + identifier
