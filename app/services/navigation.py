"""Where the applicant goes: an old screen's URL (browser Back), leaving a screen, after a fix."""

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Application, HumanTask
from app.services import Actor, drafts
from app.services.applicant_pages import open_section, section_editable, section_order
from app.services.tasks import (
    current_applicant_task,
    ready_task,
    save_draft,
    save_section_draft,
)

# What an old screen's URL says once its task is done: never 「期限切れ」 when it is not.
SCREEN_DONE = "この画面は入力済みです。"  # the section page itself says how to correct it
NOW_AT = "「{old}」の画面は入力済みです。現在の手続き「{title}」の画面を表示しています。"
STAGE_DONE = "「{old}」の手続きは完了しています。現在の状況を表示しています。"
SIGNUP_DONE = (
    "仮アカウントの申込は完了しています。E-mailでお送りした仮ログインID・仮パスワードで"
    "ログインしてください。"
)


@dataclass(frozen=True)
class Moved:
    """Where the URL of a done screen leads now, and what the applicant is told there."""

    message: str
    old_form_key: str
    section: str | None = None  # an earlier screen that can still be corrected
    task: HumanTask | None = None  # the screen the applicant is at now
    login: bool = False  # the sign-up ended: log in with the mailed ID


def after_back(actor: Actor, task_id: str) -> Moved | None:
    """An applicant's completed screen opened again (browser Back, an old bookmark).

    None when the task is not the actor's, not an applicant's, or really gone (cancelled by a
    withdrawal or an expiry): then the caller's refusal is the truth.
    """
    task = db.session.scalar(select(HumanTask).where(HumanTask.task_id == task_id))
    if task is None or task.lane != "applicant" or task.state != "completed":
        return None
    old = task.form_key
    if actor.application_id != task.application_id:
        # The sign-up page kept in the history after the account was made (no session left).
        if actor.kind == "anonymous" and actor.application_id is None:
            if task.process_id == "signup":
                return Moved(SIGNUP_DONE, old, login=True)
        return None
    current = current_applicant_task(task.application_id)
    if actor.kind == "anonymous" and (current is None or current.process_id != "signup"):
        return Moved(SIGNUP_DONE, old, login=True)
    if current is not None and section_editable(actor, task.application_id, old, current):
        return Moved(SCREEN_DONE, old, section=old)
    if current is not None:
        return Moved(NOW_AT.format(old=task.title, title=current.title), old, task=current)
    return Moved(STAGE_DONE.format(old=task.title), old)


def leave_task(actor: Actor, task_id: str, raw: dict, changed: bool) -> None:
    """The current screen left by a link: keep what was typed (unvalidated) as its draft.

    A screen left as it was shown stores nothing and drops an earlier draft that now equals
    the saved answers, so 「保存していない入力内容」 lists only real changes.
    """
    if changed:
        save_draft(actor, task_id, raw, resume=False)
        return
    task = ready_task(actor, task_id)
    _drop(actor, task.application_id, task.form_key)


def leave_section(actor: Actor, form_key: str, raw: dict, changed: bool) -> None:
    """An earlier screen left by a link or 「戻る」: the same rule as leave_task."""
    application_id = open_section(actor, form_key).application.id
    if changed:
        save_section_draft(actor, application_id, form_key, raw, resume=False)
    else:
        _drop(actor, application_id, form_key)


def _drop(actor: Actor, application_id: int, form_key: str) -> None:
    app = db.session.get(Application, application_id)
    if form_key not in (app.drafts or {}):
        return
    drafts.save(application_id, drafts.without(form_key))


def screen_after_correction(application_id: int, form_key: str) -> str | None:
    """After an earlier screen is saved: the first later screen still incomplete, else None
    (the current screen, e.g. 申込内容確認 after 修正する or a 差戻し fix).

    A later screen is incomplete when it holds unsaved input (a draft) or its saved answers no
    longer pass its form's checks (say, a 利用開始希望日 whose deadline has passed since). The
    diagram is not involved: corrections happen while the current task stays READY
    (runtime.update_ready_data), so skipping complete screens only carries their saved data.
    """
    keys = section_order(application_id)
    if form_key not in keys:
        return None
    app = db.session.get(Application, application_id)
    for key in keys[keys.index(form_key) + 1 :]:
        if key in (app.drafts or {}) or not _still_valid(app, key):
            return key
    return None


def _still_valid(app: Application, form_key: str) -> bool:
    from app.services.views import form_context
    from forms import form_for
    from forms.base import TaskForm

    form_class = form_for(form_key)
    if form_class is None:
        return True
    form = form_class(formdata=TaskForm.to_formdata(app.answer(form_key)), meta={"csrf": False})
    form.prepare(form_context(app))
    return form.validate()
