"""Monthly fee estimate for the 料金プラン screen (tax excluded, usage charges not included)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

PLANS: dict[str, str] = {"A": "基本＋従量", "B": "従量のみ"}
# プランA: 基本料金 per terminal (1端末ごと) and month, whether or not it is used (the manual).
BASE_FEE_PER_TERMINAL = 5_000
PAID_STATISTICS_FEE = 1_000
BONDED_STORAGE_FEE = 1_000
ESTIMATE_NOTE = "従量料金は別途（税抜）"


def _rows(user_code: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(user_code.get("rows") or [])


def monthly_estimate(
    plan: str, user_codes: Iterable[Mapping[str, Any]], terminals: int = 1
) -> dict[str, int | str]:
    """Return {'base', 'options', 'total', 'note'} in yen per month for plan and user codes.

    Plan A costs 5,000 yen per terminal (1端末ごと, as the manual says; not per 識別番号);
    管理統計資料（有料分） and 保税管理資料保存サービス cost 1,000 yen each per 利用者コード that
    has any row asking for them.
    """
    if plan not in PLANS:
        raise ValueError(f"unknown plan: {plan!r}")
    codes = list(user_codes)
    base = BASE_FEE_PER_TERMINAL * max(int(terminals), 0) if plan == "A" else 0
    options = 0
    for code in codes:
        rows = _rows(code)
        if any(_wanted(row.get("paid_statistics")) for row in rows):
            options += PAID_STATISTICS_FEE
        if any(_wanted(row.get("bonded_storage")) for row in rows):
            options += BONDED_STORAGE_FEE
    return {"base": base, "options": options, "total": base + options, "note": ESTIMATE_NOTE}


def _wanted(value: object) -> bool:
    """Forms store 要/否; older callers pass booleans."""
    return value is True or value == "要"
