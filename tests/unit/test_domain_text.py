"""Unit tests of app.domain.text: normalisation and validation of Japanese input."""

import pytest

from app.domain.text import (
    is_english_text,
    is_katakana,
    is_valid_email,
    machine_dependent_chars,
    normalize_ascii,
    normalize_digits,
    to_katakana,
)


def test_normalize_ascii_makes_full_width_half_width_and_strips() -> None:
    assert normalize_ascii("　ＮＡＣ００１ ") == "NAC001"
    assert normalize_ascii("ＡＢＣ－１２３＠ｅｘａｍｐｌｅ．ｊｐ") == "ABC-123@example.jp"


@pytest.mark.parametrize(
    "raw",
    ["100-0001", "１００－０００１", "100ー0001", "100ｰ0001", "100‐0001", "100−0001", "100 0001",
     "100―0001", "100–0001", "100—0001", "100‒0001", "100‑0001", "100　0001"],
)  # fmt: skip
def test_normalize_digits_removes_every_kind_of_dash_and_space(raw: str) -> None:
    assert normalize_digits(raw) == "1000001"


def test_normalize_digits_phone_number() -> None:
    assert normalize_digits("０３－１２３４－５６７８") == "0312345678"
    assert normalize_digits(" 044 (999) 9999 ") == "044(999)9999"


def test_to_katakana_converts_hiragana() -> None:
    assert to_katakana("なっくすしすてむ") == "ナックスシステム"
    assert to_katakana("ゔぁいおりん") == "ヴァイオリン"


def test_to_katakana_widens_half_width_and_combines_voiced_marks() -> None:
    assert to_katakana("ﾅｯｸｽｼｽﾃﾑｶﾌﾞｼｷｶﾞｲｼｬ") == "ナックスシステムカブシキガイシャ"
    assert to_katakana("ﾊﾟｰﾄﾅｰ") == "パートナー"


def test_to_katakana_normalises_spaces() -> None:
    assert to_katakana("  やまだ   たろう ") == "ヤマダ\u3000タロウ"
    assert to_katakana("ﾔﾏﾀﾞ\u3000\u3000ﾀﾛｳ") == "ヤマダ\u3000タロウ"


def test_to_katakana_leaves_katakana_and_other_text_alone() -> None:
    assert to_katakana("ナックス") == "ナックス"
    assert to_katakana("ABC株式会社") == "ABC株式会社"


def test_is_katakana() -> None:
    assert is_katakana("ナックスシステムカブシキガイシャ")
    assert is_katakana("ヤマダ\u3000タロウ")
    assert is_katakana("セントラル・データー")
    assert not is_katakana("")
    assert not is_katakana("やまだ")
    assert not is_katakana("ﾔﾏﾀﾞ")
    assert not is_katakana("ヤマダ タロウ")  # half-width space
    assert not is_katakana("ABCカブシキガイシャ")
    assert not is_katakana("山田")


def test_machine_dependent_chars_detects_circled_numbers_and_units() -> None:
    assert machine_dependent_chars("①番地②号①") == ["①", "②"]
    assert machine_dependent_chars("⑳") == ["⑳"]
    assert machine_dependent_chars("㈱ナックス") == ["㈱"]
    assert machine_dependent_chars("第Ⅲ期ⅳ") == ["Ⅲ", "ⅳ"]
    assert machine_dependent_chars("10㎝ 5㎏ 3㍉ ㍻ № ℡ ∮∑∟⊿") == [
        "㎝", "㎏", "㍉", "㍻", "№", "℡", "∮", "∑", "∟", "⊿",
    ]  # fmt: skip
    assert machine_dependent_chars("ｶﾅ") == ["ｶ", "ﾅ"]


def test_machine_dependent_chars_accepts_ordinary_text() -> None:
    text = "神奈川県川崎市幸区堀川町９９９　ナックスシステム株式会社（本社）ー・「」≒√"
    assert machine_dependent_chars(text) == []
    assert machine_dependent_chars("") == []


@pytest.mark.parametrize(
    "text",
    ["NACCS SYSTEM CO.,LTD.", "HONSHA", "KAWASAKI SHI SAIWAI KU", "I.KONSAI",
     "O'BRIEN & SONS (JAPAN) 1/2-3"],
)  # fmt: skip
def test_is_english_text_accepts(text: str) -> None:
    assert is_english_text(text)


@pytest.mark.parametrize("text", ["", "ＨＯＮＳＨＡ", "本社", "A;B", "A_B", "MAIL@X", "A\tB"])
def test_is_english_text_rejects(text: str) -> None:
    assert not is_english_text(text)


@pytest.mark.parametrize(
    "address",
    ["taro@example.co.jp", "t.yamada+nss@naccs-center.example.com", "taro..@docomo.ne.jp"],
)
def test_is_valid_email_accepts(address: str) -> None:
    assert is_valid_email(address)


@pytest.mark.parametrize(
    "address",
    ["", "taro", "taro@localhost", "taro@@example.jp", "a@b@example.jp", "taro @example.jp",
     "taro@example..jp", "taro@-example.jp", "たろう@example.jp", "taro@example.j1", "@example.jp",
     "taro@ｅｘａｍｐｌｅ.jp"],
)  # fmt: skip
def test_is_valid_email_rejects(address: str) -> None:
    assert not is_valid_email(address)


def test_has_control_chars_fast_path_judges_every_character_as_the_rule_does():
    from app.domain.text import _is_forbidden_control, has_control_chars

    codes = [*range(0x10000), 0x1D173, 0xE0001, 0xE007F, 0x1FFFE, 0x10FFFF]
    for code in codes:
        for multiline in (False, True):
            for text in (chr(code), f"申込\u3000{chr(code)}x"):
                expected = any(_is_forbidden_control(ch, multiline) for ch in text)
                assert has_control_chars(text, multiline=multiline) == expected, (hex(code), text)


def test_machine_dependent_fast_path_equals_the_rule_for_every_code_point() -> None:
    from app.domain.text import _is_machine_dependent

    for code in range(0x110000):
        ch = chr(code)
        assert (machine_dependent_chars(f"住所{ch}") == [ch]) == _is_machine_dependent(ch), hex(
            code
        )
