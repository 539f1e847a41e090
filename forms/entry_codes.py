"""Stage 2 forms for the 利用者コード list and the 機器所有事業所 (equipment sharing)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from wtforms import FieldList, FormField, HiddenField
from wtforms.fields import Field
from wtforms.validators import ValidationError

from app.domain.industries import (
    INDUSTRY_NAMES,
    SYSTEM_KINDS,
    check_user_code,
    customs_broker_note,
    group_user_codes,
    industries_by_group,
)
from forms.base import JapaneseMeta, TaskForm
from forms.fields import (
    YES_NO_REQUIRED,
    integer_field,
    multi_select_field,
    office_code_field,
    radio_field,
    select_field,
)
from forms.validators import lookup

MAX_USER_CODE_ROWS = 50
MAX_USER_CODES = 20
PROCESSING_NETNACCS = "netNACCS"
NO_CODES_MESSAGE = (
    "利用者コードが設定されていません。「新規に利用者コードを追加する」から設定してください。"
)


class UserCodeRowForm(FlaskForm):
    """One row of a 利用者コード: a 業種 set with its options (one 識別番号 group)."""

    class Meta(JapaneseMeta):
        csrf = False

    code_no = integer_field("利用者コード番号", minimum=1, maximum=MAX_USER_CODES, default=1)
    system_kind = select_field("システム区分", SYSTEM_KINDS)
    sso = radio_field(
        "シングルサインオン",
        YES_NO_REQUIRED,
        default="否",
        description=(
            "「要」にすると、1つの利用者ID（利用者コード＋識別番号）で複数の業種を利用できます"
            "（同じグループの○の業種どうしに限ります）。"
        ),
    )
    industries = multi_select_field("業種", INDUSTRY_NAMES)
    processing = select_field("処理方式", [PROCESSING_NETNACCS], default=PROCESSING_NETNACCS)
    identifier_count = integer_field("識別番号数", minimum=1, default=1)
    paid_statistics = radio_field("管理統計資料（有料分）", YES_NO_REQUIRED, default="否")
    free_statistics = radio_field("管理統計資料（無料分）", YES_NO_REQUIRED, default="否")
    bonded_storage = radio_field("保税管理資料保存サービス", YES_NO_REQUIRED, default="否")


class StateField(HiddenField):
    """Where the applicant is inside the 利用者コード screens; never part of the answers."""


class EntryUserCodesForm(TaskForm):
    """利用者コード: the list, one code's rows (「設定する」), and their confirmation.

    The answers are ``rows`` (each with its 利用者コード番号). The three sub-screens of the
    manual are one user task: ``uc_view`` says which is shown, ``editor`` (prefix ``new-``)
    is the row being entered, and the ``uc_action`` buttons change the rows without
    submitting (see ``forms.user_codes``). Field errors stay on each row; the per-code rule
    violations from ``check_user_code`` go to ``form_errors``, prefixed 「利用者コードN：」.
    """

    key = "entry_user_codes"
    title = "利用者コード"
    page_actions = ("uc_action",)

    rows = FieldList(
        FormField(UserCodeRowForm, "利用者コードの設定"),
        "利用者コード",
        min_entries=0,
        max_entries=MAX_USER_CODE_ROWS,
    )
    uc_view = StateField(default="list")
    uc_code = StateField(default="")
    uc_editing = StateField(default="")

    def __init__(self, formdata: Any = _Auto, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.editor = UserCodeRowForm(formdata=formdata, prefix="new")

    def validate(self, extra_validators: Any = None) -> bool:
        """Validate every row, then each 利用者コード's rows together."""
        valid = super().validate(extra_validators)
        if not self.rows.entries:
            self.form_errors.append(NO_CODES_MESSAGE)
        groups: dict[int, list[tuple[dict[str, Any], bool]]] = {}
        for entry in self.rows.entries:
            row = entry.form
            if row.code_no.data is None or row.code_no.errors:
                continue
            row_data = {field.short_name: field.data for field in row}
            groups.setdefault(row.code_no.data, []).append((row_data, not row.errors))
        for code_no in sorted(groups):
            rows = groups[code_no]
            if not all(row_ok for _, row_ok in rows):
                continue  # the rows' own messages say what to fix first
            for message in check_user_code([row for row, _ in rows]):
                self.form_errors.append(f"利用者コード{code_no}：{message}")
        return valid and not self.form_errors

    def apply_action(self, name: str, value: str) -> TaskForm:
        """「新規に利用者コードを追加する」「設定する」「この内容で設定する」, 修正 and 削除."""
        from forms.user_codes import apply_user_code_action

        return apply_user_code_action(self, value)

    def raw_input(self) -> dict[str, list[str]]:
        """The rows, the row being entered and the sub-screen, so 一時保存 resumes there."""
        raw = super().raw_input()
        for field in self.editor:
            raw[field.name] = (
                [str(v) for v in field.raw_data]
                if field.raw_data is not None
                else self.to_formdata({"v": field.data}).getlist("v")
            )
        for field in (self.uc_view, self.uc_code, self.uc_editing):
            raw[field.name] = [str(field.data or "")]
        return raw

    @property
    def view(self) -> str:
        """The sub-screen to show: 'list', 'code' or 'confirm' (the list when rows are wrong)."""
        view = self.uc_view.data if self.uc_view.data in ("list", "code", "confirm") else "list"
        if view == "confirm" and (self.form_errors or self.rows.errors):
            return "list"
        return view

    @property
    def code_no(self) -> int:
        """The 利用者コード番号 being edited in the 'code' view."""
        try:
            return max(int(self.uc_code.data or 1), 1)
        except ValueError:
            return 1

    @property
    def editing_index(self) -> int | None:
        """The row being corrected (its place in ``rows``), or None for a new row."""
        try:
            return int(self.uc_editing.data)
        except (TypeError, ValueError):
            return None

    def row_dicts(self) -> list[dict[str, Any]]:
        """The rows as they stand (values as parsed, invalid ones as None)."""
        return [
            {field.short_name: field.data for field in entry.form} for entry in self.rows.entries
        ]

    def user_codes(self) -> list[dict[str, Any]]:
        """The rows grouped by code: [{'code_no': n, 'rows': [row, ...]}, ...]."""
        return group_user_codes(self.row_dicts())

    def industry_groups(self) -> list[tuple[str, list[Any]]]:
        """The 業種 table by group, for the editor's check boxes."""
        return industries_by_group()

    def customs_broker_note(self) -> str | None:
        """The note that 通関士 user IDs need a separate application, when 通関業 is chosen."""
        return customs_broker_note(self.row_dicts())


_SPACES_RE = re.compile(r"\s+")
_DASHES_RE = re.compile("[\u2010-\u2015\u2212\uff0d\uff70]")
_CHOON_BETWEEN_DIGITS_RE = re.compile("(?<=[0-9])\u30fc(?=[0-9])")


def _comparable(text: Any) -> str:
    """Loose form for comparing names and addresses typed by different people."""
    value = unicodedata.normalize("NFKC", str(text or ""))
    value = _CHOON_BETWEEN_DIGITS_RE.sub("-", _DASHES_RE.sub("-", value))
    return _SPACES_RE.sub("", value)


def _address(record: dict[str, Any]) -> str:
    return "".join(str(record.get(part) or "") for part in ("prefecture", "city", "street"))


class EntryEquipmentForm(TaskForm):
    """機器共用に関する項目: the owning office, of the same company and at the same address.

    Uses ``context['office_lookup']`` (code -> dict | None) and
    ``context['applicant']['entry_office']``; without them only the code's shape is checked.
    """

    key = "entry_equipment"
    title = "機器共用に関する項目"

    owner_office_code = office_code_field(
        "機器所有事業所の事業所コード", required=True, description="例：NAC001"
    )

    def validate_owner_office_code(self, field: Field) -> None:
        """The office must exist, belong to the same company and share the address."""
        office_lookup = self.context.get("office_lookup")
        if field.errors or not callable(office_lookup):
            return
        office = office_lookup(field.data)
        if not office:
            raise ValidationError(f"事業所コード「{field.data}」は登録されていません。")
        applicant = lookup(self.context, "applicant", "entry_office") or {}
        own_company = applicant.get("company_name")
        if own_company and _comparable(office.get("company_name")) != _comparable(own_company):
            raise ValidationError(
                f"機器所有事業所の企業名（{office.get('company_name')}）が"
                "申込事業所の企業名と異なります。他企業間の機器利用は「共同利用」となり、"
                "この手続きでは申し込めません。"
            )
        own_address = _address(applicant)
        if own_address and _comparable(_address(office)) != _comparable(own_address):
            raise ValidationError(
                f"申込事業所の住所（{own_address}）が機器所有事業所の住所（{_address(office)}）"
                "と異なります。機器共用依頼事業所の住所は、機器所有事業所の住所と同一で"
                "なければなりません。「事業所に関する情報」の住所を確認してください。"
            )
