"""Unit tests of app.domain.romaji and the readings of app.domain.postal (for 住所（英）)."""

import pytest

from app.domain.postal import lookup_postal_code
from app.domain.romaji import address_romaji, kana_to_romaji


@pytest.mark.parametrize(
    ("kanji", "kana", "expected"),
    [
        ("神奈川県", "カナガワケン", "KANAGAWA KEN"),
        ("川崎市幸区", "カワサキシサイワイク", "KAWASAKI SHI SAIWAI KU"),
        ("堀川町", "ホリカワチョウ", "HORIKAWA CYO"),  # the manual's example
        ("東京都", "トウキョウト", "TOKYO TO"),
        ("大阪府", "オオサカフ", "OSAKA FU"),
        ("北海道", "ホッカイドウ", "HOKKAIDO"),
        ("横浜市西区", "ヨコハマシニシク", "YOKOHAMA SHI NISHI KU"),
        ("芝公園", "シバコウエン", "SHIBAKOUEN"),  # not an administrative unit: one word
        ("", "", ""),
    ],
)
def test_address_romaji_splits_administrative_units(kanji, kana, expected) -> None:
    assert address_romaji(kanji, kana) == expected


@pytest.mark.parametrize(
    ("kana", "expected"),
    [
        ("ハッチョウボリ", "HATCHOBORI"),
        ("シンバシ", "SHIMBASHI"),
        ("キョウト", "KYOTO"),
        ("チュウオウ", "CHUO"),
        ("ツキジ", "TSUKIJI"),
        ("フジ", "FUJI"),
    ],
)
def test_kana_to_romaji_is_passport_hepburn(kana, expected) -> None:
    assert kana_to_romaji(kana) == expected


def test_postal_lookup_gives_readings_and_english_lines() -> None:
    address = lookup_postal_code("212-0013")
    assert address is not None
    assert address.kana == "カナガワケンカワサキシサイワイクホリカワチョウ"
    assert address.romaji_lines() == ("KANAGAWA KEN", "KAWASAKI SHI SAIWAI KU", "HORIKAWA CYO")
    city_wide = lookup_postal_code("1000000")
    assert city_wide.kana == "トウキョウトチヨダク" and city_wide.romaji_lines()[2] == ""
