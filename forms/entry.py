"""Stage 2 forms (詳細情報の入力), in screen order; the longer ones live in sibling modules."""

from __future__ import annotations

from typing import Any, Self

from app.domain.dates import long_date
from app.domain.fees import PLANS
from forms.base import TaskForm
from forms.entry_billing import EntryBillingForm
from forms.entry_codes import EntryEquipmentForm, EntryUserCodesForm, UserCodeRowForm
from forms.entry_contacts import EntryContractorForm, EntryManagerForm, EntryOfficeForm
from forms.fields import BLANK_CHOICE, date_choices, radio_field, select_field, textarea_field
from forms.signup import ContactFields

__all__ = [
    "EntryBillingForm",
    "EntryConfirmForm",
    "EntryContactForm",
    "EntryContractorForm",
    "EntryEquipmentForm",
    "EntryGuidanceForm",
    "EntryManagerForm",
    "EntryOfficeForm",
    "EntryPlanForm",
    "EntryStartDateForm",
    "EntryUserCodesForm",
    "UserCodeRowForm",
]

REASON_MAX = 240
START_DATE_GONE_MESSAGE = (
    "選択された利用開始希望日は選択できません（利用契約関係申込締切日を過ぎた可能性があります）。"
    "一覧から選択し直してください。"
)


class EntryGuidanceForm(TaskForm):
    """申込ガイダンス: the steps to completion; the button is 「申込担当者の入力へ進む」."""

    key = "entry_guidance"
    title = "申込ガイダンス"
    submit_label = "申込担当者の入力へ進む"


class EntryContactForm(ContactFields):
    """申込担当者 / 申込理由: the signup contact (editable) and the reason for applying."""

    key = "entry_contact"
    title = "申込担当者 / 申込理由"

    reason = textarea_field(
        "申込理由",
        max_length=REASON_MAX,
        required=True,
        description=f"{REASON_MAX}文字以内で入力してください。",
    )


class EntryStartDateForm(TaskForm):
    """利用開始希望日: one of the システム登録日 whose contract deadline has not passed.

    Choices come from ``context['open_start_dates']`` [(iso_date, label), ...] (plain ISO
    dates are accepted too and labelled 2025年4月1日（火）).
    """

    key = "entry_start_date"
    title = "利用開始希望日"

    wished_start_date = select_field("利用開始希望日", [], invalid_message=START_DATE_GONE_MESSAGE)

    def prepare(self, context: Any = None) -> Self:
        """Offer the open システム登録日 of the schedule."""
        super().prepare(context)
        dates = self.context.get("open_start_dates") or []
        self.wished_start_date.choices = [BLANK_CHOICE, *date_choices(dates)]
        return self


class EntryPlanForm(TaskForm):
    """料金プラン: プランA 「基本＋従量」 or プランB 「従量のみ」."""

    key = "entry_plan"
    title = "料金プラン"

    plan = radio_field(
        "料金プラン", [(code, f"プラン{code}「{name}」") for code, name in PLANS.items()]
    )


class EntryConfirmForm(TaskForm):
    """申込内容確認: everything on one page, a free 備考, then 「申込内容を登録する」."""

    key = "entry_confirm"
    title = "申込内容確認"
    submit_label = "申込内容を登録する"

    remarks = textarea_field(
        "備考",
        max_length=500,
        description="連絡事項があれば入力してください（例：通関業許可XX月XX日予定）。",
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """The wished start date must still be open: its contract deadline may have passed."""
        valid = super().validate(extra_validators)
        if "open_start_dates" not in self.context:
            return valid
        wished = (
            (self.context.get("applicant") or {})
            .get("entry_start_date", {})
            .get("wished_start_date")
        )
        open_dates = {str(item[0]) for item in self.context["open_start_dates"]}
        if wished and wished not in open_dates:
            self.form_errors.append(
                f"利用開始希望日（{_label(wished)}）は利用契約関係申込締切日を過ぎたため選択"
                "できません。「利用開始希望日」を修正してください。"
            )
        return valid and not self.form_errors


def _label(iso: str) -> str:
    return long_date(iso)
