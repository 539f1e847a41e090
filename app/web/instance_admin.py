"""Instance administration pages: the applicant's 申込取下げ and staff cancel / suspend /
resume / reopen / variable correction, each with a confirmation page and a reason."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from app.services import ServiceError
from app.services import instance_admin as service
from app.services import instance_admin_views as views
from app.web import current_actor
from forms.instance_admin import ReasonForm, VariableForm

bp = Blueprint("instance_admin", __name__)

# op: (page title, what happens, button, service call, message after it)
OPERATIONS = {
    "cancel": (
        "申込の取消",
        "この申込を取り消します。業務フローは終了し、待っている手続きと期限はすべて取り消され、"
        "払い出し済みの利用者コードは解放されます。申込者（申込担当者・管理責任者）に取消のE-mailを"
        "送ります。申込者は以後ログインできません。元に戻すことはできません。",
        "取り消す",
        service.cancel,
        "申込を取り消しました。",
    ),
    "suspend": (
        "申込の一時停止",
        "この申込を一時停止します。停止中は期限（タイマー）が実行されず、申込者・職員の手続きは"
        "受け付けられません。期限は延長されません：停止中に到来した期限は、再開後の最初の処理で"
        "直ちに実行されます。",
        "一時停止する",
        service.suspend,
        "申込を一時停止しました。",
    ),
    "resume": (
        "申込の再開",
        "一時停止を解除します。停止中に到来した期限は、次のタイマー処理で直ちに実行されます。",
        "再開する",
        service.resume,
        "申込を再開しました。",
    ),
    "reopen": (
        "審査結果の取消（審査に戻す）",
        "最後の審査結果（承認・差戻し・却下）を取り消し、審査の手続きを再び「待ち」にします。"
        "審査結果の後に進んだ手続き・期限は取り消されます。払い出し済みのIDは保持され、"
        "再度承認したときにそのまま使われます。取り消した審査結果は履歴に残ります。",
        "審査に戻す",
        service.reopen,
        "審査結果を取り消し、審査に戻しました。",
    ),
}


def _refused(exc: ServiceError):
    return render_template("errors/refused.html", message=exc.message), exc.status


def _staff():
    if not current_user.is_authenticated or not current_user.is_staff:
        return redirect(url_for("auth.staff_login", next=request.path))
    return None


@bp.app_template_global()
def instance_admin_options(application) -> dict:
    return views.options(current_actor(), application)


@bp.app_template_global()
def withdraw_allowed(application) -> bool:
    return views.withdraw_allowed(application)


@bp.app_template_global()
def suspension_notice(application) -> str | None:
    return views.suspension_notice(application)


@bp.route("/application/withdraw", methods=["GET", "POST"])
@login_required
def withdraw():
    """申込取下げ: a confirmation page with the reason, then the end of the session."""
    from app.web.applicant import applicant_required

    if (refused := applicant_required()) is not None:
        return refused
    actor = current_actor()
    try:
        application = views.applicant_application(actor)
    except ServiceError as exc:
        return _refused(exc)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            service.withdraw(actor, form.reason.data)
        except ServiceError as exc:
            form.form_errors.append(exc.message)
        else:
            logout_user()
            session.clear()
            return render_template("applicant/withdraw_done.html", application=application)
    elif request.method == "GET" and not views.withdraw_allowed(application):
        flash(views.WITHDRAW_CLOSED, "error")
        return redirect(url_for("applicant.home"))
    status = 422 if request.method == "POST" else 200
    return render_template("applicant/withdraw.html", application=application, form=form), status


@bp.route("/staff/applications/<int:application_id>/admin/<op>", methods=["GET", "POST"])
def operation(application_id: int, op: str):
    if (login := _staff()) is not None:
        return login
    if op not in OPERATIONS:
        return _refused(ServiceError("この操作はありません。", 404))
    title, explanation, button, call, done = OPERATIONS[op]
    actor = current_actor()
    try:
        application = views.operation_target(actor, application_id, op)
    except ServiceError as exc:
        return _refused(exc)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            call(actor, application_id, form.reason.data)
        except ServiceError as exc:
            form.form_errors.append(exc.message)
        else:
            flash(done, "info")
            return redirect(url_for("staff.application", application_id=application_id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "staff/instance_admin/confirm.html",
        application=application,
        form=form,
        op=op,
        status_label=views.status_label(application),
        title=title,
        explanation=explanation,
        button=button,
    ), status


@bp.route("/staff/applications/<int:application_id>/admin/variables", methods=["GET", "POST"])
def variables(application_id: int):
    """Correct one process variable of the running workflow (whole workflow or one stage)."""
    if (login := _staff()) is not None:
        return login
    actor = current_actor()
    form = VariableForm()
    scope = (form.scope.data if request.method == "POST" else None) or request.args.get("scope")
    try:
        page = service.variable_page(actor, application_id, scope)
    except ServiceError as exc:
        return _refused(exc)
    form.offer([v.name for v in page["variables"]])
    if request.method == "GET":
        form.scope.data = page["scope"]
        chosen = request.args.get("name")
        if chosen in {v.name for v in page["variables"]}:
            form.name.data = chosen
            form.value.data = next(v.text for v in page["variables"] if v.name == chosen)
    elif form.validate_on_submit():
        try:
            service.parse_value(form.value.data or "", form.kind.data)
        except ServiceError as exc:
            form.value.errors = [exc.message]  # next to the field; what was typed stays
        else:
            try:
                service.correct_variable(
                    actor,
                    application_id,
                    page["scope"],
                    form.name.data,
                    form.value.data or "",
                    form.kind.data,
                    form.reason.data,
                )
            except ServiceError as exc:
                form.form_errors.append(exc.message)
            else:
                flash(f"変数「{form.name.data}」を訂正しました。", "info")
                return redirect(url_for("staff.application", application_id=application_id))
    status = 422 if request.method == "POST" else 200
    return render_template("staff/instance_admin/variables.html", form=form, **page), status
