"""TaskForm: base of every user-task form, with reference-data context and task-data conversion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Self

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, FieldList, FormField, SelectMultipleField, StringField
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields import Field, HiddenField
from wtforms.meta import DefaultMeta

from app.domain.text import bounded_draft, has_control_chars, strip_control_chars
from forms.validators import (
    CONTROL_MESSAGE,
    EMAIL_MESSAGE,
    ENGLISH_MESSAGE,
    KATAKANA_MESSAGE,
    POSTAL_CODE_MESSAGE,
    AsciiAlnum,
    Digits,
    EmailAddress,
    EnglishText,
    Katakana,
    MaxLength,
    NoMachineDependentChars,
    OfficeCode,
    OnlyIf,
    PostalCode,
    Required,
    ascii_filter,
    conditions_hold,
    digits_filter,
    is_multiline,
    katakana_filter,
    submitted_texts,
    text_filter,
    upper_ascii_filter,
)

__all__ = [
    "CONTROL_MESSAGE",
    "EMAIL_MESSAGE",
    "ENGLISH_MESSAGE",
    "KATAKANA_MESSAGE",
    "POSTAL_CODE_MESSAGE",
    "AsciiAlnum",
    "Digits",
    "EmailAddress",
    "EnglishText",
    "JapaneseMeta",
    "Katakana",
    "MaxLength",
    "NoMachineDependentChars",
    "OfficeCode",
    "OnlyIf",
    "PostalCode",
    "RefusesControlChars",
    "Required",
    "SafeForm",
    "TaskForm",
    "ascii_filter",
    "digits_filter",
    "katakana_filter",
    "text_filter",
    "upper_ascii_filter",
]

# Fields that are not answers: never part of task data or of temp-saved input.
_NOT_DATA = frozenset({"CSRFTokenField", "SubmitField", "StateField"})


class TokenOnRender(CSRFTokenField):
    """The CSRF field, whose fresh token is signed when the page is drawn instead of when the
    form is built: a POST that succeeds redirects and draws nothing, and signing the token
    there was ≈ 2 % of a submission's CPU. The submitted token is checked as before."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type = "CSRFTokenField"  # the type templates and summaries leave out

    def process(self, *args: Any, **kwargs: Any) -> None:
        HiddenField.process(self, *args, **kwargs)

    @property
    def current_token(self) -> str:  # type: ignore[override]
        # Flask-WTF signs once per request (kept in flask.g): every form of a page shares it.
        return self.csrf_impl.generate_csrf_token(self)


class JapaneseMeta:
    """Form meta using WTForms' bundled Japanese catalogue for any built-in message, and the
    CSRF field that signs its token only when drawn (the form's Meta also has Flask-WTF's)."""

    locales = ("ja",)

    def get_translations(self, form: Any) -> Any:
        """Ignore Flask-WTF's Babel hook (Babel is not used) and use the bundled catalogue."""
        return DefaultMeta.get_translations(self, form)  # type: ignore[arg-type]

    def build_csrf(self, form: Any) -> Any:
        csrf = super().build_csrf(form)  # type: ignore[misc]  # Flask-WTF's, next in the MRO
        csrf.field_class = TokenOnRender
        return csrf


def _data_fields(fields: Any) -> Iterator[Field]:
    for field in fields:
        if field.type not in _NOT_DATA:
            yield field


def _leaves(fields: Any) -> Iterator[Field]:
    """Every input-bearing field, descending into FormField and FieldList."""
    for field in _data_fields(fields):
        if isinstance(field, FormField):
            yield from _leaves(field.form)
        elif isinstance(field, FieldList):
            yield from _leaves(field.entries)
        else:
            yield field


def _scalar(field: Field) -> Any:
    if isinstance(field, BooleanField):
        return bool(field.data)
    if isinstance(field, SelectMultipleField):
        return [str(value) for value in field.data or []]
    return _json_scalar(field.data)


def _json_scalar(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)  # Decimal and anything else: its text form


def _blank(field: Field) -> Any:
    """The value of a field that does not apply (its OnlyIf conditions fail)."""
    if isinstance(field, BooleanField):
        return False
    if isinstance(field, (SelectMultipleField, FieldList)):
        return []
    if isinstance(field, StringField):
        return ""
    return None


def _field_value(form: Any, field: Field) -> Any:
    if not conditions_hold(form, field):
        return _blank(field)
    if isinstance(field, FormField):
        return _form_values(field.form)
    if isinstance(field, FieldList):
        values = [_field_value(form, entry) for entry in field.entries]
        if issubclass(field.unbound_field.field_class, FormField):
            return values
        # A list of scalars (e-mail addresses ...): blank entries carry no answer.
        return [value for value in values if value not in (None, "")]
    return _scalar(field)


def _form_values(form: Any) -> dict[str, Any]:
    return {field.short_name: _field_value(form, field) for field in _data_fields(form)}


def refuse_control_chars(form: Any) -> bool:
    """Mark every field whose submitted text holds control or bidi-override characters.

    Such a field gets the one message CONTROL_MESSAGE (its other errors would only confuse);
    returns False when any field was marked. NUL would otherwise reach PostgreSQL (500) and
    ESC, DEL or U+202E the mails and PDFs.
    """
    ok = True
    for field in _leaves(form):
        multiline = is_multiline(field)
        if any(has_control_chars(v, multiline=multiline) for v in submitted_texts(field)):
            if isinstance(field.errors, list):
                field.errors[:] = [CONTROL_MESSAGE]
            else:
                field.errors = [CONTROL_MESSAGE]
            ok = False
    return ok


def _without_control_chars(form: Any) -> None:
    """Drop control characters from the fields' data (raw_data keeps them for
    refuse_control_chars): lookups made while a screen is redrawn (事業所コード, 郵便番号)
    never send NUL to the database, and the text shown again is the rest of what was typed."""
    for field in _leaves(form):
        if isinstance(field.data, str) and has_control_chars(field.data, multiline=True):
            field.data = strip_control_chars(field.data, multiline=is_multiline(field))


class RefusesControlChars:
    """Form mixin (before FlaskForm): validation also applies refuse_control_chars(), and
    field data never holds control characters."""

    def process(self, *args: Any, **kwargs: Any) -> None:
        super().process(*args, **kwargs)  # type: ignore[misc]
        _without_control_chars(self)

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)  # type: ignore[misc]
        return refuse_control_chars(self) and ok


class SafeForm(RefusesControlChars, FlaskForm):
    """Base of every form that is not a user-task form (login, staff, administration)."""

    class Meta(JapaneseMeta):
        pass


def _choice_pairs(choices: Any) -> Iterator[tuple[str, str]]:
    for choice in choices:
        if hasattr(choice, "value"):
            yield str(choice.value), str(choice.label)
        elif isinstance(choice, (tuple, list)):
            yield str(choice[0]), str(choice[1])


class TaskForm(RefusesControlChars, FlaskForm):
    """Base of the forms of BPMN user tasks.

    Contract with the caller:

    * construct with formdata (a POST, ``MultiDict(raw)`` or ``to_formdata(task_data)``),
      then call ``prepare(context)`` before ``validate()`` (or pass ``context=`` to the
      constructor, which calls it). ``prepare`` stores ``self.context`` and sets choices
      that depend on reference data. Context keys: ``open_start_dates`` [(iso, label)],
      ``office_lookup`` (code -> dict | None), ``applicant`` ({form key: task data}),
      ``schedule_dates`` [iso].
    * after a successful ``validate()``, ``to_task_data()`` is the answer to store;
      ``raw_input()`` keeps everything typed, valid or not, for 一時保存.
    * form-level errors (not tied to one field) are in ``form_errors`` (WTForms' list,
      also ``errors[""]``); field errors are in ``errors`` keyed by attribute name.
    * task data keys are the fields' HTML names without prefix (``field.short_name``);
      they equal the attribute names except where noted (``job_title`` is named ``title``
      because ``title`` is the screen title).
    """

    key: ClassVar[str] = ""
    title: ClassVar[str] = ""
    template: ClassVar[str | None] = None
    # The manual's word on the button that completes the screen.
    submit_label: ClassVar[str] = "次へ進む"
    # Fields left out of the confirmation summary (E-mail（確認） repeats E-mail).
    summary_skip: ClassVar[frozenset[str]] = frozenset()
    # 「反映」: postal-code field -> {"prefecture"|"city"|"street"|"kana"|"customs"|"en1"|"en2"|
    # "en3": field filled from it}; see forms.address.
    postal_lookups: ClassVar[dict[str, dict[str, str]]] = {}
    # Buttons that redisplay the screen after an in-page change instead of submitting it.
    page_actions: ClassVar[tuple[str, ...]] = ("postal_lookup",)

    class Meta(JapaneseMeta):
        pass

    def __init__(self, *args: Any, context: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context: dict[str, Any] = {}
        # A status line after an in-page button (「反映」, 「設定する」 ...), read by the page.
        self.page_message: str | None = None
        if context is not None:
            self.prepare(context)

    def prepare(self, context: Mapping[str, Any] | None = None) -> Self:
        """Store the reference-data context; subclasses also set choices (call super first)."""
        self.context = dict(context or {})
        return self

    def process(
        self,
        formdata: Any = None,
        obj: Any = None,
        data: Mapping[str, Any] | None = None,
        extra_filters: Any = None,
        **kwargs: Any,
    ) -> None:
        """Accept ``data``/keyword values keyed by HTML name as well as by attribute name."""
        renamed = {f.short_name: name for name, f in self._fields.items() if f.short_name != name}
        if renamed:
            if data is not None:
                data = {renamed.get(k, k): v for k, v in data.items()}
            kwargs = {renamed.get(k, k): v for k, v in kwargs.items()}
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)

    def validate(self, extra_validators: Any = None) -> bool:
        """Validate all fields; form-level errors start empty on every call."""
        self.form_errors = []
        return super().validate(extra_validators)

    def requested_action(self, formdata: Mapping[str, Any]) -> tuple[str, str] | None:
        """The in-page button pressed (``postal_lookup`` ...), with its value, or None."""
        for name in self.page_actions:
            if name in formdata:
                return name, str(formdata.get(name) or "")
        return None

    def apply_action(self, name: str, value: str) -> TaskForm:
        """Carry out an in-page button; returns the form to redisplay (self or a new one)."""
        if name == "postal_lookup" and value in self.postal_lookups:
            from forms.address import fill_from_postal_code

            fill_from_postal_code(self, value)
        return self

    def conditions_of(self, field: Field) -> dict[str, tuple[str, ...]]:
        """The OnlyIf conditions of a field, by HTML name: {'address_mode': ('other',)}."""
        found: dict[str, tuple[str, ...]] = {}
        for validator in field.validators:
            for name, expected in getattr(validator, "conditions", {}).items():
                accepted = expected if isinstance(expected, tuple) else (expected,)
                found[self[name].name] = tuple(str(v) for v in accepted)
        return found

    def condition_note(self, field: Field) -> str:
        """「「一括請求」で「希望する」を選択した場合に入力してください。」 for conditional fields."""
        parts = []
        for validator in field.validators:
            for name, expected in getattr(validator, "conditions", {}).items():
                control = self[name]
                accepted = expected if isinstance(expected, tuple) else (expected,)
                labels = dict(_choice_pairs(getattr(control, "choices", None) or ()))
                chosen = "・".join(f"「{labels.get(str(v), v).split('（')[0]}」" for v in accepted)
                parts.append(f"「{control.label.text}」で{chosen}")
        if not parts:
            return ""
        return "、".join(parts) + "を選択した場合に入力してください。"

    def to_task_data(self) -> dict[str, Any]:
        """JSON-safe answers keyed by field name; fields that do not apply are blanked."""
        return _form_values(self)

    @staticmethod
    def to_formdata(data: Mapping[str, Any]) -> MultiDict:
        """Flatten task data into WTForms names (``rows-0-industries``) for re-validation.

        True becomes 'y'; False and None are omitted; a list of scalars becomes several
        values of one name; lists of dicts become ``name-<index>-<key>``.
        """
        pairs: list[tuple[str, str]] = []

        def walk(name: str, value: Any) -> None:
            if value is None or value is False:
                return
            if value is True:
                pairs.append((name, "y"))
            elif isinstance(value, Mapping):
                for key, item in value.items():
                    walk(f"{name}-{key}" if name else str(key), item)
            elif isinstance(value, (list, tuple)):
                for index, item in enumerate(value):
                    if isinstance(item, (Mapping, list, tuple)):
                        walk(f"{name}-{index}", item)
                    else:
                        walk(name, item)
            else:
                pairs.append((name, str(_json_scalar(value))))

        walk("", data)
        return MultiDict(pairs)

    def raw_input(self) -> dict[str, list[str]]:
        """Every field's submitted strings by HTML name; ``MultiDict(raw)`` re-creates them.

        Bounded for storage (app.domain.text.bounded_draft): control characters are dropped
        and a screen keeps at most 64 KB.
        """
        raw: dict[str, list[str]] = {}
        for field in _leaves(self):
            if field.raw_data is not None:
                raw[field.name] = [str(value) for value in field.raw_data]
            else:
                raw[field.name] = self.to_formdata({"v": _scalar(field)}).getlist("v")
        return bounded_draft(raw)
