"""Rules as the manual says them (issue 11, item 4): 住所（カナ） with digits, login IDs typed
in full-width, mandatory English entries, プランA's base fee 1端末ごと."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Application, IssuedCredential
from app.security import decrypt
from tests.helpers import (
    ANSWERS,
    FORM_KEY,
    complete_applicant_tasks,
    csrf_token,
    login,
    next_task_url,
    post_page,
    review,
    signup,
    staff_login,
)

WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


def only_application() -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application)).one()


def test_address_kana_accepts_the_manuals_example_with_digits(client, smtp) -> None:
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client, stop_at="entry_office")
    url = next_task_url(client)
    manual = "カナガワケンカワサキシサイワイクホリカワチョウ９９９　ナックスタワー１カイ"
    office = dict(ANSWERS["entry_office"], address_kana=manual)
    response = post_page(client, url, office)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert only_application().answer("entry_office")["address_kana"] == manual


def test_address_kana_half_width_digits_and_kana_are_widened(client, smtp) -> None:
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client, stop_at="entry_office")
    url = next_task_url(client)
    typed = "ｶﾅｶﾞﾜｹﾝｶﾜｻｷｼｻｲﾜｲｸﾎﾘｶﾜﾁｮｳ999 ﾅｯｸｽﾀﾜｰ1ｶｲ 2-3"
    response = post_page(client, url, dict(ANSWERS["entry_office"], address_kana=typed))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    stored = only_application().answer("entry_office")["address_kana"]
    assert (
        stored
        == "カナガワケンカワサキシサイワイクホリカワチョウ９９９　ナックスタワー１カイ　２－３"
    )


def test_address_kana_still_refuses_kanji(client, smtp) -> None:
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client, stop_at="entry_office")
    url = next_task_url(client)
    response = post_page(client, url, dict(ANSWERS["entry_office"], address_kana="堀川町９９９"))
    assert response.status_code in (200, 422)
    assert "全角カタカナと数字で入力してください" in response.get_data(as_text=True)


def test_login_ids_typed_in_full_width_digits_are_normalised(client, smtp) -> None:
    login_id, password = signup(client, smtp)
    response = login(client, login_id.translate(WIDE), password)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    assert client.get("/home").status_code == 200


def test_office_code_login_in_full_width(client, staff_client, smtp) -> None:
    """After issuance the 事業所コード (NAC555 …) typed as ＮＡＣ５５５ logs in too."""
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client)
    application = only_application()
    staff_login(staff_client)
    review(staff_client, "approve", confirmed_start_date=application.wished_start_date.isoformat())
    office = db.session.scalars(
        select(IssuedCredential).where(
            IssuedCredential.application_id == application.id, IssuedCredential.kind == "office"
        )
    ).one()
    wide = "".join(chr(ord(c) + 0xFEE0) for c in office.office_code.lower())  # ｎａｃ５５５
    fresh = client.application.test_client()
    response = login(fresh, wide, decrypt(office.password_encrypted))
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]


def test_staff_login_in_full_width(staff_client) -> None:
    page = staff_client.get("/staff/login")
    response = staff_client.post(
        "/staff/login",
        data={
            "login": "ｒｅｖｉｅｗｅｒ",
            "password": "reviewer-pass",
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]


def test_english_entries_are_mandatory_on_system_setup(client, staff_client, smtp) -> None:
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client)
    application = only_application()
    staff_login(staff_client)
    review(staff_client, "approve", confirmed_start_date=application.wished_start_date.isoformat())
    complete_applicant_tasks(client, stop_at="system_setup")
    url = next_task_url(client)
    assert FORM_KEY.search(client.get(url).get_data(as_text=True)).group(1) == "system_setup"
    without = {
        k: v
        for k, v in ANSWERS["system_setup"].items()
        if k not in ("company_name_en", "change_all_offices", "address_en3")
    }
    response = post_page(client, url, without)
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 422)
    assert "企業名（英）を入力してください。" in html
    assert "住所（英）3を入力してください。" in html
    response = post_page(client, url, ANSWERS["system_setup"])
    assert response.status_code == 302


def test_plan_page_says_base_fee_per_terminal(client, smtp) -> None:
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client, stop_at="entry_plan")  # two 識別番号 were set
    html = client.get(next_task_url(client)).get_data(as_text=True)
    assert "1端末ごとに基本料金" in html
    estimate = re.search(r'<table class="list estimate">.*?</table>', html, re.S).group(0)
    assert "<td>5,000円</td>" in estimate  # one terminal, not 2 × 5,000
    assert "10,000円" not in estimate
    assert "プランＡ" not in html and "プランＢ" not in html


# --- dates in one format, and a countdown near a deadline (issue 11, item 7) ----------------


def test_dates_on_mail_home_and_start_date_screen_are_written_one_way(
    client, smtp, clock_at
) -> None:
    from datetime import timedelta

    login_id, password = signup(client, smtp)
    body = smtp.body(smtp.by_subject("仮アカウント登録完了")[-1])
    assert "（2026年12月3日（木）10:00まで）" in body  # was 2026年12月03日 10:00
    assert "12月03日" not in body
    assert login(client, login_id, password).status_code == 302
    home = client.get("/home").get_data(as_text=True)
    assert "2026年12月3日（木）10:00" in home and "あと2日" in home
    clock_at.shift(timedelta(hours=43))  # 12/3 05:00: five hours left
    login(client, login_id, password)
    home = client.get("/home").get_data(as_text=True)
    assert "あと5時間" in home
    complete_applicant_tasks(client, stop_at="entry_start_date")
    page = client.get(next_task_url(client)).get_data(as_text=True)
    assert "2026年12月21日（月）（申込締切 12月4日（金））" in page
    for wrong in ("12/4", "12月04日", "プランＡ"):
        assert wrong not in page


# --- small ones (issue 11, item 8) -------------------------------------------------------------


def test_reviewer_full_width_punctuation_reaches_applicant_and_mail_as_typed(
    client, staff_client, smtp
) -> None:
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client)
    staff_login(staff_client)
    typed = "事業所名を確認してください！（例：本社）　ＦＡＸ番号も？"
    review(staff_client, "return", comment=typed)
    home = client.get("/home").get_data(as_text=True)
    assert typed in home
    assert "確認してください!(例:本社)" not in home
    assert typed in smtp.body(smtp.by_subject("利用申込内容の修正のお願い")[-1])


def test_naccs_choice_hint_names_the_buttons_not_numbers(client, smtp) -> None:
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client, stop_at="entry_manager")
    html = client.get(next_task_url(client)).get_data(as_text=True)
    assert "1 および 2" not in html and "1の申込手続き" not in html
    assert "netNACCSと一般NACCSの両方を利用したい方は" in html


def test_menu_after_approval_offers_the_application_pdf_once(client, staff_client, smtp) -> None:
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client)
    application = only_application()
    staff_login(staff_client)
    review(staff_client, "approve", confirmed_start_date=application.wished_start_date.isoformat())
    home = client.get("/home").get_data(as_text=True)
    assert home.count("kind=application_form") + home.count("/application_form") == 1, home


def test_filing_the_system_setup_says_what_happens_next(client, staff_client, smtp) -> None:
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client)
    application = only_application()
    staff_login(staff_client)
    review(staff_client, "approve", confirmed_start_date=application.wished_start_date.isoformat())
    complete_applicant_tasks(client, stop_at="system_setup")
    response = post_page(client, next_task_url(client), ANSWERS["system_setup"])
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "システム設定の申込を受け付けました。" in page


def test_mails_to_both_contacts_greet_both(client, smtp) -> None:
    assert login(client, *signup(client, smtp)).status_code == 302
    manager = dict(
        ANSWERS["entry_manager"],
        mode="other",
        department="情報システム部",
        title="部長",
        name="管理 次郎",
        kana="カンリ ジロウ",
        phone="0312345679",
        email="kanri.jiro@naccs.example.jp",
    )
    complete_applicant_tasks(client, {"entry_manager": manager})
    mail = smtp.by_subject("受付完了")[-1]
    assert "kanri.jiro@naccs.example.jp" in str(mail["to"])
    body = smtp.body(mail).replace("\r\n", "\n")
    assert "申込担当者 混載 一郎 様\n管理責任者 管理 次郎 様\n" in body


def test_mails_to_one_contact_greet_one(client, smtp) -> None:
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client)
    body = smtp.body(smtp.by_subject("受付完了")[-1]).replace("\r\n", "\n")
    assert "ナックスシステム株式会社\n混載 一郎 様\n\n" in body and "管理責任者 " not in body


DESCRIBEDBY = re.compile(r'aria-describedby="([^"]*)"')


def assert_described_by_existing_ids(html: str) -> None:
    assert 'aria-describedby="None"' not in html
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    for value in DESCRIBEDBY.findall(html):
        for ref in value.split():
            assert ref in ids, f"aria-describedby points at a missing id {ref!r}"


def test_field_comments_are_tied_to_their_fields(client, staff_client, smtp) -> None:
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client)
    staff_login(staff_client)
    comment = "事業所名は登記上の名称で入力してください。"
    review(staff_client, "return", **{"field_comments-entry_office.office_name": comment})
    html = client.get("/sections/entry_office").get_data(as_text=True)
    assert comment in html
    box = re.search(r'<input[^>]*id="office_name"[^>]*>', html).group(0)
    assert "office_name-comment" in DESCRIBEDBY.search(box).group(1)
    assert re.search(r'id="office_name-comment"[^>]*>.*?' + re.escape(comment), html, re.S)
    assert_described_by_existing_ids(html)
    inbox = staff_client.get("/staff/").get_data(as_text=True)
    assert_described_by_existing_ids(inbox)
    inbox = staff_client.get("/staff/?q=%00&submitted_from=x").get_data(as_text=True)
    assert_described_by_existing_ids(inbox)


def test_every_page_links_the_favicon(client) -> None:
    html = client.get("/").get_data(as_text=True)
    link = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', html)
    assert link, "no favicon link"
    icon = client.get(link.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data and b"style=" not in icon.data
    assert 'rel="icon"' in client.get("/staff/login").get_data(as_text=True)
