"""Read model of an application's staff page: its timeline (audit trail, mails, deadlines),
tasks, decisions, notes and incidents."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app.domain.dates import long_date
from app.extensions import db
from app.models import (
    Application,
    AuditEvent,
    HumanTask,
    OutboundMail,
    StaffUser,
)
from app.services import Actor, ServiceError, incidents
from app.services.instance_admin_views import ADMIN_ACTIONS, describe_admin_event
from app.services.people import staff_choices
from app.services.review import decisions, notes
from app.services.views import STATUS_LABELS, application_for, deadlines


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    who: str
    what: str
    detail: str
    kind: str  # "event", "mail", "clock"


ACTIONS = {
    "terms_agreed": "システム利用規程に同意",
    "login": "ログイン",
    "draft_saved": "一時保存",
    "section_edited": "入力内容を修正",
    "task_completed": "手続きを完了",
    "service_task": "システム処理",
    "timer_fired": "期限到来（タイマー）",
    "task_claimed": "担当した",
    "task_unclaimed": "担当を外した",
    "task_reassigned": "担当を変更",
    "review_decided": "審査結果を登録",
    **ADMIN_ACTIONS,
    "note_added": "職員メモを記入",
    "passwords_viewed": "パスワードを表示",
    "incident_resolved": "障害を解決済みにした",
    "incident_retried": "障害を再試行",
    "mail_resent": "メールを再送",
    "clock_moved": "時計を進めた（開発用）",
    "clock_reset": "時計を戻した（開発用）",
}
DECISIONS = {"approve": "承認", "return": "差戻し", "reject": "却下"}
MAIL_STATUS = {
    "pending": "送信待ち",
    "sending": "送信中",
    "retry": "再送待ち",
    "sent": "送信済",
    "failed": "送信失敗",
}


def _who(label: str, names: dict[str, str]) -> str:
    kind, _, rest = label.partition(":")
    if kind == "staff" and rest:
        return f"{names.get(rest, rest)}（職員）"
    if kind == "applicant":
        return f"申込者（{rest}）"
    if kind == "anonymous":
        return "申込者（ログイン前）"
    return {"system": "システム", "timer": "タイマー", "cli": "管理コマンド"}.get(label, label)


def _detail(event: AuditEvent) -> str:
    d = event.detail or {}
    if event.action == "review_decided":
        text = DECISIONS.get(d.get("decision"), d.get("decision") or "")
        if d.get("confirmed_start_date"):
            text += f"（利用開始日 {_day(d['confirmed_start_date'])}{'・希望日から変更' if d.get('date_changed') else ''}）"
        if d.get("comments"):
            text += f"（指摘 {d['comments']}件）"
        return text
    if event.action == "task_reassigned":
        return f"→ {d.get('to')}"
    if event.action == "service_task":
        return f"{d.get('topic')}" + (
            f" → {STATUS_LABELS.get(d['status'], d['status'])}" if d.get("status") else ""
        )
    if event.action == "mail_queued":
        return f"{d.get('template')} → {'、'.join(d.get('to') or [])}"
    if event.action in ADMIN_ACTIONS:
        return describe_admin_event(event.action, d)
    if event.action == "clock_moved":
        return f"+{timedelta(seconds=d.get('by_seconds') or 0)}"
    return str(d.get("title") or d.get("timer") or d.get("form") or d.get("task") or "")


def _day(iso: str) -> str:
    """2026-12-14 → 2026年12月14日（月） (as the pages write dates); other text unchanged."""
    return long_date(str(iso))


def timeline(application: Application) -> list[TimelineItem]:
    """Audit events, mails and development clock moves of one application, oldest first."""
    names = dict(db.session.execute(select(StaffUser.login, StaffUser.name)).all())
    # Each mail is shown once, from the outbox (with its delivery state), not as "queued".
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.application_id == application.id, AuditEvent.action != "mail_queued"
        )
    ).all()
    items = [
        TimelineItem(
            e.at, _who(e.actor, names), ACTIONS.get(e.action, e.action), _detail(e), "event"
        )
        for e in events
    ]
    clock = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.application_id.is_(None),
            AuditEvent.action.in_(("clock_moved", "clock_reset")),
            AuditEvent.at >= application.created_at,
        )
    ).all()
    items += [
        TimelineItem(e.at, _who(e.actor, names), ACTIONS[e.action], _detail(e), "clock")
        for e in clock
    ]
    mails = db.session.scalars(
        select(OutboundMail).where(OutboundMail.application_id == application.id)
    ).all()
    for mail in mails:
        status = MAIL_STATUS.get(mail.status, mail.status)
        detail = f"{mail.subject} → {'、'.join(mail.recipients or [])}"
        if mail.attempts > 1:
            detail += f"（{mail.attempts}回目）"
        if mail.last_error:
            detail += f" {mail.last_error}"
        what = "メール送信" if mail.status == "sent" else f"メール（{status}）"
        items.append(
            TimelineItem(mail.sent_at or mail.created_at, "システム", what, detail, "mail")
        )
    return sorted(items, key=lambda item: item.at)


def staff_application(actor: Actor, application_id: int) -> dict:
    if actor.kind != "staff":
        raise ServiceError("ログインしてください。", 401)
    app = application_for(actor, application_id)
    tasks = db.session.scalars(
        select(HumanTask).where(HumanTask.application_id == app.id).order_by(HumanTask.id)
    ).all()
    return {
        "application": app,
        "status_label": STATUS_LABELS.get(app.status, app.status),
        "tasks": tasks,
        "timeline": timeline(app),
        "deadlines": deadlines(app),
        "decisions": decisions(app.id),
        "notes": notes(actor, app.id),
        "incidents": incidents.for_application(actor, app.id),
        "reviewers": staff_choices("reviewer") if actor.has_role("supervisor") else [],
    }
