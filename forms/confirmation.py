"""Stage 5–6a forms: confirming the issued IDs, the system setup application, the setup work."""

from __future__ import annotations

from wtforms.fields import Field
from wtforms.validators import ValidationError

from forms.base import TaskForm
from forms.fields import checkbox_field, english_field, postal_code_field, textarea_field

CHANGE_ALL_OFFICES = "同一企業の全事業所情報を変更します"


class IssuanceConfirmForm(TaskForm):
    """申込内容の確認: the applicant has seen the confirmed start date and the ID通知内容."""

    key = "issuance_confirm"
    title = "申込内容の確認"
    submit_label = "確認しました（システム設定の申込へ進む）"

    checked = checkbox_field("利用開始日・ID通知内容を確認しました", required=True)


class SystemSetupForm(TaskForm):
    """システム設定の申込: English names and address, all mandatory (ASCII letters, digits, . , - ' & ( ) /)."""

    key = "system_setup"
    title = "システム設定の申込"
    submit_label = "システム設定を申し込む"

    change_all_offices = checkbox_field(
        CHANGE_ALL_OFFICES,
        description="企業名（英）は必須です。入力するには、このチェックが必要です。",
    )
    company_name_en = english_field("企業名（英）")
    office_name_en = english_field("事業所名（英）")
    postal_code = postal_code_field("郵便番号")
    address_en1 = english_field("住所（英）1")
    address_en2 = english_field("住所（英）2")
    address_en3 = english_field("住所（英）3")
    contact_name_en = english_field("担当者名（英）")
    postal_lookups = {
        "postal_code": {"en1": "address_en1", "en2": "address_en2", "en3": "address_en3"}
    }

    def validate_company_name_en(self, field: Field) -> None:
        """企業名（英） (mandatory, SPEC stage 6) changes every office: only with the check box."""
        if field.data and not self.change_all_offices.data:
            raise ValidationError(
                f"企業名（英）を入力するには「{CHANGE_ALL_OFFICES}」にチェックしてください。"
            )


class SetupWorkForm(TaskForm):
    """受付・デジタル証明書発行作業: NACCS Center staff mark the setup as done."""

    key = "setup_work"
    title = "受付・デジタル証明書発行作業"
    submit_label = "作業完了を登録する"

    certificate_issued = checkbox_field("デジタル証明書発行作業を完了しました", required=True)
    note = textarea_field("作業メモ", max_length=2000)
