"""Instance administration over HTTP: 申込取下げ, staff cancel, suspend / resume, reopening a
decision, correcting a process variable, the closed login, and who may do each."""

import re
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Application, AuditEvent, HumanTask, IssuedCredential, ProcessInstance
from app.security import decrypt
from app.services.timers import fire_due_timers
from tests.helpers import (
    ANSWERS,
    claim_and_open,
    complete_applicant_tasks,
    csrf_token,
    login,
    next_task_url,
    post_page,
    review,
    signup,
    staff_login,
)

MANAGER = {
    **ANSWERS["entry_manager"],
    "mode": "other",
    "department": "営業一課",
    "title": "課長",
    "name": "保税 花子",
    "kana": "ホゼイ ハナコ",
    "phone": "0355559999",
    "email": "hozei.hanako@naccs.example.jp",
}
BOTH = {"konsai.ichiro@naccs.example.jp", "hozei.hanako@naccs.example.jp"}
CREDENTIALS: dict = {}  # test client -> (仮ログインID, 仮パスワード)


def latest() -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application).order_by(Application.id.desc())).first()


def events(application_id: int, action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.application_id == application_id, AuditEvent.action == action
            )
        )
    )


def ready_rows(application_id: int) -> list[HumanTask]:
    return list(
        db.session.scalars(
            select(HumanTask).where(
                HumanTask.application_id == application_id, HumanTask.state == "ready"
            )
        )
    )


def recipients(message) -> set[str]:
    return {a.strip() for a in str(message["to"]).split(",")}


def start(client, smtp, submit: bool = True) -> Application:
    """Sign up and log in; fill every screen (the manager is a second contact)."""
    credentials = signup(client, smtp)
    assert login(client, *credentials).status_code == 302
    CREDENTIALS[client] = credentials
    complete_applicant_tasks(
        client, {"entry_manager": MANAGER}, stop_at=None if submit else "entry_confirm"
    )
    return latest()


def staff(app, who: str):
    client = app.test_client()
    staff_login(client, who, f"{who}-pass")
    return client


def operate(client, application_id: int, op: str, reason: str = "確認のため"):
    return post_page(
        client, f"/staff/applications/{application_id}/admin/{op}", {"reason": reason}, ""
    )


def test_applicant_withdraws_with_confirmation(app, client, smtp, clock_at):
    application = start(client, smtp, submit=False)  # still entering: the 48h timer waits
    assert application.status == "entry" and application.instance.next_timer_at is not None
    home = client.get("/home").get_data(as_text=True)
    assert 'href="/application/withdraw"' in home
    page = client.get("/application/withdraw")
    assert page.status_code == 200 and "申込を取り下げる" in page.get_data(as_text=True)
    # The reason is required; nothing changes without it.
    missing = post_page(client, "/application/withdraw", {"reason": ""}, "")
    assert missing.status_code == 422 and "理由" in missing.get_data(as_text=True)
    assert latest().status == "entry"
    smtp.clear()
    done = post_page(
        client, "/application/withdraw", {"reason": "社内の事情により延期します。"}, ""
    )
    assert done.status_code == 200 and "取り下げました" in done.get_data(as_text=True)

    application = latest()
    instance = db.session.get(ProcessInstance, application.instance.id)
    assert application.status == "withdrawn"
    assert instance.status == "cancelled" and instance.next_timer_at is None
    assert ready_rows(application.id) == []
    (event,) = events(application.id, "application_withdrawn")
    assert event.detail["reason"] == "社内の事情により延期します。"
    assert event.detail["previous_status"] == "entry"
    assert event.detail["timers_cancelled"]  # the 48-hour expiry will never fire
    (mail,) = smtp.by_subject("取下げ")
    assert recipients(mail) == BOTH
    assert "社内の事情により延期します。" in smtp.body(mail)
    # Logged out, and the 仮ログインID no longer opens the door, saying why.
    assert client.get("/home").status_code == 302
    refused = login(client, *CREDENTIALS.pop(client))
    assert "この申込は取り下げられたため、ログインできません。" in refused.get_data(as_text=True)
    # Moving past the old deadline fires nothing.
    clock_at.shift(timedelta(hours=49))
    assert fire_due_timers() == 0
    assert latest().status == "withdrawn"


def test_withdrawal_is_refused_after_the_decision(app, client, smtp):
    application = start(client, smtp)
    review(staff(app, "reviewer"), "approve")
    assert latest().status == "issued"
    assert 'href="/application/withdraw"' not in client.get("/home").get_data(as_text=True)
    closed = client.get("/application/withdraw", follow_redirects=True).get_data(as_text=True)
    assert "この申込は現在取り下げられません" in closed
    refused = post_page_raw(client, "/application/withdraw", {"reason": "やめます"})
    assert refused.status_code == 422
    assert "審査が終了しているため" in refused.get_data(as_text=True)
    assert latest().status == "issued" and application.id == latest().id


def post_page_raw(client, url: str, data: dict):
    """POST with a token taken from another page (the form page itself is refused)."""
    token = csrf_token(client.get("/home").get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def test_staff_cancel_ends_sessions_releases_codes_and_mails_both(app, client, smtp):
    application = start(client, smtp)
    review(staff(app, "reviewer"), "approve")
    office = db.session.scalars(
        select(IssuedCredential).where(
            IssuedCredential.application_id == application.id, IssuedCredential.kind == "office"
        )
    ).one()
    office_code, office_password = office.office_code, decrypt(office.password_encrypted)
    supervisor = staff(app, "supervisor")
    page = supervisor.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    assert f"/staff/applications/{application.id}/admin/cancel" in page
    form = supervisor.get(f"/staff/applications/{application.id}/admin/cancel")
    assert form.status_code == 200 and "申込の取消" in form.get_data(as_text=True)
    smtp.clear()
    response = operate(supervisor, application.id, "cancel", "重複した申込のため")
    assert response.status_code == 302

    application = latest()
    assert application.status == "cancelled"
    assert application.instance.status == "cancelled" and application.instance.next_timer_at is None
    assert ready_rows(application.id) == []
    users = [c for c in application.credentials if c.kind == "user"]
    assert users and all(c.released_at is not None for c in users)
    (event,) = events(application.id, "application_cancelled")
    assert event.actor == "staff:supervisor" and event.detail["reason"] == "重複した申込のため"
    assert event.detail["codes_released"] == 1
    (mail,) = smtp.by_subject("取消のお知らせ（NACCSセンター）")
    assert recipients(mail) == BOTH and "重複した申込のため" in smtp.body(mail)
    # The open session ends at the next request, with the reason on the login page.
    ended = client.get("/home", follow_redirects=True).get_data(as_text=True)
    assert "この申込は取り消されたため、ログインできません。" in ended
    # Neither the 仮ログインID nor the 事業所コード logs in any more.
    refused = login(app.test_client(), office_code, office_password)
    assert "この申込は取り消されたため、ログインできません。" in refused.get_data(as_text=True)
    # The staff timeline says who did it and why.
    timeline = supervisor.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    assert "申込取消（職員）" in timeline and "重複した申込のため" in timeline
    # Nothing more to administer on an ended application.
    assert "/admin/cancel" not in timeline
    assert operate(supervisor, application.id, "cancel").status_code == 422


def test_rejected_application_can_no_longer_log_in(app, client, smtp):
    login_id_password = signup(client, smtp)
    assert login(client, *login_id_password).status_code == 302
    complete_applicant_tasks(client)
    review(staff(app, "reviewer"), "reject", reason="機器所有事業所との関係が確認できません。")
    assert latest().status == "rejected"
    ended = client.get("/home", follow_redirects=True).get_data(as_text=True)
    assert "この申込は却下されたため、ログインできません。" in ended
    refused = login(app.test_client(), *login_id_password)
    assert refused.status_code == 200
    assert "この申込は却下されたため" in refused.get_data(as_text=True)


def test_suspended_timers_wait_and_fire_on_resume(app, client, smtp, clock_at):
    application = start(client, smtp, submit=False)
    task_url = next_task_url(client)
    supervisor = staff(app, "supervisor")
    assert operate(supervisor, application.id, "suspend", "本人確認中").status_code == 302
    instance = latest().instance
    assert instance.suspended_at is not None and instance.suspended_reason == "本人確認中"

    home = client.get("/home").get_data(as_text=True)
    assert "この申込は現在一時停止されています。" in home
    assert task_url not in home
    refused = client.get(task_url)
    assert refused.status_code == 409
    assert "この申込は現在一時停止されています。" in refused.get_data(as_text=True)
    # Past the 48-hour deadline: neither the worker nor a request fires it.
    clock_at.shift(timedelta(hours=49))
    assert fire_due_timers() == 0
    assert login(client, *CREDENTIALS[client]).status_code == 302  # a login fires nothing
    assert "この申込は現在一時停止されています。" in client.get("/home").get_data(as_text=True)
    assert latest().status == "entry" and events(application.id, "timer_fired") == []

    supervisor = staff(app, "supervisor")  # a new session: the old one timed out meanwhile
    assert operate(supervisor, application.id, "resume", "確認済み").status_code == 302
    (resumed,) = events(application.id, "instance_resumed")
    assert resumed.detail["overdue_timers"] and resumed.detail["reason"] == "確認済み"
    # Deadlines are not extended: the overdue timer fires on the next pass.
    assert fire_due_timers() == 1
    assert latest().status == "expired"


def test_submissions_are_refused_while_suspended(app, client, smtp):
    application = start(client, smtp)
    supervisor = staff(app, "supervisor")
    reviewer = staff(app, "reviewer")
    url = claim_and_open(reviewer)
    assert operate(supervisor, application.id, "suspend").status_code == 302
    page = reviewer.get(url).get_data(as_text=True)
    data = {
        "decision": "approve",
        "confirmed_start_date": application.wished_start_date.isoformat(),
        "csrf_token": csrf_token(page),
        "submit": "1",
    }
    response = reviewer.post(url, data=data, follow_redirects=True)
    assert "この申込は現在一時停止されています。" in response.get_data(as_text=True)
    assert latest().status == "submitted"
    # The staff page shows the mark and offers resuming, not suspending again.
    page = supervisor.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    assert "一時停止中" in page and "/admin/resume" in page and "/admin/suspend" not in page
    # The analyst sees the mark on the diagram page too.
    analyst = staff(app, "analyst")
    diagram = analyst.get(f"/analyst/applications/{application.id}").get_data(as_text=True)
    assert "一時停止中" in diagram
    assert operate(supervisor, application.id, "resume").status_code == 302
    response = reviewer.post(
        url, data={**data, "csrf_token": csrf_token(reviewer.get(url).get_data(as_text=True))}
    )
    assert response.status_code == 302
    assert latest().status == "issued"


def test_reopen_after_approval_goes_back_to_review(app, client, smtp):
    application = start(client, smtp)
    review(staff(app, "reviewer"), "approve")
    application = latest()
    assert application.status == "issued"
    codes_before = sorted(c.user_id or c.office_code for c in application.credentials)
    first_review = db.session.scalars(
        select(HumanTask).where(
            HumanTask.application_id == application.id, HumanTask.form_key == "review_decision"
        )
    ).one()
    assert first_review.state == "completed"

    supervisor = staff(app, "supervisor")
    response = operate(supervisor, application.id, "reopen", "承認日の誤り")
    assert response.status_code == 302
    application = latest()
    assert application.status == "submitted" and application.confirmed_start_date is None
    rows = ready_rows(application.id)
    assert [(r.form_key, r.owner_id, r.lane) for r in rows] == [
        ("review_decision", None, "reviewer")
    ]
    assert rows[0].task_id == first_review.task_id  # the engine reset the same task
    (event,) = events(application.id, "decision_reopened")
    assert event.detail["old"]["decision"] == "approve" and event.detail["reason"] == "承認日の誤り"
    # The applicant's 申込内容の確認 went away with the steps after the decision.
    assert next_task_url(client) is None
    # The task is in the reviewer's queue again, and a new decision runs end to end.
    reviewer = staff(app, "reviewer")
    assert application.reference_no in reviewer.get("/staff/?scope=unclaimed").get_data(
        as_text=True
    )
    review(reviewer, "approve")
    application = latest()
    assert application.status == "issued" and application.confirmed_start_date is not None
    assert sorted(c.user_id or c.office_code for c in application.credentials) == codes_before
    assert complete_applicant_tasks(client, stop_at="system_setup") == ["issuance_confirm"]


def test_variable_correction_keeps_old_and_new_in_the_audit(app, client, smtp):
    application = start(client, smtp)
    admin = staff(app, "admin")
    url = f"/staff/applications/{application.id}/admin/variables"
    page = admin.get(url).get_data(as_text=True)
    assert "<code>entry_plan</code>" in page and "<code>application_id</code>" not in page
    # Invalid JSON: refused next to the field, what was typed stays.
    bad = post_page(
        admin,
        url,
        {"name": "entry_plan", "kind": "json", "value": "{plan: B", "reason": "誤記"},
        "",
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "JSONとして読み取れません" in html and "{plan: B" in html
    good = post_page(
        admin,
        url,
        {"name": "entry_plan", "kind": "json", "value": '{"plan": "B"}', "reason": "申込者の依頼"},
        "",
    )
    assert good.status_code == 302
    (event,) = events(application.id, "variable_corrected")
    assert event.detail["old"] == {"plan": "A"} and event.detail["new"] == {"plan": "B"}
    assert event.detail["reason"] == "申込者の依頼" and event.actor == "staff:admin"
    assert latest().answer("entry_plan") == {"plan": "B"}
    assert "{&#34;plan&#34;: &#34;B&#34;}" in admin.get(url).get_data(as_text=True) or (
        "&#34;B&#34;" in admin.get(url).get_data(as_text=True)
    )
    # A string value, as typed.
    assert (
        post_page(
            admin,
            url,
            {"name": "reference_no", "kind": "string", "value": "2600001A", "reason": "テスト"},
            "",
        ).status_code
        == 302
    )
    last = events(application.id, "variable_corrected")[-1]
    assert last.detail["new"] == "2600001A"
    timeline = admin.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    assert "業務フローの変数を訂正" in timeline and "申込者の依頼" in timeline


def test_who_may_administer(app, client, smtp):
    application = start(client, smtp)
    base = f"/staff/applications/{application.id}/admin"
    for who in ("reviewer", "analyst"):
        other = staff(app, who)
        for op in ("cancel", "suspend", "resume", "reopen", "variables"):
            assert other.get(f"{base}/{op}").status_code == 403, (who, op)
        token = csrf_token(other.get(f"/staff/applications/{application.id}").get_data(True))
        refused = other.post(f"{base}/cancel", data={"reason": "x", "csrf_token": token})
        assert refused.status_code == 403
        page = other.get(f"/staff/applications/{application.id}").get_data(as_text=True)
        assert "/admin/" not in page
    assert latest().status == "submitted"
    # Applicants never reach staff pages, and another applicant cannot withdraw this one.
    assert client.get(f"{base}/cancel").status_code == 302
    other_applicant = app.test_client()
    assert login(other_applicant, *signup(other_applicant, smtp)).status_code == 302
    assert other_applicant.get(f"{base}/suspend").status_code == 302
    done = post_page(other_applicant, "/application/withdraw", {"reason": "自分の申込"}, "")
    assert done.status_code == 200
    assert latest().status == "withdrawn"
    assert db.session.get(Application, application.id).status == "submitted"
    anonymous = app.test_client()
    assert anonymous.get(f"{base}/cancel").status_code == 302
    assert anonymous.get("/application/withdraw").status_code == 302


def test_reopen_a_rejection_and_a_return(app, client, smtp):
    """The main workflow had ended (却下) or a correction stage was running (差戻し): both go
    back to the same review task with the engine's reset, and the new decision runs."""
    application = start(client, smtp)
    reviewer = staff(app, "reviewer")
    review(reviewer, "reject", reason="誤って却下")
    assert latest().status == "rejected" and latest().instance.status == "completed"
    supervisor = staff(app, "supervisor")
    assert operate(supervisor, application.id, "reopen", "却下の誤り").status_code == 302
    application = latest()
    assert application.status == "submitted" and application.instance.status == "running"
    assert [r.form_key for r in ready_rows(application.id)] == ["review_decision"]
    # The applicant may log in again; the decision now returns the application.
    assert login(client, *CREDENTIALS[client]).status_code == 302
    review(reviewer, "return", comment="事業所名を確認してください。")
    assert latest().status == "returned"
    assert next_task_url(client) is not None  # the correction stage is open
    assert operate(supervisor, application.id, "reopen", "差戻しの誤り").status_code == 302
    assert latest().status == "submitted"
    assert next_task_url(client) is None  # the correction stage went away
    assert [r.form_key for r in ready_rows(application.id)] == ["review_decision"]
    review(reviewer, "approve")
    assert latest().status == "issued"
    old = [e.detail["old"]["decision"] for e in events(application.id, "decision_reopened")]
    assert old == ["reject", "return"]


def test_cancelled_instance_on_the_analyst_diagram(app, client, smtp):
    application = start(client, smtp)
    assert operate(staff(app, "admin"), application.id, "cancel").status_code == 302
    analyst = staff(app, "analyst")
    page = analyst.get(f"/analyst/applications/{application.id}").get_data(as_text=True)
    assert 'data-element="call_review"' in page
    assert re.search(r'data-element="call_review"[^>]*data-state="cancelled"', page)
    assert "取消" in page


def test_variable_of_one_running_stage(app, client, smtp):
    application = start(client, smtp)
    admin = staff(app, "admin")
    base = f"/staff/applications/{application.id}/admin/variables"
    page = admin.get(base).get_data(as_text=True)
    stage = re.search(r'href="([^"]*scope=[0-9a-f-]{36})"[^>]*>段階：審査<', page)
    assert stage, "the running review stage is offered as a scope"
    url = stage.group(1).replace("&amp;", "&")
    response = post_page(
        admin,
        url,
        {
            "scope": url.split("scope=")[1],
            "name": "reference_no",
            "kind": "string",
            "value": "X",
            "reason": "段階",
        },
        "",
    )
    assert response.status_code == 302
    (event,) = events(application.id, "variable_corrected")
    assert event.detail["scope"] != "main" and event.detail["new"] == "X"
    # The stage's next step reads the new value (and hands it back when the stage ends).
    stage_page = admin.get(url).get_data(as_text=True)
    assert "&#34;X&#34;" in stage_page


def test_a_screen_posted_during_a_suspension_keeps_its_input(app, client, smtp):
    """Opened before the suspension, posted during it: the typed values come back with the
    message (409) and are kept as the screen's 一時保存 input for after the resumption."""
    application = start(client, smtp, submit=False)  # the 申込内容確認 screen is open
    url = next_task_url(client)
    page = client.get(url).get_data(as_text=True)
    section_url = "/sections/entry_plan"
    section = client.get(section_url).get_data(as_text=True)
    supervisor = staff(app, "supervisor")
    assert operate(supervisor, application.id, "suspend").status_code == 302

    typed = {"remarks": "停止中に入力した備考", "csrf_token": csrf_token(page), "submit": "1"}
    response = client.post(url, data=typed)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "この申込は現在一時停止されています。" in html and "停止中に入力した備考" in html
    assert latest().drafts["entry_confirm"]["remarks"] == ["停止中に入力した備考"]
    # An earlier screen corrected with 「修正する」: the same.
    response = client.post(
        section_url, data={"plan": "B", "csrf_token": csrf_token(section), "submit": "1"}
    )
    assert response.status_code == 409
    assert "この申込は現在一時停止されています。" in response.get_data(as_text=True)
    assert latest().drafts["entry_plan"]["plan"] == ["B"]
    assert latest().answers["entry_plan"]["plan"] == "A" and latest().status == "entry"

    assert operate(supervisor, application.id, "resume").status_code == 302
    assert "停止中に入力した備考" in client.get(url).get_data(as_text=True)


def test_staff_screens_posted_during_a_suspension_keep_their_input(app, client, smtp):
    application = start(client, smtp)
    reviewer = staff(app, "reviewer")
    url = claim_and_open(reviewer)
    page = reviewer.get(url).get_data(as_text=True)
    supervisor = staff(app, "supervisor")
    assert operate(supervisor, application.id, "suspend").status_code == 302
    data = {
        "decision": "return",
        "comment": "停止中に書いた差戻し理由",
        "csrf_token": csrf_token(page),
        "submit": "1",
    }
    response = reviewer.post(url, data=data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "この申込は現在一時停止されています。" in html and "停止中に書いた差戻し理由" in html
    assert latest().status == "submitted"


def test_instance_admin_and_operations_forms_refuse_control_characters(app):
    from werkzeug.datastructures import MultiDict

    from forms.instance_admin import ReasonForm, VariableForm
    from forms.operations import ResolveIncidentForm

    with app.test_request_context(method="POST"):
        for form in (
            ReasonForm(MultiDict({"reason": "取消\u202e理由"}), meta={"csrf": False}),
            ResolveIncidentForm(MultiDict({"note": "対応\x1b済"}), meta={"csrf": False}),
        ):
            assert not form.validate()
        variable = VariableForm(
            MultiDict({"name": "x", "kind": "string", "value": "a\x00b", "reason": "理由"}),
            meta={"csrf": False},
        )
        variable.offer(["x"])
        variable.validate()
        assert "\x00" not in (variable.value.data or "")
