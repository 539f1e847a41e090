"""The applicant's navigation in a real Chromium: the browser Back button, leaving a screen by
the header メニュー or 「修正する」 without losing input, and corrections that return straight
to 申込内容確認 (after the applicant's own 修正する and after a 差戻し)."""

import os
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Application
from tests.helpers import complete_applicant_tasks, login, review, staff_login

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS_DIR")
DEAD_END = "操作できません"


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def application() -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application)).one()


def credentials(smtp) -> tuple[str, str]:
    body = smtp.body(smtp.by_subject("仮アカウント登録完了")[-1])
    return (
        re.search(r"仮ログインID：(\d{7})", body).group(1),
        re.search(r"仮パスワード：([A-Z0-9]{8})", body).group(1),
    )


def press_if_shown(page, name: str) -> None:
    """After Back the browser may show its cached copy of the page (then the applicant sends
    it again) or load it afresh (the server redirects): both must lead somewhere true."""
    button = page.get_by_role("button", name=name, exact=True)
    if button.count() and button.first.is_visible():
        button.first.click()


def test_back_button_menu_and_corrections_in_a_browser(browser_page, live_app, smtp):
    from playwright.sync_api import expect

    page = browser_page
    # --- 仮アカウント申込, with the browser's Back button on the confirmation screen.
    page.goto("/signup")
    page.get_by_role("button", name="システム利用規程に同意する").click()
    contact_url = page.url
    page.get_by_label("企業名", exact=True).fill("ナックスシステム株式会社")
    page.get_by_label("企業名（カナ）").fill("ナックスシステムカブシキカイシャ")
    page.get_by_label("氏名（姓）").fill("混載")
    page.get_by_label("氏名（名）").fill("一郎")
    page.get_by_label("氏名カナ（姓）").fill("コンサイ")
    page.get_by_label("氏名カナ（名）").fill("イチロウ")
    page.get_by_label("電話番号").fill("0123456789")
    page.get_by_label("E-mail", exact=True).fill("konsai.ichiro@naccs.example.jp")
    page.get_by_label("E-mail（確認）").fill("konsai.ichiro@naccs.example.jp")
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_role("button", name="申込内容を登録する")).to_be_visible()
    page.go_back()
    expect(page.get_by_label("氏名（名）")).to_have_value("一郎")  # the screen, with its data
    expect(page.get_by_text(DEAD_END)).to_have_count(0)
    page.get_by_label("氏名（名）").fill("次郎")
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_text("姓：混載　名：次郎")).to_be_visible()
    # The old URL opened afresh (a reload, a bookmark): the screen, a note, no dead end.
    page.goto(contact_url)
    expect(page.get_by_text("この画面は入力済みです")).to_be_visible()
    expect(page.get_by_label("氏名（名）")).to_have_value("次郎")
    shot(page, "applicant_back_signup")
    page.get_by_role("button", name="次へ進む").click()
    page.get_by_role("button", name="申込内容を登録する").click()
    expect(page.get_by_text("利用申込用の仮ログインID・パスワードを送信しました")).to_be_visible()
    page.go_back()
    press_if_shown(page, "申込内容を登録する")
    expect(page.get_by_text("仮アカウントの申込は完了しています")).to_be_visible()
    assert application().answer("signup_contact")["first_name"] == "次郎"

    # --- 詳細情報の入力: Back from 利用開始希望日 to 申込担当者.
    login_id, password = credentials(smtp)
    page.get_by_label("ログインID").fill(login_id)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("link", name="申込ガイダンスへ進む").click()
    page.get_by_role("button", name="申込担当者の入力へ進む").click()
    page.get_by_label("申込理由").fill("海上貨物の通関業務を開始するため。")
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_label("利用開始希望日")).to_be_visible()
    page.go_back()
    expect(page.get_by_label("申込理由")).to_have_value("海上貨物の通関業務を開始するため。")
    expect(page.get_by_text(DEAD_END)).to_have_count(0)
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_label("利用開始希望日")).to_be_visible()
    expect(page.get_by_text(DEAD_END)).to_have_count(0)

    # The screens up to 利用者コード through HTTP as the same applicant (the journey test
    # walks them by label); the browser goes on from the menu.
    client = live_app.test_client()
    assert login(client, login_id, password).status_code == 302
    complete_applicant_tasks(client, stop_at="entry_user_codes")

    # --- 利用者コード: codes set, then the header メニュー; nothing is lost.
    page.goto("/home")
    page.get_by_role("link", name="利用者コードへ進む").click()
    page.get_by_role("button", name="新規に利用者コードを追加する").click()
    page.get_by_label("システム区分").select_option("海上")
    page.get_by_label("要", exact=True).first.check()
    page.get_by_label("通関業").check()
    page.get_by_label("海貨業").check()
    page.get_by_role("button", name="設定する", exact=True).click()
    page.get_by_role("button", name="この内容で設定する").click()
    expect(page.get_by_role("heading", name="利用者コード1")).to_be_visible()
    page.get_by_role("button", name="メニュー", exact=True).click()
    expect(page).to_have_url(re.compile(r"/home$"))
    page.get_by_role("link", name="利用者コードへ進む").click()
    expect(page.get_by_role("heading", name="利用者コード1")).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("通関業・海貨業")
    page.get_by_role("button", name="次へ進む").click()
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_label("機器所有事業所の事業所コード")).to_be_visible()
    assert application().answer("entry_user_codes")["rows"][0]["industries"] == [
        "通関業",
        "海貨業",
    ]
    complete_applicant_tasks(client, stop_at="entry_confirm")

    # --- 申込内容確認: 備考 typed, then 修正する; saved, straight back here with 備考 kept.
    page.goto("/home")
    page.get_by_role("link", name="申込内容確認へ進む").click()
    page.get_by_label("備考").fill("通関業許可12月20日予定")
    shot(page, "applicant_confirm")
    page.get_by_role("button", name="修正する（事業所に関する情報）").click()
    expect(page.get_by_text("現在の画面「申込内容確認」に戻ります")).to_be_visible()
    shot(page, "applicant_section_correction")
    page.get_by_label("事業所名", exact=True).fill("海上第二事業所")
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_role("heading", name="申込内容確認")).to_be_visible()
    expect(page.get_by_label("備考")).to_have_value("通関業許可12月20日予定")
    expect(page.locator("#sec-entry_office")).to_contain_text("海上第二事業所")
    page.get_by_role("button", name="申込内容を登録する").click()
    expect(page.get_by_text("利用申込の受付が完了しました。")).to_be_visible()
    assert application().answer("entry_confirm")["remarks"] == "通関業許可12月20日予定"
    # Back from 受付完了: registered is registered, said as such, never 「期限切れ」.
    page.go_back()
    press_if_shown(page, "申込内容を登録する")
    expect(page.get_by_text("「申込内容確認」の手続きは完了しています")).to_be_visible()
    expect(page.get_by_text(DEAD_END)).to_have_count(0)
    shot(page, "applicant_back_after_registration")

    # --- 差戻し: the fix goes straight back to 申込内容確認, not through 契約者 … 請求先.
    staff = live_app.test_client()
    staff_login(staff)
    review(staff, "return", comment="事業所名をご確認ください。")
    page.goto("/home")
    page.get_by_role("link", name="申込内容確認へ進む").click()
    expect(page.get_by_text("事業所名をご確認ください。").first).to_be_visible()
    page.get_by_role("button", name="修正する（事業所に関する情報）").click()
    page.get_by_label("事業所名", exact=True).fill("海上事業所")
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_role("heading", name="申込内容確認")).to_be_visible()
    expect(page.locator("#sec-entry_office")).to_contain_text("海上事業所")
    page.get_by_role("button", name="申込内容を登録する").click()
    expect(page.get_by_text("利用申込の受付が完了しました。")).to_be_visible()
    resubmitted = application()
    assert resubmitted.status == "submitted"
    assert resubmitted.answer("entry_office")["office_name"] == "海上事業所"
