"""Read models for pages: the applicant's home, deadlines, the ID notice, form context."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.clock import now, today_jst
from app.domain.dates import date_time, long_date, short_date
from app.domain.schedule import JST, open_entries
from app.domain.status import NEXT_ACTIONS, STATUS_LABELS
from app.extensions import db
from app.models import Application, AuditEvent, HumanTask
from app.security import decrypt
from app.services import Actor, ServiceError, reference
from app.services.review import comments_for_applicant, start_date_notice
from app.services.tasks import RESUME_KEY, current_applicant_task
from app.services.unit import audit


@dataclass(frozen=True)
class Deadline:
    label: str
    day: date
    days_left: int
    at: datetime | None = None  # a deadline with a time of day (the 48 hours)
    note: str = ""

    @property
    def hours_left(self) -> int | None:
        if self.at is None:
            return None
        return max(int((self.at - now()).total_seconds() // 3600), 0)


def provisional_expiry(app: Application) -> datetime | None:
    """When the 仮ログインID expires unless the application is registered (48 hours)."""
    if app.submitted_at is not None or app.account is None or app.status != "entry":
        return None
    return (app.account.created_at + timedelta(hours=48)).astimezone(JST)


def deadlines(app: Application) -> list[Deadline]:
    today = today_jst()
    items: list[Deadline] = []

    def add(label: str, day: date | None, note: str = "", at: datetime | None = None) -> None:
        if day:
            items.append(Deadline(label, day, (day - today).days, at, note))

    expires = provisional_expiry(app)
    if expires is not None:
        add(
            "仮ログインIDの有効期限（48時間）",
            expires.date(),
            "この日時までに申込を登録してください（一時保存していても無効になります）。",
            expires,
        )
    if app.status in ("entry", "submitted", "returned"):
        wished = app.wished_start_date or _wished(app)
        entry = reference.schedule_entry(wished) if wished else None
        if entry:
            add(
                "利用契約関係申込締切日",
                entry.contract_deadline,
                f"利用開始希望日 {_fmt(wished)} の申込締切日です。",
            )
    if app.setup_deadline and app.status == "issued":
        add(
            "システム設定関係申込締切日",
            app.setup_deadline,
            "この日までにシステム設定の申込がないと、申込は取り消されます。",
        )
    if app.confirmed_start_date and app.status not in ("in_use", "rejected", "cancelled"):
        add("利用開始日", app.confirmed_start_date)
    if app.password_visible_until and app.status not in ("rejected", "cancelled"):
        if app.password_visible_until >= today:
            add(
                "パスワード表示期限",
                app.password_visible_until,
                "ID通知内容のパスワードはこの日まで表示できます。",
            )
    return items


def _wished(app: Application) -> date | None:
    value = app.answer("entry_start_date").get("wished_start_date")
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


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


def next_action(app: Application, task: HumanTask | None) -> str:
    """What the applicant should do now, in plain words."""
    expires = provisional_expiry(app)
    text = NEXT_ACTIONS.get(app.status, "")
    return text.format(
        task=task.title if task else "",
        deadline=date_time(expires) if expires else "期限",
        setup=_fmt(app.setup_deadline) if app.setup_deadline else "",
        start=_fmt(app.confirmed_start_date) if app.confirmed_start_date else "",
    )


def progress(app: Application):
    """The simplified diagram of where the application stands (SVG and a text list)."""
    # Imported here: the analyst side imports the form registry, which imports this module.
    from app.services.applicant_progress import applicant_progress_svg

    return applicant_progress_svg(app.id)


def review_comments(app: Application) -> dict[str, dict[str, str]]:
    """差戻し comments per screen and field while the application is returned."""
    if app.status != "returned":
        return {}
    return comments_for_applicant(app.id) or {}


def documents(app: Application) -> dict[str, bool]:
    """Which PDF documents the applicant can print now."""
    gone = app.status in ("rejected", "cancelled", "expired")
    return {
        "application_form": app.reference_no is not None and not gone,
        "consent": (
            not gone
            and app.confirmed_start_date is not None
            and today_jst() >= app.confirmed_start_date
            and app.status in ("setup_filed", "setup_done", "in_use")
        ),
    }


def home(actor: Actor) -> dict:
    app = application_for(actor)
    task = current_applicant_task(app.id)
    return {
        "application": app,
        "status_label": STATUS_LABELS.get(app.status, app.status),
        "next_task": task,
        "next_action": next_action(app, task),
        "deadlines": deadlines(app),
        "news": news(app),
        "resume": resume_screen(app),
        "progress": progress(app),
        "start_date_notice": start_date_notice(app.id),
        "documents": documents(app),
        "comments": review_comments(app),
    }


def resume_screen(app: Application) -> tuple[str, str] | None:
    """The screen 一時保存 left, while it can still be opened: ("section", form key) or
    ("task", task id)."""
    target = (app.drafts or {}).get(RESUME_KEY)
    task = current_applicant_task(app.id)
    if not target or task is None:
        return None
    if isinstance(target, str) and target.startswith("section:"):
        key = target.removeprefix("section:")
        from app.services.applicant_pages import section_order

        if task.process_id == "detail_entry" and key in section_order(app.id, task):
            return ("section", key)
        return None
    return ("task", task.task_id) if target == task.form_key else None


def passwords_visible(app: Application) -> bool:
    return (
        bool(app.password_visible_until)
        and today_jst() <= app.password_visible_until
        and any(c.password_encrypted for c in app.credentials)
    )


def id_notice(actor: Actor, application_id: int | None = None) -> dict:
    """ID通知内容; every view is recorded, and showing passwords separately.

    The passwords are shown to the applicant only (inside the viewing window): staff see that
    the notice exists and until when it shows them, never the passwords (docs/SECURITY.md).
    """
    app = application_for(actor, application_id)
    if not app.credentials:
        raise ServiceError("ID通知内容はまだありません（審査終了後に表示されます）。", 404)
    in_window = passwords_visible(app)
    visible = in_window and actor.kind == "applicant"
    office = None
    users = []
    rows = []
    for credential in app.credentials:
        password = (
            decrypt(credential.password_encrypted)
            if visible and credential.password_encrypted
            else None
        )
        rows.append({"credential": credential, "password": password})
        if credential.kind == "office":
            office = {"credential": credential, "password": password}
        else:
            users.append({"credential": credential, "password": password})
    audit(app.id, actor, "id_notice_viewed", passwords_shown=visible)
    if visible:
        audit(app.id, actor, "passwords_viewed")
    db.session.commit()
    return {
        "application": app,
        "rows": rows,
        "office": office,
        "users": users,
        "visible": visible,
        "withheld": in_window and not visible,
        "customs": app.answer("entry_office").get("customs", ""),
    }


class _OnFirstUse(Sequence):
    """A list computed when a form first reads it: the many forms that never look at the
    schedule cost no query, the two that do share one (see form_context)."""

    def __init__(self, compute: Callable[[], list]):
        self._compute, self._items = compute, None

    def _list(self) -> list:
        if self._items is None:
            self._items = list(self._compute())
        return self._items

    def __getitem__(self, index):
        return self._list()[index]

    def __len__(self) -> int:
        return len(self._list())


def form_context(app: Application) -> dict:
    """Reference data a task form may need to validate, without touching the database itself.
    The schedule is read once, bounded by today, and only if the form uses it."""
    today = today_jst()
    ahead = _OnFirstUse(lambda: reference.schedule_ahead(today))
    return {
        "open_start_dates": _OnFirstUse(
            lambda: [
                (
                    e.start_date.isoformat(),
                    f"{_fmt(e.start_date)}（申込締切 {short_date(e.contract_deadline)}）",
                )
                for e in open_entries(ahead, today)
            ]
        ),
        "schedule_dates": _OnFirstUse(
            lambda: [
                (e.start_date.isoformat(), _schedule_label(e))
                for e in ahead
                if e.start_date >= today
            ]
        ),
        "office_lookup": reference.office_as_dict,
        "applicant": dict(app.answers or {}),
    }


WEEKDAYS = "月火水木金土日"


def _fmt(d: date) -> str:
    return long_date(d)


def _schedule_label(entry) -> str:
    return (
        f"{long_date(entry.start_date)}　申込締切 {short_date(entry.contract_deadline)}"
        f"・設定締切 {short_date(entry.setup_deadline)}"
    )


def initial_data(app: Application, form_key: str) -> dict:
    """Defaults for a screen never saved before, from what the applicant already typed."""
    from forms.defaults import initial_data as defaults

    return defaults(form_key, app.answers or {}, app.wished_start_date)


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
