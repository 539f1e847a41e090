"""Unit tests of app.domain.customs: customs offices, prefectures and jurisdictions."""

import pytest

from app.domain.customs import (
    CUSTOMS_OFFICES,
    PREFECTURES,
    customs_for_prefecture,
    full_prefecture_name,
)


def test_customs_offices_in_spec_order() -> None:
    assert CUSTOMS_OFFICES == (
        "函館税関", "東京税関", "横浜税関", "名古屋税関", "大阪税関",
        "神戸税関", "門司税関", "長崎税関", "沖縄地区税関", "不明",
    )  # fmt: skip


def test_prefectures_in_jis_order() -> None:
    assert len(PREFECTURES) == 47 == len(set(PREFECTURES))
    assert PREFECTURES[0] == "北海道"
    assert PREFECTURES[12] == "東京都"
    assert PREFECTURES[13] == "神奈川県"
    assert PREFECTURES[25] == "京都府" and PREFECTURES[26] == "大阪府"
    assert PREFECTURES[-1] == "沖縄県"


@pytest.mark.parametrize(
    ("prefecture", "customs"),
    [
        ("北海道", "函館税関"), ("青森県", "函館税関"), ("東京都", "東京税関"),
        ("山形県", "東京税関"), ("新潟", "東京税関"), ("神奈川県", "横浜税関"),
        ("宮城県", "横浜税関"), ("愛知県", "名古屋税関"), ("長野", "名古屋税関"),
        ("京都府", "大阪税関"), ("富山県", "大阪税関"), ("兵庫県", "神戸税関"),
        ("高知", "神戸税関"), ("福岡県", "門司税関"), ("山口県", "門司税関"),
        ("熊本県", "長崎税関"), ("鹿児島", "長崎税関"), ("沖縄県", "沖縄地区税関"),
        ("沖縄", "沖縄地区税関"), ("東京", "東京税関"), ("大阪", "大阪税関"),
    ],
)  # fmt: skip
def test_customs_for_prefecture(prefecture: str, customs: str) -> None:
    assert customs_for_prefecture(prefecture) == customs


def test_split_prefectures_default() -> None:
    assert customs_for_prefecture("千葉県") == "横浜税関"
    assert customs_for_prefecture("佐賀県") == "門司税関"
    assert customs_for_prefecture("長崎県") == "長崎税関"


def test_every_prefecture_has_a_real_customs() -> None:
    for prefecture in PREFECTURES:
        assert customs_for_prefecture(prefecture) in CUSTOMS_OFFICES[:-1]


@pytest.mark.parametrize("name", ["", "東京府", "アトランティス", "Tokyo"])
def test_unknown_prefecture(name: str) -> None:
    assert customs_for_prefecture(name) == "不明"


def test_full_prefecture_name() -> None:
    assert full_prefecture_name("東京") == "東京都"
    assert full_prefecture_name(" 京都 ") == "京都府"
    assert full_prefecture_name("北海道") == "北海道"
    assert full_prefecture_name("北海") is None
