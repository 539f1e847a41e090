"""Read models for pages: the applicant's home, deadlines, the ID notice, form context."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.clock import now, today_jst
from app.domain.schedule import JST
from app.extensions import db
from app.models import Application, AuditEvent, HumanTask
from app.security import decrypt
from app.services import Actor, ServiceError, reference
from app.services.tasks import current_applicant_task
from app.services.unit import audit

STATUS_LABELS = {
    "signup": "仮アカウント申込中",
    "entry": "詳細情報の入力中",
    "submitted": "審査待ち",
    "returned": "差戻し（申込内容の修正をお願いします）",
    "issued": "審査終了（申込内容の確認・システム設定の申込をお願いします）",
    "setup_filed": "システム設定申込済（NACCSセンターで作業中）",
    "setup_done": "設定作業完了（利用開始日をお待ちください）",
    "in_use": "利用開始",
    "rejected": "却下",
    "cancelled": "申込取消",
    "expired": "仮アカウント有効期限切れ",
}


@dataclass(frozen=True)
class Deadline:
    label: str
    day: date
    days_left: int


def deadlines(app: Application) -> list[Deadline]:
    today = today_jst()
    items: list[tuple[str, date | None]] = []
    if app.submitted_at is None and app.account is not None:
        expires = (app.account.created_at + timedelta(hours=48)).astimezone(JST)
        items.append(("仮ログインIDの有効期限（48時間）", expires.date()))
    if app.wished_start_date and app.status in ("entry", "submitted", "returned"):
        entry = reference.schedule_entry(app.wished_start_date)
        if entry:
            items.append(("利用契約関係申込締切日", entry.contract_deadline))
    if app.setup_deadline and app.status == "issued":
        items.append(("システム設定関係申込締切日", app.setup_deadline))
    if app.confirmed_start_date and app.status not in ("in_use", "rejected", "cancelled"):
        items.append(("利用開始日", app.confirmed_start_date))
    if app.password_visible_until and app.status not in ("rejected", "cancelled"):
        items.append(("パスワード表示期限", app.password_visible_until))
    return [Deadline(label, day, (day - today).days) for label, day in items if day]


def news(app: Application) -> list[tuple[datetime, str]]:
    """新着情報 derived from the audit trail."""
    ref = app.reference_no or ""
    messages = {
        "received": f"【{ref}】利用申込を受け付けました。審査終了までしばらくお待ちください。",
        "issued": f"【{ref}】利用申込の審査が終了しました。通知内容を確認してください。",
        "returned": f"【{ref}】申込内容の修正をお願いします。",
        "rejected": f"【{ref}】利用申込は却下されました。",
        "cancelled": f"【{ref}】システム設定の申込期限を過ぎたため、利用申込は取り消されました。",
        "setup_done": f"【{ref}】システム設定の作業が完了しました。",
        "in_use": f"【{ref}】利用開始日となりました。システムサービス利用承諾書を確認できます。",
    }
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.application_id == app.id,
            AuditEvent.action.in_(("service_task", "task_completed")),
        )
        .order_by(AuditEvent.id.desc())
    ).all()
    items = []
    for event in events:
        status = event.detail.get("status") if event.action == "service_task" else None
        if event.action == "task_completed" and event.detail.get("form") == "review_decision":
            continue
        key = "received" if status == "submitted" else status
        if key in messages:
            items.append((event.at, messages[key]))
    if app.status == "returned":
        items.insert(0, (app.decided_at or now(), messages["returned"]))
    return items[:10]


def application_for(actor: Actor, application_id: int | None = None) -> Application:
    application_id = application_id or actor.application_id
    app = db.session.get(Application, application_id) if application_id else None
    if app is None:
        raise ServiceError("申込が見つかりません。", 404)
    if actor.kind == "applicant" and actor.application_id != app.id:
        raise ServiceError("この申込を表示する権限がありません。", 403)
    if actor.kind not in ("applicant", "staff"):
        raise ServiceError("ログインしてください。", 401)
    return app


def home(actor: Actor) -> dict:
    app = application_for(actor)
    return {
        "application": app,
        "status_label": STATUS_LABELS.get(app.status, app.status),
        "next_task": current_applicant_task(app.id),
        "deadlines": deadlines(app),
        "news": news(app),
    }


def passwords_visible(app: Application) -> bool:
    return (
        bool(app.password_visible_until)
        and today_jst() <= app.password_visible_until
        and any(c.password_encrypted for c in app.credentials)
    )


def id_notice(actor: Actor, application_id: int | None = None) -> dict:
    """ID通知内容; showing passwords is recorded in the audit trail."""
    app = application_for(actor, application_id)
    if not app.credentials:
        raise ServiceError("ID通知内容はまだありません（審査終了後に表示されます）。", 404)
    visible = passwords_visible(app)
    rows = []
    for credential in app.credentials:
        password = (
            decrypt(credential.password_encrypted)
            if visible and credential.password_encrypted
            else None
        )
        rows.append({"credential": credential, "password": password})
    if visible:
        audit(app.id, actor, "passwords_viewed")
        db.session.commit()
    return {"application": app, "rows": rows, "visible": visible}


def form_context(app: Application) -> dict:
    """Reference data a task form may need to validate, without touching the database itself."""
    today = today_jst()
    return {
        "open_start_dates": [
            (e.start_date.isoformat(), _schedule_label(e)) for e in reference.open_schedule(today)
        ],
        "schedule_dates": [
            (e.start_date.isoformat(), _schedule_label(e))
            for e in reference.schedule_rows()
            if e.start_date >= today
        ],
        "office_lookup": reference.office_as_dict,
        "applicant": dict(app.answers or {}),
    }


WEEKDAYS = "月火水木金土日"


def _fmt(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日（{WEEKDAYS[d.weekday()]}）"


def _schedule_label(entry) -> str:
    return f"{_fmt(entry.start_date)}　申込締切 {entry.contract_deadline.month}/{entry.contract_deadline.day}・設定締切 {entry.setup_deadline.month}/{entry.setup_deadline.day}"


def initial_data(app: Application, form_key: str) -> dict:
    """Defaults for a screen never saved before, from what the applicant already typed."""
    signup = app.answer("signup_contact")
    if form_key == "entry_contact":
        return {k: v for k, v in signup.items()}
    if form_key == "entry_office":
        return {
            "company_name": signup.get("company_name", ""),
            "company_kana": signup.get("company_kana", ""),
        }
    if form_key == "entry_manager":
        return {"mode": "same", "naccs_type": "net"}
    if form_key == "entry_user_codes":
        return {
            "rows": [
                {
                    "code_no": 1,
                    "sso": "否",
                    "processing": "netNACCS",
                    "identifier_count": 1,
                    "paid_statistics": "否",
                    "free_statistics": "否",
                    "bonded_storage": "否",
                }
            ]
        }
    if form_key == "review_decision" and app.wished_start_date:
        return {"confirmed_start_date": app.wished_start_date.isoformat()}
    return {}


def completed_sections(application_id: int) -> list[HumanTask]:
    """Screens of the current detail entry the applicant completed, in order (for 「戻る」)."""
    return list(
        db.session.scalars(
            select(HumanTask)
            .where(
                HumanTask.application_id == application_id,
                HumanTask.lane == "applicant",
                HumanTask.process_id == "detail_entry",
                HumanTask.state == "completed",
            )
            .order_by(HumanTask.completed_at, HumanTask.id)
        )
    )
