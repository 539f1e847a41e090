"""Unit tests of app.domain.industries: 業種 groups and シングルサインオン rules."""

from app.domain.industries import (
    INDUSTRIES,
    INDUSTRY_NAMES,
    SYSTEM_KINDS,
    check_user_code,
    customs_broker_note,
)


def row(industries: list[str], sso: str = "否", count: int = 1, kind: str = "海上") -> dict:
    return {"system_kind": kind, "sso": sso, "industries": industries, "identifier_count": count}


def test_table_order_groups_and_marks() -> None:
    assert INDUSTRY_NAMES[:3] == ["通関業", "混載業", "機用品業"]
    assert INDUSTRY_NAMES[-1] == "バンプール"
    assert len(INDUSTRIES) == 19
    groups = {i.name: i.group for i in INDUSTRIES}
    assert groups["NVOCC"] == "Ⅰ" and groups["CY"] == "Ⅱ" and groups["汎用申請利用のみ"] == "Ⅵ"
    sso = {i.name: i.sso_allowed for i in INDUSTRIES}
    assert sso["通関業"] and sso["保税蔵置場"]
    assert not sso["自社通関"] and not sso["船会社"] and not sso["通関士"]
    assert SYSTEM_KINDS == ("海上", "航空", "海上・航空共用")


def test_valid_user_codes() -> None:
    assert check_user_code([row(["通関業"])]) == []
    # Separate user IDs per 業種 under one code (manual: 通関 識別1, 混載 識別2).
    assert check_user_code([row(["通関業"]), row(["混載業"], kind="航空")]) == []
    # シングルサインオン among ○ 業種 of one group.
    assert check_user_code([row(["通関業", "海貨業", "NVOCC"], sso="要", count=2)]) == []
    assert check_user_code([row(["保税蔵置場", "CY"], sso="要")]) == []


def test_no_rows() -> None:
    errors = check_user_code([])
    assert len(errors) == 1 and "業種" in errors[0]


def test_unknown_industry() -> None:
    errors = check_user_code([row(["宇宙港"])])
    assert errors == ["1行目：業種「宇宙港」は選択できません。"]


def test_groups_cannot_share_a_user_code() -> None:
    errors = check_user_code([row(["通関業"]), row(["保税蔵置場"])])
    assert len(errors) == 1
    assert "グループⅠ（通関業）" in errors[0] and "グループⅡ（保税蔵置場）" in errors[0]
    assert "別の利用者コード" in errors[0]


def test_sso_across_groups_is_refused() -> None:
    errors = check_user_code([row(["通関業", "CY"], sso="要")])
    assert any("グループⅠ" in e and "グループⅡ" in e and "利用者コード" in e for e in errors)


def test_several_industries_need_sso() -> None:
    errors = check_user_code([row(["通関業", "混載業"], sso="否")])
    assert errors == [
        "1行目：1つの利用者IDで複数の業種を利用する場合は、シングルサインオンを「要」にしてください。"
    ]


def test_sso_with_an_industry_marked_cross_is_refused() -> None:
    errors = check_user_code([row(["通関業"]), row(["通関業", "自社通関"], sso="要")])
    assert errors == ["2行目：業種「自社通関」はシングルサインオンはできません。"]
    assert check_user_code([row(["船会社"], sso="要")]) == [
        "1行目：業種「船会社」はシングルサインオンはできません。"
    ]


def test_identifier_count_and_choices() -> None:
    assert check_user_code([row(["通関業"], count=0)]) == [
        "1行目：識別番号数は1以上の数字を入力してください。"
    ]
    assert check_user_code([row(["通関業"], count="2")]) == []  # type: ignore[arg-type]
    assert len(check_user_code([row(["通関業"], count="x")])) == 1  # type: ignore[arg-type]
    errors = check_user_code(
        [{"system_kind": "宇宙", "sso": "?", "industries": [], "identifier_count": 1}]
    )
    assert len(errors) == 3


def test_customs_broker_note() -> None:
    assert customs_broker_note([row(["混載業"]), row(["通関業"])]) == (
        "通関業の場合、通関士の利用者IDは別途申込が必要です。"
    )
    assert customs_broker_note([row(["自社通関"])]) is None
    assert customs_broker_note([]) is None
