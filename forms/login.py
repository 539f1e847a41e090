"""Login forms (not user-task forms, so they live beside the auth blueprint)."""

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from forms.base import SafeForm


class ApplicantLoginForm(SafeForm):
    login_id = StringField(
        "ログインID（仮ログインID または 事業所コード）",
        validators=[DataRequired("ログインIDを入力してください。")],
        filters=[lambda v: (v or "").strip()],
    )
    password = PasswordField(
        "パスワード", validators=[DataRequired("パスワードを入力してください。")]
    )


class StaffLoginForm(SafeForm):
    login = StringField("職員ID", validators=[DataRequired("職員IDを入力してください。")])
    password = PasswordField(
        "パスワード", validators=[DataRequired("パスワードを入力してください。")]
    )
