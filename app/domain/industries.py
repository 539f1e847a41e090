"""業種 (industries), their groups and the シングルサインオン rules for one 利用者コード."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SYSTEM_KINDS = ("海上", "航空", "海上・航空共用")
SSO_CHOICES = ("要", "否")
CUSTOMS_BROKER = "通関業"
CUSTOMS_BROKER_NOTE = "通関業の場合、通関士の利用者IDは別途申込が必要です。"


@dataclass(frozen=True)
class Industry:
    """One 業種: its group (Ⅰ–Ⅶ) and whether it may share a 利用者ID (シングルサインオン ○)."""

    name: str
    group: str
    sso_allowed: bool


# NACCS Center's table: 業種 of different groups need separate 利用者コード; シングルサインオン
# is allowed only among the 業種 marked ○ within one group.
INDUSTRIES: list[Industry] = [
    Industry("通関業", "Ⅰ", True),
    Industry("混載業", "Ⅰ", True),
    Industry("機用品業", "Ⅰ", False),
    Industry("自社通関", "Ⅰ", False),
    Industry("航空会社", "Ⅰ", True),
    Industry("機長代行", "Ⅰ", False),
    Industry("海貨業", "Ⅰ", True),
    Industry("輸出入者", "Ⅰ", True),
    Industry("航空貨物代理店", "Ⅰ", True),
    Industry("NVOCC", "Ⅰ", True),
    Industry("輸出入者（外為法関連業務利用）", "Ⅰ", False),
    Industry("通関士", "Ⅰ", False),
    Industry("保税蔵置場", "Ⅱ", True),
    Industry("CY", "Ⅱ", True),
    Industry("船会社", "Ⅲ", False),
    Industry("船舶代理店", "Ⅳ", False),
    Industry("損害保険会社", "Ⅴ", False),
    Industry("汎用申請利用のみ", "Ⅵ", False),
    Industry("バンプール", "Ⅶ", False),
]
INDUSTRY_NAMES: list[str] = [industry.name for industry in INDUSTRIES]
_BY_NAME: dict[str, Industry] = {industry.name: industry for industry in INDUSTRIES}
_GROUP_ORDER = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "Ⅵ", "Ⅶ")


def industry_by_name(name: str) -> Industry | None:
    """Return the 業種 called name, or None."""
    return _BY_NAME.get(name)


def _names(row: Mapping[str, Any]) -> list[str]:
    value = row.get("industries") or []
    if isinstance(value, str):
        return [value]
    return list(value)


def _identifier_count(row: Mapping[str, Any]) -> int | None:
    try:
        return int(row.get("identifier_count"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _check_row(number: int, row: Mapping[str, Any]) -> list[str]:
    prefix = f"{number}行目："
    errors: list[str] = []
    if row.get("system_kind") not in SYSTEM_KINDS:
        errors.append(f"{prefix}システム区分を選択してください。")
    sso = row.get("sso")
    if sso not in SSO_CHOICES:
        errors.append(f"{prefix}シングルサインオンの要否を選択してください。")
    names = _names(row)
    if not names:
        errors.append(f"{prefix}業種を選択してください。")
    for name in names:
        if name not in _BY_NAME:
            errors.append(f"{prefix}業種「{name}」は選択できません。")
    if len(names) > 1 and sso == "否":
        errors.append(
            f"{prefix}1つの利用者IDで複数の業種を利用する場合は、"
            "シングルサインオンを「要」にしてください。"
        )
    if sso == "要":
        for name in names:
            industry = _BY_NAME.get(name)
            if industry is not None and not industry.sso_allowed:
                errors.append(f"{prefix}業種「{name}」はシングルサインオンはできません。")
    count = _identifier_count(row)
    if count is None or count < 1:
        errors.append(f"{prefix}識別番号数は1以上の数字を入力してください。")
    return errors


def check_user_code(rows: list[dict]) -> list[str]:
    """Return the Japanese errors of one 利用者コード's rows; an empty list means it is valid.

    Each row has 'system_kind', 'sso' ('要' or '否'), 'industries' (names) and
    'identifier_count'.
    """
    if not rows:
        return ["業種の設定がありません。「設定する」で1件以上設定してください。"]
    errors: list[str] = []
    for number, row in enumerate(rows, start=1):
        errors.extend(_check_row(number, row))
    groups: dict[str, list[str]] = {}
    for row in rows:
        for name in _names(row):
            industry = _BY_NAME.get(name)
            if industry is not None and name not in groups.setdefault(industry.group, []):
                groups[industry.group].append(name)
    if len(groups) > 1:
        described = "、".join(
            f"グループ{group}（{'・'.join(groups[group])}）"
            for group in _GROUP_ORDER
            if group in groups
        )
        errors.append(
            f"異なるグループの業種は同一の利用者コードに設定できません：{described}。"
            "グループごとに別の利用者コードを申し込んでください。"
        )
    return errors


def customs_broker_note(rows: Iterable[Mapping[str, Any]]) -> str | None:
    """Return the 通関士 note when 通関業 is among the rows' 業種, else None."""
    for row in rows:
        if CUSTOMS_BROKER in _names(row):
            return CUSTOMS_BROKER_NOTE
    return None


def industries_by_group() -> list[tuple[str, list[Industry]]]:
    """The 業種 table in group order: [('Ⅰ', [通関業, 混載業, ...]), ('Ⅱ', ...), ...]."""
    return [
        (group, [industry for industry in INDUSTRIES if industry.group == group])
        for group in _GROUP_ORDER
    ]


def group_user_codes(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows grouped by 利用者コード番号: [{'code_no': 1, 'rows': [...]}, ...], in number order."""
    grouped: dict[int, list[Mapping[str, Any]]] = {}
    for row in rows:
        try:
            code_no = int(row.get("code_no") or 1)
        except (TypeError, ValueError):
            code_no = 1
        grouped.setdefault(code_no, []).append(row)
    return [{"code_no": number, "rows": grouped[number]} for number in sorted(grouped)]
