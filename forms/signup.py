"""Stage 1 forms (仮アカウント申込): the application contact and the confirmation screen."""

from __future__ import annotations

from wtforms.fields import Field
from wtforms.validators import ValidationError

from forms.base import TaskForm
from forms.fields import email_field, kana_field, phone_field, text_field

EMAIL_MISMATCH_MESSAGE = "E-mailとE-mail（確認）が一致しません。"


class ContactFields(TaskForm):
    """The 申込担当者 fields shared by signup and detail entry."""

    summary_skip = frozenset({"email_confirm"})

    company_name = text_field("企業名")
    company_kana = kana_field("企業名（カナ）")
    last_name = text_field("氏名（姓）", max_length=30)
    first_name = text_field("氏名（名）", max_length=30)
    last_kana = kana_field("氏名カナ（姓）", max_length=30)
    first_kana = kana_field("氏名カナ（名）", max_length=30)
    phone = phone_field("電話番号")
    email = email_field("E-mail")
    email_confirm = email_field("E-mail（確認）")
    fax = phone_field("FAX番号", required=False)

    def validate_email_confirm(self, field: Field) -> None:
        """E-mail（確認） must repeat E-mail."""
        if self.email.data and field.data != self.email.data:
            raise ValidationError(EMAIL_MISMATCH_MESSAGE)


class SignupContactForm(ContactFields):
    """申込担当者の情報: the person the NACCS Center contacts about the application."""

    key = "signup_contact"
    title = "申込担当者の情報"


class SignupConfirmForm(TaskForm):
    """入力内容の確認: no fields, the button is 「申込内容を登録する」."""

    key = "signup_confirm"
    title = "入力内容の確認"
    submit_label = "申込内容を登録する"
