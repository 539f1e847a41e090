"""Defaults of a screen never saved before, taken from what the applicant already typed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any


def initial_data(
    form_key: str, answers: Mapping[str, Any], wished_start_date: date | None = None
) -> dict:
    """Defaults for a screen never saved before, from what the applicant already typed."""
    signup = dict(answers.get("signup_contact") or {})
    if form_key == "entry_contact":
        return {k: v for k, v in signup.items()}
    if form_key == "entry_office":
        return {
            "company_name": signup.get("company_name", ""),
            "company_kana": signup.get("company_kana", ""),
        }
    if form_key == "entry_manager":
        return {"mode": "same", "naccs_type": "net"}
    if form_key == "system_setup":
        office = dict(answers.get("entry_office") or {})
        return {"postal_code": office.get("postal_code", "")}
    if form_key == "review_decision" and wished_start_date:
        return {"confirmed_start_date": wished_start_date.isoformat()}
    return {}
