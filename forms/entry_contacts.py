"""Stage 2 forms about the office and its people: 事業所, 契約者 and 管理責任者."""

from __future__ import annotations

from app.domain.customs import CUSTOMS_OFFICES, PREFECTURES, customs_for_prefecture
from forms.base import TaskForm
from forms.fields import (
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


class EntryOfficeForm(TaskForm):
    """事業所に関する情報: the requesting office, at the owning office's address."""

    key = "entry_office"
    title = "事業所に関する情報"
    note = "機器共用依頼事業所の住所は、機器所有事業所の住所と同一である必要があります。"

    company_name = text_field("企業名")
    company_kana = kana_field("企業名（カナ）")
    office_name = text_field(
        "事業所名", description="事業所が分かれていない場合は「本社」と入力してください。"
    )
    office_kana = kana_field("事業所名（カナ）")
    postal_code = postal_code_field("郵便番号")
    prefecture = select_field("都道府県", PREFECTURES)
    city = text_field("市区町村")
    street = text_field("番地・建物")
    address_kana = kana_field("住所（カナ）", max_length=200)
    phone = phone_field("電話番号")
    fax = phone_field("FAX番号", required=False)
    customs = select_field("管轄税関", CUSTOMS_OFFICES)

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
    address_mode = radio_field("住所", SAME_OR_OTHER_OFFICE)
    postal_code = postal_code_field("郵便番号", when=OTHER_ADDRESS)
    prefecture = select_field("都道府県", PREFECTURES, when=OTHER_ADDRESS)
    city = text_field("市区町村", when=OTHER_ADDRESS)
    street = text_field("番地・建物", when=OTHER_ADDRESS)
    address_kana = kana_field("住所（カナ）", when=OTHER_ADDRESS, max_length=200)


class EntryManagerForm(TaskForm):
    """管理責任者に関する情報, 緊急連絡用FAX番号 and the choice of netNACCS or 一般NACCS."""

    key = "entry_manager"
    title = "管理責任者に関する情報"
    general_naccs_note = (
        "この手続きはnetNACCSの申込です。一般NACCSを利用する場合は、"
        "この申込の完了後に別途変更申込が必要です。"
    )
    confirm_note = (
        "管理責任者は、ウイルス対策等のセキュリティ対策を実施し、"
        "NACCSの利用に関する管理を行う責任者です。"
    )

    mode = radio_field("管理責任者", (("same", "申込担当者に同じ"), ("other", "その他")))
    department = text_field("部署", when=OTHER)
    job_title = text_field("役職", when=OTHER, max_length=60, name="title")
    name = text_field("氏名", when=OTHER, max_length=60)
    kana = kana_field("氏名（カナ）", when=OTHER)
    phone = phone_field("電話番号", when=OTHER)
    email = email_field("E-mail", when=OTHER)
    fax1 = phone_field(
        "緊急連絡用FAX番号1",
        description=f"FAXがない場合は「{NO_FAX}」（0を10桁）を入力してください。",
    )
    fax2 = phone_field("緊急連絡用FAX番号2", required=False)
    fax3 = phone_field("緊急連絡用FAX番号3", required=False)
    confirmed = checkbox_field("上記を確認しました", required=True)
    naccs_type = radio_field(
        "利用するNACCS", (("net", "netNACCSを利用する"), ("general", "一般NACCSを利用する"))
    )
