"""Login and logout for applicants (仮ログインID / 事業所コード) and staff."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from app.services import ServiceError
from app.services.auth import authenticate_applicant, authenticate_staff
from forms.login import ApplicantLoginForm, StaffLoginForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = ApplicantLoginForm()
    if form.validate_on_submit():
        try:
            account = authenticate_applicant(form.login_id.data, form.password.data)
        except ServiceError as exc:
            form.form_errors.append(exc.message)
        else:
            from app.web import load_user

            session.pop("signup_application_id", None)
            login_user(load_user(f"a:{account.id}"))
            return redirect(url_for("applicant.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/staff/login", methods=["GET", "POST"])
def staff_login():
    form = StaffLoginForm()
    if form.validate_on_submit():
        try:
            staff = authenticate_staff(form.login.data, form.password.data)
        except ServiceError as exc:
            form.form_errors.append(exc.message)
        else:
            from app.web import load_user

            login_user(load_user(f"s:{staff.id}"))
            target = request.args.get("next") or ""
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("staff.inbox")
            return redirect(target)
    return render_template("auth/staff_login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("ログアウトしました。", "info")
    return redirect(url_for("applicant.index"))
