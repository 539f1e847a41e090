"""Automatic review checks (審査の自動チェック): pure functions over an application's answers.

Each check returns a ``Check`` that is OK or 要確認 (needs a reviewer's look) with the reason in
Japanese. Nothing here reads the database: the caller passes the reference data it looked up.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.domain.customs import SPLIT_PREFECTURES, UNKNOWN_CUSTOMS, customs_for_prefecture
from app.domain.dates import long_date
from app.domain.industries import check_user_code, customs_broker_note
from app.domain.schedule import ScheduleEntry

# Domains of free mail services: a company contact there deserves a second look.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.co.jp",
        "ymail.ne.jp",
        "outlook.com",
        "outlook.jp",
        "hotmail.com",
        "hotmail.co.jp",
        "live.jp",
        "icloud.com",
        "me.com",
        "aol.com",
        "excite.co.jp",
        "nifty.com",
        "docomo.ne.jp",
        "ezweb.ne.jp",
        "au.com",
        "softbank.ne.jp",
        "i.softbank.jp",
    }
)

_SPACES_RE = re.compile(r"\s+")
_DASHES_RE = re.compile("[\u2010-\u2015\u2212\uff0d\uff70\u30fc]")
_COMPANY_FORMS = {"(株)": "株式会社", "(有)": "有限会社", "(合)": "合同会社"}


@dataclass(frozen=True)
class Check:
    """One automatic check: ``ok`` is True for OK, False for 要確認; ``reason`` says why."""

    key: str
    label: str
    ok: bool
    reason: str
    # What the check concerns: "form_key" or "form_key.field" (for marks beside the field).
    target: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> str:
        return "OK" if self.ok else "要確認"


@dataclass(frozen=True)
class CheckInputs:
    """Everything the checks need, looked up by the caller."""

    answers: Mapping[str, Any]
    owner_office: Mapping[str, Any] | None = None
    schedule_entry: ScheduleEntry | None = None
    wished_start_date: date | None = None
    submitted_on: date | None = None
    # Other open applications of the same company: reference_no, status label, entry_office.
    open_applications: list[Mapping[str, Any]] = field(default_factory=list)
    # Registered offices of the same company (office registry rows as dicts).
    company_offices: list[Mapping[str, Any]] = field(default_factory=list)


def comparable(text: Any) -> str:
    """Loose form for comparing names and addresses typed by different people."""
    value = unicodedata.normalize("NFKC", str(text or ""))
    for short, full in _COMPANY_FORMS.items():
        value = value.replace(short, full)
    value = _DASHES_RE.sub("-", value)
    return _SPACES_RE.sub("", value).casefold()


def address_of(record: Mapping[str, Any] | None) -> str:
    """都道府県 + 市区町村 + 番地・建物 of an office or an answer."""
    if not record:
        return ""
    return "".join(str(record.get(part) or "") for part in ("prefecture", "city", "street"))


def _answer(answers: Mapping[str, Any], form_key: str) -> Mapping[str, Any]:
    return answers.get(form_key) or {}


def owner_office_exists(code: str, office: Mapping[str, Any] | None) -> Check:
    """The 機器所有事業所 is in the office registry."""
    target = "entry_equipment.owner_office_code"
    label = "機器所有事業所の登録"
    if not code:
        return Check(
            "owner_office", label, False, "機器所有事業所の事業所コードがありません。", target
        )
    if office is None:
        return Check(
            "owner_office",
            label,
            False,
            f"事業所コード「{code}」は事業所台帳に登録されていません。",
            target,
        )
    name = f"{office.get('company_name', '')} {office.get('office_name', '')}".strip()
    return Check("owner_office", label, True, f"{code}：{name}（台帳に登録済み）", target)


def same_company(own_company: str, office: Mapping[str, Any] | None) -> Check:
    """Owning and requesting office belong to the same company (otherwise it is 共同利用)."""
    target = "entry_office.company_name"
    label = "同一企業"
    if office is None:
        return Check(
            "same_company", label, False, "機器所有事業所が不明のため確認できません。", target
        )
    theirs = str(office.get("company_name") or "")
    if comparable(theirs) == comparable(own_company):
        return Check("same_company", label, True, f"企業名が一致しています（{theirs}）。", target)
    return Check(
        "same_company",
        label,
        False,
        f"申込事業所の企業名「{own_company}」と機器所有事業所の企業名「{theirs}」が異なります。"
        "他企業間の場合は「共同利用」となり、この手続きの対象外です。",
        target,
    )


def same_address(own_office: Mapping[str, Any], office: Mapping[str, Any] | None) -> Check:
    """The requesting office is at the owning office's address (and postal code)."""
    target = "entry_office.street"
    label = "同一住所"
    if office is None:
        return Check(
            "same_address", label, False, "機器所有事業所が不明のため確認できません。", target
        )
    own, theirs = address_of(own_office), address_of(office)
    problems = []
    if comparable(own) != comparable(theirs):
        problems.append(f"住所が異なります（申込：{own}／機器所有事業所：{theirs}）。")
    own_postal = str(own_office.get("postal_code") or "")
    their_postal = str(office.get("postal_code") or "")
    if own_postal and their_postal and own_postal != their_postal:
        problems.append(
            f"郵便番号が異なります（申込：{own_postal}／機器所有事業所：{their_postal}）。"
        )
    if problems:
        return Check("same_address", label, False, "".join(problems), target)
    return Check("same_address", label, True, f"住所が一致しています（{theirs}）。", target)


def contract_deadline_met(
    wished: date | None, entry: ScheduleEntry | None, submitted_on: date | None
) -> Check:
    """The application was registered by the wished date's 利用契約関係申込締切日."""
    target = "entry_start_date.wished_start_date"
    label = "利用契約関係申込締切日"
    if wished is None or submitted_on is None:
        return Check(
            "contract_deadline", label, False, "利用開始希望日または受付日がありません。", target
        )
    if entry is None:
        return Check(
            "contract_deadline",
            label,
            False,
            f"利用開始希望日 {_md(wished)} はスケジュール表にありません。",
            target,
        )
    if submitted_on <= entry.contract_deadline:
        return Check(
            "contract_deadline",
            label,
            True,
            f"受付日 {_md(submitted_on)} は締切日 {_md(entry.contract_deadline)} 以前です。",
            target,
        )
    return Check(
        "contract_deadline",
        label,
        False,
        f"受付日 {_md(submitted_on)} が締切日 {_md(entry.contract_deadline)} を過ぎています。"
        "別の利用開始日を確定してください。",
        target,
    )


def no_other_open_application(
    own_office: Mapping[str, Any],
    open_applications: Iterable[Mapping[str, Any]],
    company_offices: Iterable[Mapping[str, Any]] = (),
) -> Check:
    """No other open application, and no registered office, for the same requesting office."""
    target = "entry_office.office_name"
    label = "重複申込"
    name = comparable(own_office.get("office_name"))
    company = comparable(own_office.get("company_name"))
    problems = []
    for other in open_applications:
        office = other.get("entry_office") or {}
        if comparable(office.get("company_name")) == company and (
            comparable(office.get("office_name")) == name
        ):
            problems.append(
                f"申込受付番号 {other.get('reference_no') or '（未登録）'}"
                f"（{other.get('status_label') or other.get('status') or ''}）が同じ事業所の申込です。"
            )
    for office in company_offices:
        if comparable(office.get("company_name")) == company and (
            comparable(office.get("office_name")) == name
        ):
            problems.append(f"事業所コード {office.get('code')} として同名の事業所が登録済みです。")
    if problems:
        return Check("duplicates", label, False, "".join(problems), target)
    return Check("duplicates", label, True, "同じ事業所の申込・登録はありません。", target)


def user_code_rules(rows: list[Mapping[str, Any]]) -> Check:
    """業種 groups and シングルサインオン rules for each 利用者コード."""
    target = "entry_user_codes.rows"
    label = "業種・シングルサインオン"
    if not rows:
        return Check("user_codes", label, False, "利用者コードの設定がありません。", target)
    grouped: dict[Any, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row.get("code_no") or 1, []).append(dict(row))
    problems = []
    for code_no in sorted(grouped, key=str):
        problems.extend(f"利用者コード{code_no}：{m}" for m in check_user_code(grouped[code_no]))
    note = customs_broker_note(rows)
    notes = (note,) if note else ()
    if problems:
        return Check("user_codes", label, False, " ".join(problems), target, notes)
    codes = len(grouped)
    return Check(
        "user_codes", label, True, f"利用者コード{codes}件とも規則を満たしています。", target, notes
    )


def contact_emails(answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(role, address) of every e-mail address in the answers, in form order."""
    found: list[tuple[str, str]] = []
    contact = _answer(answers, "entry_contact") or _answer(answers, "signup_contact")
    if contact.get("email"):
        found.append(("申込担当者", str(contact["email"])))
    manager = _answer(answers, "entry_manager")
    if manager.get("mode") == "other" and manager.get("email"):
        found.append(("管理責任者", str(manager["email"])))
    for address in _answer(answers, "entry_billing").get("emails") or []:
        if address:
            found.append(("請求に関する担当者", str(address)))
    return found


def email_domains_consistent(emails: list[tuple[str, str]]) -> Check:
    """All contact addresses share one domain, and none is a free mail service."""
    target = "entry_contact.email"
    label = "連絡先メールのドメイン"
    if not emails:
        return Check("email_domains", label, False, "連絡先のE-mailがありません。", target)
    domains: dict[str, list[str]] = {}
    for role, address in emails:
        domain = address.rpartition("@")[2].strip().lower()
        roles = domains.setdefault(domain, [])
        if role not in roles:
            roles.append(role)
    problems = []
    if len(domains) > 1:
        listed = "、".join(f"{d}（{'・'.join(r)}）" for d, r in domains.items())
        problems.append(f"ドメインが複数あります：{listed}。")
    free = [d for d in domains if d in FREE_MAIL_DOMAINS]
    if free:
        problems.append(f"フリーメールのドメインです：{'、'.join(free)}。")
    if problems:
        return Check("email_domains", label, False, "".join(problems), target)
    return Check("email_domains", label, True, f"すべて {next(iter(domains))} です。", target)


def customs_matches_prefecture(office: Mapping[str, Any]) -> Check:
    """管轄税関 matches the prefecture (the split prefectures accept either customs)."""
    target = "entry_office.customs"
    label = "管轄税関"
    prefecture, customs = str(office.get("prefecture") or ""), str(office.get("customs") or "")
    expected = customs_for_prefecture(prefecture) if prefecture else UNKNOWN_CUSTOMS
    if customs == UNKNOWN_CUSTOMS:
        return Check("customs", label, False, "管轄税関が「不明」で申し込まれています。", target)
    if customs == expected:
        return Check("customs", label, True, f"{prefecture}の管轄は{customs}です。", target)
    if prefecture in SPLIT_PREFECTURES:
        return Check(
            "customs",
            label,
            True,
            f"{prefecture}は管轄が分かれる地域です（選択：{customs}）。",
            target,
        )
    return Check(
        "customs",
        label,
        False,
        f"{prefecture}の管轄は通常{expected}ですが、{customs}が選択されています。",
        target,
    )


def run_checks(inputs: CheckInputs) -> list[Check]:
    """Every automatic check, in the order the review page shows them."""
    answers = inputs.answers
    own_office = _answer(answers, "entry_office")
    code = str(_answer(answers, "entry_equipment").get("owner_office_code") or "")
    return [
        owner_office_exists(code, inputs.owner_office),
        same_company(str(own_office.get("company_name") or ""), inputs.owner_office),
        same_address(own_office, inputs.owner_office),
        contract_deadline_met(inputs.wished_start_date, inputs.schedule_entry, inputs.submitted_on),
        no_other_open_application(own_office, inputs.open_applications, inputs.company_offices),
        user_code_rules(list(_answer(answers, "entry_user_codes").get("rows") or [])),
        email_domains_consistent(contact_emails(answers)),
        customs_matches_prefecture(own_office),
    ]


def _md(d: date) -> str:
    return long_date(d)
