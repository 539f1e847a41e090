"""Stage 2 forms about the office and its people: 事業所, 契約者 and 管理責任者."""

from __future__ import annotations

from typing import Any, Self

from wtforms.fields import Field
from wtforms.validators import ValidationError

from app.domain.customs import CUSTOMS_OFFICES, PREFECTURES, customs_for_prefecture
from forms.address import address_kana_field
from forms.base import TaskForm
from forms.fields import (
    OTHER_BELOW,
    SAME_OR_OTHER_OFFICE,
    checkbox_field,
    email_field,
    kana_field,
    phone_field,
    postal_code_field,
    radio_field,
    select_field,
    text_field,
)

OTHER = {"mode": "other"}
OTHER_ADDRESS = {"address_mode": "other"}
NO_FAX = "0000000000"
STREET_HINT = "郵便番号の「反映」で町域まで入力されます。続けて番地・建物名を入力してください。"
CUSTOMS_HINT = (
    "事業所所在地を管轄する税関です。都道府県から選択していますが、変更できます"
    "（千葉県の成田空港・市川市は東京税関、佐賀県の有明海沿岸は長崎税関、長崎県の壱岐・対馬は"
    "門司税関です）。不明な場合は「不明」を選択してください。"
)
GENERAL_NACCS_MESSAGE = (
    "この手続きはnetNACCSの申込です。一般NACCSも利用する場合は、この申込の完了後に、"
    "一般NACCSを追加する変更申込を行ってください。申込を続けるには「netNACCSを利用する」を"
    "押してください。"
)
DUPLICATE_FAX_MESSAGE = "同じFAX番号が重複しています。"


class EntryOfficeForm(TaskForm):
    """事業所に関する情報: the requesting office, at the owning office's address."""

    key = "entry_office"
    title = "事業所に関する情報"
    note = "機器共用依頼事業所の住所は、機器所有事業所の住所と同一である必要があります。"

    company_name = text_field("企業名")
    company_kana = kana_field("企業名（カナ）")
    office_name = text_field(
        "事業所名", description="特に事業所が存在しない場合は「本社」と入力してください。"
    )
    office_kana = kana_field("事業所名（カナ）")
    postal_code = postal_code_field("郵便番号")
    prefecture = select_field("都道府県", PREFECTURES)
    city = text_field("市区町村")
    street = text_field("番地・建物", description=STREET_HINT)
    address_kana = address_kana_field()
    phone = phone_field("電話番号")
    fax = phone_field("FAX番号", required=False)
    customs = select_field("管轄税関", CUSTOMS_OFFICES)
    # Full-width katakana needs the whole address read out, e.g. カナガワケン...９９９.
    postal_lookups = {
        "postal_code": {
            "prefecture": "prefecture",
            "city": "city",
            "street": "street",
            "kana": "address_kana",
            "customs": "customs",
        }
    }

    def prepare(self, context: Any = None) -> Self:
        """Pre-select 管轄税関 from the 都道府県 when none is chosen yet."""
        super().prepare(context)
        self.customs.description = CUSTOMS_HINT
        if not self.customs.data and self.prefecture.data:
            self.customs.data = self.suggested_customs()
        return self

    def suggested_customs(self) -> str | None:
        """The customs with jurisdiction over the chosen 都道府県, to pre-select 管轄税関."""
        return customs_for_prefecture(self.prefecture.data) if self.prefecture.data else None


class EntryContractorForm(TaskForm):
    """契約者に関する情報: a person with authority to contract (e.g. 代表取締役社長)."""

    key = "entry_contractor"
    title = "契約者に関する情報"

    name = text_field("氏名", max_length=60)
    kana = kana_field("氏名（カナ）")
    # HTML/task-data name "title"; the attribute differs because title is the screen title.
    job_title = text_field("役職", max_length=60, description="例：代表取締役社長", name="title")
    address_mode = radio_field(
        "住所",
        SAME_OR_OTHER_OFFICE,
        description="本社と事業所の住所が同じであれば「事業所に同じ」を選択してください。",
    )
    postal_code = postal_code_field("郵便番号", when=OTHER_ADDRESS)
    prefecture = select_field("都道府県", PREFECTURES, when=OTHER_ADDRESS)
    city = text_field("市区町村", when=OTHER_ADDRESS)
    street = text_field("番地・建物", when=OTHER_ADDRESS, description=STREET_HINT)
    address_kana = address_kana_field(when=OTHER_ADDRESS)
    postal_lookups = {
        "postal_code": {
            "prefecture": "prefecture",
            "city": "city",
            "street": "street",
            "kana": "address_kana",
        }
    }


class EntryManagerForm(TaskForm):
    """管理責任者に関する情報, 緊急連絡用FAX番号 and the choice of netNACCS or 一般NACCS."""

    key = "entry_manager"
    title = "管理責任者に関する情報"
    submit_label = "netNACCSを利用する"
    general_naccs_note = (
        "この手続きはnetNACCSの申込です。一般NACCSを利用する場合は、"
        "この申込の完了後に別途変更申込が必要です。"
    )
    confirm_note = (
        "管理責任者は、ウイルス対策等のセキュリティ対策を実施し、"
        "NACCSの利用に関する管理を行う責任者です。"
    )

    mode = radio_field(
        "管理責任者",
        (("same", "申込担当者に同じ"), ("other", OTHER_BELOW)),
        description=(
            "申込担当者と管理責任者が同じであれば「申込担当者に同じ」を選択してください。"
        ),
    )
    department = text_field("部署", when=OTHER)
    job_title = text_field("役職", when=OTHER, max_length=60, name="title")
    name = text_field("氏名", when=OTHER, max_length=60)
    kana = kana_field("氏名（カナ）", when=OTHER)
    phone = phone_field("電話番号", when=OTHER)
    email = email_field("E-mail", when=OTHER)
    fax1 = phone_field(
        "緊急連絡用FAX番号1",
        description=(
            "システム障害発生時等の緊急連絡先です。1つ以上入力してください（最大3つ）。"
            f"FAX番号をお持ちでない場合は「{NO_FAX}」（0を10桁）を入力してください。"
        ),
    )
    fax2 = phone_field("緊急連絡用FAX番号2", required=False)
    fax3 = phone_field("緊急連絡用FAX番号3", required=False)
    confirmed = checkbox_field("上記を確認しました", required=True)
    naccs_type = radio_field(
        "利用するNACCS", (("net", "netNACCSを利用する"), ("general", "一般NACCSを利用する"))
    )

    def validate_naccs_type(self, field: Field) -> None:
        """This procedure is netNACCS; 一般NACCS is a change application afterwards."""
        if field.data == "general":
            raise ValidationError(GENERAL_NACCS_MESSAGE)

    def validate_fax2(self, field: Field) -> None:
        """The same number twice is a typing slip (「0000000000」 may be given once)."""
        if field.data and field.data == self.fax1.data:
            raise ValidationError(DUPLICATE_FAX_MESSAGE)

    def validate_fax3(self, field: Field) -> None:
        """The third number differs from the first two."""
        if field.data and field.data in (self.fax1.data, self.fax2.data):
            raise ValidationError(DUPLICATE_FAX_MESSAGE)
