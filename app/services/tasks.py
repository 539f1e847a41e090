"""Use cases around user tasks: open, submit, temp-save, edit an earlier screen."""

from dataclasses import dataclass

from sqlalchemy import bindparam, select

from app.clock import now
from app.domain.text import bounded_draft
from app.engine import runtime
from app.extensions import db
from app.models import Application, HumanTask
from app.services import Actor, ServiceError, drafts
from app.services.unit import Unit, audit, run

# Form data that gateways and timers read as top-level process variables.
PROCESS_VARIABLES = {
    "review_decision": lambda d: {
        "review_decision": d.get("decision"),
        "confirmed_start_date": d.get("confirmed_start_date") or None,
    },
}

GONE = "この手続きは既に完了しているか、期限切れのため操作できません。"


@dataclass(frozen=True)
class TaskView:
    task: HumanTask
    application: Application
    saved: dict  # validated answers of this form, if any
    draft: dict | None  # raw input saved with 一時保存


def may_act(actor: Actor, task: HumanTask) -> bool:
    """Role and ownership rule shared by every task action."""
    if task.lane == "applicant":
        if actor.kind == "anonymous":
            return actor.application_id == task.application_id and task.process_id == "signup"
        return actor.kind == "applicant" and actor.application_id == task.application_id
    if actor.kind != "staff" or not actor.has_role(task.lane):
        return False
    return task.owner_id == actor.staff_id


# Built once (a bound parameter): every task page and submission looks its row up.
_BY_TASK_ID = select(HumanTask).where(HumanTask.task_id == bindparam("task_id"))


def _by_task_id(task_id: str) -> HumanTask | None:
    """The inbox row of a task. A page and its submission both check it: the second lookup in
    the same session is the row already there (the identity map; reloaded by primary key if
    expired), not a second query by task_id."""
    known: dict = db.session.info.setdefault("human_task_by_task_id", {})
    task = db.session.get(HumanTask, known[task_id]) if task_id in known else None
    if task is None or task.task_id != task_id:
        task = db.session.scalar(_BY_TASK_ID, {"task_id": task_id})
        if task is not None:
            known[task_id] = task.id
    return task


def ready_task(actor: Actor, task_id: str) -> HumanTask:
    task = _by_task_id(task_id)
    if task is None:
        raise ServiceError("手続きが見つかりません。", 404)
    if task.state != "ready":
        raise ServiceError(GONE, 409)
    if not may_act(actor, task):
        if actor.kind == "staff" and actor.has_role(task.lane) and task.owner_id != actor.staff_id:
            raise ServiceError(
                "この審査を担当していないため操作できません。先に「担当する」を押してください。",
                403,
            )
        raise ServiceError("この手続きを操作する権限がありません。", 403)
    return task


def open_task(actor: Actor, task_id: str) -> TaskView:
    task = ready_task(actor, task_id)
    application = task.application
    return TaskView(
        task=task,
        application=application,
        saved=application.answer(task.form_key),
        draft=(application.drafts or {}).get(task.form_key),
    )


def current_applicant_task(application_id: int, process_id: str | None = None) -> HumanTask | None:
    query = select(HumanTask).where(
        HumanTask.application_id == application_id,
        HumanTask.lane == "applicant",
        HumanTask.state == "ready",
    )
    if process_id:
        query = query.where(HumanTask.process_id == process_id)
    return db.session.scalar(query.order_by(HumanTask.id))


def submit_task(actor: Actor, task_id: str, data: dict) -> runtime.ReadyTask | None:
    """Complete a user task with validated form data; returns the applicant's next task (its
    task_id and process_id), if any, from the save itself (no read after the commit)."""
    task = ready_task(actor, task_id)
    form_key, lane, application_id = task.form_key, task.lane, task.application_id
    waiting_before: set[str] = set()  # the instance's ready tasks before this submission

    def operation(unit: Unit) -> Unit:
        updates = {form_key: data, **PROCESS_VARIABLES.get(form_key, lambda d: {})(data)}
        if not runtime.is_ready(unit.workflow, task_id, lane):
            raise ServiceError(GONE, 409)
        if form_key == "review_decision" and data.get("decision") == "approve":
            _refuse_without_code_capacity(unit.application)
        # Answers first: the service tasks that run right after read them. One UPDATE writes
        # them with the drafts this screen leaves (compare-and-set on the drafts version).
        app = unit.application
        answers = {**(app.answers or {}), form_key: data}
        drafts.change_in_place(app, drafts.without(form_key, RESUME_KEY), answers=answers)
        if form_key == "review_decision":
            _record_decision(app, data)
        runtime.complete_task(unit.workflow, task_id, lane, updates)
        audit(app.id, actor, "task_completed", task=task.bpmn_id, title=task.title, form=form_key)
        waiting_before.update(unit.inbox or ())
        return unit

    unit = run(application_id, actor, operation)
    if lane == "applicant":
        return _next_applicant_task(unit.ready, waiting_before)
    return None


def _next_applicant_task(ready: list, waiting_before: set[str]) -> runtime.ReadyTask | None:
    """What current_applicant_task would answer after the save: the applicant's oldest ready
    row (rows already waiting before this submission first, then the new ones in order)."""
    waiting = [task for task in ready if task.lane == "applicant"]
    waiting.sort(key=lambda task: task.task_id not in waiting_before)
    return waiting[0] if waiting else None


def _refuse_without_code_capacity(app: Application) -> None:
    # Approval issues the IDs: refuse before anything changes when the company's codes ran out.
    from app.services.codes import capacity_problem

    problem = capacity_problem(app)
    if problem:
        raise ServiceError(problem, 409)


def _record_decision(app: Application, data: dict) -> None:
    # The decision, its comments and the answers it judged: app.services.review.
    from app.services.review import record_decision

    app.decided_at = now()
    record_decision(app, data)


RESUME_KEY = "_resume"  # in Application.drafts: the screen 一時保存 left ("section:<key>" or key)


def save_draft(actor: Actor, task_id: str, raw: dict, resume: bool = True) -> None:
    """一時保存 (or 「戻る」): keep exactly what was typed, valid or not."""
    raw = bounded_draft(raw)  # no control characters, at most 64 KB per screen
    task = ready_task(actor, task_id)
    form_key, application_id = task.form_key, task.application_id
    # One screen merged into the freshly read row: another tab's screen is never lost.
    drafts.save(
        application_id,
        drafts.put(form_key, raw, form_key if resume else None, RESUME_KEY),
        lambda: audit(application_id, actor, "draft_saved", form=form_key),
    )


def save_section_draft(
    actor: Actor, application_id: int, form_key: str, raw: dict, resume: bool = True
) -> None:
    """一時保存 or 「戻る」 on an earlier screen: its input is kept until it is saved or sent."""
    raw = bounded_draft(raw)  # no control characters, at most 64 KB per screen
    _editable_section(actor, application_id, form_key)
    drafts.save(
        application_id,
        drafts.put(form_key, raw, f"section:{form_key}" if resume else None, RESUME_KEY),
        lambda: audit(application_id, actor, "draft_saved", form=form_key, section=True),
    )


# Earlier screens that can be corrected, by the stage the applicant is in and who they are.
EDITABLE_STAGES = {"detail_entry": "applicant", "signup": "anonymous"}


def _editable_section(actor: Actor, application_id: int, form_key: str) -> HumanTask:
    current = current_applicant_task(application_id)
    if actor.application_id != application_id or current is None:
        raise ServiceError("現在この内容は修正できません。", 403)
    if EDITABLE_STAGES.get(current.process_id) != actor.kind:
        raise ServiceError("現在この内容は修正できません。", 403)
    if current.process_id == "signup" and form_key != "signup_contact":
        raise ServiceError("現在この内容は修正できません。", 403)
    app = db.session.get(Application, application_id)
    if form_key not in (app.answers or {}):
        raise ServiceError("まだ入力していない画面です。", 400)
    return current


def edit_section(actor: Actor, application_id: int, form_key: str, data: dict) -> None:
    """Correct an earlier screen while a later one is open; later steps see the new data."""
    _editable_section(actor, application_id, form_key)

    def operation(unit: Unit) -> None:
        if form_key not in (unit.application.answers or {}):
            raise ServiceError("まだ入力していない画面です。", 400)
        runtime.update_ready_data(unit.workflow, {form_key: data})
        answers = {**unit.application.answers, form_key: data}
        drafts.change_in_place(
            unit.application, drafts.without(form_key, RESUME_KEY), answers=answers
        )
        audit(application_id, actor, "section_edited", form=form_key)

    run(application_id, actor, operation)
