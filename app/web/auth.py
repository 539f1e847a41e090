"""Login and logout for applicants (仮ログインID / 事業所コード) and staff."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.services import ServiceError
from app.services.auth import (
    VIA_STAFF,
    Login,
    authenticate_applicant,
    authenticate_staff,
    end_sessions,
    staff_grant,
)
from app.web.redirects import safe_next
from forms.login import ApplicantLoginForm, StaffLoginForm

bp = Blueprint("auth", __name__)

# The session keeps (via, record id, epoch) of its login; app.web.load_user checks it.
LOGIN_GRANT = "login_grant"


def client_address() -> str:
    """The client's address (behind a proxy, set TRUST_PROXY_HOPS so ProxyFix fills it in)."""
    return request.remote_addr or ""


def start_session(login: Login) -> None:
    from app.web import load_user

    session[LOGIN_GRANT] = list(login.grant)
    login_user(load_user(login.user_key))


def keep_own_staff_session(staff_id: int) -> None:
    """After changing one's own password: this session goes on, every other copy has ended."""
    if session.get(LOGIN_GRANT) and session[LOGIN_GRANT][:2] == [VIA_STAFF, staff_id]:
        session[LOGIN_GRANT] = list(staff_grant(staff_id))


def end_session() -> None:
    """Log out here and everywhere else this login is open (copied cookies included)."""
    end_sessions(session.get(LOGIN_GRANT))
    logout_user()
    session.pop(LOGIN_GRANT, None)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = ApplicantLoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            found = authenticate_applicant(form.login_id.data, form.password.data, client_address())
        except ServiceError as exc:
            form.form_errors.append(exc.message)
            status = 429 if exc.status == 429 else 200
        else:
            session.pop("signup_application_id", None)
            start_session(found)
            return redirect(url_for("applicant.home"))
    return render_template("auth/login.html", form=form), status


def staff_home() -> str:
    """Where a signed-in staff member starts: their queue, the analyst studio, the admin menu
    or (a supervisor without a queue) the incidents; the queue page says when none applies."""
    if any(current_user.has_role(r) for r in ("reviewer", "operator")):
        return url_for("staff.inbox")
    if current_user.has_role("analyst"):
        return url_for("analyst.index")
    if current_user.has_role("administrator"):
        return url_for("admin.index")
    if current_user.has_role("supervisor"):
        return url_for("operations.incident_list")
    return url_for("staff.inbox")


@bp.route("/staff/login", methods=["GET", "POST"])
def staff_login():
    form = StaffLoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            found = authenticate_staff(form.login.data, form.password.data, client_address())
        except ServiceError as exc:
            form.form_errors.append(exc.message)
            status = 429 if exc.status == 429 else 200
        else:
            start_session(found)
            return redirect(safe_next(request.args.get("next"), staff_home()))
    return render_template("auth/staff_login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    end_session()
    session.clear()
    flash("ログアウトしました。", "info")
    return redirect(url_for("applicant.index"))
