"""Applicant pages: top, 仮アカウント申込, the NSS menu, task screens, 詳細, ID通知内容, PDFs."""

from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user, user_logged_in

from app.services import ServiceError
from app.services.applicant_pages import application_detail, document
from app.services.instance_admin_views import applicant_suspension, login_refusal
from app.services.signup import start_signup
from app.services.tasks import current_applicant_task
from app.services.timers import refresh_application
from app.services.views import home as home_view
from app.services.views import id_notice
from app.web import current_actor, current_application
from app.web.auth import client_address
from app.web.task_pages import handle_section, handle_task
from forms.address import postal_payload
from forms.summary import summarize_answers

bp = Blueprint("applicant", __name__)
RESUME_FLAG = "resume_after_login"


@bp.app_template_global()
def answer_sections(application) -> list:
    """The application's answers in words, section by section (confirmation and review)."""
    return summarize_answers(application.answers or {})


@user_logged_in.connect
def _remember_login(sender, user, **extra) -> None:
    """After an applicant logs in, the menu sends them back to the screen 一時保存 left."""
    if not getattr(user, "is_staff", True):
        session[RESUME_FLAG] = True


def applicant_required():
    actor = current_actor()
    if actor.kind != "applicant":
        return redirect(url_for("auth.login"))
    # A withdrawn, cancelled or rejected application: its open sessions end here, saying why.
    if (closed := login_refusal(actor.application_id, current_application())) is not None:
        logout_user()
        session.clear()
        flash(closed, "error")
        return redirect(url_for("auth.login"))
    # While suspended, no screen opens for input (nothing typed could be sent); a screen
    # opened before and posted now is shown again with its input kept (web.task_pages).
    if request.endpoint in ("applicant.task", "applicant.section") and request.method == "GET":
        if (suspended := applicant_suspension(actor.application_id)) is not None:
            return render_template("errors/refused.html", message=suspended), 409
    return None


def _refused(exc: ServiceError):
    return render_template("errors/refused.html", message=exc.message), exc.status


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("staff.inbox" if current_user.is_staff else "applicant.home"))
    return render_template("applicant/index.html")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """システム利用規程: nothing can be entered before agreeing."""
    if request.method == "POST":
        try:
            actor = start_signup(client_address())
        except ServiceError as exc:
            return render_template("applicant/terms.html", refusal=exc.message), exc.status
        session["signup_application_id"] = actor.application_id
        task = current_applicant_task(actor.application_id, "signup")
        return redirect(url_for("applicant.signup_task", task_id=task.task_id))
    return render_template("applicant/terms.html")


@bp.route("/signup/tasks/<task_id>", methods=["GET", "POST"])
def signup_task(task_id: str):
    return handle_task(task_id, "applicant.signup_done")


@bp.route("/signup/sections/<form_key>", methods=["GET", "POST"])
def signup_section(form_key: str):
    """Correct the 申込担当者 from the confirmation screen before the account is made."""
    return handle_section(form_key)


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
    view = home_view(current_actor())
    if session.pop(RESUME_FLAG, False) and view["resume"]:
        kind, target = view["resume"]
        flash("一時保存した画面を表示しています。続きから入力してください。", "info")
        if kind == "section":
            return redirect(url_for("applicant.section", form_key=target))
        return redirect(url_for("applicant.task", task_id=target))
    return render_template("applicant/home.html", **view)


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: str):
    if (refused := applicant_required()) is not None:
        return refused
    return handle_task(task_id, "applicant.home")


@bp.route("/sections/<form_key>", methods=["GET", "POST"])
@login_required
def section(form_key: str):
    """An earlier screen (「戻る」 or a 「修正する」 link on the confirmation page)."""
    if (refused := applicant_required()) is not None:
        return refused
    return handle_section(form_key)


@bp.route("/application")
@login_required
def detail():
    """The application's 「詳細」: confirmed start date, every section, 申込書, ID通知内容."""
    if (refused := applicant_required()) is not None:
        return refused
    try:
        return render_template("applicant/detail.html", **application_detail(current_actor()))
    except ServiceError as exc:
        return _refused(exc)


@bp.route("/application/received")
@login_required
def received():
    """受付完了: 「利用申込の受付が完了しました」 and the 申込受付番号."""
    if (refused := applicant_required()) is not None:
        return refused
    view = home_view(current_actor())
    if view["application"].reference_no is None:
        return redirect(url_for("applicant.home"))
    return render_template("applicant/received.html", **view)


@bp.route("/application/documents/<kind>.pdf")
@login_required
def document_pdf(kind: str):
    """申込書 (application_form) or 利用承諾書 (consent) as a PDF with Japanese text."""
    if (refused := applicant_required()) is not None:
        return refused
    if kind not in ("application_form", "consent"):
        return _refused(ServiceError("書類が見つかりません。", 404))
    try:
        filename, body = document(current_actor(), kind)
    except ServiceError as exc:
        return _refused(exc)
    title = (
        "システムサービス利用申込書" if kind == "application_form" else "システムサービス利用承諾書"
    )
    disposition = f"inline; filename=\"{filename}\"; filename*=UTF-8''{quote(title)}.pdf"
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": disposition})


@bp.route("/application/notice")
@login_required
def notice():
    if (refused := applicant_required()) is not None:
        return refused
    try:
        data = id_notice(current_actor())
    except ServiceError as exc:
        return _refused(exc)
    return render_template("applicant/notice.html", **data)


@bp.route("/postal/<code>")
@login_required
def postal(code: str):
    """「反映」 without reloading: the address of a 郵便番号 as JSON (Japan Post data)."""
    return jsonify(postal_payload(code))
