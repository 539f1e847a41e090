"""The automatic review checks: pure functions, each OK or 要確認 with its reason."""

from datetime import date

from app.domain.checks import (
    CheckInputs,
    comparable,
    contact_emails,
    contract_deadline_met,
    customs_matches_prefecture,
    email_domains_consistent,
    no_other_open_application,
    owner_office_exists,
    run_checks,
    same_address,
    same_company,
    user_code_rules,
)
from app.domain.schedule import ScheduleEntry

OWNER = {
    "code": "NAC001",
    "company_name": "ナックスシステム株式会社",
    "office_name": "本社",
    "postal_code": "2120013",
    "prefecture": "神奈川県",
    "city": "川崎市幸区",
    "street": "堀川町９９９ ナックスタワー１階",
}
OFFICE = {
    "company_name": "ナックスシステム株式会社",
    "office_name": "海上事業所",
    "postal_code": "2120013",
    "prefecture": "神奈川県",
    "city": "川崎市幸区",
    "street": "堀川町999 ナックスタワー1階",
    "customs": "横浜税関",
}
ROW = {"code_no": 1, "system_kind": "海上", "sso": "要", "industries": ["通関業", "海貨業"]}
ROW["identifier_count"] = 1
ANSWERS = {
    "entry_contact": {"email": "konsai@naccs.example.jp"},
    "entry_office": OFFICE,
    "entry_manager": {"mode": "same"},
    "entry_user_codes": {"rows": [ROW]},
    "entry_equipment": {"owner_office_code": "NAC001"},
    "entry_billing": {"emails": ["billing@naccs.example.jp"]},
}
ENTRY = ScheduleEntry(date(2027, 4, 1), date(2027, 3, 17), date(2027, 3, 24))


def test_comparable_ignores_width_spaces_dashes_and_company_abbreviations():
    assert comparable("堀川町９９９　ナックスタワー１階") == comparable(
        "堀川町999ナックスタワー1階"
    )
    assert comparable("１－２－３") == comparable("1-2-3") == comparable("1ー2ー3")
    assert comparable("㈱ナックス") == comparable("株式会社ナックス")
    assert comparable("ＡＢＣ") == comparable("abc")


def test_owner_office_exists():
    ok = owner_office_exists("NAC001", OWNER)
    assert ok.ok and ok.verdict == "OK" and "NAC001" in ok.reason
    missing = owner_office_exists("ZZZ999", None)
    assert not missing.ok and missing.verdict == "要確認"
    assert "ZZZ999" in missing.reason and "登録されていません" in missing.reason
    assert missing.target == "entry_equipment.owner_office_code"
    assert not owner_office_exists("", None).ok


def test_same_company_says_it_is_kyodo_riyo_otherwise():
    assert same_company("ナックスシステム株式会社", OWNER).ok
    assert same_company("ナックスシステム㈱", OWNER).ok
    other = same_company("エービーシー物流株式会社", OWNER)
    assert not other.ok and "共同利用" in other.reason
    assert not same_company("ナックスシステム株式会社", None).ok


def test_same_address_compares_address_and_postal_code():
    assert same_address(OFFICE, OWNER).ok
    moved = same_address({**OFFICE, "street": "堀川町１０００"}, OWNER)
    assert not moved.ok and "住所が異なります" in moved.reason
    postal = same_address({**OFFICE, "postal_code": "2120014"}, OWNER)
    assert not postal.ok and "郵便番号が異なります" in postal.reason
    assert not same_address(OFFICE, None).ok


def test_contract_deadline_met_at_submission():
    on_time = contract_deadline_met(date(2027, 4, 1), ENTRY, date(2027, 3, 17))
    assert on_time.ok and "3月17日" in on_time.reason
    late = contract_deadline_met(date(2027, 4, 1), ENTRY, date(2027, 3, 18))
    assert not late.ok and "過ぎています" in late.reason
    off_schedule = contract_deadline_met(date(2027, 4, 2), None, date(2027, 3, 1))
    assert not off_schedule.ok and "スケジュール表にありません" in off_schedule.reason
    assert not contract_deadline_met(None, ENTRY, date(2027, 3, 1)).ok


def test_no_other_open_application_for_the_same_office():
    assert no_other_open_application(OFFICE, []).ok
    other_office = {"reference_no": "2600002B", "entry_office": {**OFFICE, "office_name": "航空"}}
    assert no_other_open_application(OFFICE, [other_office]).ok
    twin = {
        "reference_no": "2600001A",
        "status_label": "審査待ち",
        "entry_office": {**OFFICE, "office_name": "海上事業所 "},
    }
    duplicate = no_other_open_application(OFFICE, [twin])
    assert not duplicate.ok and "2600001A" in duplicate.reason and "審査待ち" in duplicate.reason
    registered = no_other_open_application(
        OFFICE, [], [{"code": "NAC005", **OFFICE, "office_name": "海上事業所"}]
    )
    assert not registered.ok and "NAC005" in registered.reason


def test_user_code_rules_apply_the_group_and_sso_table():
    ok = user_code_rules([ROW])
    assert ok.ok and ok.notes and "通関士" in ok.notes[0]
    not_sharable = user_code_rules([{**ROW, "industries": ["通関業", "自社通関"]}])
    assert not not_sharable.ok and "自社通関" in not_sharable.reason
    groups = user_code_rules([{**ROW, "industries": ["通関業", "保税蔵置場"]}])
    assert not groups.ok and "グループ" in groups.reason
    separate_codes = user_code_rules(
        [ROW, {**ROW, "code_no": 2, "sso": "否", "industries": ["保税蔵置場"]}]
    )
    assert separate_codes.ok and "2件" in separate_codes.reason
    assert not user_code_rules([]).ok


def test_contact_email_domains():
    emails = contact_emails(ANSWERS)
    assert emails == [
        ("申込担当者", "konsai@naccs.example.jp"),
        ("請求に関する担当者", "billing@naccs.example.jp"),
    ]
    assert email_domains_consistent(emails).ok
    mixed = email_domains_consistent([*emails, ("管理責任者", "kanri@other.example.jp")])
    assert not mixed.ok and "other.example.jp（管理責任者）" in mixed.reason
    free = email_domains_consistent([("申込担当者", "someone@gmail.com")])
    assert not free.ok and "フリーメール" in free.reason
    manager = {**ANSWERS, "entry_manager": {"mode": "other", "email": "m@naccs.example.jp"}}
    assert ("管理責任者", "m@naccs.example.jp") in contact_emails(manager)
    assert not email_domains_consistent([]).ok


def test_customs_matches_prefecture():
    assert customs_matches_prefecture(OFFICE).ok
    wrong = customs_matches_prefecture({**OFFICE, "customs": "大阪税関"})
    assert not wrong.ok and "横浜税関" in wrong.reason
    assert not customs_matches_prefecture({**OFFICE, "customs": "不明"}).ok
    split = customs_matches_prefecture({**OFFICE, "prefecture": "千葉県", "customs": "東京税関"})
    assert split.ok


def test_run_checks_in_page_order_all_ok():
    checks = run_checks(
        CheckInputs(
            answers=ANSWERS,
            owner_office=OWNER,
            schedule_entry=ENTRY,
            wished_start_date=ENTRY.start_date,
            submitted_on=date(2027, 3, 1),
        )
    )
    assert [c.key for c in checks] == [
        "owner_office",
        "same_company",
        "same_address",
        "contract_deadline",
        "duplicates",
        "user_codes",
        "email_domains",
        "customs",
    ]
    assert all(c.ok for c in checks), [c.reason for c in checks if not c.ok]


def test_run_checks_without_the_owner_office():
    answers = {**ANSWERS, "entry_equipment": {"owner_office_code": "ZZZ999"}}
    checks = {c.key: c for c in run_checks(CheckInputs(answers=answers))}
    assert not checks["owner_office"].ok
    assert not checks["same_company"].ok and not checks["same_address"].ok
    assert not checks["contract_deadline"].ok
