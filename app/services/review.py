"""Review (審査) use cases: decisions, return comments, the resubmission diff, checks and notes."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from app.clock import now, today_jst
from app.domain.checks import Check, CheckInputs, run_checks
from app.domain.dates import long_date, short_date
from app.domain.schedule import JST, end_of_day
from app.domain.schedule import ScheduleEntry as ScheduleRow
from app.domain.status import STATUS_LABELS
from app.extensions import db
from app.models import (
    Application,
    HumanTask,
    Office,
    ReturnComment,
    ReviewDecision,
    StaffNote,
    StaffUser,
)
from app.services import Actor, ServiceError, reference
from app.services.unit import audit

REVIEW_FORM = "review_decision"
DECISION_LABELS = {"approve": "承認", "return": "差戻し", "reject": "却下"}
# Key of a comment on a whole section in comments_for_applicant().
SECTION = "_section"
# Applications still on their way (used to find duplicate applications for the same office).
OPEN_STATUSES = ("entry", "submitted", "returned", "issued", "setup_filed", "setup_done")


# --- decisions ---------------------------------------------------------------------------


def record_decision(app: Application, data: dict) -> ReviewDecision:
    """Record a 審査結果 inside the submitting transaction (called before the engine moves on)."""
    decision = data.get("decision")
    task = db.session.scalar(
        select(HumanTask)
        .where(
            HumanTask.application_id == app.id,
            HumanTask.form_key == REVIEW_FORM,
            HumanTask.state == "ready",
        )
        .order_by(HumanTask.id.desc())
    )
    owner = task.owner if task is not None else None
    label = f"staff:{owner.login}" if owner is not None else "staff"
    previous = db.session.scalar(
        select(func.count())
        .select_from(ReviewDecision)
        .where(ReviewDecision.application_id == app.id)
    )
    confirmed = data.get("confirmed_start_date") if decision == "approve" else None
    comments = list(data.get("field_comments") or []) if decision == "return" else []
    text = data.get("reason") if decision == "reject" else data.get("comment")
    if decision == "return":
        app.status = "returned"
        app.review_comment = compose_return_message(data.get("comment") or "", comments)
    elif decision == "reject":
        app.status = "rejected"
        app.review_comment = data.get("reason")
    else:
        app.review_comment = None
    row = ReviewDecision(
        application_id=app.id,
        round=(previous or 0) + 1,
        decision=decision,
        decided_by_id=owner.id if owner is not None else None,
        decided_by=label,
        wished_start_date=app.wished_start_date,
        confirmed_start_date=date.fromisoformat(confirmed) if confirmed else None,
        comment=text or None,
        answers={k: v for k, v in (app.answers or {}).items() if k != REVIEW_FORM},
    )
    for comment in comments:
        form_key, _, field = str(comment.get("target", "")).partition(".")
        row.comments.append(
            ReturnComment(
                application_id=app.id,
                form_key=form_key,
                field=field,
                label=str(comment.get("label") or "")[:300],
                body=comment["body"],
            )
        )
    db.session.add(row)
    audit(
        app.id,
        label,
        "review_decided",
        decision=decision,
        round=row.round,
        confirmed_start_date=confirmed,
        date_changed=row.date_changed,
        comments=len(comments),
    )
    return row


def compose_return_message(general: str, comments: list[dict]) -> str:
    """The text the applicant reads on the home page: the overall comment, then each point."""
    lines = [general.strip()] if general.strip() else []
    if comments:
        lines.append("以下の項目について修正をお願いします。")
        lines.extend(f"・{c.get('label') or c.get('target')}：{c['body']}" for c in comments)
    return "\n".join(lines)


def decisions(application_id: int) -> list[ReviewDecision]:
    return list(
        db.session.scalars(
            select(ReviewDecision)
            .where(ReviewDecision.application_id == application_id)
            .order_by(ReviewDecision.round)
        )
    )


def last_return(application_id: int) -> ReviewDecision | None:
    return db.session.scalar(
        select(ReviewDecision)
        .where(ReviewDecision.application_id == application_id, ReviewDecision.decision == "return")
        .order_by(ReviewDecision.round.desc())
        .limit(1)
    )


def comments_by_target(decision: ReviewDecision | None) -> dict[str, str]:
    """{"form_key" or "form_key.field": comment} of one 差戻し."""
    found: dict[str, str] = {}
    for c in decision.comments if decision is not None else []:
        target = f"{c.form_key}.{c.field}" if c.field else c.form_key
        found[target] = f"{found[target]}\n{c.body}" if target in found else c.body
    return found


def comments_for_applicant(application_id: int) -> dict[str, dict[str, str]]:
    """While an application is returned: {form_key: {field: comment}} of the latest 差戻し.

    A comment on a whole section is under the field key ``SECTION`` ("_section"). Empty
    once the applicant has resubmitted (or when the application was never returned).
    """
    app = db.session.get(Application, application_id)
    if app is None or app.status != "returned":
        return {}
    latest = db.session.scalar(
        select(ReviewDecision)
        .where(ReviewDecision.application_id == application_id)
        .order_by(ReviewDecision.round.desc())
        .limit(1)
    )
    if latest is None or latest.decision != "return":
        return {}
    result: dict[str, dict[str, str]] = {}
    for target, body in comments_by_target(latest).items():
        form_key, _, field = target.partition(".")
        result.setdefault(form_key, {})[field or SECTION] = body
    return result


def start_date_notice(application_id: int) -> str | None:
    """For the applicant's home: a warning when the confirmed 利用開始日 differs from the wish."""
    app = db.session.get(Application, application_id)
    if app is None or not app.confirmed_start_date or not app.wished_start_date:
        return None
    if app.confirmed_start_date == app.wished_start_date:
        return None
    return (
        f"利用開始日はご希望の{_jdate(app.wished_start_date)}ではなく、"
        f"{_jdate(app.confirmed_start_date)}に確定しました。必ずご確認ください。"
    )


def answers_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, tuple]]:
    """{form_key: {field: (before, after)}} for every answer that differs (pure)."""
    diff: dict[str, dict[str, tuple]] = {}
    for form_key in sorted(set(old or {}) | set(new or {})):
        if form_key == REVIEW_FORM:
            continue
        before, after = (old or {}).get(form_key) or {}, (new or {}).get(form_key) or {}
        for field in list(before) + [f for f in after if f not in before]:
            if before.get(field) != after.get(field):
                diff.setdefault(form_key, {})[field] = (before.get(field), after.get(field))
    return diff


# --- automatic checks --------------------------------------------------------------------


def automatic_checks(app: Application) -> list[Check]:
    code = str(app.answer("entry_equipment").get("owner_office_code") or "")
    entry = reference.schedule_entry(app.wished_start_date) if app.wished_start_date else None
    others = db.session.scalars(
        select(Application).where(
            Application.company_name == app.company_name,
            Application.id != app.id,
            Application.status.in_(OPEN_STATUSES),
        )
    ).all()
    offices = db.session.scalars(
        select(Office).where(Office.company_name == app.company_name, Office.code != code)
    ).all()
    inputs = CheckInputs(
        answers=app.answers or {},
        owner_office=reference.office_as_dict(code) if code else None,
        schedule_entry=(
            ScheduleRow(entry.start_date, entry.contract_deadline, entry.setup_deadline)
            if entry
            else None
        ),
        wished_start_date=app.wished_start_date,
        submitted_on=app.submitted_at.astimezone(JST).date() if app.submitted_at else None,
        open_applications=[
            {
                "reference_no": o.reference_no,
                "status_label": STATUS_LABELS.get(o.status, o.status),
                "entry_office": o.answer("entry_office"),
            }
            for o in others
        ],
        company_offices=[
            {"code": o.code, "company_name": o.company_name, "office_name": o.office_name}
            for o in offices
        ],
    )
    return [*run_checks(inputs), _code_capacity_check(app)]


def _code_capacity_check(app: Application) -> Check:
    """承認 issues 利用者コード: say before the decision when the company's codes ran out."""
    from app.services.codes import capacity_problem

    problem = capacity_problem(app)
    return Check(
        key="code_capacity",
        label="利用者コードの空き",
        ok=problem is None,
        reason=problem or "承認時に払い出す利用者コードの空きがあります。",
        target="entry_user_codes",
    )


# --- the review page ---------------------------------------------------------------------


@dataclass(frozen=True)
class DueState:
    due_at: Any
    overdue: bool
    today: bool


def due_state(task: HumanTask) -> DueState:
    if task.due_at is None:
        return DueState(None, False, False)
    current = now()
    return DueState(
        task.due_at,
        task.due_at <= current,
        task.due_at > current and task.due_at <= end_of_day(today_jst()),
    )


def review_start_dates(app: Application) -> list[tuple[str, str, Any]]:
    """(iso, label, entry) of the schedule dates a reviewer may confirm: setup deadline not passed."""
    today = today_jst()
    rows = []
    for entry in reference.schedule_rows():
        if entry.setup_deadline < today or entry.start_date <= today:
            continue
        label = f"{_jdate(entry.start_date)}　設定締切 {short_date(entry.setup_deadline)}"
        rows.append((entry.start_date.isoformat(), label, entry))
    return rows


def workbench(actor: Actor, task: HumanTask) -> dict:
    """Everything the review page shows beside the application and the decision form."""
    if actor.kind != "staff":
        raise ServiceError("ログインしてください。", 401)
    app = task.application
    history = decisions(app.id)
    returned = next((d for d in reversed(history) if d.decision == "return"), None)
    entry = reference.schedule_entry(app.wished_start_date) if app.wished_start_date else None
    checks = automatic_checks(app)
    return {
        "checks": checks,
        "marks": {c.target: c for c in checks if not c.ok and c.target},
        "decisions": history,
        "last_return": returned,
        "return_comments": comments_by_target(returned),
        "diff": answers_diff(returned.answers, app.answers) if returned else {},
        "wished_entry": entry,
        "due": due_state(task),
        "notes": notes(actor, app.id),
        "start_dates": review_start_dates(app),
    }


# --- internal notes ----------------------------------------------------------------------


def notes(actor: Actor, application_id: int) -> list[StaffNote]:
    if actor.kind != "staff":
        raise ServiceError("この内容を表示する権限がありません。", 403)
    return list(
        db.session.scalars(
            select(StaffNote)
            .where(StaffNote.application_id == application_id)
            .order_by(StaffNote.id)
        )
    )


def add_note(actor: Actor, application_id: int, body: str) -> StaffNote:
    """An internal note (visible to staff only); recorded in the audit trail."""
    if actor.kind != "staff":
        raise ServiceError("職員メモは職員のみ記入できます。", 403)
    if db.session.get(Application, application_id) is None:
        raise ServiceError("申込が見つかりません。", 404)
    staff = db.session.get(StaffUser, actor.staff_id) if actor.staff_id else None
    note = StaffNote(
        application_id=application_id,
        author_id=actor.staff_id,
        author=staff.name if staff else actor.label,
        body=body,
    )
    db.session.add(note)
    db.session.flush()
    audit(application_id, actor, "note_added", note_id=note.id)
    db.session.commit()
    return note


def _jdate(d: date) -> str:
    return long_date(d)
