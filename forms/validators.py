"""Input filters and validators with Japanese messages, shared by every task form."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from wtforms import BooleanField, FieldList, Form
from wtforms.fields import Field, SelectFieldBase
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextArea

from app.domain.codes import is_valid_office_code
from app.domain.text import (
    has_control_chars,
    is_english_text,
    is_katakana,
    is_valid_email,
    machine_dependent_chars,
    normalize_ascii,
    normalize_digits,
    to_katakana,
)

EMAIL_MESSAGE = "E-mailの形式が正しくありません。"
KATAKANA_MESSAGE = "全角カタカナで入力してください。"
POSTAL_CODE_MESSAGE = "郵便番号は7桁の数字で入力してください。"
ENGLISH_MESSAGE = "半角英数字と記号（. , - ' & ( ) /）で入力してください。"
MACHINE_DEPENDENT_MESSAGE = "機種依存文字（①など）は使用できません：{chars}"
CONTROL_MESSAGE = "使用できない制御文字が含まれています。"

# Full-width ASCII (！ to ～) and half-width katakana: both are widened/narrowed by NFKC.
_NFKC_RUNS_RE = re.compile("[\uff01-\uff5e\uff61-\uff9f]+")
_ASCII_ALNUM_RE = re.compile("[A-Z0-9]+")


# --- filters: they run before validation and must accept None -------------------------------


def text_filter(value: Any) -> str:
    """Strip, unify newlines, make full-width ASCII half-width and widen half-width katakana."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _NFKC_RUNS_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return unicodedata.normalize("NFC", text).strip()


def _keeps_machine_dependent(value: Any) -> str | None:
    # NFKC would silently turn ① into 1 or ㈱ into (株): leave such input for the validators.
    text = "" if value is None else str(value)
    return text.strip() if machine_dependent_chars(text) else None


def ascii_filter(value: Any) -> str:
    """Make full-width letters, digits and symbols half-width (NFKC) and strip."""
    kept = _keeps_machine_dependent(value)
    if kept is not None:
        return kept
    return "" if value is None else normalize_ascii(str(value))


def upper_ascii_filter(value: Any) -> str:
    """Like ascii_filter, then upper-case (codes such as NAC001)."""
    return ascii_filter(value).upper()


def digits_filter(value: Any) -> str:
    """Make digits half-width and remove hyphens, dashes and spaces (phone, FAX, 郵便番号)."""
    kept = _keeps_machine_dependent(value)
    if kept is not None:
        return kept
    return "" if value is None else normalize_digits(str(value)).strip()


def katakana_filter(value: Any) -> str:
    """Turn hiragana and half-width katakana into full-width katakana."""
    return "" if value is None else to_katakana(str(value))


# --- helpers --------------------------------------------------------------------------------


def is_blank(value: Any) -> bool:
    """True for None, False, blank strings and empty collections."""
    if value is None or value is False:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set, dict)):
        return not value
    return False


def label_of(field: Field) -> str:
    """The field's visible label text."""
    return str(field.label.text)


def required_message(field: Field) -> str:
    """「…を入力してください。」, 「…を選択してください。」 or 「「…」にチェックしてください。」."""
    label = label_of(field)
    if isinstance(field, BooleanField):
        return f"「{label}」にチェックしてください。"
    if isinstance(field, SelectFieldBase):
        return f"{label}を選択してください。"
    return f"{label}を入力してください。"


def _stop_silently(field: Field) -> None:
    field.errors[:] = []
    raise StopValidation()


# --- validators -----------------------------------------------------------------------------


class OnlyIf:
    """Validate the field only when other fields (by attribute name) hold given values.

    ``OnlyIf(address_mode="other")`` or ``OnlyIf(bulk="no", address_mode="other")``; a value
    may be a tuple of accepted values. When a condition fails, the field's errors are
    cleared and the rest of the chain is skipped; ``TaskForm.to_task_data`` then blanks it.
    """

    def __init__(self, **conditions: Any) -> None:
        self.conditions = conditions

    def applies(self, form: Form) -> bool:
        """True when every condition holds on form."""
        for name, expected in self.conditions.items():
            accepted = expected if isinstance(expected, tuple) else (expected,)
            if form[name].data not in accepted:
                return False
        return True

    def __call__(self, form: Form, field: Field) -> None:
        if not self.applies(form):
            _stop_silently(field)


class Required:
    """The field must have a value; the message names the field's label."""

    field_flags = {"mandatory": True}

    def __init__(self, message: str | None = None) -> None:
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if field.process_errors:
            # Keep the single "not a number" style message of the field.
            raise StopValidation()
        if is_blank(field.data):
            field.errors[:] = []
            raise StopValidation(self.message or required_message(field))


class MaxLength:
    """At most max characters: 「{label}は{max}文字以内で入力してください。」."""

    def __init__(self, max: int, message: str | None = None) -> None:
        self.max = max
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and len(field.data) > self.max:
            raise ValidationError(
                self.message or f"{label_of(field)}は{self.max}文字以内で入力してください。"
            )


class NoMachineDependentChars:
    """Refuse 機種依存文字 (丸数字, ローマ数字, ㈱, 半角カナ ...), naming them; ends the chain."""

    def __call__(self, form: Form, field: Field) -> None:
        if not isinstance(field.data, str):
            return
        found = machine_dependent_chars(field.data)
        if found:
            raise StopValidation(MACHINE_DEPENDENT_MESSAGE.format(chars="、".join(found)))


class NoControlChars:
    """Refuse control and bidi-override characters (tab/newline allowed in a text area).

    Every form built on forms.base already applies this rule to every field it has; use the
    validator for a field that lives outside those forms.
    """

    def __call__(self, form: Form, field: Field) -> None:
        multiline = is_multiline(field)
        if any(has_control_chars(v, multiline=multiline) for v in submitted_texts(field)):
            raise StopValidation(CONTROL_MESSAGE)


def is_multiline(field: Field) -> bool:
    """True for a text area (tab and newline are part of such text)."""
    return isinstance(field.widget, TextArea)


def submitted_texts(field: Field) -> list[str]:
    """The strings submitted for a field (raw, before filters), else its text data."""
    if field.raw_data:
        return [value for value in field.raw_data if isinstance(value, str)]
    return [field.data] if isinstance(field.data, str) else []


class Katakana:
    """Only full-width katakana (after katakana_filter)."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and not is_katakana(field.data):
            raise ValidationError(KATAKANA_MESSAGE)


class Digits:
    """Half-width digits only, between min and max of them (phone and FAX: 10–11)."""

    def __init__(self, min: int = 10, max: int = 11, message: str | None = None) -> None:
        self.min = min
        self.max = max
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data
        if not value:
            return
        if value.isascii() and value.isdigit() and self.min <= len(value) <= self.max:
            return
        if self.message:
            raise ValidationError(self.message)
        span = f"{self.min}桁" if self.min == self.max else f"{self.min}桁または{self.max}桁"
        raise ValidationError(f"{label_of(field)}は{span}の数字で入力してください。")


class PostalCode:
    """Seven half-width digits (a typed hyphen was removed by digits_filter)."""

    def __call__(self, form: Form, field: Field) -> None:
        value = field.data
        if value and not (value.isascii() and value.isdigit() and len(value) == 7):
            raise ValidationError(POSTAL_CODE_MESSAGE)


class EnglishText:
    """ASCII letters, digits, spaces and . , - ' & ( ) / only."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and not is_english_text(field.data):
            raise ValidationError(ENGLISH_MESSAGE)


class EmailAddress:
    """A plausible e-mail address (app.domain.text.is_valid_email)."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and not is_valid_email(field.data):
            raise ValidationError(EMAIL_MESSAGE)


class OfficeCode:
    """The 事業所コード shape: 3 letters/digits then 3 digits (NAC001)."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and not is_valid_office_code(field.data):
            raise ValidationError(
                f"{label_of(field)}は英数字6文字（例：NAC001）で入力してください。"
            )


class AsciiAlnum:
    """Upper-case ASCII letters and digits only (after upper_ascii_filter)."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and _ASCII_ALNUM_RE.fullmatch(field.data) is None:
            raise ValidationError(f"{label_of(field)}は半角英数字で入力してください。")


class AtLeastOneEntry:
    """A FieldList of scalar fields needs at least one non-blank entry."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message

    def __call__(self, form: Form, field: FieldList) -> None:
        if all(is_blank(entry.data) for entry in field.entries):
            raise ValidationError(self.message or f"{label_of(field)}を1件以上入力してください。")


def exactly_one(first: Field, second: Field, *, both_message: str, none_message: str) -> None:
    """Raise ValidationError unless exactly one of two fields has a value."""
    filled = [not is_blank(first.data), not is_blank(second.data)]
    if all(filled):
        raise ValidationError(both_message)
    if not any(filled):
        raise ValidationError(none_message)


def conditions_hold(form: Form, field: Field) -> bool:
    """False when an OnlyIf validator of field says the field does not apply on form."""
    return all(v.applies(form) for v in field.validators if isinstance(v, OnlyIf))


def lookup(mapping: Mapping[str, Any] | None, *keys: str) -> Any:
    """Follow keys through nested mappings; None when any level is missing."""
    current: Any = mapping
    for key in keys:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current
