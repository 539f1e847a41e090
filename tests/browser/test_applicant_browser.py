"""One application through the whole journey in a real Chromium, by visible labels and buttons."""

import os
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Application

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS_DIR")


def shot(page, name: str) -> None:
    """Screenshots for people checking the screens by eye (SCREENSHOTS_DIR=...)."""
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def mail_body(smtp, subject: str) -> str:
    messages = smtp.by_subject(subject)
    assert messages, f"no mail {subject}"
    return smtp.body(messages[-1])


def test_whole_journey_by_labels(browser_page, live_app, smtp):
    from playwright.sync_api import expect

    page = browser_page
    # 1. 仮アカウント申込: the terms first, then the contact.
    page.goto("/")
    page.get_by_role("link", name="ログインIDをお持ちでない方はこちら").click()
    page.get_by_role("button", name="システム利用規程に同意する").click()
    page.get_by_label("企業名", exact=True).fill("ナックスシステム株式会社")
    page.get_by_label("企業名（カナ）").fill("なっくすしすてむかぶしきかいしゃ")
    page.get_by_label("氏名（姓）").fill("混載")
    page.get_by_label("氏名（名）").fill("一郎")
    page.get_by_label("氏名カナ（姓）").fill("ｺﾝｻｲ")
    page.get_by_label("氏名カナ（名）").fill("いちろう")
    page.get_by_label("電話番号").fill("０１２３－４５６－７８９")
    page.get_by_label("E-mail", exact=True).fill("konsai.ichiro@naccs.example.jp")
    page.get_by_label("E-mail（確認）").fill("konsai.ichiro@naccs.example.jp")
    shot(page, "01_signup_contact")
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_text("コンサイ")).to_be_visible()  # half-width kana made full-width
    page.get_by_role("button", name="申込内容を登録する").click()
    expect(page.get_by_text("利用申込用の仮ログインID・パスワードを送信しました")).to_be_visible()

    body = mail_body(smtp, "仮アカウント登録完了")
    login_id = re.search(r"仮ログインID：(\d{7})", body).group(1)
    password = re.search(r"仮パスワード：([A-Z0-9]{8})", body).group(1)

    # 2. 詳細情報の入力
    page.get_by_role("link", name="ログイン画面へ").click()
    page.get_by_label("ログインID").fill(login_id)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_text("仮ログインIDの有効期限（48時間）")).to_be_visible()
    page.get_by_role("link", name="申込ガイダンスへ進む").click()
    page.get_by_role("button", name="申込担当者の入力へ進む").click()

    expect(page.get_by_label("氏名（姓）")).to_have_value("混載")
    page.get_by_label("申込理由").fill("海上貨物の通関業務を開始するため。")
    expect(page.locator("#reason-counter")).to_contain_text("17 / 240文字")
    shot(page, "02_entry_contact")
    page.get_by_role("button", name="次へ進む").click()

    wished = page.get_by_label("利用開始希望日")
    wished.select_option(index=1)
    expect(page.get_by_role("table")).to_contain_text("締切済")
    shot(page, "03_start_date")
    page.get_by_role("button", name="次へ進む").click()

    # 事業所: 「反映」 fills the address and the customs; an unknown code is explained.
    page.get_by_label("事業所名", exact=True).fill("海上事業所")
    page.get_by_label("事業所名（カナ）").fill("かいじょうじぎょうしょ")
    page.get_by_label("郵便番号").fill("999-9999")
    page.get_by_role("button", name="反映").click()
    expect(page.get_by_text("郵便番号「9999999」に該当する住所が見つかりません")).to_be_visible()
    page.get_by_label("郵便番号").fill("２１２－００１３")
    page.get_by_role("button", name="反映").click()
    expect(page.get_by_label("都道府県")).to_have_value("神奈川県")
    expect(page.get_by_label("市区町村")).to_have_value("川崎市幸区")
    expect(page.get_by_label("管轄税関")).to_have_value("横浜税関")
    expect(page.get_by_label("番地・建物")).to_have_value("堀川町")
    page.get_by_label("番地・建物").fill("堀川町９９９ ナックスタワー１階")
    page.get_by_label("住所（カナ）").fill("カナガワケンカワサキシサイワイクホリカワチョウ")
    page.get_by_label("電話番号").fill("03-1234-5678")
    shot(page, "04_office")
    # 一時保存 logs out; logging in again resumes here with everything filled.
    page.get_by_role("button", name="一時保存").click()
    expect(page.get_by_text("入力内容を一時保存してログアウトしました")).to_be_visible()
    page.get_by_label("ログインID").fill(login_id)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="事業所に関する情報")).to_be_visible()
    expect(page.get_by_label("事業所名", exact=True)).to_have_value("海上事業所")
    expect(page.get_by_label("番地・建物")).to_have_value(
        "堀川町999 ナックスタワー1階"
    )  # made half-width
    page.get_by_role("button", name="次へ進む").click()

    # 契約者 by keyboard only: Tab between fields, Space on the radio, Enter to go on.
    page.get_by_label("氏名", exact=True).focus()
    page.keyboard.type("南楠 太郎")
    page.keyboard.press("Tab")
    page.keyboard.type("なっくす たろう")
    page.keyboard.press("Tab")
    page.keyboard.type("代表取締役社長")
    page.keyboard.press("Tab")
    expect(page.get_by_label("事業所に同じ")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="管理責任者に関する情報")).to_be_visible()

    # 管理責任者: 一般NACCS is explained, netNACCS goes on.
    expect(page.get_by_label("申込担当者に同じ")).to_be_checked()
    page.get_by_label("緊急連絡用FAX番号1").fill("0000000000")
    page.get_by_label("上記を確認しました").check()
    page.get_by_role("button", name="一般NACCSを利用する").click()
    expect(page.get_by_text("変更申込を行ってください").first).to_be_visible()
    expect(page.get_by_label("上記を確認しました")).to_be_checked()
    page.get_by_role("button", name="netNACCSを利用する").click()

    # 利用者コード: add a code, set a row, a refused group mix, then confirm.
    page.get_by_role("button", name="新規に利用者コードを追加する").click()
    page.get_by_label("システム区分").select_option("海上")
    page.get_by_label("要", exact=True).first.check()
    page.get_by_label("通関業").check()
    page.get_by_label("海貨業").check()
    page.get_by_role("button", name="設定する", exact=True).click()
    expect(page.get_by_text("利用者コード1に設定しました。")).to_be_visible()
    page.get_by_label("システム区分").select_option("海上")
    page.get_by_label("船会社").check()
    page.get_by_role("button", name="設定する", exact=True).click()
    expect(
        page.get_by_text("異なるグループの業種は同一の利用者コードに設定できません")
    ).to_be_visible()
    shot(page, "05_user_code_error")
    page.get_by_label("船会社").uncheck()
    page.get_by_label("システム区分").select_option("")
    page.get_by_role("button", name="この内容で設定する").click()
    expect(page.get_by_role("heading", name="利用者コード1")).to_be_visible()
    shot(page, "06_user_code_list")
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_text("通関士用の利用者ID（通関士ID）")).to_be_visible()
    page.get_by_role("button", name="次へ進む").click()

    # Enter in the text box takes the screen's own button.
    page.get_by_label("機器所有事業所の事業所コード").fill("nac001")
    page.get_by_label("機器所有事業所の事業所コード").press("Enter")

    expect(page.locator("table.estimate")).to_contain_text("5,000円")  # プランA: 1 ID
    page.get_by_label("プランA「基本＋従量」").check()
    shot(page, "07_plan")
    page.get_by_role("button", name="次へ進む").click()

    page.get_by_label("希望しない").first.check()
    page.get_by_label("事業所に同じ").check()
    page.get_by_label("氏名", exact=True).fill("経理 太郎")
    page.get_by_label("氏名（カナ）").fill("ケイリ タロウ")
    page.get_by_label("電話番号").fill("0987654321")
    page.get_by_label("E-mail1").fill("keiri.taro@naccs.example.jp")
    page.get_by_label("銀行振込").check()
    page.get_by_label("振込先銀行").select_option("三菱UFJ銀行")
    shot(page, "08_billing")
    page.get_by_role("button", name="申込内容確認へ進む").click()

    # 申込内容確認: every section with a 修正する; saving it comes straight back here.
    expect(page.get_by_text("海上事業所").first).to_be_visible()
    shot(page, "09_confirm")
    page.get_by_role("button", name="修正する（料金プラン）").click()
    expect(page.get_by_label("プランA「基本＋従量」")).to_be_checked()
    page.get_by_role("button", name="次へ進む").click()
    expect(page.get_by_role("heading", name="申込内容確認")).to_be_visible()
    page.get_by_label("備考").fill("通関業許可12月20日予定")
    page.get_by_role("button", name="申込内容を登録する").click()
    expect(page.get_by_text("利用申込の受付が完了しました。")).to_be_visible()
    reference = page.locator("#reference-no").inner_text().strip()
    assert re.fullmatch(r"26\d{5}[A-Z]", reference)
    assert reference in mail_body(smtp, "受付完了")
    shot(page, "10_received")

    # 審査 by the NACCS Center (through its own pages, with the test client).
    from tests.helpers import review, staff_login

    staff = live_app.test_client()
    staff_login(staff)
    application = db.session.scalars(select(Application)).one()
    review(staff, "approve", confirmed_start_date=application.wished_start_date.isoformat())

    # 3. 申込内容の確認: news, 詳細, 申込書, ID通知内容.
    page.get_by_role("link", name="メニューへ").click()
    news = f"【{reference}】利用申込の審査が終了しました。通知内容を確認してください。"
    expect(page.get_by_text(news)).to_be_visible()
    shot(page, "11_home_issued")
    page.get_by_role("link", name=re.compile("^詳細")).first.click()
    pdf_link = page.get_by_role("link", name="申込書を出力する")
    response = page.request.get(pdf_link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    page.get_by_role("link", name="ID通知内容").click()
    expect(page.get_by_text("まで表示できます")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("A0A")
    shot(page, "12_notice")
    page.get_by_role("link", name="メニューへ戻る").click()
    page.get_by_role("link", name="申込内容の確認へ進む").click()
    page.get_by_label("利用開始日・ID通知内容を確認しました").check()
    page.get_by_role("button", name="確認しました（システム設定の申込へ進む）").click()

    # 3.1 システム設定の申込: English only, 反映 fills the English address.
    # 企業名（英） can be typed only after 「同一企業の全事業所情報を変更します」 is checked.
    expect(page.get_by_label("企業名（英）")).not_to_be_editable()
    page.get_by_label("事業所名（英）").fill("KAIJO")
    page.get_by_label("担当者名（英）").fill("I.KONSAI")
    page.get_by_role("button", name="反映").click()
    expect(page.get_by_label("住所（英）1")).to_have_value("KANAGAWA KEN")
    expect(page.get_by_label("住所（英）3")).to_have_value("HORIKAWA CYO")
    page.get_by_label("住所（英）3").fill("HORIKAWA CYO 999")
    page.get_by_label("事業所名（英）").fill("KAIJO 事業所")
    page.get_by_role("button", name="システム設定を申し込む").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("半角英数字と記号")
    page.get_by_label("事業所名（英）").fill("KAIJO")
    page.get_by_label("同一企業の全事業所情報を変更します").check()
    page.get_by_label("企業名（英）").fill("NACCS SYSTEM CO.,LTD.")
    shot(page, "13_setup")
    page.get_by_role("button", name="システム設定を申し込む").click()
    expect(page.get_by_text("システム設定申込済")).to_be_visible()
    assert reference in mail_body(smtp, "システム設定申込受付")
