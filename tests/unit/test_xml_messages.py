"""The XML parser's and the schema's messages reach the analyst in Japanese, with the position."""

import pytest

from app.engine.diagram import XmlError, parse_xml
from app.engine.validation import Contract, validate
from tests.unit.test_validation import edited


@pytest.mark.parametrize(
    ("xml", "words", "where"),
    [
        (b"", "ファイルが空です", "1 行目"),
        (
            b"<a>\n<b>\n</a>",
            "開始タグ <b>（2 行目）と終了タグ </a> が対応していません",
            "3 行目 5 文字目",
        ),
        (b"<a>\n\n<b/>", "<a>（1 行目）が閉じられないまま", "3 行目"),
        (b'<a x="1" x="2"/>', "属性 x が同じ要素に2回", "1 行目"),
        (b"<a>&foo;</a>", "実体参照 &foo; は定義されていません", "1 行目 9 文字目"),
        (b"<a>a & b</a>", "「&」の後に名前がありません", "1 行目"),
        (b"<p:a/>", "名前空間の接頭辞 p が宣言されていません", "1 行目"),
        (b"<a x=1/>", "属性の値を引用符", "1 行目 6 文字目"),
        (b"<a/><b/>", "ルート要素の後に余分な内容があります", "1 行目"),
        (b"abc", "XML ではありません", "1 行目"),
    ],
)
def test_common_syntax_errors_are_explained_in_japanese(xml, words, where):
    with pytest.raises(XmlError) as caught:
        parse_xml(xml)
    message = caught.value.message
    assert message.startswith("XML の書式が正しくありません：")
    assert words in message and where in message
    assert "原文: " in message  # the parser's own words stay as a secondary detail


def test_an_unknown_parser_message_still_says_where_and_keeps_the_original():
    from app.engine.xml_messages import japanese_syntax_error

    text = japanese_syntax_error("Something new happened, line 4, column 2")
    assert text == "XML の書式が正しくありません（4 行目 2 文字目。原文: Something new happened）。"


def test_schema_value_errors_are_explained_in_japanese():
    files = edited("review.bpmn", 'isExecutable="true"', 'isExecutable="yes"')
    contract = Contract(form_keys=frozenset(), roles={}, topics=frozenset())
    (found,) = [p for p in validate(files, contract) if p.code == "schema"]
    assert (
        "属性 isExecutable の値 'yes' が正しくありません（true か false で書きます）"
        in found.message
    )
