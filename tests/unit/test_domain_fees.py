"""Unit tests of app.domain.fees: the monthly fee estimate."""

import pytest

from app.domain.fees import PLANS, monthly_estimate


def row(count: int = 1, paid: bool = False, bonded: bool = False) -> dict:
    return {"identifier_count": count, "paid_statistics": paid, "bonded_storage": bonded}


def test_plans() -> None:
    assert PLANS == {"A": "基本＋従量", "B": "従量のみ"}


def test_plan_a_charges_base_fee_per_terminal_not_per_identifier() -> None:
    """The manual: プランA costs 5,000 yen a month 1端末ごと; four 識別番号 change nothing."""
    codes = [{"rows": [row(1), row(2)]}, {"rows": [row(1)]}]
    estimate = monthly_estimate("A", codes)
    assert estimate == {
        "base": 5_000,
        "options": 0,
        "total": 5_000,
        "note": "従量料金は別途（税抜）",
    }
    assert monthly_estimate("A", codes, terminals=3)["base"] == 15_000
    assert monthly_estimate("B", codes, terminals=3)["base"] == 0


def test_plan_b_has_no_base_fee() -> None:
    estimate = monthly_estimate("B", [{"rows": [row(3)]}])
    assert estimate["base"] == 0 and estimate["total"] == 0


def test_options_are_charged_once_per_user_code() -> None:
    codes = [
        {"rows": [row(paid=True), row(paid=True, bonded=True)]},  # 1,000 + 1,000
        {"rows": [row(bonded=True)]},  # 1,000
        {"rows": [row()]},  # nothing
    ]
    estimate = monthly_estimate("B", codes)
    assert estimate["options"] == 3_000
    estimate = monthly_estimate("A", codes)
    assert (estimate["base"], estimate["options"], estimate["total"]) == (5_000, 3_000, 8_000)


def test_empty_and_unknown_plan() -> None:
    assert monthly_estimate("A", [], terminals=0)["total"] == 0
    with pytest.raises(ValueError):
        monthly_estimate("C", [])
