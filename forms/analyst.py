"""Forms of the analyst's studio: diagram upload, version migration, application filters."""

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, IntegerField, SelectField, SubmitField
from wtforms.validators import NumberRange, Optional


class UploadForm(FlaskForm):
    """One or more .bpmn files as Camunda Modeler or bpmn.io saved them."""

    files = MultipleFileField("BPMN ファイル（複数選択できます）")
    alone = BooleanField(
        "選んだファイルだけで新しい版を作る（チェックしないと、最新の版のファイルに上書きして差し替えます）"
    )
    check = SubmitField("検証する")
    deploy = SubmitField("検証して配備する")

    def uploads(self) -> list[tuple[str, bytes]]:
        """(file name, bytes) of every file chosen; the size limit is applied while reading."""
        from app.engine.diagram import MAX_BYTES

        chosen = []
        for storage in self.files.data or []:
            if storage and getattr(storage, "filename", ""):
                chosen.append((storage.filename, storage.stream.read(MAX_BYTES + 1)))
        return chosen


class MigrateForm(FlaskForm):
    submit = SubmitField("移行できる申込をすべてこの版に移す")


class InstanceFilterForm(FlaskForm):
    """GET filters of the application list (no state change, so no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField("状態", choices=[], validate_choice=False)
    stage = SelectField("段階", choices=[], validate_choice=False)
    version = SelectField("版", choices=[], validate_choice=False)
    within = IntegerField(
        "期限まで（日以内）", validators=[Optional(), NumberRange(min=0, max=365)]
    )

    def prepare(self, statuses: dict, stages: list, versions: list) -> "InstanceFilterForm":
        self.status.choices = [("", "すべて")] + list(statuses.items())
        self.stage.choices = [("", "すべて")] + list(stages)
        self.version.choices = [("", "すべて")] + [(str(v), f"版 {v}") for v in versions]
        return self
