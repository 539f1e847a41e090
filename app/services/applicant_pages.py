"""Read models of the applicant's screens: 「戻る」 order, page extras, 詳細 and documents."""

from dataclasses import dataclass

from sqlalchemy import select

from app.clock import now, today_jst
from app.domain.schedule import JST
from app.extensions import db
from app.models import Application, AuditEvent, HumanTask
from app.services import Actor, ServiceError, reference
from app.services.review import start_date_notice
from app.services.tasks import current_applicant_task
from app.services.unit import audit
from app.services.views import (
    STATUS_LABELS,
    application_for,
    completed_sections,
    documents,
    provisional_expiry,
    review_comments,
)

# Screens that are never corrected through 「戻る」 (they hold nothing to correct).
_NOT_SECTIONS = {"entry_confirm"}
# The スケジュール表 beside the 利用開始希望日: a few passed dates for orientation, then open ones.
CLOSED_ROWS = 2
OPEN_ROWS = 12


def section_order(application_id: int, current: HumanTask | None = None) -> list[str]:
    """Earlier detail-entry screens in the order they were first completed (for 「戻る」)."""
    current = current or current_applicant_task(application_id)
    keys: list[str] = []
    for task in completed_sections(application_id):
        if task.form_key in keys or task.form_key in _NOT_SECTIONS:
            continue
        if current is not None and task.form_key == current.form_key:
            continue
        keys.append(task.form_key)
    return keys


def neighbours(application_id: int, form_key: str | None) -> tuple[str | None, str | None]:
    """The screens before and after form_key (None after the last: the current task)."""
    keys = section_order(application_id)
    if form_key not in keys:
        return (keys[-1] if keys else None), None
    index = keys.index(form_key)
    return (keys[index - 1] if index else None), (
        keys[index + 1] if index + 1 < len(keys) else None
    )


def section_task(application_id: int, form_key: str) -> HumanTask | None:
    """The completed task of an earlier screen (its title and form key), for its page."""
    for task in reversed(completed_sections(application_id)):
        if task.form_key == form_key:
            return task
    return None


def schedule_table(app: Application) -> list[dict]:
    """The スケジュール表 around today: the last passed dates greyed, then the open ones."""
    today = today_jst()
    rows = reference.schedule_rows()
    closed = [r for r in rows if r.contract_deadline < today][-CLOSED_ROWS:]
    opened = [r for r in rows if r.contract_deadline >= today][:OPEN_ROWS]
    return [
        {
            "start": row.start_date,
            "contract": row.contract_deadline,
            "setup": row.setup_deadline,
            "open": row.contract_deadline >= today,
            "days_left": (row.contract_deadline - today).days,
        }
        for row in closed + opened
    ]


def task_page(app: Application, form_key: str, form=None) -> dict:
    """What a screen shows besides its fields: schedule, estimate, references, comments."""
    from app.domain.fees import PLANS, monthly_estimate
    from app.domain.industries import group_user_codes

    expiry = provisional_expiry(app)
    page: dict = {
        "expiry": expiry,
        "expiry_hours": max(int((expiry - now()).total_seconds() // 3600), 0) if expiry else None,
        "comments": review_comments(app).get(form_key, {}),
        "contact": app.answer("entry_contact") or app.answer("signup_contact"),
        "office": app.answer("entry_office"),
    }
    if form_key == "entry_start_date":
        page["schedule"] = schedule_table(app)
    elif form_key == "entry_plan":
        codes = group_user_codes(app.answer("entry_user_codes").get("rows") or [])
        # 基本料金 is per terminal (1端末ごと): the estimate is for one shared terminal.
        page["estimates"] = {plan: monthly_estimate(plan, codes, terminals=1) for plan in PLANS}
    elif form_key == "entry_equipment":
        code = getattr(getattr(form, "owner_office_code", None), "data", None)
        page["owner"] = reference.office_as_dict(code) if code else None
    elif form_key in ("entry_confirm", "issuance_confirm", "system_setup"):
        from forms.summary import summarize_answers

        page["sections"] = summarize_answers(app.answers or {})
        page["all_comments"] = review_comments(app)
        page["unsaved"] = [
            key for key in (app.drafts or {}) if key in (app.answers or {}) and key != form_key
        ]
        page["documents"] = documents(app)
        page["notice_viewed"] = _notice_viewed(app)
        rows = app.answer("entry_user_codes").get("rows") or []
        page["industries"] = sorted({name for row in rows for name in row.get("industries") or []})
    return page


def _notice_viewed(app: Application) -> bool:
    return (
        db.session.scalar(
            select(AuditEvent.id)
            .where(AuditEvent.application_id == app.id, AuditEvent.action == "id_notice_viewed")
            .limit(1)
        )
        is not None
    )


def application_detail(actor: Actor) -> dict:
    """The application's 「詳細」: dates, every section, documents and the ID notice link."""
    from forms.summary import summarize_answers

    app = application_for(actor)
    if app.reference_no is None:
        raise ServiceError("申込はまだ登録されていません。", 404)
    return {
        "application": app,
        "status_label": STATUS_LABELS.get(app.status, app.status),
        "sections": summarize_answers(app.answers or {}),
        "remarks": app.answer("entry_confirm").get("remarks", ""),
        "documents": documents(app),
        "start_date_notice": start_date_notice(app.id),
        "next_task": current_applicant_task(app.id),
    }


def document(actor: Actor, kind: str) -> tuple[str, bytes]:
    """A PDF of the submitted data: 'application_form' (申込書) or 'consent' (利用承諾書)."""
    from app.documents import render_application_form, render_consent

    app = application_for(actor)
    available = documents(app)
    if not available.get(kind):
        if kind == "consent":
            raise ServiceError("システムサービス利用承諾書は利用開始日から印刷できます。", 404)
        raise ServiceError("申込書はまだ出力できません。", 404)
    data = document_data(app)
    audit(app.id, actor, "document_printed", document=kind)
    db.session.commit()
    if kind == "consent":
        return f"consent_{app.reference_no}.pdf", render_consent(data)
    return f"application_{app.reference_no}.pdf", render_application_form(data)


def document_data(app: Application) -> dict:
    """Plain data for the documents: the answers in words plus the issued codes."""
    from forms.summary import summarize_answers

    users = [c for c in app.credentials if c.kind == "user"]
    return {
        "reference_no": app.reference_no,
        "submitted_on": app.submitted_at.astimezone(JST).date() if app.submitted_at else None,
        "wished_start_date": app.wished_start_date,
        "confirmed_start_date": app.confirmed_start_date,
        "office_code": app.office_code,
        "company_name": app.answer("entry_office").get("company_name") or app.company_name,
        "office_name": app.answer("entry_office").get("office_name", ""),
        "remarks": app.answer("entry_confirm").get("remarks", ""),
        "sections": summarize_answers(app.answers or {}),
        "user_ids": [
            {
                "user_code": c.user_code,
                "identifier": c.identifier,
                "system_kind": c.system_kind or "",
                "industries": c.industries or "",
            }
            for c in users
        ],
        "customs": app.answer("entry_office").get("customs", ""),
        "printed_on": today_jst(),
    }


def section_editable(actor: Actor, application_id: int, form_key: str, current: HumanTask) -> bool:
    """An earlier screen the actor may correct now: in detail entry any completed one, in
    signup (before the account exists) the contact screen."""
    if actor.kind == "applicant" and current.process_id == "detail_entry":
        return form_key in section_order(application_id, current)
    if actor.kind == "anonymous" and current.process_id == "signup":
        app = db.session.get(Application, application_id)
        return form_key == "signup_contact" and form_key in (app.answers or {})
    return False


@dataclass(frozen=True)
class SectionView:
    task: HumanTask  # the completed task of the earlier screen
    current: HumanTask  # the screen the applicant is at
    application: Application
    saved: dict
    draft: dict | None


def open_section(actor: Actor, form_key: str) -> SectionView:
    """An earlier screen: in detail entry any completed one; in signup the contact screen."""
    app = db.session.get(Application, actor.application_id) if actor.application_id else None
    current = current_applicant_task(app.id) if app else None
    if current is None or not section_editable(actor, app.id, form_key, current):
        raise ServiceError("この画面は現在修正できません。", 409)
    task = db.session.scalar(
        select(HumanTask)
        .where(
            HumanTask.application_id == app.id,
            HumanTask.form_key == form_key,
            HumanTask.state == "completed",
        )
        .order_by(HumanTask.id.desc())
        .limit(1)
    )
    return SectionView(
        task=task,
        current=current,
        application=app,
        saved=app.answer(form_key),
        draft=(app.drafts or {}).get(form_key),
    )
