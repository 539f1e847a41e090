"""Never losing input (戻る, 一時保存, invalid submits), confirmation, 受付番号, home and ID通知."""

import re
from datetime import datetime

from app.domain.codes import is_valid_reference_number
from app.domain.schedule import JST
from tests.helpers import (
    ANSWERS,
    complete_applicant_tasks,
    csrf_token,
    login,
    next_task_url,
    post_page,
    signup,
)
from tests.integration.test_applicant_screens import assert_labelled, at_screen, only_application


def test_invalid_submit_redisplays_everything_with_linked_messages(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_office")
    typed = {**ANSWERS["entry_office"], "office_kana": "ﾎﾝｼｬ", "phone": "03-1234", "city": "①丁目"}
    response = post_page(client, url, typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-summary"' in html and html.index("error-summary") < html.index('name="city"')
    assert '<a href="#phone">電話番号は10桁または11桁の数字で入力してください。</a>' in html
    assert '<a href="#city">市区町村：機種依存文字（①など）は使用できません：①</a>' in html
    assert '<a href="#office_kana-error"' not in html and 'id="city-error"' in html
    assert 'value="ホンシャ"' in html  # half-width katakana stored full-width
    assert (
        'value="海上事業所"' in html
        and 'value="①丁目"' in html
        and 'value="0312345678"' not in html
    )
    assert 'aria-invalid="true"' in html and 'aria-invalid="None"' not in html
    assert_labelled(html)


def test_back_keeps_the_input_and_forward_again_needs_no_retyping(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_contractor")
    half_typed = {"name": "南楠 太郎", "kana": "なっくす"}
    response = post_page(client, url, half_typed, button="go_back")
    assert response.location.endswith("/sections/entry_office")
    office = client.get("/sections/entry_office").get_data(as_text=True)
    assert 'value="海上事業所"' in office and "戻る" in office
    # Back again to the start date, then forward screen by screen without typing anything.
    response = post_page(client, "/sections/entry_office", {}, button="go_back")
    assert response.location.endswith("/sections/entry_start_date")
    wished = only_application().answer("entry_start_date")["wished_start_date"]
    page = client.get("/sections/entry_start_date").get_data(as_text=True)
    assert f'<option selected value="{wished}">' in page
    response = post_page(client, "/sections/entry_start_date", {"wished_start_date": wished})
    assert response.location.endswith("/sections/entry_office")
    response = post_page(client, "/sections/entry_office", ANSWERS["entry_office"])
    assert response.location.endswith(url)
    contractor = client.get(url).get_data(as_text=True)
    assert 'value="南楠 太郎"' in contractor and 'value="ナックス"' in contractor


def test_temp_save_on_an_earlier_screen_resumes_there(app, client, smtp):
    url, credentials = at_screen(client, smtp, "entry_manager")
    changed = {**ANSWERS["entry_office"], "office_name": "海上第二事業所", "phone": "12"}
    response = post_page(client, "/sections/entry_office", changed, button="save_draft")
    assert response.location.endswith("/login")
    assert client.get("/home").status_code == 302  # logged out
    response = login(client, *credentials)
    response = client.get(response.location)
    assert response.location.endswith("/sections/entry_office")
    page = client.get(response.location).get_data(as_text=True)
    assert 'value="海上第二事業所"' in page and 'value="12"' in page
    # Not yet saved: the application still has the old name until 「次へ進む」.
    assert only_application().answer("entry_office")["office_name"] == "海上事業所"
    response = post_page(client, "/sections/entry_office", {**changed, "phone": "0312345678"})
    # Saved: straight back to the current screen (the screens between are complete).
    assert response.location.endswith(url)
    assert only_application().answer("entry_office")["office_name"] == "海上第二事業所"
    assert "entry_office" not in only_application().drafts


def test_temp_save_is_offered_on_every_detail_screen_but_not_before_login(app, client, smtp):
    page = client.get("/signup")
    response = client.post("/signup", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert "一時保存" not in client.get(response.location).get_data(as_text=True)
    credentials = signup(client, smtp)
    login(client, *credentials)
    seen = []
    url = next_task_url(client)
    while url and "/tasks/" in url:
        html = client.get(url).get_data(as_text=True)
        key = re.search(r'data-form-key="(\w+)"', html).group(1)
        assert 'name="save_draft"' in html, key
        assert_labelled(html)
        seen.append(key)
        data = dict(ANSWERS[key])
        if key == "entry_start_date":
            data["wished_start_date"] = re.search(r'<option value="(\d{4}-[^"]+)"', html).group(1)
        url = post_page(client, url, data).location
    assert len(seen) == 11


def test_start_date_offers_only_open_dates_with_the_schedule(app, client, smtp, clock_at):
    url, _ = at_screen(client, smtp, "entry_start_date")
    html = client.get(url).get_data(as_text=True)
    offered = re.findall(r'<option value="(\d{4}-\d{2}-\d{2})"', html)
    # 2026-12-01: the start date 12/14 (contract deadline Fri 11/27) has gone, 12/21 is open:
    # its deadline is Fri 12/4, the business day before Sunday 12/6 (start − 15 days).
    assert "2026-12-14" not in offered and offered[0] == "2026-12-21"
    assert "スケジュール表" in html and "締切済" in html and "あと3日" in html
    response = post_page(client, url, {"wished_start_date": "2026-12-14"})
    assert "利用契約関係申込締切日を過ぎた可能性があります" in response.get_data(as_text=True)


def test_registration_refused_once_the_contract_deadline_passed(app, client, smtp, clock_at):
    clock_at.move_to(datetime(2026, 12, 3, 10, 0, tzinfo=JST))
    url, credentials = at_screen(client, smtp, "entry_confirm")
    assert only_application().answer("entry_start_date")["wished_start_date"] == "2026-12-21"
    clock_at.move_to(datetime(2026, 12, 5, 0, 30, tzinfo=JST))  # deadline Fri 12/4 has passed
    login(client, *credentials)  # within the 48 hours, after the session's 8
    response = post_page(client, url, {"remarks": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "利用開始希望日（2026年12月21日（月））は利用契約関係申込締切日を過ぎたため" in html
    assert only_application().reference_no is None
    page = client.get("/sections/entry_start_date").get_data(as_text=True)
    later = re.findall(r'<option value="(\d{4}-\d{2}-\d{2})"', page)[0]
    post_page(client, "/sections/entry_start_date", {"wished_start_date": later})
    response = post_page(client, url, {"remarks": ""})
    assert response.status_code == 302 and response.location.endswith("/application/received")


def test_confirmation_lists_every_section_in_words_with_links(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_confirm")
    html = client.get(url).get_data(as_text=True)
    for title in (
        "申込担当者・申込理由",
        "利用開始希望日",
        "事業所に関する情報",
        "契約者に関する情報",
        "管理責任者に関する情報",
        "利用者コード",
        "機器共用に関する項目",
        "料金プラン",
        "請求先に関する情報",
    ):
        assert f'aria-label="修正する（{title}）"' in html, title
    assert '<dt>管轄税関</dt><dd class="pre">横浜税関</dd>' in html
    assert "プランA「基本＋従量」" in html and "銀行振込" in html and "申込担当者に同じ" in html
    assert "email_confirm" not in html and "<dt>company_name</dt>" not in html
    assert "備考" in html and "申込内容を登録する" in html


def test_reference_number_on_screen_and_in_the_mail_to_both_contacts(app, client, smtp):
    credentials = signup(client, smtp)
    login(client, *credentials)
    manager = {
        **ANSWERS["entry_manager"],
        "mode": "other",
        "department": "営業一課",
        "title": "課長",
        "name": "保税 花子",
        "kana": "ホゼイ ハナコ",
        "phone": "0355559999",
        "email": "hozei.hanako@naccs.example.jp",
    }
    complete_applicant_tasks(client, {"entry_manager": manager})
    application = only_application()
    assert is_valid_reference_number(application.reference_no)
    page = client.get("/application/received").get_data(as_text=True)
    assert "利用申込の受付が完了しました。" in page and application.reference_no in page
    assert "回答は翌営業日以降になることがあります" in page
    mail = smtp.by_subject("受付完了")[-1]
    assert {"konsai.ichiro@naccs.example.jp", "hozei.hanako@naccs.example.jp"} <= set(
        a.strip() for a in str(mail["to"]).split(",")
    )
    assert application.reference_no in smtp.body(mail)
    assert application.drafts == {}


def test_direct_debit_without_same_account_sends_the_request_form_mail(app, client, smtp):
    credentials = signup(client, smtp)
    login(client, *credentials)
    billing = {**ANSWERS["entry_billing"], "payment": "debit", "same_account": "no", "bank": ""}
    complete_applicant_tasks(client, {"entry_billing": billing})
    mails = smtp.by_subject("預金口座振替依頼書についてのお知らせ")
    assert mails and "billing@naccs.example.jp" in str(mails[-1]["to"])


def test_general_naccs_is_explained_and_net_naccs_goes_on(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_manager")
    response = post_page(client, url, {**ANSWERS["entry_manager"], "naccs_type": "general"}, "")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "一般NACCSを追加する変更申込を行ってください" in html
    assert 'value="0123987650"' in html  # nothing typed lost
    assert "netNACCSを利用する" in html and "一般NACCSを利用する" in html
    assert post_page(client, url, ANSWERS["entry_manager"], "").status_code == 302


def test_owning_office_of_another_company_says_joint_use_and_offers_the_fix(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_equipment")
    html = post_page(client, url, {"owner_office_code": "ZZZ999"}).get_data(as_text=True)
    assert "事業所コード「ZZZ999」は登録されていません。" in html
    html = post_page(client, url, {"owner_office_code": "NAC002"}).get_data(as_text=True)
    assert "機器所有事業所の住所" in html and "/sections/entry_office" in html
    html = post_page(client, url, {"owner_office_code": "ABC001"}).get_data(as_text=True)
    assert "エービーシー物流株式会社" in html and "「共同利用」となり" in html
    assert "この手続きでは申し込めません" in html


def test_plan_screen_estimates_the_monthly_fee_from_the_codes(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_plan")
    html = client.get(url).get_data(as_text=True)
    # ANSWERS: one code, 識別番号数 2, no paid options; the base fee is 1端末ごと (one
    # terminal), not per 識別番号: プランA 5,000円, プランB 0円.
    assert re.search(r"プランA</th><td>5,000円</td><td>0円</td><td><strong>5,000円", html)
    assert re.search(r"プランB</th><td>0円</td>", html)


def test_reason_counter_and_the_240_limit(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_contact")
    html = client.get(url).get_data(as_text=True)
    assert 'id="reason-counter"' in html and "0 / 240文字" in html
    response = post_page(client, url, {**ANSWERS["entry_contact"], "reason": "あ" * 241})
    html = response.get_data(as_text=True)
    assert "申込理由は240文字以内で入力してください。" in html and "241 / 240文字" in html


def test_signup_contact_can_be_corrected_before_registering(app, client, smtp):
    page = client.get("/signup")
    response = client.post("/signup", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    contact = {**ANSWERS["entry_contact"]}
    contact.pop("reason")
    confirm = post_page(
        client, response.location, {**contact, "email": "typo@naccs", "email_confirm": "typo@naccs"}
    )
    assert confirm.status_code == 422  # a malformed E-mail never reaches the confirmation
    confirm = post_page(
        client, response.location, {**contact, "email_confirm": "x@naccs.example.jp"}
    )
    assert "E-mailとE-mail（確認）が一致しません。" in confirm.get_data(as_text=True)
    confirm = post_page(client, response.location, contact)
    html = client.get(confirm.location).get_data(as_text=True)
    assert "/signup/sections/signup_contact" in html
    fixed = {
        **contact,
        "email": "right@naccs.example.jp",
        "email_confirm": "right@naccs.example.jp",
    }
    back = post_page(client, "/signup/sections/signup_contact", fixed)
    assert back.location == confirm.location
    assert "right@naccs.example.jp" in client.get(back.location).get_data(as_text=True)
    post_page(client, back.location, {})
    assert smtp.by_subject("仮アカウント登録完了")[-1]["to"] == "right@naccs.example.jp"
