"""A4 PDF pages with Japanese text: fpdf2 with Noto Sans CJK JP, embedded and subset."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from importlib.resources import as_file

import noto_cjk_sans_jp_regular
from fpdf import FPDF
from fpdf.fonts import FontFace

FONT = "NotoSansJP"
ISSUER = "輸出入・港湾関連情報処理センター株式会社（NACCSセンター）"
LABEL_WIDTH = 58


class JapanesePDF(FPDF):
    """A4 portrait, Noto Sans CJK JP, a footer with the page number and the issuer."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._font_files = ExitStack()
        path = self._font_files.enter_context(as_file(noto_cjk_sans_jp_regular.FONT_PATH))
        self.add_font(FONT, "", str(path))
        self.set_title(title)
        self.set_author(ISSUER)
        self.set_creator("NACCS 機器共用（新規事業所）申込")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)
        self.add_page()

    def footer(self) -> None:
        """Page x / y and the issuer, small and grey."""
        self.set_y(-13)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 5, f"{ISSUER}　{self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def heading(self, text: str, size: int = 18) -> None:
        """The document's title, centred."""
        self.set_font(FONT, size=size)
        self.cell(0, 12, text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def right(self, lines: Sequence[str], size: int = 10) -> None:
        """Right-aligned lines (numbers and dates at the top right)."""
        self.set_font(FONT, size=size)
        for line in lines:
            self.cell(0, 6, line, align="R", new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, size: int = 10, height: float = 6) -> None:
        """Wrapped text across the page."""
        self.set_font(FONT, size=size)
        self.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")

    def section(self, title: str) -> None:
        """A shaded section bar."""
        if self.get_y() > self.h - 40:
            self.add_page()
        self.ln(3)
        self.set_font(FONT, size=11)
        self.set_fill_color(226, 234, 243)
        self.cell(0, 8, f" {title}", fill=True, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def items(self, items: Sequence[tuple[str, str]], size: int = 9.5) -> None:
        """Label / value rows in a two-column table."""
        if not items:
            return
        self.set_font(FONT, size=size)
        heading = FontFace(fill_color=(244, 246, 248))
        width = self.epw
        with self.table(
            col_widths=(LABEL_WIDTH, width - LABEL_WIDTH),
            first_row_as_headings=False,
            line_height=6,
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            for label, value in items:
                row = table.row()
                row.cell(label, style=heading)
                row.cell(value or "")

    def grid(self, headers: Sequence[str], rows: Sequence[Sequence[str]], size: float = 8) -> None:
        """A table with a heading row (the 利用者コード, the 利用者ID)."""
        if not rows:
            self.paragraph("（なし）")
            return
        self.set_font(FONT, size=size)
        with self.table(
            line_height=5,
            headings_style=FontFace(fill_color=(226, 234, 243)),
            text_align="CENTER",
        ) as table:
            heading = table.row()
            for header in headers:
                heading.cell(header)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(value)

    def render(self) -> bytes:
        """The finished document."""
        try:
            return bytes(self.output())
        finally:
            self._font_files.close()
