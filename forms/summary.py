"""The answers in words: each screen's labels and chosen options, for confirmation and review."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wtforms import BooleanField, FieldList, RadioField, SelectField, SelectMultipleField

from app.domain.industries import group_user_codes
from forms import FORMS
from forms.fields import date_label
from forms.validators import conditions_hold

# The detail-entry screens in the manual's order, with the section names of the confirmation.
SECTION_TITLES: dict[str, str] = {
    "entry_contact": "申込担当者・申込理由",
    "entry_start_date": "利用開始希望日",
    "entry_office": "事業所に関する情報",
    "entry_contractor": "契約者に関する情報",
    "entry_manager": "管理責任者に関する情報",
    "entry_user_codes": "利用者コード",
    "entry_equipment": "機器共用に関する項目",
    "entry_plan": "料金プラン",
    "entry_billing": "請求先に関する情報",
}
USER_CODE_HEADERS = (
    "利用者コード",
    "システム区分",
    "シングルサインオン",
    "業種",
    "処理方式",
    "識別番号数",
    "管理統計資料（有料分）",
    "管理統計資料（無料分）",
    "保税管理資料保存サービス",
)
NONE_TEXT = "（なし）"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BELOW = "（下欄に入力してください）"


@dataclass
class Section:
    """One screen's answers: (label, text) items, or a table for the 利用者コード."""

    key: str
    title: str
    items: list[tuple[str, str]] = field(default_factory=list)
    headers: tuple[str, ...] = ()
    rows: list[list[str]] = field(default_factory=list)


def _choice_label(field_: Any, value: Any) -> str:
    for choice in field_.choices or ():
        choice_value, label = (choice.value, choice.label) if hasattr(choice, "value") else choice
        if str(choice_value) == str(value):
            return str(label).replace(_BELOW, "")
    if _ISO_DATE.fullmatch(str(value)):
        return date_label(str(value))  # a schedule date, whatever today's choices are
    return str(value)


def _text(field_: Any) -> str:
    data = field_.data
    if isinstance(field_, BooleanField):
        return "はい" if data else "いいえ"
    if isinstance(field_, SelectMultipleField):
        return "・".join(str(v) for v in data or []) or NONE_TEXT
    if isinstance(field_, (RadioField, SelectField)):
        return _choice_label(field_, data) if data not in (None, "") else NONE_TEXT
    if data in (None, ""):
        return NONE_TEXT
    return str(data)


def user_code_rows(rows: list[Mapping[str, Any]]) -> list[list[str]]:
    """Table rows of the 利用者コード, in code order (利用者コード1, 2 ...)."""
    table: list[list[str]] = []
    for code in group_user_codes(rows):
        for row in code["rows"]:
            table.append(
                [
                    f"利用者コード{code['code_no']}",
                    str(row.get("system_kind") or ""),
                    str(row.get("sso") or ""),
                    "・".join(row.get("industries") or []),
                    str(row.get("processing") or ""),
                    str(row.get("identifier_count") or ""),
                    str(row.get("paid_statistics") or ""),
                    str(row.get("free_statistics") or ""),
                    str(row.get("bonded_storage") or ""),
                ]
            )
    return table


def summarize(form_key: str, data: Mapping[str, Any]) -> Section:
    """The answers of one screen with its labels; fields that do not apply are left out."""
    title = SECTION_TITLES.get(form_key) or getattr(FORMS.get(form_key), "title", form_key)
    section = Section(key=form_key, title=title)
    if form_key == "entry_user_codes":
        section.headers = USER_CODE_HEADERS
        section.rows = user_code_rows(list(data.get("rows") or []))
        return section
    form_class = FORMS.get(form_key)
    if form_class is None:
        return section
    form = form_class(formdata=None, data=dict(data), meta={"csrf": False})
    for field_ in form:
        if field_.type in ("CSRFTokenField", "SubmitField", "StateField", "HiddenField"):
            continue
        if field_.short_name in form_class.summary_skip or not conditions_hold(form, field_):
            continue
        if isinstance(field_, FieldList):
            values = [str(entry.data) for entry in field_.entries if entry.data]
            section.items.append((str(field_.label.text), "、".join(values) or NONE_TEXT))
            continue
        section.items.append((str(field_.label.text), _text(field_)))
    return section


def summarize_answers(answers: Mapping[str, Any], keys: list[str] | None = None) -> list[Section]:
    """Every answered detail-entry screen, in screen order."""
    wanted = keys or list(SECTION_TITLES)
    return [summarize(key, answers[key]) for key in wanted if key in (answers or {})]
