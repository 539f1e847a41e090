"""The one check for every `next` target: only a path on this site, never another host."""

import unicodedata
from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2000


def _starts_like_a_host(path: str) -> bool:
    return path.startswith("//") or path.startswith("/\\")


def is_safe_path(target: str | None) -> bool:
    """True for a relative path of this site: one leading '/', no scheme or host, no backslash,
    no whitespace, control or invisible formatting character (browsers drop tabs and newlines,
    so `/<TAB>/evil` would become `//evil`, another host), and the same once percent-decoded."""
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return False
    if not target.startswith("/") or _starts_like_a_host(target) or "\\" in target:
        return False
    if any(c.isspace() or unicodedata.category(c)[0] in "CZ" for c in target):
        return False
    decoded = unquote(target)
    if _starts_like_a_host(decoded) or any(unicodedata.category(c) == "Cc" for c in decoded):
        return False
    for candidate in (target, decoded):
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return False
    return True


def safe_next(target: str | None, fallback: str) -> str:
    """`target` when it is a safe path of this site, else `fallback`."""
    return target if is_safe_path(target) else fallback
