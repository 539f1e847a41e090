"""Stage 3 form 審査: the reviewer approves, returns for correction or rejects."""

from __future__ import annotations

from typing import Any, Self

from forms.base import TaskForm
from forms.fields import BLANK_CHOICE, date_choices, radio_field, select_field, textarea_field

APPROVE = {"decision": "approve"}
RETURN = {"decision": "return"}
REJECT = {"decision": "reject"}


class ReviewDecisionForm(TaskForm):
    """審査: 承認 fixes the confirmed 利用開始日 from ``context['schedule_dates']``."""

    key = "review_decision"
    title = "審査"

    decision = radio_field(
        "審査結果", (("approve", "承認"), ("return", "差戻し"), ("reject", "却下"))
    )
    confirmed_start_date = select_field(
        "利用開始日",
        [],
        when=APPROVE,
        invalid_message="利用開始日はスケジュールから選択してください。",
    )
    comment = textarea_field(
        "差戻し内容", max_length=2000, required=True, when=RETURN,
        description="申込者に修正を依頼する内容を記入してください。",
    )  # fmt: skip
    reason = textarea_field("却下理由", max_length=2000, required=True, when=REJECT)

    def prepare(self, context: Any = None) -> Self:
        """Offer the schedule's システム登録日 as confirmed start dates."""
        super().prepare(context)
        choices = date_choices(self.context.get("schedule_dates") or [])
        self.confirmed_start_date.choices = [BLANK_CHOICE, *choices]
        return self
