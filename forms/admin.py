"""Administration forms: the schedule, the business calendar, offices and staff users."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.domain.customs import CUSTOMS_OFFICES, PREFECTURES
from app.domain.text import has_control_chars, is_valid_email, normalize_ascii
from app.models import STAFF_ROLES
from forms.base import SafeForm

DATE_MESSAGE = "日付はYYYY-MM-DDの形式で入力してください。"


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _ascii(value: Any) -> Any:
    return normalize_ascii(value).strip() if isinstance(value, str) else value


def _choices(values: tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice("", "選択してください"), *(SelectChoice(v, v) for v in values)]


def _email(form: Any, field: Any) -> None:
    if field.data and not is_valid_email(field.data):
        raise ValidationError("E-mailの形式が正しくありません。")


def _required(label: str, verb: str = "入力") -> DataRequired:
    return DataRequired(message=f"{label}を{verb}してください。")


def _date(label: str) -> DateField:
    return DateField(label, [_required(label)], render_kw={"type": "date"})


class AdminForm(SafeForm):
    """Base: Japanese messages; a bad date gets one clear message next to its field; control
    characters are refused (SafeForm)."""

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            if isinstance(field, DateField) and field.process_errors:
                field.errors[:] = [DATE_MESSAGE]
        return ok


class ScheduleEntryForm(AdminForm):
    """One row of the スケジュール表."""

    start_date = _date("システム登録日（利用開始日）")
    contract_deadline = _date("利用契約関係申込締切日")
    setup_deadline = _date("システム設定関係申込締切日")

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not self.contract_deadline.data <= self.setup_deadline.data:
            self.setup_deadline.errors.append(
                "システム設定関係申込締切日は利用契約関係申込締切日以降にしてください。"
            )
            ok = False
        if ok and not self.setup_deadline.data < self.start_date.data:
            self.start_date.errors.append(
                "システム登録日はシステム設定関係申込締切日より後にしてください。"
            )
            ok = False
        return ok


def _csv_without_control_chars(form: Any, field: Any) -> None:
    """No NUL, ESC, bidi override ... in any cell: they would reach the database, mails, PDFs.

    Reads at most CSV_MAX_BYTES (a larger file is refused by the route) and rewinds."""
    stream = getattr(field.data, "stream", None)
    if stream is None:
        return
    limit = int(current_app.config.get("CSV_MAX_BYTES", 2 * 1024 * 1024))
    raw = stream.read(limit + 1)
    stream.seek(0)
    if len(raw) > limit:
        return
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return  # the import names the encoding problem
    for number, line in enumerate(text.split("\n"), start=1):
        if has_control_chars(line, multiline=True):
            raise StopValidation(
                f"CSVファイルの{number}行目に使用できない制御文字が含まれています。"
            )


class CsvImportForm(AdminForm):
    """A CSV file (UTF-8 or Shift_JIS)."""

    file = FileField("CSVファイル", [_required("CSVファイル", "選択"), _csv_without_control_chars])


class CalendarDayForm(AdminForm):
    """An exception to the default business-day rule."""

    day = _date("日付")
    kind = RadioField(
        "区分",
        [_required("区分", "選択")],
        choices=[SelectChoice("closed", "休業日"), SelectChoice("business", "営業日")],
        default="closed",
    )
    note = StringField(
        "備考",
        [Length(max=100, message="備考は100文字以内で入力してください。")],
        filters=[_strip],
        description="例：臨時休業、振替営業",
    )

    def validate_day(self, field) -> None:
        """Only the years the calendar pages show (2000-2100): a day outside is never seen."""
        if field.data is not None and not 2000 <= field.data.year <= 2100:
            raise ValidationError("日付は2000-01-01から2100-12-31までの範囲で入力してください。")


class OfficeForm(AdminForm):
    """An office of the registry (機器所有事業所 are looked up here)."""

    code = StringField(
        "事業所コード",
        [
            _required("事業所コード"),
            Regexp(
                r"^[A-Z]{3}[0-9]{3}$", message="事業所コードは英字3桁＋数字3桁です（例：NAC001）。"
            ),
        ],
        filters=[lambda v: _ascii(v).upper() if isinstance(v, str) else v],
    )
    company_name = StringField("企業名", [_required("企業名"), Length(max=200)], filters=[_strip])
    company_kana = StringField("企業名（カナ）", [Length(max=200)], filters=[_strip])
    office_name = StringField(
        "事業所名", [_required("事業所名"), Length(max=200)], filters=[_strip]
    )
    postal_code = StringField(
        "郵便番号",
        [Optional(), Regexp(r"^[0-9]{7}$", message="郵便番号は7桁の数字で入力してください。")],
        filters=[lambda v: _ascii(v).replace("-", "") if isinstance(v, str) else v],
    )
    prefecture = SelectField("都道府県", choices=_choices(PREFECTURES))
    city = StringField("市区町村", [Length(max=100)], filters=[_strip])
    street = StringField("番地・建物", [Length(max=200)], filters=[_strip])
    customs = SelectField("管轄税関", choices=_choices(CUSTOMS_OFFICES))

    def to_data(self) -> dict[str, str]:
        return {field.name: field.data or "" for field in self if field.name != "csrf_token"}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StaffUserForm(AdminForm):
    """A staff account: roles decide what each person may see and do."""

    login = StringField(
        "ログインID",
        [
            _required("ログインID"),
            Regexp(
                r"^[A-Za-z0-9._-]{3,50}$",
                message="ログインIDは半角英数字と . _ - の3〜50文字で入力してください。",
            ),
        ],
        filters=[_ascii],
    )
    name = StringField("氏名", [_required("氏名"), Length(max=100)], filters=[_strip])
    email = StringField(
        "E-mail",
        [Optional(), _email],
        filters=[_ascii],
    )
    roles = MultiCheckboxField("役割", choices=[SelectChoice(k, v) for k, v in STAFF_ROLES.items()])
    active = BooleanField("利用可能", default=True)
    password = PasswordField(
        "パスワード",
        [Optional(), Length(min=10, max=128, message="パスワードは10文字以上で入力してください。")],
        description="新規作成時は必須です。変更しない場合は空欄のままにしてください。",
    )
    password_confirm = PasswordField(
        "パスワード（確認）",
        [EqualTo("password", message="パスワードが一致しません。")],
    )

    def to_data(self) -> dict[str, Any]:
        return {
            "login": self.login.data,
            "name": self.name.data,
            "email": self.email.data or "",
            "roles": list(self.roles.data or []),
            "active": bool(self.active.data),
            "password": self.password.data or "",
        }
