"""Forms of the operations pages: retry or resolve an incident, resend a mail (CSRF on each)."""

from forms.base import SafeForm
from forms.fields import textarea_field


class _PlainForm(SafeForm):
    """Every text field refuses control and bidi-override characters beside the field."""


class ActionForm(_PlainForm):
    """A button with nothing to fill in: 今すぐ再試行, 再送."""


class ResolveIncidentForm(_PlainForm):
    """解決済みにする: what was done about it, kept with the incident and in the audit trail."""

    note = textarea_field("解決の内容（メモ）", max_length=2000, required=True)
