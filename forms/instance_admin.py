"""Forms of instance administration: a reason for every operation, and a variable correction."""

from wtforms import HiddenField, RadioField, SelectChoice, SelectField, TextAreaField

from forms.base import SafeForm
from forms.fields import textarea_field
from forms.validators import MaxLength, Required

REASON_MAX = 1000
VALUE_KINDS = [
    SelectChoice("json", 'JSON（数値・true/false・null・"文字列"・[…]・{…}）'),
    SelectChoice("string", "文字列"),
]


class _PlainForm(SafeForm):
    """Every text field refuses control and bidi-override characters beside the field."""


class ReasonForm(_PlainForm):
    """Withdraw, cancel, suspend, resume, reopen: the reason is kept in the audit trail."""

    reason = textarea_field("理由", max_length=REASON_MAX, required=True)


class VariableForm(_PlainForm):
    """Correct one variable of the running workflow (choices set by the route)."""

    scope = HiddenField()
    name = SelectField(
        "変数",
        choices=[],
        validate_choice=True,
        validators=[Required()],
    )
    kind = RadioField("形式", choices=VALUE_KINDS, default="json", validators=[Required()])
    value = TextAreaField("新しい値", validators=[MaxLength(20000)])
    reason = textarea_field("理由", max_length=REASON_MAX, required=True)

    def offer(self, names: list[str]) -> None:
        self.name.choices = [
            SelectChoice("", "選択してください"),
            *[SelectChoice(n, n) for n in names],
        ]
