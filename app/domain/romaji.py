"""Katakana → upper-case romaji for English addresses (KANAGAWA KEN / KAWASAKI SHI SAIWAI KU)."""

from __future__ import annotations

import re

# Hepburn as used on Japanese passports and NACCS forms; long vowels are not marked.
_DIGRAPHS = {
    "キャ": "KYA", "キュ": "KYU", "キョ": "KYO", "シャ": "SHA", "シュ": "SHU", "ショ": "SHO",
    "チャ": "CHA", "チュ": "CHU", "チョ": "CHO", "ニャ": "NYA", "ニュ": "NYU", "ニョ": "NYO",
    "ヒャ": "HYA", "ヒュ": "HYU", "ヒョ": "HYO", "ミャ": "MYA", "ミュ": "MYU", "ミョ": "MYO",
    "リャ": "RYA", "リュ": "RYU", "リョ": "RYO", "ギャ": "GYA", "ギュ": "GYU", "ギョ": "GYO",
    "ジャ": "JA", "ジュ": "JU", "ジョ": "JO", "ヂャ": "JA", "ヂュ": "JU", "ヂョ": "JO",
    "ビャ": "BYA", "ビュ": "BYU", "ビョ": "BYO", "ピャ": "PYA", "ピュ": "PYU", "ピョ": "PYO",
    "ティ": "TI", "ディ": "DI", "ファ": "FA", "フィ": "FI", "フェ": "FE", "フォ": "FO",
    "ウィ": "WI", "ウェ": "WE", "ウォ": "WO", "ヴァ": "VA", "ヴィ": "VI", "ヴェ": "VE",
    "ヴォ": "VO", "シェ": "SHE", "ジェ": "JE", "チェ": "CHE",
}  # fmt: skip
_SINGLE = {
    "ア": "A", "イ": "I", "ウ": "U", "エ": "E", "オ": "O",
    "カ": "KA", "キ": "KI", "ク": "KU", "ケ": "KE", "コ": "KO",
    "サ": "SA", "シ": "SHI", "ス": "SU", "セ": "SE", "ソ": "SO",
    "タ": "TA", "チ": "CHI", "ツ": "TSU", "テ": "TE", "ト": "TO",
    "ナ": "NA", "ニ": "NI", "ヌ": "NU", "ネ": "NE", "ノ": "NO",
    "ハ": "HA", "ヒ": "HI", "フ": "FU", "ヘ": "HE", "ホ": "HO",
    "マ": "MA", "ミ": "MI", "ム": "MU", "メ": "ME", "モ": "MO",
    "ヤ": "YA", "ユ": "YU", "ヨ": "YO",
    "ラ": "RA", "リ": "RI", "ル": "RU", "レ": "RE", "ロ": "RO",
    "ワ": "WA", "ヰ": "I", "ヱ": "E", "ヲ": "O", "ン": "N",
    "ガ": "GA", "ギ": "GI", "グ": "GU", "ゲ": "GE", "ゴ": "GO",
    "ザ": "ZA", "ジ": "JI", "ズ": "ZU", "ゼ": "ZE", "ゾ": "ZO",
    "ダ": "DA", "ヂ": "JI", "ヅ": "ZU", "デ": "DE", "ド": "DO",
    "バ": "BA", "ビ": "BI", "ブ": "BU", "ベ": "BE", "ボ": "BO",
    "パ": "PA", "ピ": "PI", "プ": "PU", "ペ": "PE", "ポ": "PO",
    "ヴ": "VU", "ァ": "A", "ィ": "I", "ゥ": "U", "ェ": "E", "ォ": "O",
    "ャ": "YA", "ュ": "YU", "ョ": "YO", "ヮ": "WA", "・": " ", "\u3000": " ", " ": " ",
}  # fmt: skip

# Administrative suffixes written as separate words (the manual: KAWASAKI SHI SAIWAI KU).
# Each kanji suffix with its possible readings and the romaji NACCS forms use for them.
_SUFFIXES: dict[str, tuple[tuple[str, str], ...]] = {
    "都": (("ト", "TO"),),
    "道": (("ドウ", "DO"),),
    "府": (("フ", "FU"),),
    "県": (("ケン", "KEN"),),
    "市": (("シ", "SHI"),),
    "区": (("ク", "KU"),),
    "郡": (("グン", "GUN"),),
    "町": (("チョウ", "CYO"), ("マチ", "MACHI")),
    "村": (("ムラ", "MURA"), ("ソン", "SON")),
}
_UNIT_RE = re.compile("[^都道府県市区郡町村]+[都道府県市区郡町村]")
_SPACES_RE = re.compile(" +")


def kana_to_romaji(kana: str) -> str:
    """Upper-case Hepburn romaji of katakana (ー and doubled vowels of long sounds dropped)."""
    out: list[str] = []
    i = 0
    text = kana or ""
    while i < len(text):
        pair = text[i : i + 2]
        ch = text[i]
        if ch == "ッ" and i + 1 < len(text):
            following = _DIGRAPHS.get(text[i + 1 : i + 3]) or _SINGLE.get(text[i + 1], "")
            if following:
                out.append("T" if following.startswith("CH") else following[0])
            i += 1
            continue
        if pair in _DIGRAPHS:
            out.append(_DIGRAPHS[pair])
            i += 2
            continue
        if ch == "ー":
            i += 1
            continue
        if ch == "ン" and i + 1 < len(text):
            nxt = _SINGLE.get(text[i + 1], "")
            out.append("M" if nxt[:1] in ("B", "M", "P") else "N")
            i += 1
            continue
        out.append(_SINGLE.get(ch, ch if ch.isascii() else ""))
        i += 1
    return _drop_long_vowels(_SPACES_RE.sub(" ", "".join(out)).strip())


def _drop_long_vowels(romaji: str) -> str:
    # TOUKYOU → TOKYO, OOSAKA → OSAKA, YUUKI → YUKI (passport Hepburn).
    return re.sub("OU(?![AEIOU])", "O", re.sub("OO", "O", re.sub("UU", "U", romaji)))


def _split_units(kanji: str, kana: str) -> list[tuple[str, str]] | None:
    """Pair each administrative unit of kanji (川崎市, 幸区) with its part of kana."""
    units = _UNIT_RE.findall(kanji)
    if not units or "".join(units) != kanji:
        return None
    return _segment(units, kana)


def _segment(units: list[str], kana: str) -> list[tuple[str, str]] | None:
    if not units:
        return [] if not kana else None
    unit, rest_units = units[0], units[1:]
    for reading, _ in _SUFFIXES[unit[-1]]:
        for end in range(len(reading) + 1, len(kana) + 1):
            part = kana[:end]
            if not part.endswith(reading):
                continue
            tail = _segment(rest_units, kana[end:])
            if tail is not None:
                return [(unit, part), *tail]
    return None


def _unit_romaji(unit: str, kana: str) -> str:
    for reading, romaji in _SUFFIXES[unit[-1]]:
        if kana.endswith(reading):
            if unit == "北海道":
                return "HOKKAIDO"
            return f"{kana_to_romaji(kana[: -len(reading)])} {romaji}"
    return kana_to_romaji(kana)


def address_romaji(kanji: str, kana: str) -> str:
    """Romaji of one address part, suffixes as separate words (神奈川県 → KANAGAWA KEN).

    When the kanji cannot be split into administrative units (堀川町 → HORIKAWA CYO works,
    芝公園 does not end in one), the whole reading is romanised.
    """
    if not kana:
        return ""
    if kanji == "北海道":
        return "HOKKAIDO"
    pairs = _split_units(kanji, kana)
    if pairs is None:
        return kana_to_romaji(kana)
    return " ".join(_unit_romaji(unit, part) for unit, part in pairs)
