"""Diagram rules: the date-driven timers run beside 設定作業, which is escalated when late."""

import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app.domain.schedule import JST
from app.extensions import db
from app.models import Application, AuditEvent, Office
from app.services.timers import fire_due_timers
from tests.helpers import (
    ANSWERS,
    claim_and_open,
    complete_applicant_tasks,
    login,
    post_page,
    review,
    signup,
    staff_login,
)


def only_application() -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application)).one()


def jst(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST)


def approved_and_filed(client, staff_client, smtp) -> tuple[Application, tuple[str, str]]:
    """Signup, detail entry, 承認, 申込内容の確認 and システム設定の申込: 設定作業 is now open."""
    credentials = signup(client, smtp)
    assert login(client, *credentials).status_code == 302
    complete_applicant_tasks(client)
    application = only_application()
    staff_login(staff_client)
    review(staff_client, "approve", confirmed_start_date=application.wished_start_date.isoformat())
    assert complete_applicant_tasks(client) == ["issuance_confirm", "system_setup"]
    application = only_application()
    assert application.status == "setup_filed"
    return application, credentials


def escalation_mails(smtp) -> list:
    return smtp.by_subject("設定作業が利用開始日の前日までに完了していません")


def test_start_of_use_and_provisional_end_do_not_wait_for_setup_work(
    app, client, staff_client, smtp, clock_at
):
    application, credentials = approved_and_filed(client, staff_client, smtp)
    start = application.confirmed_start_date
    reference = application.reference_no

    # The day before the start date, 00:00: 設定作業 is still open, supervisors are told.
    clock_at.move_to(jst(start - timedelta(days=1)) - timedelta(minutes=1))
    fire_due_timers()
    assert not escalation_mails(smtp)
    assert only_application().setup_escalated_at is None
    clock_at.move_to(jst(start - timedelta(days=1), 0, 1))
    fire_due_timers()
    mails = escalation_mails(smtp)
    assert len(mails) == 1
    assert "supervisor@naccs-center.example.jp" in mails[0]["To"]
    assert reference in smtp.body(mails[0])
    assert only_application().setup_escalated_at is not None
    # The operator's queue (the reviewer also works as operator) marks the row.
    staff_login(staff_client)  # days have passed: a fresh session
    queue = staff_client.get("/staff/?lane=operator&scope=unclaimed").get_data(as_text=True)
    assert "前日未完了" in queue and reference in queue
    fire_due_timers()
    assert len(escalation_mails(smtp)) == 1  # fires once

    # 00:00 of the start date: 利用開始 although 設定作業 is not done.
    clock_at.move_to(jst(start, 0, 1))
    fire_due_timers()
    application = only_application()
    assert application.status == "in_use"
    assert db.session.get(Office, application.office_code) is not None

    # The day after: the provisional ID ends, still without 設定作業.
    clock_at.move_to(jst(start + timedelta(days=1), 0, 1))
    fire_due_timers()
    db.session.expire_all()
    assert only_application().account.disabled_reason == "start_of_use"
    refused = login(client, *credentials)
    assert "仮ログインIDでログインできません" in refused.get_data(as_text=True)

    # A late 設定作業 is still done and mailed, and does not take the status back.
    staff_login(staff_client)
    url = claim_and_open(staff_client, lane="operator")
    assert post_page(staff_client, url, ANSWERS["setup_work"]).status_code == 302
    assert only_application().status == "in_use"
    assert smtp.by_subject("作業完了")


def test_no_escalation_when_setup_work_is_done_in_time(app, client, staff_client, smtp, clock_at):
    application, _ = approved_and_filed(client, staff_client, smtp)
    start = application.confirmed_start_date
    url = claim_and_open(staff_client, lane="operator")
    assert post_page(staff_client, url, ANSWERS["setup_work"]).status_code == 302
    assert only_application().status == "setup_done"

    clock_at.move_to(jst(start - timedelta(days=1), 12))
    fire_due_timers()
    assert not escalation_mails(smtp)
    assert only_application().setup_escalated_at is None
    clock_at.move_to(jst(start, 0, 1))
    fire_due_timers()
    assert only_application().status == "in_use"
    actions = [
        e.detail.get("topic")
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "service_task"))
    ]
    assert "escalate_setup" not in actions


def test_escalation_is_a_non_interrupting_timer_on_the_diagram():
    from pathlib import Path

    xml = (Path(__file__).parents[2] / "bpmn" / "application.bpmn").read_text()
    boundary = re.search(r'<bpmn:boundaryEvent id="setup_escalation"[^>]*>', xml).group(0)
    assert 'cancelActivity="false"' in boundary and 'attachedToRef="call_setup_work"' in boundary
    assert 'bpmnElement="setup_escalation"' in xml  # drawn (DI)
    # 利用開始 starts beside 設定作業 once the setup application is filed, not after it.
    assert 'sourceRef="fork_after_filing" targetRef="call_start_of_use"' in xml
    assert 'sourceRef="fork_after_filing" targetRef="call_setup_work"' in xml


# --- 利用者コード: release and capacity ---------------------------------------------------


def _fill_user_codes(count: int, status: str = "issued") -> Application:
    """Another application of the same company (企業略称 NAC) holding `count` 利用者コード."""
    from app.domain.codes import branch_code, identifier
    from app.models import IssuedCredential

    other = Application(status=status, company_name="先行申込", reference_no="2699999A")
    other.credentials.append(IssuedCredential(kind="office", office_code="NAC900"))
    for n in range(count):
        other.credentials.append(
            IssuedCredential(
                kind="user",
                office_code="NAC900",
                user_code=f"{branch_code(n)}NAC",
                identifier=identifier(0),
            )
        )
    db.session.add(other)
    db.session.commit()
    return other


def submitted(client, smtp) -> Application:
    credentials = signup(client, smtp)
    assert login(client, *credentials).status_code == 302
    complete_applicant_tasks(client)
    return only_application_of("submitted")


def only_application_of(status: str) -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application).where(Application.status == status)).one()


def test_approval_refused_with_a_message_when_the_company_has_no_user_code_left(
    app, client, staff_client, smtp, clock_at
):
    from app.models import HumanTask
    from app.services.codes import release_unused_codes

    other = _fill_user_codes(234)
    application = submitted(client, smtp)
    staff_login(staff_client)
    url = claim_and_open(staff_client)
    page = staff_client.get(url).get_data(as_text=True)
    response = post_page(
        staff_client,
        url,
        {"decision": "approve", "confirmed_start_date": application.wished_start_date.isoformat()},
    )
    assert response.status_code == 302  # not a 500
    shown = staff_client.get(response.location).get_data(as_text=True)
    assert "利用者コードが不足しているため承認できません" in shown and "空き 0 件" in shown
    application = only_application_of("submitted")
    assert application.credentials == [] and application.decided_at is None
    assert (
        db.session.scalar(select(HumanTask.state).where(HumanTask.form_key == "review_decision"))
        == "ready"
    )
    # The review page said so before the decision (automatic check beside 利用者コード).
    assert "利用者コードの空き" in page and "利用者コードが不足しているため承認できません" in page

    # The other application is cancelled before use: its codes go back to the pool.
    other = db.session.get(Application, other.id)
    other.status = "cancelled"
    assert release_unused_codes(other) == 234
    assert release_unused_codes(other) == 0  # once
    db.session.commit()
    response = post_page(
        staff_client,
        url,
        {"decision": "approve", "confirmed_start_date": application.wished_start_date.isoformat()},
    )
    assert response.status_code == 302
    application = only_application_of("issued")
    assert {c.user_code for c in application.credentials if c.kind == "user"} == {"1ANAC"}


def test_codes_in_use_are_never_released(app):
    from app.services.codes import release_unused_codes

    other = _fill_user_codes(3, status="in_use")
    assert release_unused_codes(other) == 0
    assert all(c.released_at is None for c in other.credentials)


def test_deadline_cancellation_releases_the_user_codes(app, client, staff_client, smtp, clock_at):
    first = approved_without_filing(client, staff_client, smtp)
    codes = {c.user_code for c in first.credentials if c.kind == "user"}
    assert codes == {"1ANAC"}
    clock_at.move_to(jst(first.setup_deadline + timedelta(days=1), 0, 1))
    fire_due_timers()
    first = db.session.get(Application, first.id)
    assert first.status == "cancelled"
    users = [c for c in first.credentials if c.kind == "user"]
    assert users and all(c.released_at is not None and c.password_encrypted is None for c in users)
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user_codes_released")
    ).detail == {"count": 1}

    # The next application of the company gets the released code again.
    client.post("/logout")
    staff_client.post("/logout")
    second = approved_without_filing(app.test_client(), app.test_client(), smtp)
    assert {c.user_code for c in second.credentials if c.kind == "user"} == {"1ANAC"}


def approved_without_filing(client, staff_client, smtp) -> Application:
    application = submitted(client, smtp)
    staff_login(staff_client)
    review(staff_client, "approve", confirmed_start_date=application.wished_start_date.isoformat())
    return only_application_of("issued")
