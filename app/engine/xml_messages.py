"""Japanese wording of the XML parser's (libxml2 via lxml) syntax error messages."""

import re

# (pattern on the message without its ", line L, column C" tail, Japanese template)
_RULES: tuple[tuple[str, str], ...] = (
    (r"Document is empty", "ファイルが空です（XML の要素がありません）。"),
    (
        r"Start tag expected, '<' not found",
        "XML ではありません（先頭に「<」で始まる要素がありません）。",
    ),
    (
        r"Opening and ending tag mismatch: (\S+) line (\d+) and (\S+)",
        "開始タグ <{0}>（{1} 行目）と終了タグ </{2}> が対応していません。",
    ),
    (
        r"Premature end of data in tag (\S+) line (\d+)",
        "<{0}>（{1} 行目）が閉じられないままファイルが終わっています。",
    ),
    (r"EndTag: '</' not found", "終了タグ「</…>」が見つかりません。"),
    (
        r"Couldn't find end of Start Tag (\S+) line (\d+)",
        "開始タグ <{0}>（{1} 行目）の終わり「>」が見つかりません。",
    ),
    (r"Extra content at the end of the document", "ルート要素の後に余分な内容があります。"),
    (r"AttValue: .* expected", "属性の値を引用符（\" または '）で囲んでください。"),
    (r"Attribute (\S+) redefined", "属性 {0} が同じ要素に2回書かれています。"),
    (r"Specification mandates value for attribute (\S+)", "属性 {0} に値がありません。"),
    (
        r"Entity '([^']*)' not defined",
        "実体参照 &{0}; は定義されていません（& は &amp; と書いてください）。",
    ),
    (r"xmlParseEntityRef: no name", "「&」の後に名前がありません（& は &amp; と書いてください）。"),
    (
        r"EntityRef: expecting ';'",
        "実体参照が「;」で終わっていません（& は &amp; と書いてください）。",
    ),
    (
        r"Namespace prefix (\S+) (?:for (\S+) )?on (\S+) is not defined",
        "名前空間の接頭辞 {0} が宣言されていません（要素 {0}:{2}）。",
    ),
    (
        r"Invalid bytes in character encoding",
        "文字コードが正しくありません（UTF-8 で保存してください）。",
    ),
    (r"Input is not proper UTF-8.*", "文字コードが正しくありません（UTF-8 で保存してください）。"),
    (
        r"Unescaped '<' not allowed in attributes values",
        "属性の値に「<」は書けません（&lt; と書いてください）。",
    ),
    (r"Comment not terminated", "コメント「<!--」が「-->」で閉じられていません。"),
    (r"error parsing attribute name", "属性名が読めません（タグの書き方が正しくありません）。"),
    (r"PCDATA invalid Char value (\d+)", "XML に使えない制御文字（コード {0}）が含まれています。"),
    (r"Char 0x\w+ out of allowed range", "XML に使えない文字が含まれています。"),
    (r"expected '>'", "「>」が必要な位置にありません。"),
    (r"StartTag: invalid element name", "要素名が正しくありません（英字か _ で始めてください）。"),
    (
        r"XML declaration allowed only at the start of the document",
        "XML 宣言 <?xml …?> はファイルの先頭にだけ書けます。",
    ),
    (r"String not closed expecting \" or '", "文字列が引用符で閉じられていません。"),
    (r"Blank needed here", "ここには空白が必要です。"),
    (r"CData section not finished.*", "CDATA セクションが「]]>」で閉じられていません。"),
    (r"Sequence ']]>' not allowed in content", "本文に「]]>」は書けません。"),
    (
        r"internal error: Huge input lookup|Excessive depth in document.*",
        "XML が大きすぎるか、入れ子が深すぎます。",
    ),
)
_TAIL = re.compile(r",\s*line (\d+), column (\d+)\s*$")


def japanese_syntax_error(message: str, line: int | None = None, column: int | None = None) -> str:
    """`message` from XMLSyntaxError.msg as Japanese with its position, the original kept after it."""
    text = (message or "").strip()
    if tail := _TAIL.search(text):
        line = line or int(tail[1])
        column = column or int(tail[2])
        text = text[: tail.start()].strip()
    where = ""
    if line:
        where = f"{line} 行目" + (f" {column} 文字目" if column else "") + "。"
    head = "XML の書式が正しくありません"
    for pattern, template in _RULES:
        if m := re.fullmatch(pattern, text):
            return f"{head}：{template.format(*m.groups())}（{where}原文: {text}）"
    return f"{head}（{where}原文: {text}）。"
