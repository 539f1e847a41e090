"""Field factories with the product's filters, validators and Japanese messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    FieldList,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.utils import unset_value
from wtforms.validators import NumberRange
from wtforms.widgets import TextInput

from app.domain.dates import long_date
from forms.validators import (
    AsciiAlnum,
    Digits,
    EmailAddress,
    EnglishText,
    Katakana,
    MaxLength,
    NoControlChars,
    NoMachineDependentChars,
    OfficeCode,
    OnlyIf,
    PostalCode,
    Required,
    ascii_filter,
    digits_filter,
    katakana_filter,
    text_filter,
    upper_ascii_filter,
)

Choices = Sequence[tuple[str, str]]
BLANK_CHOICE = SelectChoice("", "選択してください")
YES_NO_REQUIRED: Choices = (("要", "要"), ("否", "否"))
OTHER_BELOW = "その他（下欄に入力してください）"
SAME_OR_OTHER_OFFICE: Choices = (("same", "事業所に同じ"), ("other", OTHER_BELOW))
WEEKDAYS = "月火水木金土日"


def to_choices(items: Iterable[Any]) -> list[SelectChoice]:
    """SelectChoice objects from values, (value, label) pairs or SelectChoice objects."""
    choices: list[SelectChoice] = []
    for item in items:
        if isinstance(item, SelectChoice):
            choices.append(item)
        elif isinstance(item, (tuple, list)):
            choices.append(SelectChoice(str(item[0]), str(item[1])))
        else:
            choices.append(SelectChoice(str(item), str(item)))
    return choices


def date_label(value: str | dt.date) -> str:
    """'2025-04-01' → '2025年4月1日（火）'; unparsable input is returned as given."""
    return long_date(value if isinstance(value, dt.date) else str(value))


def date_choices(values: Iterable[Any]) -> list[SelectChoice]:
    """Choices from ISO dates, date objects or (iso, label) pairs."""
    choices: list[SelectChoice] = []
    for item in values or ():
        if isinstance(item, (tuple, list)):
            choices.append(SelectChoice(str(item[0]), str(item[1])))
        elif isinstance(item, dt.date):
            choices.append(SelectChoice(item.isoformat(), date_label(item)))
        else:
            choices.append(SelectChoice(str(item), date_label(str(item))))
    return choices


def _chain(required: bool, when: Mapping[str, Any] | None, *rest: Any) -> list[Any]:
    chain: list[Any] = [OnlyIf(**when)] if when else []
    if required:
        chain.append(Required())
    # Also on forms that are not built on forms.base (which check every field anyway).
    chain.append(NoControlChars())
    chain.extend(rest)
    return chain


def text_field(
    label: str,
    *,
    required: bool = True,
    when: Mapping[str, Any] | None = None,
    max_length: int = 100,
    description: str = "",
    name: str | None = None,
) -> StringField:
    """Free Japanese text: no 機種依存文字, at most max_length characters.

    name sets the HTML (and task data) name when it must differ from the attribute.
    """
    return StringField(
        label,
        _chain(required, when, MaxLength(max_length), NoMachineDependentChars()),
        filters=[text_filter],
        description=description,
        name=name,
    )


def textarea_field(
    label: str,
    *,
    max_length: int,
    required: bool = False,
    when: Mapping[str, Any] | None = None,
    description: str = "",
) -> TextAreaField:
    """Multi-line Japanese text with a character limit."""
    return TextAreaField(
        label,
        _chain(required, when, MaxLength(max_length), NoMachineDependentChars()),
        filters=[text_filter],
        description=description,
    )


def kana_field(
    label: str,
    *,
    required: bool = True,
    when: Mapping[str, Any] | None = None,
    max_length: int = 100,
) -> StringField:
    """Full-width katakana; hiragana and half-width kana are converted."""
    return StringField(
        label,
        _chain(required, when, MaxLength(max_length), Katakana()),
        filters=[katakana_filter],
    )


def phone_field(
    label: str = "電話番号",
    *,
    required: bool = True,
    when: Mapping[str, Any] | None = None,
    description: str = "",
) -> StringField:
    """Phone or FAX number: 10 or 11 digits, hyphens and full-width digits accepted."""
    return StringField(
        label,
        _chain(required, when, NoMachineDependentChars(), Digits(10, 11)),
        filters=[digits_filter],
        description=description,
    )


def postal_code_field(
    label: str = "郵便番号", *, required: bool = True, when: Mapping[str, Any] | None = None
) -> StringField:
    """郵便番号: 7 digits, a typed hyphen is removed."""
    return StringField(
        label,
        _chain(required, when, NoMachineDependentChars(), PostalCode()),
        filters=[digits_filter],
    )


def email_field(
    label: str = "E-mail", *, required: bool = True, when: Mapping[str, Any] | None = None
) -> StringField:
    """E-mail address, made half-width."""
    return StringField(
        label, _chain(required, when, MaxLength(254), EmailAddress()), filters=[ascii_filter]
    )


def english_field(label: str, *, required: bool = True, max_length: int = 70) -> StringField:
    """English text (ASCII after NFKC), kept as typed otherwise."""
    return StringField(
        label,
        _chain(required, None, MaxLength(max_length), EnglishText()),
        filters=[ascii_filter],
    )


def office_code_field(
    label: str = "事業所コード",
    *,
    required: bool = False,
    when: Mapping[str, Any] | None = None,
    description: str = "",
) -> StringField:
    """事業所コード (NAC001), made half-width upper-case."""
    return StringField(
        label,
        _chain(required, when, OfficeCode()),
        filters=[upper_ascii_filter],
        description=description,
    )


def code_field(
    label: str,
    *,
    required: bool = False,
    when: Mapping[str, Any] | None = None,
    max_length: int = 20,
) -> StringField:
    """An alphanumeric code such as a 請求先コード, made half-width upper-case."""
    return StringField(
        label,
        _chain(required, when, MaxLength(max_length), AsciiAlnum()),
        filters=[upper_ascii_filter],
    )


def _invalid_choice(label: str) -> str:
    return f"{label}は選択肢から選択してください。"


def select_field(
    label: str,
    choices: Iterable[Any],
    *,
    required: bool = True,
    when: Mapping[str, Any] | None = None,
    invalid_message: str | None = None,
    default: str | None = None,
) -> SelectField:
    """Drop-down list with a leading 「選択してください」 choice."""
    options = [BLANK_CHOICE, *to_choices(choices)]
    return SelectField(
        label,
        _chain(required, when),
        choices=options,
        default=default,
        invalid_choice_message=invalid_message or _invalid_choice(label),
    )


def radio_field(
    label: str,
    choices: Choices,
    *,
    required: bool = True,
    when: Mapping[str, Any] | None = None,
    default: str | None = None,
    description: str = "",
) -> RadioField:
    """Radio buttons; nothing is pre-selected unless a default is given."""
    return RadioField(
        label,
        _chain(required, when),
        choices=to_choices(choices),
        default=default,
        description=description,
        invalid_choice_message=_invalid_choice(label),
    )


def multi_select_field(
    label: str, choices: Iterable[str], *, required: bool = True
) -> SelectMultipleField:
    """Several choices (check boxes or a multi-select list)."""
    return SelectMultipleField(
        label,
        _chain(required, None),
        choices=to_choices(choices),
        invalid_choice_message=f"{label}に選択できない値があります：%(value)s",
    )


def checkbox_field(label: str, *, required: bool = False, description: str = "") -> BooleanField:
    """A check box; required ones say 「「label」にチェックしてください。」."""
    return BooleanField(label, _chain(required, None), description=description)


def integer_field(
    label: str, *, minimum: int, maximum: int | None = None, default: int | None = None
) -> IntegerField:
    """Whole number within bounds; full-width digits are accepted."""
    if maximum is None:
        message = f"{label}は{minimum}以上の数字を入力してください。"
    else:
        message = f"{label}は{minimum}から{maximum}までの数字で入力してください。"
    return IntegerField(
        label,
        _chain(True, None, NumberRange(minimum, maximum, message=message)),
        default=default,
        invalid_value_message=f"{label}は半角数字で入力してください。",
        # A text box: full-width digits can be typed, and the browser does not block a
        # 一時保存 with its own range check; the server gives the Japanese message.
        widget=TextInput(),
        render_kw={"inputmode": "numeric"},
    )


class ValueList(FieldList):
    """FieldList of scalar fields that also accepts one name with several values.

    Browsers post ``emails-0``, ``emails-1``; ``TaskForm.to_formdata`` posts ``emails``
    several times. Both give the same entries.
    """

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        """Turn ``name=v1&name=v2`` into ``name-0=v1&name-1=v2`` before the usual processing."""
        if formdata is not None and self.name in formdata:
            indexed_prefix = f"{self.name}{self._separator}"
            if not any(key.startswith(indexed_prefix) for key in formdata):
                values = formdata.getlist(self.name)
                formdata = MultiDict(
                    [(f"{indexed_prefix}{i}", value) for i, value in enumerate(values)]
                )
        super().process(formdata, data, extra_filters)
