"""NACCS Center staff pages: the inbox, claiming, task screens, an application's page."""

from functools import wraps

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.services import ServiceError
from app.services.claims import claim_task, unclaim_task
from app.services.staff_views import inbox as inbox_view
from app.services.staff_views import staff_application
from app.services.views import id_notice
from app.web import current_actor
from app.web.task_pages import handle_task

bp = Blueprint("staff", __name__, url_prefix="/staff")

LANES = {"reviewer": "審査", "operator": "設定作業"}
SCOPES = {"unclaimed": "未割当", "mine": "自分の担当", "all": "全件"}


def staff_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_staff:
            return redirect(url_for("auth.staff_login", next=request.path))
        return view(*args, **kwargs)

    return wrapper


@bp.route("/")
@staff_required
def inbox():
    actor = current_actor()
    lanes = [lane for lane in LANES if actor.has_role(lane)]
    if not lanes:
        return render_template("staff/no_tasks.html")
    lane = request.args.get("lane") if request.args.get("lane") in lanes else lanes[0]
    scope = request.args.get("scope") if request.args.get("scope") in SCOPES else "unclaimed"
    page = request.args.get("page", 1, type=int)
    data = inbox_view(actor, lane, scope, page)
    return render_template(
        "staff/inbox.html", lanes=lanes, lane=lane, scope=scope, LANES=LANES, SCOPES=SCOPES, **data
    )


@bp.route("/human-tasks/<int:human_task_id>/claim", methods=["POST"])
@staff_required
def claim(human_task_id: int):
    try:
        task = claim_task(current_actor(), human_task_id)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(request.referrer or url_for("staff.inbox"))
    flash("担当しました。", "info")
    return redirect(url_for("staff.task", task_id=task.task_id))


@bp.route("/human-tasks/<int:human_task_id>/unclaim", methods=["POST"])
@staff_required
def unclaim(human_task_id: int):
    try:
        unclaim_task(current_actor(), human_task_id)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash("担当を外しました。", "info")
    return redirect(url_for("staff.inbox"))


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@staff_required
def task(task_id: str):
    return handle_task(task_id, "staff.inbox")


@bp.route("/applications/<int:application_id>")
@staff_required
def application(application_id: int):
    try:
        data = staff_application(current_actor(), application_id)
    except ServiceError as exc:
        return render_template("errors/refused.html", message=exc.message), exc.status
    return render_template("staff/application.html", **data)


@bp.route("/applications/<int:application_id>/notice")
@staff_required
def notice(application_id: int):
    try:
        data = id_notice(current_actor(), application_id)
    except ServiceError as exc:
        return render_template("errors/refused.html", message=exc.message), exc.status
    return render_template("applicant/notice.html", **data)
