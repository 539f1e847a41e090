"""Every error of a screen in one pass, in the browser: summary, beside the field, only the
wrong boxes outlined (issue 11, item 5)."""

import os

import pytest

from tests.helpers import complete_applicant_tasks, login, next_task_url, signup

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS_DIR")


def _to_billing(live_app, smtp, page) -> None:
    """Drive the earlier screens over HTTP, then log in in the browser and open 請求先."""
    client = live_app.test_client()
    login_id, password = signup(client, smtp)
    assert login(client, login_id, password).status_code == 302
    complete_applicant_tasks(client, stop_at="entry_billing")
    url = next_task_url(client)
    page.goto("/login")
    page.get_by_label("ログインID").fill(login_id)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.goto(url)


def test_billing_reports_the_email_format_with_the_other_errors(browser_page, live_app, smtp):
    from playwright.sync_api import expect

    page = browser_page
    _to_billing(live_app, smtp, page)
    expect(page.get_by_role("heading", name="請求先に関する情報")).to_be_visible()
    page.get_by_label("希望しない").first.check()
    page.get_by_label("E-mail1").fill("billing@")
    page.get_by_label("電話番号").fill("12")
    page.get_by_role("button", name="申込内容確認へ進む").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("E-mailの形式が正しくありません")
    expect(summary).to_contain_text("氏名を入力してください")
    expect(summary).to_contain_text("電話番号")
    email1 = page.get_by_label("E-mail1")
    expect(email1).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#emails-0-error")).to_contain_text("E-mailの形式が正しくありません")
    # Only the wrong box is outlined: the four empty ones are not invalid.
    for number in range(2, 6):
        box = page.get_by_label(f"E-mail{number}")
        assert box.get_attribute("aria-invalid") is None
        assert "has-error" not in (box.locator("xpath=..").get_attribute("class") or "")
    assert "has-error" in (email1.locator("xpath=..").get_attribute("class") or "")
    expect(email1).to_have_value("billing@")  # nothing typed is lost
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "applicant_billing_errors.png"), full_page=True)
