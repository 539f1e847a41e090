"""Applicant pages: top, 仮アカウント申込, the NSS menu, task screens, ID通知内容."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.services import ServiceError
from app.services.signup import start_signup
from app.services.tasks import current_applicant_task, edit_section
from app.services.timers import refresh_application
from app.services.views import form_context, id_notice
from app.services.views import home as home_view
from app.web import current_actor
from app.web.task_pages import build_form, handle_task
from forms import form_for

bp = Blueprint("applicant", __name__)


def applicant_required():
    actor = current_actor()
    if actor.kind != "applicant":
        return redirect(url_for("auth.login"))
    return None


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("staff.inbox" if current_user.is_staff else "applicant.home"))
    return render_template("applicant/index.html")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """システム利用規程: nothing can be entered before agreeing."""
    if request.method == "POST":
        from flask_wtf.csrf import validate_csrf

        validate_csrf(request.form.get("csrf_token"))
        actor = start_signup()
        session["signup_application_id"] = actor.application_id
        task = current_applicant_task(actor.application_id, "signup")
        return redirect(url_for("applicant.signup_task", task_id=task.task_id))
    return render_template("applicant/terms.html")


@bp.route("/signup/tasks/<task_id>", methods=["GET", "POST"])
def signup_task(task_id: str):
    return handle_task(task_id, "applicant.signup_done")


@bp.route("/signup/done")
def signup_done():
    application_id = session.get("signup_application_id")
    if application_id is None:
        return redirect(url_for("applicant.index"))
    task = current_applicant_task(application_id, "signup")
    if task is not None:
        return redirect(url_for("applicant.signup_task", task_id=task.task_id))
    session.pop("signup_application_id", None)
    return render_template("applicant/signup_done.html")


@bp.route("/home")
@login_required
def home():
    if (refused := applicant_required()) is not None:
        return refused
    refresh_application(current_actor().application_id)
    return render_template("applicant/home.html", **home_view(current_actor()))


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: str):
    if (refused := applicant_required()) is not None:
        return refused
    return handle_task(task_id, "applicant.home")


@bp.route("/sections/<form_key>", methods=["GET", "POST"])
@login_required
def section(form_key: str):
    """Correct an earlier screen (「戻る」 or a link on the confirmation page)."""
    if (refused := applicant_required()) is not None:
        return refused
    actor = current_actor()
    view = home_view(actor)
    application, current = view["application"], view["next_task"]
    if form_for(form_key) is None or form_key not in (application.answers or {}) or current is None:
        flash("この画面は現在修正できません。", "error")
        return redirect(url_for("applicant.home"))
    post = request.method == "POST"
    form = build_form(form_key, application, application.answer(form_key), None, post)
    if post and form.validate_on_submit():
        try:
            edit_section(actor, application.id, form_key, form.to_task_data())
        except ServiceError as exc:
            flash(exc.message, "error")
            return redirect(url_for("applicant.home"))
        flash("修正内容を保存しました。", "info")
        return redirect(url_for("applicant.task", task_id=current.task_id))
    return (
        render_template(
            "tasks/section.html",
            form=form,
            form_key=form_key,
            current=current,
            application=application,
            context=form_context(application),
        ),
        422 if post else 200,
    )


@bp.route("/application/notice")
@login_required
def notice():
    if (refused := applicant_required()) is not None:
        return refused
    try:
        data = id_notice(current_actor())
    except ServiceError as exc:
        return render_template("errors/refused.html", message=exc.message), exc.status
    return render_template("applicant/notice.html", **data)
