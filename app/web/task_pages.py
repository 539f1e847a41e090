"""The one page that shows and submits any user task's form, and the applicant's earlier screens."""

from flask import abort, flash, redirect, render_template, request, url_for
from jinja2 import TemplateNotFound
from werkzeug.datastructures import MultiDict

from app.services import ServiceError
from app.services.applicant_pages import neighbours, open_section, task_page
from app.services.navigation import (
    after_back,
    leave_section,
    leave_task,
    screen_after_correction,
)
from app.services.tasks import edit_section, open_task, save_draft, save_section_draft, submit_task
from app.services.unit import Suspended
from app.services.views import form_context, initial_data
from app.web import current_actor
from app.web.auth import end_session
from app.web.redirects import safe_next
from forms import form_for
from forms.base import TaskForm

# Where the applicant lands after the screen that ends a stage (the manual's done screens).
AFTER_SUBMIT = {"entry_confirm": "applicant.received"}
# Staff tasks are done on the staff pages (their own rules), applicant screens on theirs.
WRONG_PAGE = "この手続きはこの画面からは操作できません。"
SAVED_AND_LOGGED_OUT = (
    "入力内容を一時保存してログアウトしました。再度ログインすると、この画面から続けて入力できます。"
)
# The id of a task page's form: the header links of applicant screens submit it (`leave_to`).
TASK_FORM = "task-form"
# The in-page state of a screen, not input: left out when telling whether anything changed.
NOT_INPUT = {"uc_view", "uc_code", "uc_editing"}
# What the applicant is told after a screen that ends a stage without a page of its own.
SUBMITTED_MESSAGES = {
    "system_setup": (
        "システム設定の申込を受け付けました。NACCSセンターで受付・デジタル証明書発行作業を"
        "行います。作業が完了すると、申込担当者と管理責任者にE-mailでお知らせします。"
    ),
}


def build_form(form_key: str, application, saved: dict | None, draft: dict | None, post: bool):
    """The screen's form: what was posted, else the 一時保存 input, else the saved answers."""
    form_class = form_for(form_key)
    if form_class is None:
        abort(500, description=f"no form registered for {form_key}")
    if post:
        form = form_class()
    elif draft:
        form = form_class(formdata=MultiDict([(k, v) for k, vs in draft.items() for v in vs]))
    else:
        form = form_class(
            formdata=TaskForm.to_formdata(saved or initial_data(application, form_key))
        )
    form.prepare(form_context(application))
    return form


def _render(task, application, form, **extra):
    context = {
        "task": task,
        "application": application,
        "form": form,
        "page": task_page(application, task.form_key, form),
        "section_editing": False,
        "previous": None,
        # Applicant screens: every link off the page keeps what was typed (leave_to).
        "leave_form": TASK_FORM if task.lane == "applicant" else None,
        **extra,
    }
    try:
        return render_template(f"tasks/{task.form_key}.html", **context)
    except TemplateNotFound:
        return render_template("tasks/form.html", **context)


def render_task(view, form, template_name: str = "tasks/form.html"):
    """A ready task's page; applicants in detail entry get 「戻る」 to the screen before."""
    previous = None
    if view.task.lane == "applicant" and view.task.process_id == "detail_entry":
        previous, _ = neighbours(view.application.id, None)
    return _render(view.task, view.application, form, view=view, previous=previous)


def keep_input(save, exc: ServiceError) -> None:
    """A suspended application refused the screen: keep what was typed as its 一時保存 input
    (`save` stores it) and say why; the caller shows the screen again with the typed values."""
    try:
        save()
    except ServiceError:
        pass  # the page below still shows the typed values
    flash(exc.message, "error")


def _typed(form) -> dict:
    raw = form.raw_input()
    return {
        name: [v for v in values if v.strip()]
        for name, values in raw.items()
        if name not in NOT_INPUT and any(v.strip() for v in values)
    }


def changed_from_saved(form, form_key: str, application, saved: dict | None) -> bool:
    """Whether the posted screen differs from what it shows with no draft (saved answers or
    defaults): leaving an untouched screen must not leave a 「保存していない入力内容」 behind."""
    baseline = build_form(form_key, application, saved, None, post=False)
    return _typed(form) != _typed(baseline)


def leave_target(fallback: str) -> str:
    """Where a `leave_to` button goes: a path of this site only (web.redirects)."""
    return safe_next(request.form.get("leave_to"), fallback)


def _moved(actor, moved, task_id: str, done_endpoint: str):
    """A done screen's URL (browser Back): the screen itself while it can be corrected, else
    the current screen, with a short notice; a form posted from the old page is not lost."""
    post = request.method == "POST"
    if moved.section is not None:
        if post:  # the old page's form, sent after Back: the earlier screen's own handling
            return handle_section(moved.section)
        flash(moved.message, "info")
        endpoint = "applicant.signup_section" if actor.kind == "anonymous" else "applicant.section"
        return redirect(url_for(endpoint, form_key=moved.section))
    flash(moved.message, "info")
    if moved.login:
        return redirect(url_for("auth.login"))
    if moved.task is not None:
        if post and moved.task.form_key == moved.old_form_key:
            # The same screen of a later pass (申込内容確認 after a 差戻し): keep the input.
            form = build_form(moved.task.form_key, moved.task.application, None, None, post=True)
            try:
                save_draft(actor, moved.task.task_id, form.raw_input(), resume=False)
            except ServiceError:
                pass  # the redirect below still shows the screen
        return redirect(_task_url(moved.task))
    return redirect(url_for(done_endpoint))


def _logged_out_after_draft():
    end_session()
    flash(SAVED_AND_LOGGED_OUT, "info")
    return redirect(url_for("auth.login"))


def handle_task(task_id: str, done_endpoint: str, staff: bool = False):
    """The task page; applicant routes serve only `applicant` lane tasks, staff routes
    (staff=True) only the others."""
    actor = current_actor()
    try:
        view = open_task(actor, task_id)
    except ServiceError as exc:
        moved = None if staff else after_back(actor, task_id)
        if moved is not None:
            return _moved(actor, moved, task_id, done_endpoint)
        return render_template("errors/refused.html", message=exc.message), exc.status
    if (view.task.lane == "applicant") == staff:
        return render_template("errors/refused.html", message=WRONG_PAGE), 403
    post = request.method == "POST"
    form = build_form(view.task.form_key, view.application, view.saved, view.draft, post)
    if post and "leave_to" in request.form and view.task.lane == "applicant":
        # A header link or 「修正する」: the input stays as this screen's draft, unvalidated.
        changed = changed_from_saved(form, view.task.form_key, view.application, view.saved)
        leave_task(actor, task_id, form.raw_input(), changed)
        return redirect(leave_target(url_for(done_endpoint)))
    if post and "save_draft" in request.form:
        save_draft(actor, task_id, form.raw_input())
        if actor.kind == "applicant":
            return _logged_out_after_draft()
        flash("一時保存しました。", "info")
        return redirect(url_for(done_endpoint))
    if post and "go_back" in request.form and actor.kind == "applicant":
        # 「戻る」 keeps what was typed here, valid or not, for when the applicant returns.
        save_draft(actor, task_id, form.raw_input(), resume=False)
        previous, _ = neighbours(view.application.id, None)
        if previous:
            return redirect(url_for("applicant.section", form_key=previous))
        return redirect(url_for(request.endpoint, task_id=task_id))
    action = form.requested_action(request.form) if post else None
    if action is not None:
        form = form.apply_action(*action)
        return render_task(view, form), 200
    if post and form.validate_on_submit():
        # The commit expires the task row: what the redirect needs is taken before it.
        form_key, process_id = view.task.form_key, view.task.process_id
        try:
            next_task = submit_task(actor, task_id, form.to_task_data())
        except Suspended as exc:
            keep_input(lambda: save_draft(actor, task_id, form.raw_input()), exc)
            return render_task(view, form), exc.status
        except ServiceError as exc:
            flash(exc.message, "error")
            return redirect(url_for(done_endpoint))
        if actor.kind == "applicant" and form_key in SUBMITTED_MESSAGES:
            flash(SUBMITTED_MESSAGES[form_key], "info")
        if form_key in AFTER_SUBMIT and actor.kind == "applicant":
            return redirect(url_for(AFTER_SUBMIT[form_key]))
        if next_task is not None and next_task.process_id == process_id:
            return redirect(url_for(request.endpoint, task_id=next_task.task_id))
        return redirect(url_for(done_endpoint))
    status = 422 if post else 200
    return render_task(view, form), status


def _task_url(task) -> str:
    endpoint = "applicant.signup_task" if task.process_id == "signup" else "applicant.task"
    return url_for(endpoint, task_id=task.task_id)


def handle_section(form_key: str):
    """An earlier screen, opened with 「戻る」 or a 「修正する」 button, with its data.

    「次へ進む」 saves it and returns to the current screen, or to a later screen still
    incomplete; 「戻る」, 一時保存 and any link off the page keep the input typed here
    without validating it.
    """
    actor = current_actor()
    try:
        section = open_section(actor, form_key)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(
            url_for("applicant.home" if actor.kind == "applicant" else "applicant.index")
        )
    application, current = section.application, section.current
    post = request.method == "POST"
    form = build_form(form_key, application, section.saved, section.draft, post)
    previous, _ = neighbours(application.id, form_key)
    refused = None
    try:
        if post and "save_draft" in request.form and actor.kind == "applicant":
            save_section_draft(actor, application.id, form_key, form.raw_input())
            return _logged_out_after_draft()
        if post and "leave_to" in request.form:
            changed = changed_from_saved(form, form_key, application, section.saved)
            leave_section(actor, form_key, form.raw_input(), changed)
            return redirect(leave_target(_task_url(current)))
        if post and "go_back" in request.form and actor.kind == "applicant":
            changed = changed_from_saved(form, form_key, application, section.saved)
            leave_section(actor, form_key, form.raw_input(), changed)
            return redirect(url_for("applicant.section", form_key=previous or form_key))
        action = form.requested_action(request.form) if post else None
        if action is not None:
            form = form.apply_action(*action)
        elif post and form.validate_on_submit():
            edit_section(actor, application.id, form_key, form.to_task_data())
            # Straight back to the current screen (申込内容確認 after 修正する or a 差戻し
            # fix) unless a later screen is still incomplete.
            target = screen_after_correction(application.id, form_key)
            if target:
                return redirect(url_for("applicant.section", form_key=target))
            return redirect(_task_url(current))
    except Suspended as exc:
        raw = form.raw_input()
        keep_input(lambda: save_section_draft(actor, application.id, form_key, raw), exc)
        action, refused = None, exc.status
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("applicant.home"))
    status = refused or (422 if post and action is None else 200)
    page = _render(
        section.task,
        application,
        form,
        previous=previous,
        section_editing=True,
        current=current,
    )
    return page, status
