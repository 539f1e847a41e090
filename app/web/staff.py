"""NACCS Center staff pages: the queues, claiming, the review workbench, an application's page."""

from functools import wraps

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from app.services import ServiceError
from app.services.applicant_pages import task_page
from app.services.claims import claim_next, claim_task, reassign_task, unclaim_task
from app.services.people import staff_choices
from app.services.review import DECISION_LABELS, add_note, workbench
from app.services.staff_page import staff_application
from app.services.staff_tasks import setup_work, task_holder
from app.services.staff_views import inbox as inbox_view
from app.services.tasks import open_task, save_draft, submit_task
from app.services.unit import Suspended
from app.services.views import form_context, id_notice
from app.web import current_actor
from app.web.args import DATE_RANGE_MESSAGE, date_in_range, page_arg
from app.web.auth import staff_home
from app.web.redirects import safe_next
from app.web.task_pages import WRONG_PAGE, build_form, handle_task, keep_input
from forms.base import TaskForm
from forms.confirmation import SetupWorkForm
from forms.review import (
    SORTS,
    QueueFilterForm,
    ReassignForm,
    ReviewDecisionForm,
    StaffNoteForm,
    describe_answers,
    review_targets,
)
from forms.summary import summarize

bp = Blueprint("staff", __name__, url_prefix="/staff")

LANES = {"reviewer": "審査", "operator": "設定作業"}
SCOPES = {"unclaimed": "未割当", "mine": "自分の担当", "all": "全件", "done": "処理済"}
QUEUE_FILTERS = (
    "q",
    "submitted_from",
    "submitted_to",
    "start_from",
    "start_to",
    "due",
    "status",
    "sort",
    "order",
)
# Who may do what on an application's staff page (docs/SECURITY.md): 職員メモ are written by
# staff who work on applications; the ID通知内容 (codes only: its passwords are the
# applicant's alone) is opened by review and administration. An analyst-only account does
# neither.
STAFF_MAY = {
    "notes": ("reviewer", "supervisor", "operator", "administrator"),
    "notice": ("reviewer", "supervisor", "administrator"),
}
# What the operator reads on the 設定作業 page besides the IDs and the shared equipment.
SETUP_SECTIONS = ("system_setup", "entry_office")
NOT_YOUR_ROLE = "この操作を行う権限がありません（担当の役割の職員のみ行えます）。"


def staff_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_staff:
            return redirect(url_for("auth.staff_login", next=request.path))
        return view(*args, **kwargs)

    return wrapper


@bp.app_template_global()
def staff_may(actor, what: str) -> bool:
    """True when one of the actor's roles allows `what` ("notes", "notice"; see STAFF_MAY)."""
    return any(actor.has_role(role) for role in STAFF_MAY[what])


def refused(exc: ServiceError):
    return render_template("errors/refused.html", message=exc.message), exc.status


@bp.route("/")
@staff_required
def inbox():
    actor = current_actor()
    lanes = [lane for lane in LANES if actor.has_role(lane)]
    if not lanes:  # no queue role: their own home (analyst studio, admin menu, incidents)
        home = staff_home()
        if home != url_for("staff.inbox"):
            return redirect(home)
        return render_template("staff/no_tasks.html")
    lane = request.args.get("lane") if request.args.get("lane") in lanes else lanes[0]
    scope = request.args.get("scope") if request.args.get("scope") in SCOPES else "unclaimed"
    if scope == "all" and not actor.has_role("supervisor"):
        scope = "unclaimed"
    page = page_arg()
    filter_form = QueueFilterForm(formdata=request.args)
    filter_form.validate()
    if lane == "operator":  # 設定作業 works to the confirmed start date
        filter_form.start_from.label.text = "利用開始日（から）"
        filter_form.start_to.label.text = "利用開始日（まで）"
        filter_form.sort.choices = [
            SelectChoice(c.value, "利用開始日" if c.value == "start" else c.label)
            for c in filter_form.sort.choices
        ]
    filters = filter_form.filters()
    for name in ("submitted_from", "submitted_to", "start_from", "start_to"):
        if not date_in_range(filters.get(name)):  # e.g. 0001-01-01: ignored, told beside it
            del filters[name]
            filter_form[name].errors = [DATE_RANGE_MESSAGE]
    try:
        data = inbox_view(actor, lane, scope, page, **filters)
    except ServiceError as exc:
        return refused(exc)
    # Only the filters go back into the links (never url_for's own _external, _scheme ...).
    args = {k: v for k, v in request.args.items() if k in QUEUE_FILTERS and v}
    return render_template(
        "staff/inbox.html",
        lanes=lanes,
        lane=lane,
        scope=scope,
        LANES=LANES,
        SCOPES=SCOPES,
        SORTS=SORTS,
        filter_form=filter_form,
        args=args,
        reassign_form=ReassignForm(),
        **data,
    )


@bp.route("/human-tasks/<int:human_task_id>/claim", methods=["POST"])
@staff_required
def claim(human_task_id: int):
    try:
        task = claim_task(current_actor(), human_task_id)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(_back())
    flash("担当しました。", "info")
    return redirect(url_for("staff.task", task_id=task.task_id))


@bp.route("/claim-next", methods=["POST"])
@staff_required
def claim_next_task():
    lane = request.form.get("lane") if request.form.get("lane") in LANES else "reviewer"
    try:
        task = claim_next(current_actor(), lane)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("staff.inbox", lane=lane))
    if task is None:
        flash("未割当の手続きはありません。", "info")
        return redirect(url_for("staff.inbox", lane=lane, scope="mine"))
    flash("次の手続きを担当しました。", "info")
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
    return redirect(_back(task_pages_ok=False))


@bp.route("/human-tasks/<int:human_task_id>/reassign", methods=["POST"])
@staff_required
def reassign(human_task_id: int):
    actor = current_actor()
    form = ReassignForm()
    form.offer(staff_choices("reviewer") + staff_choices("operator"))
    if not form.validate_on_submit():
        flash("担当者を選択してください。", "error")
        return redirect(_back())
    try:
        reassign_task(actor, human_task_id, form.staff_id.data)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash("担当者を変更しました。", "info")
    return redirect(_back(task_pages_ok=False))


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@staff_required
def task(task_id: str):
    actor = current_actor()
    try:
        view = open_task(actor, task_id)
    except ServiceError as exc:
        holder = task_holder(actor, task_id) if exc.status == 403 else None
        if holder is None:
            return refused(exc)
        # Who holds it and since when, and what the holder or a supervisor can do.
        choices = staff_choices(holder.lane) if holder.supervisor else []
        form = ReassignForm()
        form.offer(choices)
        return render_template(
            "staff/task_held.html", holder=holder, LANES=LANES, reassign_form=form
        ), 403
    if view.task.lane == "applicant":
        return refused(ServiceError(WRONG_PAGE, 403))
    if view.task.form_key == SetupWorkForm.key:
        return _setup_work(actor, view)
    if view.task.form_key != ReviewDecisionForm.key:
        return handle_task(task_id, "staff.inbox", staff=True)
    return _review(actor, view)


def _setup_work(actor, view):
    """設定作業: the setup application, the IDs, the dates and the history beside the form."""
    application = view.application
    post = request.method == "POST"
    form = build_form(view.task.form_key, application, view.saved, view.draft, post)
    done = url_for("staff.inbox", lane="operator")
    status = 422 if post else 200
    if post and form.validate_on_submit():
        try:
            submit_task(actor, view.task.task_id, form.to_task_data())
        except Suspended as exc:
            # Shown again below with the typed values (kept as the draft) and the message.
            keep_input(lambda: save_draft(actor, view.task.task_id, form.raw_input()), exc)
            status = exc.status
        except ServiceError as exc:
            flash(exc.message, "error")
            return redirect(done)
        else:
            flash(
                f"申込受付番号 {application.reference_no}：設定作業の完了を登録しました。"
                "申込者へ作業完了のE-mailを送信します。",
                "info",
            )
            return redirect(done)
    answers = application.answers or {}
    return render_template(
        "tasks/setup_work.html",
        task=view.task,
        application=application,
        form=form,
        page=task_page(application, view.task.form_key, form),
        section_editing=False,
        previous=None,
        view=view,
        setup=setup_work(application),
        setup_sections=[summarize(key, answers[key]) for key in SETUP_SECTIONS if key in answers],
    ), status


def _review(actor, view):
    """The reviewer's workbench: the whole application, checks, history and the decision."""
    application = view.application
    bench = workbench(actor, view.task)
    wished = application.wished_start_date.isoformat() if application.wished_start_date else ""
    context = {
        **form_context(application),
        "review_start_dates": [(iso, label) for iso, label, _ in bench["start_dates"]],
        "wished_start_date": wished,
        "review_targets": review_targets(application.answers or {}),
    }
    post = request.method == "POST"
    if post:
        form = ReviewDecisionForm()
    else:
        offered = {iso for iso, _, _ in bench["start_dates"]}
        initial = {"confirmed_start_date": wished} if wished in offered else {}
        form = ReviewDecisionForm(formdata=TaskForm.to_formdata(initial))
    form.prepare(context)
    status = 422 if post else 200
    if post and form.validate_on_submit():
        data = form.to_task_data()
        try:
            submit_task(actor, view.task.task_id, data)
        except Suspended as exc:
            status = exc.status  # shown again below with the typed decision and the message
            flash(exc.message, "error")
        except ServiceError as exc:
            flash(exc.message, "error")
            return redirect(url_for("staff.inbox"))
        else:
            decision = DECISION_LABELS.get(data["decision"], "")
            flash(f"申込受付番号 {application.reference_no}：{decision}で登録しました。", "info")
            if "submit_next" in request.form:
                return claim_next_task()
            return redirect(url_for("staff.inbox", lane="reviewer", scope="mine"))
    previous = bench["last_return"]
    previous_fields = {}
    if previous is not None:
        for section in describe_answers(previous.answers):
            previous_fields.update({f.target: f for f in section.fields})
    return render_template(
        "tasks/review_decision.html",
        task=view.task,
        application=application,
        form=form,
        bench=bench,
        sections=describe_answers(application.answers or {}),
        previous_fields=previous_fields,
        targets=context["review_targets"],
        note_form=StaffNoteForm(formdata=None),
    ), status


@bp.route("/applications/<int:application_id>")
@staff_required
def application(application_id: int, note_form: StaffNoteForm | None = None):
    try:
        data = staff_application(current_actor(), application_id)
    except ServiceError as exc:
        return refused(exc)
    return render_template(
        "staff/application.html",
        sections=describe_answers(data["application"].answers or {}),
        note_form=note_form or StaffNoteForm(formdata=None),
        note_next=_back() if note_form else None,
        reassign_form=ReassignForm(),
        **data,
    ), (422 if note_form else 200)


@bp.route("/applications/<int:application_id>/notes", methods=["POST"])
@staff_required
def note(application_id: int):
    if not staff_may(current_actor(), "notes"):
        return refused(ServiceError(NOT_YOUR_ROLE, 403))
    form = StaffNoteForm()
    if not form.validate_on_submit():
        # Shown again with its text and the message beside it: a note is never discarded.
        return application(application_id, note_form=form)
    try:
        add_note(current_actor(), application_id, form.body.data)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash("職員メモを記入しました。", "info")
    return redirect(_back() + "#notes")


@bp.route("/applications/<int:application_id>/notice")
@staff_required
def notice(application_id: int):
    if not staff_may(current_actor(), "notice"):
        return refused(ServiceError(NOT_YOUR_ROLE, 403))
    try:
        data = id_notice(current_actor(), application_id)
    except ServiceError as exc:
        return refused(exc)
    return render_template("applicant/notice.html", **data)


def _back(task_pages_ok: bool = True) -> str:
    """Where to return after a small action: the page it was posted from (same site only)."""
    target = safe_next(request.form.get("next"), url_for("staff.inbox"))
    if not task_pages_ok and target.startswith("/staff/tasks/"):
        target = url_for("staff.inbox")
    return target
