"""Instance administration: withdraw, cancel, suspend / resume, reopen a decision, correct data.

Each operation runs in one locked transaction through `services.unit.run`, needs a reason and
writes an audit event. Deadlines are not extended by a suspension: a timer that came due while
the application was suspended fires on the first timer pass (or request) after it is resumed.
"""

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.clock import now
from app.engine import admin_ops, runtime, store
from app.engine.timers import pending_timers
from app.extensions import db
from app.models import Application, HumanTask, ReviewDecision
from app.services import Actor, ServiceError
from app.services.actions import contacts
from app.services.instance_admin_views import (
    ADMIN_ROLES,
    BEFORE_DECISION,
    NO_RIGHT,
    NOT_IN_USE,
    REOPEN_ROLES,
    REOPENABLE,
    REVIEW_FORM,
    _json,
    _label,
    _require,
)
from app.services.unit import Unit, audit, due_for, run

PROTECTED_VARIABLES = frozenset({"application_id"})
MAX_REASON = 1000
NO_REASON = "理由を入力してください。"


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ServiceError(NO_REASON, 400)
    if len(text) > MAX_REASON:
        raise ServiceError(f"理由は{MAX_REASON}文字以内で入力してください。", 400)
    return text


def _running(unit: Unit) -> None:
    if runtime.workflow_status(unit.workflow) != "running":
        raise ServiceError(f"この申込は終了しています（{_label(unit.application.status)}）。", 409)


# --- ending an application ---------------------------------------------------------------


def _end(unit: Unit, status: str, action: str, reason: str, template: str) -> None:
    from app.services.codes import release_unused_codes

    app = unit.application
    previous = app.status
    timers = admin_ops.cancel_workflow(unit.workflow)
    app.status = status
    released = release_unused_codes(app)
    recipients = contacts(app)
    if recipients:  # an application cancelled before its contact was entered has nobody
        unit.context.mail(template, recipients, reason=reason)
    audit(
        app.id,
        unit.actor,
        action,
        reason=reason,
        previous_status=previous,
        timers_cancelled=timers,
        codes_released=released,
    )


def withdraw(actor: Actor, reason: str) -> None:
    """申込取下げ by the applicant, before the review decision."""
    if actor.kind != "applicant" or actor.application_id is None:
        raise ServiceError(NO_RIGHT, 403)
    text = _reason(reason)

    def operation(unit: Unit) -> None:
        if unit.application.status not in BEFORE_DECISION:
            raise ServiceError(
                "審査が終了しているため、この画面からは申込を取り下げられません。"
                "NACCSセンター 利用契約事務課までご連絡ください。",
                409,
            )
        _running(unit)
        _end(unit, "withdrawn", "application_withdrawn", text, "withdrawn")

    run(actor.application_id, actor, operation)


def cancel(actor: Actor, application_id: int, reason: str) -> None:
    """申込取消 by NACCS Center staff: any application not yet in use."""
    _require(actor, ADMIN_ROLES)
    text = _reason(reason)

    def operation(unit: Unit) -> None:
        if unit.application.status not in NOT_IN_USE:
            raise ServiceError(
                f"この申込は取り消せません（{_label(unit.application.status)}）。", 409
            )
        _running(unit)
        unit.instance.suspended_at = None
        unit.instance.suspended_reason = None
        _end(unit, "cancelled", "application_cancelled", text, "cancelled_by_center")

    run(application_id, actor, operation, while_suspended=True)


# --- suspend / resume --------------------------------------------------------------------


def suspend(actor: Actor, application_id: int, reason: str) -> None:
    _require(actor, ADMIN_ROLES)
    text = _reason(reason)

    def operation(unit: Unit) -> None:
        if unit.instance.suspended_at is not None:
            raise ServiceError("この申込は既に一時停止中です。", 409)
        _running(unit)
        unit.instance.suspended_at = now()
        unit.instance.suspended_reason = text
        timers = [t.name for t in pending_timers(unit.workflow)]
        audit(unit.application.id, actor, "instance_suspended", reason=text, timers=timers)

    run(application_id, actor, operation, while_suspended=True)


def resume(actor: Actor, application_id: int, reason: str) -> list[str]:
    """Resume; returns the timers that came due meanwhile (they fire on the next pass)."""
    _require(actor, ADMIN_ROLES)
    text = _reason(reason)

    def operation(unit: Unit) -> list[str]:
        since = unit.instance.suspended_at
        if since is None:
            raise ServiceError("この申込は一時停止されていません。", 409)
        unit.instance.suspended_at = None
        unit.instance.suspended_reason = None
        current = now()
        overdue = [
            t.name for t in pending_timers(unit.workflow) if t.due_at and t.due_at <= current
        ]
        audit(
            unit.application.id,
            actor,
            "instance_resumed",
            reason=text,
            suspended_seconds=int((current - since).total_seconds()),
            overdue_timers=overdue,
        )
        return overdue

    return run(application_id, actor, operation, while_suspended=True)


# --- reopen a decision -------------------------------------------------------------------


def reopen(actor: Actor, application_id: int, reason: str) -> None:
    """Back to 審査: the last review task is READY again (SpiffWorkflow's reset), the
    steps that followed it are removed; the IDs already issued are kept for a new 承認."""
    _require(actor, REOPEN_ROLES)
    text = _reason(reason)

    def operation(unit: Unit) -> None:
        app = unit.application
        if app.status not in REOPENABLE:
            raise ServiceError(f"この申込の審査結果は戻せません（{_label(app.status)}）。", 409)
        task = admin_ops.last_completed_task(unit.workflow, REVIEW_FORM)
        if task is None:
            raise ServiceError("この申込には戻せる審査結果がありません。", 409)
        last = db.session.scalar(
            select(ReviewDecision)
            .where(ReviewDecision.application_id == app.id)
            .order_by(ReviewDecision.id.desc())
            .limit(1)
        )
        old = {
            "decision": task.data.get("review_decision") or (last.decision if last else None),
            "decided_by": last.decided_by if last else None,
            "confirmed_start_date": (
                app.confirmed_start_date.isoformat() if app.confirmed_start_date else None
            ),
            "status": app.status,
        }
        try:
            admin_ops.reset_to_task(unit.workflow, task)
        except admin_ops.AdminOpError as exc:
            raise ServiceError(
                "審査に戻せませんでした（業務フローの状態を確認してください）。", 409
            ) from exc
        _revive_inbox(unit)
        app.status = "submitted"
        app.confirmed_start_date = None
        app.setup_deadline = None
        app.password_visible_until = None
        audit(app.id, actor, "decision_reopened", reason=text, old=old)

    run(application_id, actor, operation, while_suspended=True)


def _revive_inbox(unit: Unit) -> None:
    """A reset task keeps its id: its completed inbox row becomes a waiting one again."""
    unit.inbox = None  # rows changed here: the save reads the instance's ready rows
    compute = due_for(now())
    for ready in runtime.ready_tasks(unit.workflow):
        row = db.session.scalar(
            select(HumanTask).where(
                HumanTask.instance_id == unit.instance.id, HumanTask.task_id == ready.task_id
            )
        )
        if row is not None and row.state != "ready":
            row.state = "ready"
            row.owner_id = None
            row.completed_at = None
            row.completed_by = None
            row.created_at = now()
            row.due_at = compute(ready)


# --- process variables -------------------------------------------------------------------


@dataclass(frozen=True)
class Variable:
    name: str
    text: str  # the current value as JSON


def parse_value(raw: str, kind: str) -> Any:
    """The new value: a JSON literal (number, true/false/null, "text", [...], {...}) or a string."""
    if kind == "string":
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ServiceError(
            f"JSONとして読み取れません（{exc.lineno}行{exc.colno}文字目）。"
            "文字列として設定する場合は、形式で「文字列」を選んでください。",
            400,
        ) from exc


def _readonly(application_id: int):
    app = db.session.get(Application, application_id)
    if app is None or app.instance is None:
        raise ServiceError("申込が見つかりません。", 404)
    return app, store.load(app.instance, lambda *args: None)


def variable_page(actor: Actor, application_id: int, scope: str | None) -> dict:
    """The scopes (whole workflow, running stages) and the variables of the chosen one."""
    _require(actor, ADMIN_ROLES)
    app, workflow = _readonly(application_id)
    scopes = admin_ops.scopes(workflow)
    chosen = scope if scope in {s.key for s in scopes} else admin_ops.MAIN_SCOPE
    values = admin_ops.variables(workflow, chosen)
    return {
        "application": app,
        "running": runtime.workflow_status(workflow) == "running",
        "scopes": scopes,
        "scope": chosen,
        "variables": [
            Variable(name, _json(value))
            for name, value in values.items()
            if name not in PROTECTED_VARIABLES
        ],
    }


def correct_variable(
    actor: Actor, application_id: int, scope: str, name: str, raw: str, kind: str, reason: str
) -> None:
    _require(actor, ADMIN_ROLES)
    text = _reason(reason)
    if name in PROTECTED_VARIABLES:
        raise ServiceError("この変数は変更できません。", 400)
    value = parse_value(raw, kind)

    def operation(unit: Unit) -> None:
        _running(unit)
        try:
            current = admin_ops.variables(unit.workflow, scope)
            if name not in current:
                raise admin_ops.AdminOpError("unknown variable")
            changed = admin_ops.set_variable(unit.workflow, scope, name, value)
        except admin_ops.AdminOpError as exc:
            raise ServiceError(
                "この変数は現在の業務フローにありません。画面を開き直してください。", 409
            ) from exc
        app = unit.application
        mirrored = name in (app.answers or {}) and isinstance(value, dict)
        if mirrored:
            # A form's data is kept twice: as a process variable and as the saved answers.
            app.answers = {**app.answers, name: value}
        audit(
            app.id,
            actor,
            "variable_corrected",
            reason=text,
            scope=scope,
            variable=name,
            old=current[name],
            new=value,
            tasks=changed,
            answers_updated=mirrored,
        )

    run(application_id, actor, operation, while_suspended=True)
