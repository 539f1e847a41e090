"""The audit trail as a timeline on the staff page, internal notes, and append-only records."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.models import Application, AuditEvent, StaffNote
from app.services.timers import fire_due_timers
from tests.helpers import (
    claim_and_open,
    complete_applicant_tasks,
    csrf_token,
    login,
    review,
    signup,
    staff_login,
)


def only_application() -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application)).one()


def test_the_staff_page_shows_every_action_as_a_timeline(app, client, staff_client, smtp):
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client)
    application = only_application()
    staff_login(staff_client)
    review(staff_client, "approve", confirmed_start_date=application.wished_start_date.isoformat())
    assert staff_client.get(f"/staff/applications/{application.id}/notice").status_code == 200
    assert client.get("/application/notice").status_code == 200  # only the applicant sees them
    page = staff_client.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    for entry in (
        "システム利用規程に同意",
        "手続きを完了",
        "ログイン",
        "担当した",
        "審査結果を登録",
        "承認（利用開始日",
        "メール送信",
        "【NSS】仮アカウント登録完了のお知らせ",
        "【NACCS】利用申込確認完了のお知らせ",
        "パスワードを表示",
        "審査 太郎（職員）",
        "申込者（",
    ):
        assert entry in page, entry
    assert "メール送信" in page and "メール（再送待ち）" not in page
    assert "審査結果の履歴" in page and "承認" in page


def test_timer_firings_and_development_clock_moves_are_on_the_timeline(
    app, client, staff_client, smtp, runner
):
    signup(client, smtp)
    application = only_application()
    assert runner.invoke(args=["clock", "forward", "49h"]).exit_code == 0
    fire_due_timers()
    staff_login(staff_client)
    page = staff_client.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    assert "時計を進めた（開発用）" in page and "+2 days, 1:00:00" in page
    assert "期限到来（タイマー）" in page and "タイマー" in page
    assert page.index("時計を進めた") < page.index("期限到来（タイマー）")
    runner.invoke(args=["clock", "reset"])


def test_notes_are_for_staff_only(app, client, staff_client, smtp):
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client)
    application = only_application()
    staff_login(staff_client)
    url = claim_and_open(staff_client)
    note = "申込担当者に電話で事業所名を確認済み。"
    page = staff_client.get(url).get_data(as_text=True)
    response = staff_client.post(
        f"/staff/applications/{application.id}/notes",
        data={"csrf_token": csrf_token(page), "body": note, "next": url},
    )
    assert response.status_code == 302 and response.location.startswith(url)
    assert note in staff_client.get(url).get_data(as_text=True)
    assert note in staff_client.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    empty = staff_client.post(
        f"/staff/applications/{application.id}/notes",
        data={"csrf_token": csrf_token(page), "body": "  "},
    )
    # Refused notes are shown again with the message beside the field (not flashed away).
    assert empty.status_code == 422
    assert "職員メモを入力してください。" in empty.get_data(as_text=True)
    assert db.session.scalar(select(StaffNote.author)) == "審査 太郎"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "note_added"))
    assert event.actor == "staff:reviewer"
    # The applicant sees nothing of it and cannot write one.
    assert note not in client.get("/home").get_data(as_text=True)
    token = csrf_token(client.get("/home").get_data(as_text=True))
    refused = client.post(
        f"/staff/applications/{application.id}/notes", data={"csrf_token": token, "body": "x"}
    )
    assert refused.status_code == 302 and "/staff/login" in refused.location
    assert db.session.scalar(select(StaffNote).where(StaffNote.body == "x")) is None


def test_audit_events_and_review_records_cannot_be_changed(app, client, smtp):
    signup(client, smtp)
    event = db.session.scalars(select(AuditEvent)).first()
    event.actor = "someone else"
    with pytest.raises(RuntimeError):
        db.session.commit()
    db.session.rollback()
    # Below the ORM too: the database refuses (SQLite and PostgreSQL triggers).
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE audit_event SET actor = 'x'"))
        db.session.commit()
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError):
            db.session.execute(text("DELETE FROM audit_event"))
            db.session.commit()
        db.session.rollback()
    assert db.session.scalar(select(AuditEvent.actor).where(AuditEvent.id == event.id)) != "x"


def test_the_staff_page_lets_staff_claim_and_a_supervisor_reassign(app, client, staff_client, smtp):
    from app.models import HumanTask, StaffUser

    login(client, *signup(client, smtp))
    complete_applicant_tasks(client)
    application = only_application()
    task = db.session.scalar(select(HumanTask).where(HumanTask.lane == "reviewer"))
    staff_login(staff_client, "supervisor", "supervisor-pass")
    path = f"/staff/applications/{application.id}"
    page = staff_client.get(path).get_data(as_text=True)
    assert f'action="/staff/human-tasks/{task.id}/claim"' in page and 'name="staff_id"' in page
    token = csrf_token(page)
    taken = staff_client.post(
        f"/staff/human-tasks/{task.id}/claim", data={"csrf_token": token, "next": path}
    )
    assert taken.location.endswith(f"/staff/tasks/{task.task_id}")
    reviewer2 = db.session.scalar(select(StaffUser.id).where(StaffUser.login == "reviewer2"))
    moved = staff_client.post(
        f"/staff/human-tasks/{task.id}/reassign",
        data={"csrf_token": token, "staff_id": reviewer2, "next": path},
    )
    assert moved.location.endswith(path)
    assert "担当者を変更しました" in staff_client.get(path).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).owner_id == reviewer2


def test_due_dates_move_when_the_clock_says_friday(app, client, staff_client, smtp, clock_at):
    from datetime import datetime

    from app.domain.schedule import JST
    from app.models import HumanTask

    clock_at.move_to(datetime(2026, 12, 4, 10, tzinfo=JST))  # a Friday
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client)
    task = db.session.scalar(select(HumanTask).where(HumanTask.lane == "reviewer"))
    assert task.due_at == datetime(2026, 12, 8, tzinfo=JST)  # end of Monday 7 December
