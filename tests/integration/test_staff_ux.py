"""The reviewer's and operator's daily path (issue 11, items 10–13) over HTTP."""

import re
from datetime import timedelta
from html.parser import HTMLParser

from sqlalchemy import select

from app.domain.schedule import JST
from app.domain.status import STATUS_LABELS
from app.extensions import db
from app.models import Application, AuditEvent, HumanTask
from tests.helpers import (
    ANSWERS,
    claim_and_open,
    complete_applicant_tasks,
    csrf_token,
    first_option,
    login,
    next_task_url,
    post_page,
    signup,
    staff_login,
)

CONTRACTOR_ELSEWHERE = {
    **ANSWERS["entry_contractor"],
    "address_mode": "other",
    "postal_code": "100-0013",
    "prefecture": "東京都",
    "city": "千代田区",
    "street": "霞が関３－１－１",
    "address_kana": "トウキョウトチヨダクカスミガセキ",
}


def only_application() -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application)).one()


def staff(app, name: str = "reviewer"):
    client = app.test_client()
    staff_login(client, name, f"{name}-pass")
    return client


def submitted(app, smtp, answers: dict | None = None):
    client = app.test_client()
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client, answers)
    return client


def returned_then_approved_and_filed(app, smtp):
    """差戻し once, resubmitted, approved on another date than wished, setup filed."""
    applicant = submitted(app, smtp)
    reviewer = staff(app)
    url = claim_and_open(reviewer)
    response = post_page(reviewer, url, {"decision": "return", "comment": "請求先を確認"})
    assert response.status_code == 302
    task_url = next_task_url(applicant)
    assert post_page(applicant, task_url, ANSWERS["entry_confirm"]).status_code == 302
    url = claim_and_open(reviewer)
    html = reviewer.get(url).get_data(as_text=True)
    wished = only_application().wished_start_date.isoformat()
    dates = re.findall(r'<option[^>]*value="(\d{4}-\d{2}-\d{2})"', html)
    other = next(d for d in dates if d != wished)
    response = post_page(reviewer, url, {"decision": "approve", "confirmed_start_date": other})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert complete_applicant_tasks(applicant) == ["issuance_confirm", "system_setup"]
    application = only_application()
    assert application.status == "setup_filed"
    assert application.confirmed_start_date.isoformat() == other
    return application, reviewer


def short(day) -> str:
    return f"{day.month}月{day.day}日（{'月火水木金土日'[day.weekday()]}）"


def test_operator_queue_row_shows_the_confirmed_date_its_deadlines_and_the_status(app, smtp):
    application, reviewer = returned_then_approved_and_filed(app, smtp)
    confirmed, wished = application.confirmed_start_date, application.wished_start_date
    assert confirmed != wished and application.setup_deadline is not None
    queue = reviewer.get("/staff/?lane=operator&scope=unclaimed").get_data(as_text=True)
    row = re.search(r"<tbody>(.*?)</tbody>", queue, re.S).group(1)
    assert application.reference_no in row
    assert short(confirmed) in row and short(wished) not in row
    assert f"設定締切 {short(application.setup_deadline)}" in row
    assert f"作業期限 {short(confirmed - timedelta(days=1))}00:00" in row
    assert STATUS_LABELS["setup_filed"] in row
    assert "再提出" not in row and "差戻し1回" not in row
    assert "申込締切" not in row
    assert ">利用開始日" in queue and "（設定締切・作業期限）" in queue
    # The review queue keeps the wished date and the resubmission mark (its own business).
    done = reviewer.get("/staff/?lane=reviewer&scope=done").get_data(as_text=True)
    assert short(wished) in re.search(r"<tbody>(.*?)</tbody>", done, re.S).group(1)

    # Filters and sorting of the 設定作業 queue work on the confirmed date.
    by_confirmed = (
        f"/staff/?lane=operator&scope=unclaimed&start_from={confirmed}&start_to={confirmed}"
    )
    assert application.reference_no in reviewer.get(by_confirmed).get_data(as_text=True)
    by_wished = f"/staff/?lane=operator&scope=unclaimed&start_from={wished}&start_to={wished}"
    assert application.reference_no not in reviewer.get(by_wished).get_data(as_text=True)
    assert "利用開始日（から）" in queue


def test_setup_work_page_shows_what_the_operator_needs(app, smtp):
    application, reviewer = returned_then_approved_and_filed(app, smtp)
    url = claim_and_open(reviewer, lane="operator")
    page = reviewer.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    confirmed = application.confirmed_start_date
    assert "利用開始日（確定）" in html
    assert f"{confirmed.year}年{confirmed.month}月{confirmed.day}日" in html
    setup = application.setup_deadline
    assert "システム設定関係申込締切日" in html
    assert f"{setup.year}年{setup.month}月{setup.day}日" in html
    before = confirmed - timedelta(days=1)
    assert f"{before.year}年{before.month}月{before.day}日" in html and "00:00まで" in html
    # The setup application in English, the office, the IDs and the shared equipment.
    for value in ANSWERS["system_setup"].values():
        if value not in ("y", "2120013"):
            assert value in html, value
    assert "システム設定の申込内容" in html and "事業所名（英）" in html
    users = [c.user_id for c in application.credentials if c.kind == "user"]
    assert users and all(u in html for u in users)
    assert application.office_code in html
    assert "機器所有事業所の事業所コード" in html and "NAC001" in html
    assert "パスワード" in html and not any(
        c.password_encrypted and c.password_encrypted in html for c in application.credentials
    )
    # The history is the staff page's timeline, on this page.
    assert "履歴（タイムライン）" in html
    assert "審査結果を登録" in html and "差戻し" in html and "担当した" in html
    day = f"{confirmed.year}年{confirmed.month}月{confirmed.day}日"
    assert f"承認（利用開始日 {day}" in html and confirmed.isoformat() not in html
    assert html.count('class="timeline"') == 1
    # And still the form.
    assert 'name="certificate_issued"' in html and 'name="note"' in html
    assert " style=" not in html


def test_completing_setup_work_flashes_and_returns_to_the_setup_tab(app, smtp):
    application, reviewer = returned_then_approved_and_filed(app, smtp)
    url = claim_and_open(reviewer, lane="operator")
    refused = post_page(reviewer, url, {"note": "途中"})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "途中" in body and "利用開始日（確定）" in body  # typed note kept, facts still shown
    response = post_page(reviewer, url, ANSWERS["setup_work"])
    assert response.status_code == 302
    assert response.location.endswith("/staff/?lane=operator")
    queue = reviewer.get(response.location).get_data(as_text=True)
    assert f"申込受付番号 {application.reference_no}：設定作業の完了を登録しました。" in queue
    assert "<h1>設定作業一覧</h1>" in queue
    assert only_application().status == "setup_done"


def test_a_task_held_by_someone_else_says_who_since_when_and_what_a_supervisor_can_do(
    app, smtp, clock_at
):
    submitted(app, smtp)
    holder = staff(app, "reviewer")
    clock_at.shift(timedelta(minutes=7))
    url = claim_and_open(holder)
    claimed = db.session.scalar(
        select(AuditEvent.at).where(AuditEvent.action == "task_claimed")
    ).astimezone(JST)
    since = f"{claimed.year}年{claimed.month}月{claimed.day}日"
    clock_at.shift(timedelta(hours=2))

    other = staff(app, "reviewer2")
    page = other.get(url)
    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert "先に「担当する」を押してください" not in html
    assert "審査 太郎</strong>さんが担当しています" in html
    assert f"{since}" in html and f"{claimed:%H:%M}から" in html
    assert "審査責任者に担当者の変更" in html
    assert "/unclaim" not in html  # not a supervisor: no buttons
    # A POST is refused the same way and changes nothing.
    token = csrf_token(other.get("/staff/").get_data(as_text=True))
    posted = other.post(url, data={"csrf_token": token, "decision": "reject", "reason": "x"})
    assert posted.status_code == 403 and "審査 太郎" in posted.get_data(as_text=True)
    assert only_application().status == "submitted"

    # A supervisor is offered to unclaim or reassign, and can.
    supervisor = staff(app, "supervisor")
    html = supervisor.get(url).get_data(as_text=True)
    assert "審査責任者は、担当を外して未割当に戻すか、担当者を変更できます。" in html
    unclaim = re.search(r'action="(/staff/human-tasks/\d+/unclaim)"', html).group(1)
    assert re.search(r'<label for="held-reassign">担当者を変更</label>', html)
    response = supervisor.post(
        unclaim, data={"csrf_token": csrf_token(html), "next": "/staff/?lane=reviewer"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(HumanTask.owner_id).where(HumanTask.lane == "reviewer")) is None
    # Unclaimed now: the page offers 担当する instead of a dead end.
    html = other.get(url).get_data(as_text=True)
    assert "まだ誰も担当していません" in html and "/claim" in html


def test_reassignment_time_is_the_holding_time(app, smtp, clock_at):
    submitted(app, smtp)
    supervisor = staff(app, "supervisor")
    url = claim_and_open(supervisor)
    clock_at.shift(timedelta(hours=3, minutes=5))
    html = supervisor.get("/staff/?lane=reviewer&scope=all").get_data(as_text=True)
    action = re.search(r'action="(/staff/human-tasks/\d+/reassign)"', html).group(1)
    reviewer_id = re.search(r'<option value="(\d+)"[^>]*>審査 花子</option>', html).group(1)
    supervisor.post(action, data={"csrf_token": csrf_token(html), "staff_id": reviewer_id})
    moved = db.session.scalar(
        select(AuditEvent.at).where(AuditEvent.action == "task_reassigned")
    ).astimezone(JST)
    html = staff(app, "reviewer").get(url).get_data(as_text=True)
    assert "審査 花子</strong>さんが担当しています" in html and f"{moved:%H:%M}から" in html


def test_review_page_shows_the_choice_not_the_instruction(app, smtp):
    submitted(app, smtp, {"entry_contractor": CONTRACTOR_ELSEWHERE})
    reviewer = staff(app)
    url = claim_and_open(reviewer)
    html = reviewer.get(url).get_data(as_text=True)
    assert "下欄に入力してください" not in html
    section = html[html.index('id="section-entry_contractor"') :]
    section = section[: section.index("</section>")]
    assert ">その他<" in section and "霞が関3-1-1" in section and "千代田区" in section
    application = only_application().id
    page = reviewer.get(f"/staff/applications/{application}").get_data(as_text=True)
    assert "下欄に入力してください" not in page


class _Controls(HTMLParser):
    """The form controls of a page and the `for` targets of its labels."""

    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.styled: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.styled.append(tag)
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in (
            "hidden",
            "submit",
        ):
            self.controls.append(attrs)


def test_every_queue_filter_field_has_a_label_and_no_inline_style(app, smtp):
    submitted(app, smtp)
    supervisor = staff(app, "supervisor")
    for lane in ("reviewer", "operator"):
        parser = _Controls()
        parser.feed(supervisor.get(f"/staff/?lane={lane}&scope=all").get_data(as_text=True))
        names = {c.get("name") for c in parser.controls}
        assert {"q", "submitted_from", "start_to", "due", "status", "sort", "order"} <= names
        unlabelled = [c for c in parser.controls if c.get("id") not in parser.label_for]
        assert unlabelled == [], unlabelled
        assert parser.styled == []


def test_the_wished_date_filter_still_applies_to_the_review_queue(app, smtp):
    submitted(app, smtp)
    reviewer = staff(app)
    wished = only_application().wished_start_date
    queue = reviewer.get(
        f"/staff/?lane=reviewer&scope=unclaimed&start_from={wished}&start_to={wished}"
    ).get_data(as_text=True)
    assert only_application().reference_no in queue
    assert "利用開始希望日（から）" in queue and first_option is not None
