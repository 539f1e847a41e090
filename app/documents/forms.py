"""The two documents, laid out from the submitted data (plain values, no database access)."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.documents.pdf import ISSUER, JapanesePDF
from app.domain.dates import long_date

WEEKDAYS = "月火水木金土日"
USER_ID_HEADERS = ("利用者ID", "利用者コード", "識別番号", "システム区分", "業種", "処理方式")


def _date(value: date | None) -> str:
    return long_date(value) or "—"


def render_application_form(data: dict[str, Any]) -> bytes:
    """システムサービス利用申込書: every section of the application as submitted.

    data: reference_no, submitted_on, wished_start_date, confirmed_start_date, company_name,
    office_name, remarks, printed_on, sections (forms.summary.Section list).
    """
    pdf = JapanesePDF("システムサービス利用申込書")
    pdf.right(
        [
            f"申込受付番号：{data.get('reference_no') or '—'}",
            f"申込日：{_date(data.get('submitted_on'))}",
        ]
    )
    pdf.heading("システムサービス利用申込書")
    pdf.paragraph("機器共用（新規事業所）申込　netNACCS", size=11)
    pdf.ln(2)
    pdf.paragraph(f"{ISSUER}　御中")
    pdf.paragraph("システム利用規程に同意の上、下記のとおりシステムサービスの利用を申し込みます。")
    pdf.section("利用開始日")
    pdf.items(
        [
            ("利用開始希望日", _date(data.get("wished_start_date"))),
            (
                "利用開始日（確定）",
                _date(data.get("confirmed_start_date"))
                if data.get("confirmed_start_date")
                else "審査終了後に確定します",
            ),
        ]
    )
    for section in data.get("sections") or []:
        if section.key == "entry_start_date":
            continue
        pdf.section(section.title)
        if section.rows:
            pdf.grid(section.headers, section.rows, size=7)
        else:
            pdf.items(section.items)
    pdf.section("備考")
    pdf.paragraph(data.get("remarks") or "（なし）")
    pdf.ln(4)
    pdf.paragraph(f"出力日：{_date(data.get('printed_on'))}", size=8)
    return pdf.render()


def render_consent(data: dict[str, Any]) -> bytes:
    """システムサービス利用承諾書: what the NACCS Center agreed to, from the 利用開始日.

    data: reference_no, company_name, office_name, office_code, confirmed_start_date,
    customs, user_ids [{user_code, identifier, system_kind, industries}], printed_on.
    """
    pdf = JapanesePDF("システムサービス利用承諾書")
    pdf.right(
        [
            f"申込受付番号：{data.get('reference_no') or '—'}",
            f"出力日：{_date(data.get('printed_on'))}",
        ]
    )
    pdf.heading("システムサービス利用承諾書")
    pdf.paragraph(f"{data.get('company_name', '')}　{data.get('office_name', '')}　御中", size=11)
    pdf.ln(2)
    pdf.paragraph(
        "貴社より申込のありましたシステムサービス（機器共用・netNACCS）の利用について、"
        "システム利用規程に基づき、下記のとおり承諾します。"
    )
    pdf.section("承諾内容")
    pdf.items(
        [
            ("申込受付番号", data.get("reference_no") or "—"),
            ("事業所コード", data.get("office_code") or "—"),
            ("利用開始日", _date(data.get("confirmed_start_date"))),
            ("管轄税関", data.get("customs") or "—"),
            ("処理方式", "netNACCS"),
        ]
    )
    pdf.section("利用者ID（利用者コード＋識別番号）")
    rows = [
        [
            f"{u['user_code']} {u['identifier']}",
            u["user_code"],
            u["identifier"],
            u.get("system_kind", ""),
            u.get("industries", ""),
            "netNACCS",
        ]
        for u in data.get("user_ids") or []
    ]
    pdf.grid(USER_ID_HEADERS, rows, size=8.5)
    pdf.ln(4)
    pdf.paragraph(
        "本書類につきましてはお客様にて大切に保管くださいますようお願いいたします。", size=9
    )
    pdf.ln(6)
    pdf.right([ISSUER], size=10)
    return pdf.render()
