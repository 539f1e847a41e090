"""Login forms (not user-task forms, so they live beside the auth blueprint)."""

from typing import Any

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from app.domain.text import normalize_ascii
from forms.base import SafeForm


def login_id_filter(value: Any) -> str:
    """IDs typed in full-width (１２３４５６７, ＮＡＣ５５５) made half-width; spaces dropped."""
    return "".join(normalize_ascii(str(value or "")).split())


class ApplicantLoginForm(SafeForm):
    login_id = StringField(
        "ログインID（仮ログインID または 事業所コード）",
        validators=[DataRequired("ログインIDを入力してください。")],
        filters=[login_id_filter],
    )
    password = PasswordField(
        "パスワード", validators=[DataRequired("パスワードを入力してください。")]
    )


class StaffLoginForm(SafeForm):
    login = StringField(
        "職員ID",
        validators=[DataRequired("職員IDを入力してください。")],
        filters=[login_id_filter],
    )
    password = PasswordField(
        "パスワード", validators=[DataRequired("パスワードを入力してください。")]
    )
