"""Finding 13: NUL, control and bidi-override characters never reach the database, mails or PDFs.

Each text field refuses them with 「使用できない制御文字が含まれています。」 beside the field and
keeps the rest of what was typed; 一時保存 drafts drop them and keep at most 64 KB; the URL
refuses them with a 400; a staff note that is refused is shown again with its text.
"""

import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.domain.text import (
    DRAFT_LIMIT_BYTES,
    bounded_draft,
    control_chars,
    describe_chars,
    strip_control_chars,
)
from app.extensions import db
from app.models import Application, Office, StaffNote, StaffUser
from forms.review import StaffNoteForm
from forms.signup import SignupContactForm
from tests.helpers import (
    SIGNUP_CONTACT,
    claim_and_open,
    complete_applicant_tasks,
    csrf_token,
    login,
    next_task_url,
    post_page,
    signup,
    staff_login,
)

MESSAGE = "使用できない制御文字が含まれています。"
# NUL, ESC, DEL, a C1 control, the bidi override and isolate, a zero-width space.
BAD = ["\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u2066", "\u200b"]


# --- the rule --------------------------------------------------------------------------------


@pytest.mark.parametrize("ch", [*BAD, "\x01", "\x1f", "\x9f", "\u202a", "\u2069", "\ufeff"])
def test_control_and_bidi_characters_are_refused(ch):
    assert control_chars(f"ナックス{ch}株式会社") == [ch]
    assert control_chars(f"a{ch}b", multiline=True) == [ch]


def test_tab_and_newline_only_in_multi_line_text():
    assert control_chars("一行目\n二行目\t終わり\r\n", multiline=True) == []
    assert control_chars("一行\t目") == ["\t"]
    assert control_chars("ナックスシステム株式会社　海上事業所（Ａ＆Ｂ）①") == []
    assert describe_chars(["\x00", "\u202e"]) == "U+0000、U+202E"
    assert strip_control_chars("a\x00b\u202ec\nd") == "abc\nd"


def test_a_draft_keeps_no_control_characters_and_at_most_64_kb():
    raw = {"company_name": ["ナックス\x00\x1b株式会社"], "remarks": ["行1\n行2\t"]}
    assert bounded_draft(raw) == {"company_name": ["ナックス株式会社"], "remarks": ["行1\n行2\t"]}
    huge = bounded_draft({f"f{i}": ["あ" * 10_000] for i in range(5)})  # 30 KB each
    size = sum(len(k.encode()) + sum(len(v.encode()) for v in vs) for k, vs in huge.items())
    assert DRAFT_LIMIT_BYTES - 3 <= size <= DRAFT_LIMIT_BYTES
    assert huge["f0"] == huge["f1"] == ["あ" * 10_000]  # what fits is kept whole
    assert 0 < len(huge["f2"][0]) < 10_000 and "f3" not in huge


@pytest.mark.parametrize("ch", BAD)
def test_every_text_field_of_a_form_refuses_them_beside_the_field(app, ch):
    with app.test_request_context(method="POST"):
        data = MultiDict({**SIGNUP_CONTACT, "company_name": f"ナックス{ch}株式会社"})
        form = SignupContactForm(formdata=data, meta={"csrf": False})
        assert not form.validate()
        assert form.errors == {"company_name": [MESSAGE]}
        # The rest of the typed text comes back (without the invisible character), so a second
        # press of the button goes through; lookups made while redrawing never see it either.
        assert form.company_name._value() == form.company_name.data == "ナックス株式会社"
        note = StaffNoteForm(
            formdata=MultiDict({"body": f"一行目\n二行目{ch}"}), meta={"csrf": False}
        )
        assert not note.validate() and note.body.errors == [MESSAGE]
        fine = StaffNoteForm(
            formdata=MultiDict({"body": "一行目\r\n\t二行目"}), meta={"csrf": False}
        )
        assert fine.validate(), fine.errors


# --- over HTTP -------------------------------------------------------------------------------


def _form_post(client, url: str, data: dict, page_url: str | None = None):
    page = client.get(page_url or url)
    assert page.status_code == 200, (url, page.status_code)
    return client.post(url, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})


@pytest.mark.parametrize("ch", ["\x00", "\x1b", "\u202e"])
def test_both_login_forms_refuse_them_without_a_500(app, ch):
    client = app.test_client()
    applicant = _form_post(client, "/login", {"login_id": f"00{ch}00001", "password": "x"})
    assert applicant.status_code == 200 and MESSAGE in applicant.get_data(as_text=True)
    staff = _form_post(client, "/staff/login", {"login": f"review{ch}er", "password": "p"})
    assert staff.status_code == 200 and MESSAGE in staff.get_data(as_text=True)
    password = _form_post(client, "/staff/login", {"login": "reviewer", "password": f"a{ch}"})
    assert password.status_code == 200 and MESSAGE in password.get_data(as_text=True)


def test_signup_refuses_them_and_keeps_the_rest_of_the_input(app, client, smtp):
    page = client.get("/signup")
    response = client.post("/signup", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    url = response.location
    contact = {**SIGNUP_CONTACT, "company_name": "ナックス\x00システム", "last_name": "混載\u202e"}
    refused = post_page(client, url, contact)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert html.count(MESSAGE) >= 2
    assert "konsai.ichiro@naccs.example.jp" in html and "イチロウ" in html  # the rest is kept
    db.session.expire_all()
    application = db.session.scalars(select(Application)).one()
    assert not (application.answers or {}).get("signup_contact")


def _detail_entry(client, smtp) -> str:
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client, stop_at="entry_office")
    return next_task_url(client)


def test_a_nul_in_a_validated_answer_is_refused_not_stored(app, client, smtp):
    """Before: 企業名 with NUL was stored, and 申込内容の確認 then failed with a 500 every time."""
    from tests.helpers import ANSWERS

    url = _detail_entry(client, smtp)
    office = {**ANSWERS["entry_office"], "company_name": "ナックス\x00システム株式会社"}
    refused = post_page(client, url, office)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert MESSAGE in html and "海上事業所" in html
    db.session.expire_all()
    assert "entry_office" not in (db.session.scalars(select(Application)).one().answers or {})
    # Corrected, the screen is accepted and the application can be submitted.
    assert post_page(client, url, ANSWERS["entry_office"]).status_code == 302
    complete_applicant_tasks(client)
    db.session.expire_all()
    assert db.session.scalars(select(Application)).one().status == "submitted"


def test_a_draft_with_nul_and_100_kb_is_kept_clean_and_bounded(app, client, smtp):
    from tests.helpers import ANSWERS

    url = _detail_entry(client, smtp)
    office = {
        **ANSWERS["entry_office"],
        "company_name": "ナックス\x00\x1bシステム",
        "street": "x" * 100_000,
    }
    saved = post_page(client, url, office, button="save_draft")
    assert saved.status_code == 302  # saved and logged out, no 500
    db.session.expire_all()
    drafts = db.session.scalars(select(Application)).one().drafts
    draft = drafts["entry_office"]
    assert draft["company_name"] == ["ナックスシステム"]
    assert len(str(draft).encode()) <= DRAFT_LIMIT_BYTES + 4096


def test_a_return_comment_with_control_characters_is_refused(app, client, staff_client, smtp):
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client)
    staff_login(staff_client)
    url = claim_and_open(staff_client)
    refused = post_page(
        staff_client, url, {"decision": "return", "comment": "修正\x00してください"}
    )
    assert refused.status_code == 422 and MESSAGE in refused.get_data(as_text=True)
    field = post_page(
        staff_client,
        url,
        {"decision": "return", "field_comments-entry_office": "事業所名\x1bを確認"},
    )
    assert field.status_code == 422
    assert "への指摘に使用できない制御文字が含まれています。" in field.get_data(as_text=True)


def test_a_refused_staff_note_is_shown_again_with_its_text(app, client, staff_client, smtp):
    signup(client, smtp)
    application = db.session.scalars(select(Application)).one()
    staff_login(staff_client)
    page_url = f"/staff/applications/{application.id}"
    note_url = f"{page_url}/notes"
    long_note = "確認事項、" + "長" * 2100
    too_long = _form_post(staff_client, note_url, {"body": long_note, "next": page_url}, page_url)
    html = too_long.get_data(as_text=True)
    assert too_long.status_code == 422
    assert "職員メモは2000文字以内で入力してください。" in html and long_note in html
    assert f'name="next" value="{page_url}"' in html
    nul = _form_post(staff_client, note_url, {"body": "メモ\x00です", "next": page_url}, page_url)
    assert nul.status_code == 422 and MESSAGE in nul.get_data(as_text=True)
    assert db.session.scalars(select(StaffNote)).all() == []
    fine = _form_post(
        staff_client, note_url, {"body": "電話で確認済み", "next": page_url}, page_url
    )
    assert fine.status_code == 302 and fine.location.startswith(page_url)


def test_administration_forms_refuse_them(app):
    client = app.test_client()
    staff_login(client, "admin", "admin-pass")
    office = db.session.scalars(select(Office)).first()
    data = {
        "code": office.code,
        "company_name": "ナックス\x00",
        "office_name": "本社\u202e",
        "prefecture": "",
        "customs": "",
    }
    edit = _form_post(client, f"/admin/offices/{office.code}", data)
    assert edit.status_code == 422 and edit.get_data(as_text=True).count(MESSAGE) == 2
    calendar = _form_post(
        client, "/admin/calendar", {"day": "2027-05-06", "kind": "closed", "note": "臨時\x00"}
    )
    assert calendar.status_code == 422 and MESSAGE in calendar.get_data(as_text=True)
    staff = _form_post(
        client,
        "/admin/staff/new",
        {
            "login": "new.user",
            "name": "新人\x1b",
            "roles": ["reviewer"],
            "password": "p" * 12,
            "password_confirm": "p" * 12,
        },
    )
    assert staff.status_code == 422 and MESSAGE in staff.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(StaffUser).where(StaffUser.login == "new.user")) is None


@pytest.mark.parametrize(
    "url",
    [
        "/tasks/%00",
        "/sections/entry%00office",
        "/admin/offices/NAC%00001",
        "/admin/offices?q=%00",
        "/staff/?q=%00",
        "/postal/212%000013",
        "/analyst/applications?q=%00",
        "/login?next=%00",
    ],
)
def test_control_characters_in_the_url_are_a_400(app, url):
    client = app.test_client()
    staff_login(client, "admin", "admin-pass")
    response = client.get(url)
    assert response.status_code == 400
    assert "URLに使用できない文字が含まれています。" in response.get_data(as_text=True)


def test_the_queue_search_ignores_control_characters(app):
    client = app.test_client()
    staff_login(client)
    response = client.get("/staff/?q=%1B%E2%80%AE")
    assert response.status_code == 200
    assert re.search(MESSAGE, response.get_data(as_text=True))


def test_field_factories_refuse_them_on_any_form(app):
    """Forms outside forms.base (instance administration, operations) use the same fields."""
    from flask_wtf import FlaskForm

    from forms.fields import text_field, textarea_field

    class Plain(FlaskForm):
        reason = textarea_field("理由", max_length=100, required=True)
        title = text_field("件名", required=False)

    with app.test_request_context(method="POST"):
        data = MultiDict({"reason": "理由\n\x00です", "title": "件名\u202e"})
        form = Plain(formdata=data, meta={"csrf": False})
        assert not form.validate()
        assert form.errors == {"reason": [MESSAGE], "title": [MESSAGE]}
        ok = Plain(formdata=MultiDict({"reason": "一行目\n\t二行目"}), meta={"csrf": False})
        assert ok.validate(), ok.errors


@pytest.mark.parametrize("ch", ["\x00", "\x1c", "\u202e"])
def test_csv_imports_refuse_them_naming_the_line(app, ch):
    from io import BytesIO

    client = app.test_client()
    staff_login(client, "admin", "admin-pass")
    token = csrf_token(client.get("/admin/offices").get_data(as_text=True))
    csv = f"NAC901,検証商事,,本社,,,,,\nNAC902,検証{ch}物産,,本社,,,,,\n".encode()
    response = client.post(
        "/admin/offices/import",
        data={"csrf_token": token, "file": (BytesIO(csv), "offices.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "CSVファイルの2行目に使用できない制御文字が含まれています。" in response.get_data(
        as_text=True
    )
    assert db.session.get(Office, "NAC901") is None
