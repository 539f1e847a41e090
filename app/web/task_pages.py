"""The one page that shows and submits any user task's form, for applicants and staff."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import logout_user
from jinja2 import TemplateNotFound
from werkzeug.datastructures import MultiDict

from app.services import ServiceError
from app.services.tasks import open_task, save_draft, submit_task
from app.services.views import completed_sections, form_context, initial_data
from app.web import current_actor
from forms import form_for
from forms.base import TaskForm


def build_form(form_key: str, application, saved: dict | None, draft: dict | None, post: bool):
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


def render_task(view, form, template_name: str):
    sections = (
        completed_sections(view.application.id) if view.task.process_id == "detail_entry" else []
    )
    context = {
        "view": view,
        "task": view.task,
        "application": view.application,
        "form": form,
        "previous": sections[-1] if sections else None,
        "sections": sections,
    }
    try:
        return render_template(f"tasks/{view.task.form_key}.html", **context)
    except TemplateNotFound:
        return render_template(template_name, **context)


def handle_task(task_id: str, done_endpoint: str):
    actor = current_actor()
    try:
        view = open_task(actor, task_id)
    except ServiceError as exc:
        return render_template("errors/refused.html", message=exc.message), exc.status
    post = request.method == "POST"
    form = build_form(view.task.form_key, view.application, view.saved, view.draft, post)
    if post and "save_draft" in request.form:
        save_draft(actor, task_id, form.raw_input())
        if actor.kind == "applicant":
            logout_user()
            flash(
                "入力内容を一時保存してログアウトしました。再度ログインすると続きから入力できます。",
                "info",
            )
            return redirect(url_for("auth.login"))
        flash("一時保存しました。", "info")
        return redirect(url_for(done_endpoint))
    if post and form.validate_on_submit():
        try:
            next_task = submit_task(actor, task_id, form.to_task_data())
        except ServiceError as exc:
            flash(exc.message, "error")
            return redirect(url_for(done_endpoint))
        if next_task is not None and next_task.process_id == view.task.process_id:
            return redirect(url_for(request.endpoint, task_id=next_task.task_id))
        return redirect(url_for(done_endpoint))
    status = 422 if post else 200
    return render_task(view, form, "tasks/form.html"), status
