"""Stage 3 form 審査 and the reviewer's workbench forms: queue filters, notes, reassignment."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any, NamedTuple, Self

from wtforms import DateField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.fields import Field
from wtforms.fields.core import UnboundField
from wtforms.utils import unset_value
from wtforms.validators import Optional, StopValidation

from app.domain.text import bounded_draft, has_control_chars, machine_dependent_chars
from forms.base import JapaneseMeta, SafeForm, TaskForm
from forms.fields import (
    BLANK_CHOICE,
    _chain,
    date_choices,
    date_label,
    radio_field,
    select_field,
    textarea_field,
    to_choices,
)
from forms.validators import MaxLength, NoMachineDependentChars, OnlyIf, is_blank, text_filter

APPROVE = {"decision": "approve"}
RETURN = {"decision": "return"}
REJECT = {"decision": "reject"}
MAX_FIELD_COMMENT = 1000
BELOW_INSTRUCTION = "（下欄に入力してください）"
FIELD_COMMENTS_HINT = "全体へのコメント、または各項目の「指摘」のいずれかを入力してください。"


_HALFWIDTH_KANA_RE = re.compile("[\uff61-\uff9f]+")


def comment_filter(value: Any) -> str:
    """A reviewer's text as typed: stripped, newlines unified, half-width katakana widened
    (machine-dependent otherwise) but full-width punctuation (！？（）：) kept, not narrowed."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _HALFWIDTH_KANA_RE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return unicodedata.normalize("NFC", text).strip()


class FieldComments(Field):
    """差戻し comments by target (``form_key`` or ``form_key.field``), posted as ``<name>-<target>``.

    ``context['review_targets']`` ({target: label}) lists what may be commented on.
    """

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.process_errors = []
        self.raw_data = []
        self.object_data = data
        self.data = {}
        if formdata is not None:
            prefix = f"{self.name}-"
            for key in formdata:
                if key.startswith(prefix):
                    text = comment_filter(formdata.get(key))
                    if text:
                        self.data[key[len(prefix) :]] = text

    def pre_validate(self, form: Any) -> None:
        targets = (getattr(form, "context", None) or {}).get("review_targets") or {}
        for target, text in self.data.items():
            label = targets.get(target)
            if label is None:
                self.errors.append(
                    "指摘の対象となる項目が見つかりません。画面を開き直してください。"
                )
                continue
            if len(text) > MAX_FIELD_COMMENT:
                self.errors.append(
                    f"「{label}」への指摘は{MAX_FIELD_COMMENT}文字以内で入力してください。"
                )
            if has_control_chars(text, multiline=True):
                self.errors.append(f"「{label}」への指摘に使用できない制御文字が含まれています。")
            if machine_dependent_chars(text):
                self.errors.append(
                    f"「{label}」への指摘に使用できない文字（機種依存文字）があります。"
                )


class _RequiredUnlessFieldComments:
    """差戻し needs an overall comment unless the reviewer commented on sections or fields."""

    field_flags = {"mandatory": True}

    def __call__(self, form: Any, field: Field) -> None:
        if is_blank(field.data) and not form.field_comments.data:
            field.errors[:] = []
            raise StopValidation("差戻し内容を入力してください。")


class ReviewDecisionForm(TaskForm):
    """審査: 承認 fixes the confirmed 利用開始日 from the schedule; 差戻し comments per field.

    Context: ``review_start_dates`` [(iso, label)] (the schedule dates still possible; falls
    back to ``schedule_dates``), ``wished_start_date`` (iso, marked in the list) and
    ``review_targets`` {target: label} for comments on sections and fields.
    """

    key = "review_decision"
    title = "審査"

    decision = radio_field(
        "審査結果", (("approve", "承認"), ("return", "差戻し"), ("reject", "却下"))
    )
    confirmed_start_date = select_field(
        "利用開始日",
        [],
        when=APPROVE,
        invalid_message="利用開始日はスケジュールから選択してください。",
    )
    comment = TextAreaField(
        "差戻し内容",
        [
            OnlyIf(**RETURN),
            _RequiredUnlessFieldComments(),
            MaxLength(2000),
            NoMachineDependentChars(),
        ],
        filters=[comment_filter],
        description="申込者に修正を依頼する内容を記入してください。" + FIELD_COMMENTS_HINT,
    )
    reason = TextAreaField(
        "却下理由",
        _chain(True, REJECT, MaxLength(2000), NoMachineDependentChars()),
        filters=[comment_filter],
    )
    field_comments = FieldComments("項目ごとの指摘")

    def prepare(self, context: Any = None) -> Self:
        """Offer the schedule's システム登録日 as confirmed start dates, the wished one marked."""
        super().prepare(context)
        dates = self.context.get("review_start_dates")
        if dates is None:
            dates = self.context.get("schedule_dates") or []
        wished = self.context.get("wished_start_date")
        choices = date_choices(dates)
        for choice in choices:
            if wished and choice.value == wished:
                choice.label = f"{choice.label}（希望日）"
        self.confirmed_start_date.choices = [BLANK_CHOICE, *choices]
        return self

    def to_task_data(self) -> dict[str, Any]:
        """Answers; ``field_comments`` [{target, label, body}] only for 差戻し."""
        data = super().to_task_data()
        data.pop("field_comments", None)
        if data.get("decision") == "return" and self.field_comments.data:
            targets = self.context.get("review_targets") or {}
            data["field_comments"] = [
                {"target": target, "label": targets.get(target, target), "body": body}
                for target, body in self.field_comments.data.items()
            ]
        return data

    def raw_input(self) -> dict[str, list[str]]:
        raw = super().raw_input()
        raw.pop(self.field_comments.name, None)
        for target, body in self.field_comments.data.items():
            raw[f"{self.field_comments.name}-{target}"] = [body]
        return bounded_draft(raw)


class _PlainForm(SafeForm):
    pass


class StaffNoteForm(_PlainForm):
    """An internal note (職員メモ) on an application: staff only."""

    body = textarea_field("職員メモ", max_length=2000, required=True)


class ReassignForm(_PlainForm):
    """審査責任者: give a task to another member of staff (choices set by the route)."""

    staff_id = SelectField(
        "担当者", coerce=int, choices=[], invalid_choice_message="担当者を選択してください。"
    )

    def offer(self, staff: list[tuple[int, str]]) -> None:
        """The members of staff the task may go to: (id, name)."""
        self.staff_id.choices = [SelectChoice(key, name) for key, name in dict(staff).items()]


SORTS = {
    "due": "回答期限",
    "reference": "申込受付番号",
    "company": "企業名",
    "submitted": "受付日時",
    "start": "利用開始希望日",
    "status": "状況",
}
DUE_FILTERS = to_choices(
    [("", "すべて"), ("overdue", "期限超過"), ("today", "本日期限"), ("later", "明日以降")]
)
STATUS_FILTERS = to_choices(
    [("", "すべて"), ("first", "新規"), ("resubmitted", "再提出（差戻し後）")]
)


class QueueFilterForm(_PlainForm):
    """Search, filters and sort of a review queue (GET parameters; no CSRF needed to read)."""

    class Meta(JapaneseMeta):
        csrf = False

    q = StringField("申込受付番号・企業名", filters=[text_filter], validators=[MaxLength(100)])
    submitted_from = DateField("受付日（から）", validators=[Optional()])
    submitted_to = DateField("受付日（まで）", validators=[Optional()])
    start_from = DateField("利用開始希望日（から）", validators=[Optional()])
    start_to = DateField("利用開始希望日（まで）", validators=[Optional()])
    due = SelectField("回答期限", choices=DUE_FILTERS, default="")
    status = SelectField("状況", choices=STATUS_FILTERS, default="")
    sort = SelectField("並び順", choices=to_choices(SORTS.items()), default="due")
    order = SelectField(
        "順序", choices=to_choices((("asc", "昇順"), ("desc", "降順"))), default="asc"
    )
    lane = HiddenField()
    scope = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in (self.submitted_from, self.submitted_to, self.start_from, self.start_to):
            field.render_kw = {"type": "date"}

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for field in (self.submitted_from, self.submitted_to, self.start_from, self.start_to):
            if field.errors:
                field.errors[:] = ["日付はYYYY-MM-DDの形式で入力してください。"]
        return ok

    def filters(self) -> dict[str, Any]:
        """The valid filters as service arguments (invalid ones are left out)."""
        names = ("q", "submitted_from", "submitted_to", "start_from", "start_to", "due", "status")
        found = {n: self[n].data for n in names if not self[n].errors and self[n].data}
        found["sort"] = self.sort.data if self.sort.data in SORTS else "due"
        found["descending"] = self.order.data == "desc"
        return found


# --- The application's answers with the forms' labels (the review page and the staff page) --


class FieldView(NamedTuple):
    name: str
    label: str
    text: str
    rows: list[str]
    target: str


class SectionView(NamedTuple):
    form_key: str
    title: str
    fields: list[FieldView]


class _Spec(NamedTuple):
    name: str
    label: str
    choices: dict[str, str]
    conditions: dict[str, Any]
    rows: tuple[_Spec, ...]


def _unbound(form_class: type) -> list[tuple[str, UnboundField]]:
    found = [(n, getattr(form_class, n)) for n in dir(form_class)]
    fields = [(n, u) for n, u in found if isinstance(u, UnboundField)]
    return sorted(fields, key=lambda item: item[1].creation_counter)


@cache
def _specs(form_class: type) -> tuple[_Spec, ...]:
    attrs = {attr: (u.name or attr) for attr, u in _unbound(form_class)}
    specs = []
    for attr, unbound in _unbound(form_class):
        label = next((a for a in unbound.args if isinstance(a, str)), unbound.kwargs.get("label"))
        validators = next((a for a in unbound.args if isinstance(a, list)), [])
        conditions = {}
        for validator in validators:
            if isinstance(validator, OnlyIf):
                conditions.update({attrs.get(k, k): v for k, v in validator.conditions.items()})
        choices = {str(c.value): str(c.label) for c in unbound.kwargs.get("choices") or []}
        inner = unbound.args[0] if unbound.args else None
        rows: tuple[_Spec, ...] = ()
        if isinstance(inner, UnboundField) and inner.args and isinstance(inner.args[0], type):
            rows = _specs(inner.args[0])
        specs.append(_Spec(attrs[attr], str(label or attr), choices, conditions, rows))
    return tuple(specs)


def _text(spec: _Spec, value: Any) -> str:
    if value is True:
        return "はい"
    if value is False or value is None:
        return ""
    if isinstance(value, list):
        return "、".join(_text(spec, v) for v in value if v not in (None, ""))
    text = str(value)
    if text in spec.choices and spec.choices[text] != "選択してください":
        # A value, not the applicant's instruction: 「その他（下欄に入力してください）」 → その他.
        return spec.choices[text].replace(BELOW_INSTRUCTION, "")
    if len(text) == 10 and text[4:5] == "-" and text[7:8] == "-":
        return date_label(text)
    return text


def _applies(spec: _Spec, data: dict[str, Any]) -> bool:
    for name, expected in spec.conditions.items():
        accepted = expected if isinstance(expected, tuple) else (expected,)
        if data.get(name) not in accepted:
            return False
    return True


def describe_answers(answers: dict[str, Any]) -> list[SectionView]:
    """The detail-entry answers in screen order, each field with its label and display text."""
    from forms import FORMS
    from forms.summary import SECTION_TITLES  # the screens in the manual's order

    sections = []
    for form_key in (*SECTION_TITLES, "entry_confirm"):
        data = (answers or {}).get(form_key)
        if data is None or form_key not in FORMS:
            continue
        form_class = FORMS[form_key]
        fields = []
        for spec in _specs(form_class):
            if spec.name not in data or not _applies(spec, data):
                continue
            value = data[spec.name]
            rows = []
            if spec.rows and isinstance(value, list):
                for row in value:
                    parts = [
                        f"{s.label}：{_text(s, row.get(s.name))}"
                        for s in spec.rows
                        if s.name in row and _text(s, row.get(s.name))
                    ]
                    rows.append("／".join(parts))
            text = "" if spec.rows else _text(spec, value)
            fields.append(FieldView(spec.name, spec.label, text, rows, f"{form_key}.{spec.name}"))
        sections.append(SectionView(form_key, form_class.title, fields))
    return sections


def review_targets(answers: dict[str, Any]) -> dict[str, str]:
    """{target: label} of every section and field a 差戻し comment may point at."""
    targets = {}
    for section in describe_answers(answers):
        targets[section.form_key] = section.title
        for field in section.fields:
            targets[field.target] = f"{section.title}／{field.label}"
    return targets
