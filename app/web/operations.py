"""Operations pages for supervisors and administrators: incidents and mail that was not sent."""

from functools import wraps

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.models.incident import INCIDENT_SOURCES, INCIDENT_STATUSES
from app.services import ServiceError, incidents
from app.web import current_actor
from app.web.redirects import safe_next
from forms.operations import ActionForm, ResolveIncidentForm

bp = Blueprint("operations", __name__, url_prefix="/staff")

MAIL_STATES = {"failed": "送信失敗", "retry": "再送待ち"}


def operations_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_staff:
            return redirect(url_for("auth.staff_login", next=request.path))
        if not incidents.may_operate(current_actor()):
            message = "このページは審査責任者または管理者のみ利用できます。"
            return render_template("errors/refused.html", message=message), 403
        return view(*args, **kwargs)

    return wrapper


@bp.app_context_processor
def operations_badge():
    """`operations_counts()` for the staff home page (counted only when a template asks)."""
    return {"operations_counts": lambda: incidents.counts(current_actor())}


def _back(default: str) -> str:
    target = safe_next(request.form.get("next"), default)  # the one check for every `next`
    return target if target.startswith("/staff/") else default


@bp.route("/incidents")
@operations_required
def incident_list():
    status = request.args.get("status") if request.args.get("status") in ("resolved",) else "open"
    return render_template(
        "staff/incidents.html",
        rows=incidents.incident_list(current_actor(), status),
        housekeeping=incidents.housekeeping_failures(current_actor()) if status == "open" else [],
        status=status,
        STATUSES=INCIDENT_STATUSES,
        SOURCES=INCIDENT_SOURCES,
        action_form=ActionForm(formdata=None),
        resolve_form=ResolveIncidentForm(formdata=None),
    )


@bp.route("/incidents/<int:incident_id>/retry", methods=["POST"])
@operations_required
def incident_retry(incident_id: int):
    if not ActionForm().validate_on_submit():
        flash("画面を開き直してから、もう一度操作してください。", "error")
        return redirect(_back(url_for("operations.incident_list")))
    try:
        ok = incidents.retry_now(current_actor(), incident_id)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        if ok:
            flash(f"障害 {incident_id}：再試行に成功し、解決済みにしました。", "info")
        else:
            flash(f"障害 {incident_id}：再試行しましたが、再び失敗しました。", "error")
    return redirect(_back(url_for("operations.incident_list")))


@bp.route("/incidents/<int:incident_id>/resolve", methods=["POST"])
@operations_required
def incident_resolve(incident_id: int):
    form = ResolveIncidentForm()
    if not form.validate_on_submit():
        for message in form.note.errors or ["画面を開き直してから、もう一度操作してください。"]:
            flash(f"障害 {incident_id}：{message}", "error")
        return redirect(_back(url_for("operations.incident_list")))
    try:
        incidents.resolve(current_actor(), incident_id, form.note.data)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(f"障害 {incident_id} を解決済みにしました。", "info")
    return redirect(_back(url_for("operations.incident_list")))


@bp.route("/mail-failures")
@operations_required
def mail_failures():
    return render_template(
        "staff/mail_failures.html",
        rows=incidents.mail_failures(current_actor()),
        STATES=MAIL_STATES,
        action_form=ActionForm(formdata=None),
    )


@bp.route("/mail/<int:mail_id>/resend", methods=["POST"])
@operations_required
def mail_resend(mail_id: int):
    if not ActionForm().validate_on_submit():
        flash("画面を開き直してから、もう一度操作してください。", "error")
        return redirect(url_for("operations.mail_failures"))
    try:
        incidents.resend_mail(current_actor(), mail_id)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash("メールを再送の待ち行列に戻しました。まもなく送信されます。", "info")
    return redirect(url_for("operations.mail_failures"))
