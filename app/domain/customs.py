"""The nine customs offices (税関), the 47 prefectures and which customs has jurisdiction where."""

from __future__ import annotations

import unicodedata

UNKNOWN_CUSTOMS = "不明"
CUSTOMS_OFFICES: tuple[str, ...] = (
    "函館税関",
    "東京税関",
    "横浜税関",
    "名古屋税関",
    "大阪税関",
    "神戸税関",
    "門司税関",
    "長崎税関",
    "沖縄地区税関",
    UNKNOWN_CUSTOMS,
)

# JIS X 0401 order.
PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
    "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
    "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
    "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
    "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
    "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
    "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip

# Short prefecture names per customs. 千葉, 佐賀 and 長崎 are split between two customs; they
# are listed under the customs of their larger part (千葉: 成田空港・市川市 are 東京税関;
# 佐賀: 有明海沿岸 is 長崎税関; 長崎: 壱岐・対馬 are 門司税関). The applicant can change it.
_JURISDICTIONS: dict[str, tuple[str, ...]] = {
    "函館税関": ("北海道", "青森", "岩手", "秋田"),
    "東京税関": ("山形", "群馬", "埼玉", "東京", "新潟", "山梨"),
    "横浜税関": ("宮城", "福島", "茨城", "栃木", "千葉", "神奈川"),
    "名古屋税関": ("長野", "岐阜", "静岡", "愛知", "三重"),
    "大阪税関": ("富山", "石川", "福井", "滋賀", "京都", "大阪", "奈良", "和歌山"),
    "神戸税関": ("兵庫", "鳥取", "島根", "岡山", "広島", "徳島", "香川", "愛媛", "高知"),
    "門司税関": ("山口", "福岡", "大分", "宮崎", "佐賀"),
    "長崎税関": ("熊本", "鹿児島", "長崎"),
    "沖縄地区税関": ("沖縄",),
}
SPLIT_PREFECTURES: tuple[str, ...] = ("千葉県", "佐賀県", "長崎県")


def short_prefecture_name(prefecture: str) -> str:
    """Return the name without 都/府/県 (東京都 → 東京); 北海道 stays 北海道."""
    if prefecture != "北海道" and prefecture[-1:] in ("都", "府", "県"):
        return prefecture[:-1]
    return prefecture


_CUSTOMS_BY_SHORT: dict[str, str] = {
    short: customs for customs, shorts in _JURISDICTIONS.items() for short in shorts
}
_FULL_BY_NAME: dict[str, str] = {}
for _full in PREFECTURES:
    _FULL_BY_NAME[_full] = _full
    _FULL_BY_NAME[short_prefecture_name(_full)] = _full


def full_prefecture_name(name: str) -> str | None:
    """Return the full prefecture name for a full or short name (東京 → 東京都), or None."""
    return _FULL_BY_NAME.get(unicodedata.normalize("NFKC", name).strip())


def customs_for_prefecture(prefecture: str) -> str:
    """Return the customs with jurisdiction over prefecture (full or short name), or 「不明」."""
    full = full_prefecture_name(prefecture)
    if full is None:
        return UNKNOWN_CUSTOMS
    return _CUSTOMS_BY_SHORT[short_prefecture_name(full)]
