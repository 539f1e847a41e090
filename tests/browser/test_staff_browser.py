"""The NACCS Center side in a real Chromium: a reviewer approves, an operator does 設定作業."""

import os
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Application
from tests.helpers import ANSWERS, complete_applicant_tasks, login, signup

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS_DIR")


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def short(day) -> str:
    return f"{day.month}月{day.day}日（{'月火水木金土日'[day.weekday()]}）"


def application() -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application)).one()


def staff_login(page, login_name: str) -> None:
    page.goto("/staff/login")
    page.get_by_label("職員ID").fill(login_name)
    page.get_by_label("パスワード").fill(f"{login_name}-pass")
    page.get_by_role("button", name="ログイン").click()


def test_reviewer_approves_and_operator_sees_the_confirmed_date_and_setup_application(
    browser_page, live_app, smtp
):
    from playwright.sync_api import expect

    page = browser_page
    applicant = live_app.test_client()
    login(applicant, *signup(applicant, smtp))
    complete_applicant_tasks(applicant)
    wished = application().wished_start_date

    # 審査: claim from the queue, approve on another date than the wished one.
    staff_login(page, "reviewer")
    expect(page.get_by_role("heading", name="審査一覧")).to_be_visible()
    page.get_by_role("button", name=re.compile("^担当する")).first.click()
    expect(page.get_by_text("担当しました。")).to_be_visible()
    page.get_by_label("承認").check()
    start = page.get_by_label("利用開始日", exact=True)
    options = start.locator("option").evaluate_all("els => els.map(e => e.value)")
    other = next(v for v in options if v and v != wished.isoformat())
    start.select_option(other)
    page.get_by_role("button", name="審査結果を登録する").click()
    expect(page.get_by_text("承認で登録しました")).to_be_visible()

    # The applicant confirms and files the system setup (HTTP, as in the journey test).
    assert complete_applicant_tasks(applicant) == ["issuance_confirm", "system_setup"]
    filed = application()
    confirmed = filed.confirmed_start_date
    assert confirmed.isoformat() == other and filed.status == "setup_filed"

    # 設定作業 queue: the confirmed date with its deadlines and the current status.
    page.goto("/staff/?lane=operator")
    expect(page.get_by_role("heading", name="設定作業一覧")).to_be_visible()
    row = page.locator("table.queue tbody tr").filter(has_text=filed.reference_no)
    expect(row).to_contain_text(short(confirmed))
    expect(row).to_contain_text(f"設定締切 {short(filed.setup_deadline)}")
    expect(row).to_contain_text("システム設定申込済")
    expect(row).not_to_contain_text(short(wished))
    page.get_by_text("絞り込み・並べ替え").click()
    expect(page.get_by_label("利用開始日（から）")).to_be_visible()  # a labelled filter field
    shot(page, "staff_setup_queue")

    # The task page: the dates, the setup application in English, the IDs, the history.
    row.get_by_role("button", name=re.compile("^担当する")).click()
    expect(page.get_by_role("heading", name="受付・デジタル証明書発行作業")).to_be_visible()
    expect(page.locator("#confirmed-start")).to_have_text(
        f"{confirmed.year}年{confirmed.month}月{confirmed.day}日"
        f"（{'月火水木金土日'[confirmed.weekday()]}）"
    )
    setup = ANSWERS["system_setup"]
    for value in ("company_name_en", "office_name_en", "address_en1", "contact_name_en"):
        expect(page.get_by_text(setup[value], exact=True).first).to_be_visible()
    user_ids = [c.user_id for c in filed.credentials if c.kind == "user"]
    for user_id in user_ids:
        expect(page.get_by_role("cell", name=user_id)).to_be_visible()
    # exact: the timeline may also list the reminder mail naming that deadline.
    expect(page.get_by_text("システム設定関係申込締切日", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="履歴（タイムライン）")).to_be_visible()
    expect(page.locator("ol.timeline")).to_contain_text("審査結果を登録")
    shot(page, "staff_setup_work")

    # Another operator opening the same task is told who holds it and since when.
    task_url = page.url
    page.get_by_role("button", name="ログアウト").click()
    staff_login(page, "reviewer2")
    page.goto(task_url)
    expect(page.locator("#held-message")).to_contain_text("審査 太郎さんが担当しています")
    expect(page.locator("#held-message")).to_contain_text("から）")
    expect(page.get_by_text("審査責任者に担当者の変更（割当）を依頼してください")).to_be_visible()
    shot(page, "staff_task_held")
    page.get_by_role("button", name="ログアウト").click()
    staff_login(page, "reviewer")
    page.goto(task_url)

    # Completing the work: a confirmation, back on the 設定作業 tab.
    page.get_by_label("デジタル証明書発行作業を完了しました").check()
    page.get_by_role("button", name="作業完了を登録する").click()
    expect(page.get_by_text("設定作業の完了を登録しました")).to_be_visible()
    expect(page.get_by_role("heading", name="設定作業一覧")).to_be_visible()
    assert application().status == "setup_done"
