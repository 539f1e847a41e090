"""The review page and the three decisions: 承認 (start date), 差戻し (comments, diff), 却下."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Application, AuditEvent, HumanTask, ReviewDecision
from app.services.review import SECTION, comments_for_applicant
from tests.helpers import (
    ANSWERS,
    claim_and_open,
    complete_applicant_tasks,
    csrf_token,
    login,
    next_task_url,
    post_page,
    signup,
    staff_login,
)

OFFICE_COMMENT = "事業所名は登記上の正式名称を入力してください。"


def submit(client, smtp) -> Application:
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client)
    return only_application()


def only_application() -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application).order_by(Application.id.desc())).first()


def options(html: str, name: str) -> list[tuple[str, bool, str]]:
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    found = re.findall(r"<option([^>]*)>([^<]*)</option>", select_html)
    return [
        (re.search(r'value="([^"]*)"', attrs).group(1), "selected" in attrs, label)
        for attrs, label in found
    ]


def decide(staff_client, url: str, data: dict, button: str = "submit"):
    return post_page(staff_client, url, data, button=button)


def test_review_page_shows_the_whole_application_checks_and_deadlines(
    app, client, staff_client, smtp
):
    application = submit(client, smtp)
    staff_login(staff_client)
    url = claim_and_open(staff_client)
    html = staff_client.get(url).get_data(as_text=True)
    assert f"審査：申込受付番号 {application.reference_no}" in html
    # Submitted Tuesday 1 December: the answer is due the next business day.
    assert "2026年12月2日（水）中" in html
    assert "利用契約関係申込締切日" in html and "システム設定関係申込締切日" in html
    sections = re.findall(r'<h2 id="sec-(\w+)">([^<]*)', html)
    assert [key for key, _ in sections] == [
        "entry_contact",
        "entry_start_date",
        "entry_office",
        "entry_contractor",
        "entry_manager",
        "entry_user_codes",
        "entry_equipment",
        "entry_plan",
        "entry_billing",
        "entry_confirm",
    ]
    assert sections[2][1].strip() == "事業所に関する情報"
    assert "海上事業所" in html and "機器所有事業所の事業所コード" in html and "NAC001" in html
    assert html.count('class="badge ok">OK<') == 9  # every automatic check passes (+ code space)
    for label in ("機器所有事業所の登録", "同一企業", "同一住所", "重複申込", "管轄税関"):
        assert label in html
    wished = application.wished_start_date.isoformat()
    chosen = [(value, label) for value, selected, label in options(html, "confirmed_start_date")]
    assert (wished, True) in [(v, s) for v, s, _ in options(html, "confirmed_start_date")]
    assert any(value == wished and "（希望日）" in label for value, label in chosen)
    assert 'name="field_comments-entry_office.office_name"' in html


def test_approve_with_another_start_date_is_flagged_in_the_mail(app, client, staff_client, smtp):
    application = submit(client, smtp)
    staff_login(staff_client)
    url = claim_and_open(staff_client)
    html = staff_client.get(url).get_data(as_text=True)
    wished = application.wished_start_date.isoformat()
    other = next(v for v, _, _ in options(html, "confirmed_start_date") if v and v != wished)
    response = decide(staff_client, url, {"decision": "approve", "confirmed_start_date": other})
    assert response.status_code == 302
    application = only_application()
    assert application.status == "issued" and application.confirmed_start_date.isoformat() == other
    decision = db.session.scalar(select(ReviewDecision))
    assert decision.decision == "approve" and decision.date_changed and decision.round == 1
    assert decision.decided_by == "staff:reviewer" and decision.answers["entry_office"]
    mail = smtp.by_subject("利用申込確認完了")[-1]
    body = smtp.body(mail)
    assert "【ご注意】利用開始日は、ご希望の" in body and "から変更しています" in body
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review_decided"))
    assert event.detail["date_changed"] is True and event.detail["confirmed_start_date"] == other


def test_approve_with_the_wished_date_is_not_flagged(app, client, staff_client, smtp):
    application = submit(client, smtp)
    staff_login(staff_client)
    url = claim_and_open(staff_client)
    wished = application.wished_start_date.isoformat()
    decide(staff_client, url, {"decision": "approve", "confirmed_start_date": wished})
    body = smtp.body(smtp.by_subject("利用申込確認完了")[-1])
    assert "【ご注意】" not in body and "から変更しています" not in body


def test_return_with_comments_per_field_then_the_resubmission_diff(app, client, staff_client, smtp):
    application = submit(client, smtp)
    staff_login(staff_client)
    url = claim_and_open(staff_client)
    response = decide(
        staff_client,
        url,
        {
            "decision": "return",
            "comment": "",
            "field_comments-entry_office.office_name": OFFICE_COMMENT,
            "field_comments-entry_billing": "請求先の担当者を確認してください。",
        },
    )
    assert response.status_code == 302
    application = only_application()
    assert application.status == "returned"
    assert comments_for_applicant(application.id) == {
        "entry_office": {"office_name": OFFICE_COMMENT},
        "entry_billing": {SECTION: "請求先の担当者を確認してください。"},
    }
    assert f"事業所に関する情報／事業所名：{OFFICE_COMMENT}" in application.review_comment
    decision = db.session.scalar(select(ReviewDecision))
    assert [(c.form_key, c.field) for c in decision.comments] == [
        ("entry_office", "office_name"),
        ("entry_billing", ""),
    ]

    # The applicant sees each comment beside what it concerns: on the confirmation page and on
    # the 事業所 screen next to 事業所名.
    task_url = next_task_url(client)
    assert OFFICE_COMMENT in client.get(task_url).get_data(as_text=True)
    office_page = client.get("/sections/entry_office").get_data(as_text=True)
    assert OFFICE_COMMENT in office_page
    assert office_page.index(OFFICE_COMMENT) < office_page.index('name="office_kana"')
    assert office_page.index('name="office_name"') < office_page.index('name="office_kana"')

    # The applicant corrects the office name and registers the application again.
    office = {**ANSWERS["entry_office"], "office_name": "海上第二事業所"}
    assert post_page(client, "/sections/entry_office", office, button="").status_code == 302
    assert post_page(client, task_url, ANSWERS["entry_confirm"]).status_code == 302
    application = only_application()
    assert application.status == "submitted"
    assert comments_for_applicant(application.id) == {}

    url = claim_and_open(staff_client)
    html = staff_client.get(url).get_data(as_text=True)
    assert "再提出された申込です" in html and "差戻し時から変更された項目（1件）" in html
    assert "事業所に関する情報／事業所名" in html
    assert "<del>海上事業所</del>" in html and "海上第二事業所" in html
    assert f"前回の指摘：</strong>{OFFICE_COMMENT}" in html
    assert "再提出（差戻し1回）" in html
    # The form starts empty: the earlier 差戻し is not pre-filled.
    assert 'value="return" checked' not in html and OFFICE_COMMENT not in re.findall(
        r"<textarea[^>]*>([^<]*)</textarea>", html
    )
    wished = application.wished_start_date.isoformat()
    decide(staff_client, url, {"decision": "approve", "confirmed_start_date": wished})
    rounds = db.session.scalars(select(ReviewDecision.decision).order_by(ReviewDecision.round))
    assert list(rounds) == ["return", "approve"]


def test_return_needs_a_comment_and_known_targets(app, client, staff_client, smtp):
    submit(client, smtp)
    staff_login(staff_client)
    url = claim_and_open(staff_client)
    empty = decide(staff_client, url, {"decision": "return"})
    assert empty.status_code == 422
    assert "差戻し内容を入力してください。" in empty.get_data(as_text=True)
    unknown = decide(
        staff_client, url, {"decision": "return", "field_comments-entry_office.nothing": "x"}
    )
    assert unknown.status_code == 422
    assert "指摘の対象となる項目が見つかりません" in unknown.get_data(as_text=True)
    too_long = decide(
        staff_client,
        url,
        {"decision": "return", "field_comments-entry_office.office_name": "あ" * 1001},
    )
    assert "「事業所に関する情報／事業所名」への指摘は1000文字以内" in too_long.get_data(
        as_text=True
    )
    # What was typed stays on the page.
    assert "あ" * 1001 in too_long.get_data(as_text=True)
    assert only_application().status == "submitted"


def test_reject_tells_the_applicant_by_mail(app, client, staff_client, smtp):
    application = submit(client, smtp)
    staff_login(staff_client)
    url = claim_and_open(staff_client)
    reason = "機器所有事業所との関係が確認できませんでした。"
    assert decide(staff_client, url, {"decision": "reject", "reason": reason}).status_code == 302
    application = only_application()
    assert application.status == "rejected" and application.review_comment == reason
    body = smtp.body(smtp.by_subject("却下")[-1])
    assert reason in body and "申込受付年月日：" in body and application.reference_no in body
    assert db.session.scalar(select(ReviewDecision.comment)) == reason
    # The reviewer's 処理済 history lists it; somebody else's does not.
    done = staff_client.get("/staff/?scope=done").get_data(as_text=True)
    assert application.reference_no in done and "却下" in done and "1–1件目を表示" in done
    other = app.test_client()
    staff_login(other, "reviewer2", "reviewer2-pass")
    assert application.reference_no not in other.get("/staff/?scope=done").get_data(as_text=True)


def test_only_the_owner_can_decide(app, client, staff_client, smtp):
    submit(client, smtp)
    staff_login(staff_client)
    url = claim_and_open(staff_client)
    other = app.test_client()
    staff_login(other, "reviewer2", "reviewer2-pass")
    token = csrf_token(other.get("/staff/").get_data(as_text=True))
    refused = other.post(url, data={"csrf_token": token, "decision": "reject", "reason": "x"})
    assert refused.status_code == 403
    assert only_application().status == "submitted"


def test_register_and_take_the_next_application(app, smtp, staff_client):
    first = app.test_client()
    submit(first, smtp)
    second = app.test_client()
    submit(second, smtp)
    staff_login(staff_client)
    url = claim_and_open(staff_client)
    wished = only_application().wished_start_date.isoformat()
    response = decide(
        staff_client,
        url,
        {"decision": "approve", "confirmed_start_date": wished},
        button="submit_next",
    )
    waiting = db.session.scalar(
        select(HumanTask).where(HumanTask.state == "ready", HumanTask.lane == "reviewer")
    )
    assert response.location.endswith(f"/staff/tasks/{waiting.task_id}")
    page = staff_client.get(response.location).get_data(as_text=True)
    assert "承認で登録しました" in page and "次の手続きを担当しました" in page
