"""Normalisation and validation of Japanese form input: digits, kana, machine-dependent chars."""

from __future__ import annotations

import re
import unicodedata

# Hyphens, dashes and long-vowel marks people type inside postal codes and phone numbers.
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff70\u30fc\ufe63\uff0d"
_DASH_OR_SPACE_RE = re.compile(f"[{re.escape(_DASHES)}\\s]+")

_HALFWIDTH_KANA_RE = re.compile("[\uff61-\uff9f]+")
_SPACES_RE = re.compile("[\\s\u3000]+")
_KATAKANA_RE = re.compile("[\u30a1-\u30f6\u30fb\u30fc\u30fd\u30fe\u3000]+")
_ENGLISH_RE = re.compile(r"[A-Za-z0-9 .,\-'&()/]+")

_EMAIL_LOCAL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]+")
_EMAIL_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?")

# Individual characters outside the blocks below that legacy Shift_JIS systems cannot share:
# NEC row-13 specials and IBM extensions that have no JIS X 0208 counterpart.
_MACHINE_DEPENDENT_SINGLE = frozenset("№℡∮∑∟⊿〝〟￤")
# Whole Unicode blocks made of compatibility characters (丸数字, ローマ数字, ㈱, ㍉, ㎜, ㍻ ...)
# plus half-width katakana.
_MACHINE_DEPENDENT_RANGES: tuple[tuple[int, int], ...] = (
    (0x2150, 0x218F),  # Number Forms: Ⅰ-Ⅻ, ⅰ-ⅻ, fractions
    (0x2460, 0x24FF),  # Enclosed Alphanumerics: ①-⑳, ⑴, ⒈, ⓐ ...
    (0x2776, 0x2793),  # Dingbat circled digits: ❶ ...
    (0x3200, 0x32FF),  # Enclosed CJK Letters and Months: ㈱ ㈲ ㈹ ㊤ ㉑ ...
    (0x3300, 0x33FF),  # CJK Compatibility: ㍉ ㌔ ㎜ ㏄ ㍻ ...
    (0xFF61, 0xFF9F),  # Half-width katakana and punctuation
)


def normalize_ascii(s: str) -> str:
    """Return s with full-width letters, digits and symbols made half-width (NFKC), stripped."""
    return unicodedata.normalize("NFKC", s).strip()


def normalize_digits(s: str) -> str:
    """Return s normalised with NFKC and with every hyphen, dash and space removed."""
    return _DASH_OR_SPACE_RE.sub("", unicodedata.normalize("NFKC", s))


def _hiragana_to_katakana(ch: str) -> str:
    code = ord(ch)
    if 0x3041 <= code <= 0x3096 or code in (0x309D, 0x309E):
        return chr(code + 0x60)
    return ch


def to_katakana(s: str) -> str:
    """Return s with hiragana and half-width katakana made full-width katakana.

    Voiced marks following a half-width kana are combined (ｶﾞ → ガ); runs of ASCII or
    ideographic spaces become one full-width space; the result is stripped.
    """
    widened = _HALFWIDTH_KANA_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), s)
    # A voiced mark that could not combine stays as its spacing form, not a combining one.
    composed = unicodedata.normalize("NFC", widened).replace("\u3099", "\u309b")
    composed = composed.replace("\u309a", "\u309c")
    katakana = "".join(_hiragana_to_katakana(ch) for ch in composed)
    return _SPACES_RE.sub("\u3000", katakana).strip()


def is_katakana(s: str) -> bool:
    """True when s is non-empty and only full-width katakana, ー, ・ and full-width spaces."""
    return bool(s.strip()) and _KATAKANA_RE.fullmatch(s) is not None


def _is_machine_dependent(ch: str) -> bool:
    if ch in _MACHINE_DEPENDENT_SINGLE:
        return True
    code = ord(ch)
    if code > 0xFFFF:  # outside the BMP: emoji, JIS X 0213 plane-2 kanji
        return True
    return any(low <= code <= high for low, high in _MACHINE_DEPENDENT_RANGES)


# The same rule as one character class: most text has none, and one search in C says so
# (the loop below checked every character in Python on every field of every submission).
_MACHINE_DEPENDENT_RE = re.compile(
    "["
    + "".join(re.escape(ch) for ch in sorted(_MACHINE_DEPENDENT_SINGLE))
    + "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in _MACHINE_DEPENDENT_RANGES)
    + "\\U00010000-\\U0010ffff]"
)


def machine_dependent_chars(s: str) -> list[str]:
    """Return the distinct 機種依存文字 of s, in order of first appearance."""
    if _MACHINE_DEPENDENT_RE.search(s) is None:
        return []
    found: list[str] = []
    for ch in s:
        if ch not in found and _is_machine_dependent(ch):
            found.append(ch)
    return found


def is_english_text(s: str) -> bool:
    """True when s is non-empty and only ASCII letters, digits, spaces and . , - ' & ( ) /."""
    return bool(s.strip()) and _ENGLISH_RE.fullmatch(s) is not None


def is_valid_email(s: str) -> bool:
    """Pragmatic e-mail check: ASCII, no spaces, one @, a dotted domain with a letter TLD.

    Dots are allowed anywhere in the local part, because older Japanese mobile carriers
    issued addresses such as ``taro..@docomo.ne.jp``.
    """
    if not s or len(s) > 254 or not s.isascii() or s.count("@") != 1:
        return False
    local, domain = s.split("@")
    if not local or len(local) > 64 or _EMAIL_LOCAL_RE.fullmatch(local) is None:
        return False
    labels = domain.split(".")
    if len(labels) < 2 or any(_EMAIL_LABEL_RE.fullmatch(label) is None for label in labels):
        return False
    tld = labels[-1]
    return len(tld) >= 2 and tld.isalpha()


# --- control and invisible formatting characters ---------------------------------------------

# Allowed in multi-line text only: tab, line feed, carriage return.
_MULTILINE_CONTROLS = frozenset("\t\n\r")
# Invisible characters outside categories Cc/Cf that still break lines or spoof text.
_EXTRA_FORBIDDEN = frozenset("\u2028\u2029\ufffd")


def _is_forbidden_control(ch: str, multiline: bool) -> bool:
    if multiline and ch in _MULTILINE_CONTROLS:
        return False
    if ch in _EXTRA_FORBIDDEN:
        return True
    code = ord(ch)
    if (code & 0xFFFE) == 0xFFFE or 0xFDD0 <= code <= 0xFDEF:  # noncharacters
        return True
    # Cc: C0 (NUL, ESC ...), DEL and C1; Cf: bidi embeddings/overrides/isolates (U+202A-U+202E,
    # U+2066-U+2069), marks, zero-width characters, BOM; Cs: lone surrogates.
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs")


def control_chars(s: str, *, multiline: bool = False) -> list[str]:
    """The distinct control, bidi-override and invisible formatting characters of s.

    Tab, line feed and carriage return are allowed when ``multiline`` (text areas).
    U+FFFD (what undecodable bytes become) is refused too.
    """
    found: list[str] = []
    for ch in s:
        if ch not in found and _is_forbidden_control(ch, multiline):
            found.append(ch)
    return found


def has_control_chars(s: str, *, multiline: bool = False) -> bool:
    """True when s holds a character control_chars() refuses."""
    # Fast path (every field of every form is checked, character by character otherwise):
    # str.isprintable() is False for each refused character (Cc, Cf, Cs, noncharacters,
    # U+2028/U+2029) but U+FFFD, and among allowed ones for the ideographic space and tab or
    # newlines, which the slow path then judges.
    if s.replace("\u3000", "").isprintable():
        return "\ufffd" in s
    return any(_is_forbidden_control(ch, multiline) for ch in s)


def strip_control_chars(s: str, *, multiline: bool = True) -> str:
    """s without the characters control_chars() refuses (for raw input kept as a draft)."""
    return "".join(ch for ch in s if not _is_forbidden_control(ch, multiline))


def describe_chars(chars: list[str]) -> str:
    """'U+0000、U+202E': code points of invisible characters, for messages and logs."""
    return "、".join(f"U+{ord(ch):04X}" for ch in chars)


DRAFT_LIMIT_BYTES = 64 * 1024


def bounded_draft(
    raw: dict[str, list[str]], limit: int = DRAFT_LIMIT_BYTES
) -> dict[str, list[str]]:
    """Raw 一時保存 input made safe to store: control characters removed (tab and newline kept)
    and at most `limit` bytes of UTF-8 in names and values together; what is over is cut off.

    No person types 64 KB into one screen; the bound keeps a forged request from filling the
    application's row, and NUL from reaching PostgreSQL.
    """
    kept: dict[str, list[str]] = {}
    used = 0
    for name, values in raw.items():
        key = strip_control_chars(str(name), multiline=False)
        used += len(key.encode())
        if used > limit:
            break
        kept[key] = []
        for value in values if isinstance(values, (list, tuple)) else [values]:
            text = strip_control_chars(str(value))
            room = limit - used
            encoded = text.encode()
            if len(encoded) > room:
                text = encoded[:room].decode(errors="ignore")
                encoded = text.encode()
            kept[key].append(text)
            used += len(encoded)
    return kept
