"""Stage 2 form 請求先に関する情報: 一括請求, billing address, contact, e-mails and payment."""

from __future__ import annotations

from typing import Any, Self

from wtforms import StringField
from wtforms.fields import Field

from app.domain.banks import BANKS
from app.domain.customs import PREFECTURES
from forms.address import address_kana_field
from forms.base import TaskForm
from forms.fields import (
    SAME_OR_OTHER_OFFICE,
    ValueList,
    code_field,
    kana_field,
    office_code_field,
    phone_field,
    postal_code_field,
    radio_field,
    select_field,
    text_field,
)
from forms.validators import AtLeastOneEntry, EmailAddress, MaxLength, ascii_filter, exactly_one

MAX_BILLING_EMAILS = 5
HOPE_OR_NOT = (("yes", "希望する"), ("no", "希望しない"))
BULK = {"bulk": "yes"}
OWN_ADDRESS = {"bulk": "no"}
OTHER_ADDRESS = {"bulk": "no", "address_mode": "other"}
DEBIT = {"payment": "debit"}
SAME_ACCOUNT = {"payment": "debit", "same_account": "yes"}
TRANSFER = {"payment": "transfer"}
DUPLICATE_EMAIL_MESSAGE = "同じE-mailが重複しています。"


class EntryBillingForm(TaskForm):
    """請求先に関する情報 (required even for free-only use).

    The "exactly one of 請求先コード / 事業所コード" errors are attached to
    ``bulk_billing_code`` and ``debit_billing_code``.
    """

    key = "entry_billing"
    title = "請求先に関する情報"
    submit_label = "申込内容確認へ進む"
    postal_lookups = {
        "postal_code": {
            "prefecture": "prefecture",
            "city": "city",
            "street": "street",
            "kana": "address_kana",
        }
    }

    bulk = radio_field("一括請求", HOPE_OR_NOT)
    bulk_billing_code = code_field("請求先コード", when=BULK)
    bulk_office_code = office_code_field("事業所コード", when=BULK)
    bulk_company = text_field("企業名", when=BULK)
    bulk_office = text_field("事業所名", when=BULK)

    address_mode = radio_field("請求先住所", SAME_OR_OTHER_OFFICE, when=OWN_ADDRESS)
    postal_code = postal_code_field("郵便番号", when=OTHER_ADDRESS)
    prefecture = select_field("都道府県", PREFECTURES, when=OTHER_ADDRESS)
    city = text_field("市区町村", when=OTHER_ADDRESS)
    street = text_field("番地・建物", when=OTHER_ADDRESS)
    address_kana = address_kana_field(when=OTHER_ADDRESS)

    contact_name = text_field("氏名", max_length=60)
    contact_kana = kana_field("氏名（カナ）")
    contact_phone = phone_field("電話番号")
    emails = ValueList(
        StringField("E-mail", [MaxLength(254), EmailAddress()], filters=[ascii_filter]),
        "E-mail",
        [AtLeastOneEntry()],
        min_entries=1,
        max_entries=MAX_BILLING_EMAILS,
        description="毎月の請求額のお知らせを送信します（5件まで）。",
    )

    payment = radio_field("支払方法", (("debit", "口座振替"), ("transfer", "銀行振込")))
    same_account = radio_field("同一口座振替", HOPE_OR_NOT, when=DEBIT)
    debit_billing_code = code_field("登録請求先コード", when=SAME_ACCOUNT)
    debit_office_code = office_code_field("事業所コード", when=SAME_ACCOUNT)
    debit_company = text_field("企業名", when=SAME_ACCOUNT)
    debit_office = text_field("事業所名", when=SAME_ACCOUNT)
    bank = select_field("振込先銀行", BANKS, when=TRANSFER)

    def prepare(self, context: Any = None) -> Self:
        """Offer all five E-mail boxes, numbered."""
        super().prepare(context)
        while len(self.emails.entries) < MAX_BILLING_EMAILS:
            self.emails.append_entry()
        for number, entry in enumerate(self.emails.entries, start=1):
            entry.label.text = f"E-mail{number}"
        return self

    def validate_emails(self, field: Field) -> None:
        """The same address twice is a typing slip: said beside the repeated box only."""
        seen: set[str] = set()
        for entry in field.entries:
            if entry.data and entry.data in seen and not entry.errors:
                entry.errors = [DUPLICATE_EMAIL_MESSAGE]
            seen.add(entry.data)
        if any(entry.errors for entry in field.entries):
            # FieldList.validate reports failure from its own errors: keep them per entry.
            field.errors[:] = [list(entry.errors) for entry in field.entries] + [
                e for e in field.errors if isinstance(e, str)
            ]

    def validate_bulk_billing_code(self, field: Field) -> None:
        """一括請求: 請求先コード or 事業所コード, not both."""
        exactly_one(
            field,
            self.bulk_office_code,
            both_message="請求先コードと事業所コードはどちらか一方のみ入力してください。",
            none_message="請求先コードまたは事業所コードのどちらか一方を入力してください。",
        )

    def validate_debit_billing_code(self, field: Field) -> None:
        """同一口座振替: 登録請求先コード or 事業所コード, not both."""
        exactly_one(
            field,
            self.debit_office_code,
            both_message="登録請求先コードと事業所コードはどちらか一方のみ入力してください。",
            none_message="登録請求先コードまたは事業所コードのどちらか一方を入力してください。",
        )
