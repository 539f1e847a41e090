"""Instance administration, read side: who may do what, what the pages offer, the messages
and timeline lines, and what an applicant of a suspended or closed application is told."""

import json
from typing import Any

from sqlalchemy import select

from app.domain.status import LOGIN_CLOSED, STATUS_LABELS, SUSPENDED
from app.extensions import db
from app.models import Application
from app.services import Actor, ServiceError

ADMIN_ROLES = ("supervisor", "administrator")
REOPEN_ROLES = ("supervisor",)
# The applicant may withdraw until the review decision.
BEFORE_DECISION = frozenset({"entry", "submitted", "returned"})
# Staff may cancel anything not yet in use (利用開始) that has not ended otherwise.
NOT_IN_USE = frozenset(
    {"signup", "entry", "submitted", "returned", "issued", "setup_filed", "setup_done"}
)
# A decision can be reopened until the IDs are in use.
REOPENABLE = frozenset({"returned", "issued", "setup_filed", "setup_done", "rejected"})
REVIEW_FORM = "review_decision"

NO_RIGHT = "この操作を行う権限がありません。"
WITHDRAW_CLOSED = (
    "この申込は現在取り下げられません（審査の終了後・一時停止中は取り下げできません）。"
    "NACCSセンター 利用契約事務課までご連絡ください。"
)


def _require(actor: Actor, roles: tuple[str, ...]) -> None:
    if actor.kind != "staff" or not any(actor.has_role(role) for role in roles):
        raise ServiceError(NO_RIGHT, 403)


def _label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def status_label(application: Application) -> str:
    return _label(application.status)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


# --- read side: what the pages offer ---------------------------------------------------

ADMIN_ACTIONS = {
    "application_withdrawn": "申込取下げ（申込者）",
    "application_cancelled": "申込取消（職員）",
    "instance_suspended": "一時停止",
    "instance_resumed": "再開",
    "decision_reopened": "審査結果を取消（審査に戻す）",
    "variable_corrected": "業務フローの変数を訂正",
}
DECISION_WORDS = {"approve": "承認", "return": "差戻し", "reject": "却下"}


def describe_admin_event(action: str, detail: dict) -> str:
    """One line for the staff timeline: the reason, and what changed."""
    parts = [f"理由：{detail.get('reason') or ''}"]
    if action == "decision_reopened":
        old = detail.get("old") or {}
        word = DECISION_WORDS.get(old.get("decision"), old.get("decision") or "")
        parts.append(f"取り消した審査結果：{word}")
    elif action == "variable_corrected":
        parts.append(
            f"{detail.get('variable')}：{_json(detail.get('old'))} → {_json(detail.get('new'))}"
        )
    elif action == "instance_resumed" and detail.get("overdue_timers"):
        parts.append(f"停止中に到来した期限：{'、'.join(detail['overdue_timers'])}")
    elif action in ("application_withdrawn", "application_cancelled"):
        parts.append(f"取消前の状態：{_label(detail.get('previous_status') or '')}")
    return "／".join(parts)


def options(actor: Actor, application: Application) -> dict:
    """Which administration buttons the staff application page shows."""
    instance = application.instance
    if actor.kind != "staff" or instance is None:
        return {}
    admin = any(actor.has_role(role) for role in ADMIN_ROLES)
    running = instance.status == "running"
    suspended = instance.suspended_at is not None
    return {
        "suspended_at": instance.suspended_at,
        "suspended_reason": instance.suspended_reason,
        "cancel": admin and running and application.status in NOT_IN_USE,
        "suspend": admin and running and not suspended,
        "resume": admin and suspended,
        "reopen": any(actor.has_role(r) for r in REOPEN_ROLES)
        and application.status in REOPENABLE
        and REVIEW_FORM in (application.answers or {}),
        "variable": admin and running,
    }


def operation_target(actor: Actor, application_id: int, op: str) -> Application:
    """The application a staff operation page is for, once the actor's role allows it."""
    _require(actor, REOPEN_ROLES if op == "reopen" else ADMIN_ROLES)
    app = db.session.get(Application, application_id)
    if app is None or app.instance is None:
        raise ServiceError("申込が見つかりません。", 404)
    return app


def withdraw_allowed(application: Application) -> bool:
    return (
        application.status in BEFORE_DECISION
        and application.instance is not None
        and application.instance.suspended_at is None
        and application.instance.status == "running"
    )


def applicant_application(actor: Actor) -> Application:
    if actor.kind != "applicant" or actor.application_id is None:
        raise ServiceError(NO_RIGHT, 403)
    app = db.session.get(Application, actor.application_id)
    if app is None:
        raise ServiceError("申込が見つかりません。", 404)
    return app


def suspension_notice(application: Application) -> str | None:
    instance = application.instance
    return SUSPENDED if instance is not None and instance.suspended_at is not None else None


def applicant_suspension(application_id: int | None) -> str | None:
    """The message an applicant of a suspended application reads instead of a form."""
    app = db.session.get(Application, application_id) if application_id else None
    return suspension_notice(app) if app is not None else None


def login_refusal(application_id: int | None, loaded: Application | None = None) -> str | None:
    """Why an applicant of this application may not log in (or stay logged in), if so.
    `loaded`: the application already read in this request (its status is used, not re-read)."""
    if application_id is None:
        return None
    if loaded is not None and loaded.id == application_id:
        return LOGIN_CLOSED.get(loaded.status or "")
    status = db.session.scalar(select(Application.status).where(Application.id == application_id))
    return LOGIN_CLOSED.get(status or "")
