"""申込書 and 利用承諾書 as PDF with Japanese text; the home page, 詳細 and ID通知内容."""

import re
import zlib
from datetime import datetime, timedelta

from sqlalchemy import select

from app.domain.schedule import JST
from app.extensions import db
from app.models import AuditEvent
from app.security import decrypt
from app.services.timers import fire_due_timers
from tests.helpers import complete_applicant_tasks, login, review, signup, staff_login
from tests.integration.test_applicant_screens import only_application


def pdf_text_codes(body: bytes) -> set[str]:
    """Unicode code points the PDF's ToUnicode maps declare (the text a reader extracts)."""
    codes: set[str] = set()
    texts = [body.decode("latin-1")]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S):
        try:
            texts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    for text in texts:
        for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
            codes |= {m.upper() for m in re.findall(r"<[0-9A-Fa-f]{4}> <([0-9A-Fa-f]{4})>", block)}
    return codes


def has_text(body: bytes, text: str) -> bool:
    codes = pdf_text_codes(body)
    return all(f"{ord(ch):04X}" in codes for ch in text if not ch.isspace())


def submitted(client, smtp):
    credentials = signup(client, smtp)
    login(client, *credentials)
    complete_applicant_tasks(client)
    return credentials


def test_application_form_pdf_from_the_submitted_data(app, client, smtp):
    submitted(client, smtp)
    response = client.get("/application/documents/application_form.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    body = response.get_data()
    assert body.startswith(b"%PDF") and b"NotoSansCJKJP" in body
    assert has_text(body, "システムサービス利用申込書")
    assert has_text(body, "ナックスシステム株式会社海上事業所横浜税関通関業許可")
    assert has_text(body, only_application().reference_no)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "document_printed" in actions


def test_documents_are_refused_before_they_exist(app, client, smtp):
    credentials = signup(client, smtp)
    login(client, *credentials)
    assert client.get("/application/documents/application_form.pdf").status_code == 404
    assert client.get("/application/documents/consent.pdf").status_code == 404
    assert client.get("/application/documents/other.pdf").status_code == 404
    del credentials


def test_consent_pdf_from_the_start_date(app, client, staff_client, smtp, clock_at):
    credentials = submitted(client, smtp)
    staff_login(staff_client)
    application = only_application()
    review(staff_client, "approve", confirmed_start_date=application.wished_start_date.isoformat())
    complete_applicant_tasks(client)
    assert client.get("/application/documents/consent.pdf").status_code == 404
    start = only_application().confirmed_start_date
    clock_at.move_to(datetime.combine(start, datetime.min.time(), tzinfo=JST) + timedelta(hours=9))
    fire_due_timers()
    login(client, *credentials)
    home = client.get("/home").get_data(as_text=True)
    assert "システムサービス利用承諾書を出力する" in home
    body = client.get("/application/documents/consent.pdf").get_data()
    application = only_application()
    assert has_text(body, "システムサービス利用承諾書" + application.office_code)
    user = next(c for c in application.credentials if c.kind == "user")
    assert has_text(body, user.user_code + user.identifier)


def test_home_shows_status_next_action_deadlines_and_news(app, client, staff_client, smtp):
    credentials = signup(client, smtp)
    login(client, *credentials)
    home = client.get("/home").get_data(as_text=True)
    assert "詳細情報の入力中" in home and "次に行うこと" in home
    assert "仮ログインIDの有効期限（48時間）" in home and "2026年12月3日（木）10:00" in home
    assert "あと2日" in home
    complete_applicant_tasks(client)
    home = client.get("/home").get_data(as_text=True)
    reference = only_application().reference_no
    assert "審査待ち" in home and "審査終了までしばらくお待ちください" in home
    assert "利用契約関係申込締切日" in home and re.search(r"あと\d+日", home)
    assert f"【{reference}】利用申込を受け付けました" in home
    staff_login(staff_client)
    review(
        staff_client,
        "approve",
        confirmed_start_date=only_application().wished_start_date.isoformat(),
    )
    home = client.get("/home").get_data(as_text=True)
    assert f"【{reference}】利用申込の審査が終了しました。通知内容を確認してください。" in home
    assert "システム設定関係申込締切日" in home and "パスワード表示期限" in home
    assert 'href="/application"' in home  # 「詳細」
    detail = client.get("/application").get_data(as_text=True)
    assert (
        "利用開始日（確定）" in detail and "申込書を出力する" in detail and "ID通知内容" in detail
    )
    assert "海上事業所" in detail


def test_id_notice_shows_ids_as_code_and_number_and_records_every_view(
    app, client, staff_client, smtp, clock_at
):
    submitted(client, smtp)
    staff_login(staff_client)
    review(
        staff_client,
        "approve",
        confirmed_start_date=only_application().wished_start_date.isoformat(),
    )
    application = only_application()
    user = next(c for c in application.credentials if c.kind == "user")
    page = client.get("/application/notice").get_data(as_text=True)
    assert f'<td class="code">{user.user_code} {user.identifier}' in page
    assert application.office_code in page and "横浜税関" in page
    until = application.password_visible_until
    assert f"パスワードは {until.year}年{until.month}月{until.day}日" in page
    client.get("/application/notice")
    views = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "id_notice_viewed")
    ).all()
    assert len(views) == 2 and all(v.detail["passwords_shown"] for v in views)
    # File the setup application (or the deadline cancels it); after the 利用開始日 the
    # 仮ログインID is closed, so the applicant comes back with the 事業所コード.
    complete_applicant_tasks(client)
    office = next(c for c in only_application().credentials if c.kind == "office")
    office_login = (office.office_code, decrypt(office.password_encrypted))
    clock_at.move_to(datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=JST))
    fire_due_timers()
    login(client, *office_login)
    page = client.get("/application/notice").get_data(as_text=True)
    assert "（表示できません）" in page and f"{user.user_code} {user.identifier}" in page
    db.session.expire_all()
    last = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "id_notice_viewed").order_by(AuditEvent.id)
    ).all()[-1]
    assert last.detail["passwords_shown"] is False
