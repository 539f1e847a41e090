"""The applicant's navigation over HTTP: input kept on leaving a screen by any link, browser
Back to a done screen, and corrections that return straight to 申込内容確認."""

import re
from datetime import date, timedelta
from html import unescape
from html.parser import HTMLParser

from sqlalchemy import select, update

from app.clock import today_jst
from app.extensions import db
from app.models import Application, HumanTask, ScheduleEntry
from tests.helpers import (
    ANSWERS,
    SIGNUP_CONTACT,
    at_screen,
    complete_applicant_tasks,
    csrf_token,
    login,
    next_task_url,
    post_page,
    review,
    signup,
    staff_login,
)
from tests.helpers import USER_CODE_ROW as ROW

FORM_ID = "task-form"
GONE_WORDS = ("期限切れ", "操作できません")


class BrowserForm(HTMLParser):
    """What a browser sends for the page's task form: its fields (checked boxes, selected
    options, text areas) and every submit button that belongs to it, inside the form or
    outside with form="task-form", in page order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: list[tuple[str, str]] = []
        self.buttons: list[dict] = []
        self._inside = False
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None
        self._button: dict | None = None

    def _ours(self, attrs: dict) -> bool:
        return attrs.get("form") == FORM_ID or (self._inside and "form" not in attrs)

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._inside = attrs.get("id") == FORM_ID
        elif tag == "input" and self._ours(attrs) and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind == "submit":
                self.buttons.append({**attrs, "text": attrs.get("value", "")})
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((attrs["name"], attrs.get("value", "on")))
            else:
                self.fields.append((attrs["name"], attrs.get("value", "")))
        elif tag == "select" and self._ours(attrs):
            self._select = {**attrs, "options": [], "chosen": []}
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value"), "text": ""}
            self._select["options"].append(self._option)
            if "selected" in attrs:
                self._select["chosen"].append(self._option)
        elif tag == "textarea" and self._ours(attrs):
            self._textarea = {**attrs, "text": ""}
        elif tag == "button" and self._ours(attrs) and attrs.get("type", "submit") == "submit":
            self._button = {**attrs, "text": ""}

    def handle_data(self, data):
        for open_element in (self._option, self._textarea, self._button):
            if open_element is not None:
                open_element["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "option":
            self._option = None
        elif tag == "select" and self._select is not None:
            select_ = self._select
            chosen = select_["chosen"] or ([] if "multiple" in select_ else select_["options"][:1])
            for option in chosen:
                value = option["value"] if option["value"] is not None else option["text"]
                self.fields.append((select_["name"], value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea["text"]  # a browser drops the newline right after <textarea>
            text = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
            self.fields.append((self._textarea["name"], text))
            self._textarea = None
        elif tag == "button" and self._button is not None:
            self.buttons.append(self._button)
            self._button = None


def parse(html: str) -> BrowserForm:
    form = BrowserForm()
    form.feed(html)
    return form


def button(html: str, label: str) -> dict:
    """The task form's button with that visible text or aria-label."""
    for found in parse(html).buttons:
        if label in (found["text"].strip(), found.get("aria-label")):
            return found
    raise AssertionError(f"no button {label!r}")


def click(client, url: str, html: str, label: str, changes: dict | None = None):
    """Press a button of the task form as a browser would, with some fields changed."""
    form = parse(html)
    pressed = button(html, label)
    changes = changes or {}
    pairs = [(k, v) for k, v in form.fields if k not in changes]
    for name, value in changes.items():
        pairs += [(name, v) for v in (value if isinstance(value, list) else [value])]
    data: dict = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    data[pressed["name"]] = pressed.get("value", "")
    return client.post(url, data=data)


def application() -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application)).one()


def task_url(form_key: str) -> str:
    """The URL of the applicant's last task of that screen (as kept in the browser history)."""
    db.session.expire_all()
    task = db.session.scalar(
        select(HumanTask)
        .where(HumanTask.form_key == form_key)
        .order_by(HumanTask.id.desc())
        .limit(1)
    )
    prefix = "/signup/tasks/" if task.process_id == "signup" else "/tasks/"
    return prefix + task.task_id


def follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return client.get(response.location).get_data(as_text=True)


def textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(?:\r?\n)?(.*?)</textarea>', html, re.S)
    assert match, f"no textarea {name}"
    return unescape(match.group(1))


def checked(html: str, name: str, value: str) -> bool:
    return any((name, value) == pair for pair in parse(html).fields)


# --- 1. Input kept whenever the applicant leaves a screen --------------------------------------


def test_user_codes_set_survive_leaving_by_the_header_menu(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_user_codes")
    html = client.get(url).get_data(as_text=True)
    html = click(client, url, html, "新規に利用者コードを追加する").get_data(as_text=True)
    html = click(client, url, html, "設定する", ROW).get_data(as_text=True)
    assert "利用者コード1に設定しました。" in html
    html = click(client, url, html, "この内容で設定する").get_data(as_text=True)
    assert 'id="code-1-h"' in html  # back on the list with 利用者コード1
    # The header メニュー is a button of the screen's form: the codes go into the draft.
    menu = button(html, "メニュー")
    assert menu["form"] == FORM_ID and menu["name"] == "leave_to" and menu["value"] == "/home"
    response = click(client, url, html, "メニュー")
    assert response.status_code == 302 and response.location.endswith("/home")
    assert "通関業" in str(application().drafts["entry_user_codes"])
    assert application().answer("entry_user_codes") == {}  # unvalidated: not an answer yet
    again = client.get(url).get_data(as_text=True)
    assert 'id="code-1-h"' in again and "通関業・海貨業" in again
    # ... and 「次へ進む」 (the list, then its confirmation) from there saves them.
    confirmation = click(client, url, again, "次へ進む").get_data(as_text=True)
    assert click(client, url, confirmation, "次へ進む").status_code == 302
    rows = application().answer("entry_user_codes")["rows"]
    assert rows[0]["industries"] == ["通関業", "海貨業"]


def test_remarks_survive_correcting_a_section_and_the_way_back_is_direct(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_confirm")
    html = client.get(url).get_data(as_text=True)
    response = click(
        client, url, html, "修正する（事業所に関する情報）", {"remarks": "通関業許可12月20日予定"}
    )
    assert response.location.endswith("/sections/entry_office")
    assert application().drafts["entry_confirm"]["remarks"] == ["通関業許可12月20日予定"]
    section = client.get(response.location).get_data(as_text=True)
    assert "現在の画面「申込内容確認」に戻ります" in section
    # 3. Saved: straight back to 申込内容確認, not through 契約者 … 請求先.
    response = click(client, "/sections/entry_office", section, "次へ進む", {"office_name": "第二"})
    assert response.location.endswith(url)
    page = client.get(url).get_data(as_text=True)
    assert textarea(page, "remarks") == "通関業許可12月20日予定" and "第二" in page
    assert application().answer("entry_office")["office_name"] == "第二"
    assert click(client, url, page, "申込内容を登録する").status_code == 302
    assert application().answer("entry_confirm")["remarks"] == "通関業許可12月20日予定"
    assert application().drafts == {}


def test_leaving_a_screen_untouched_leaves_no_unsaved_input(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_confirm")
    html = client.get(url).get_data(as_text=True)
    section = follow(client, click(client, url, html, "修正する（料金プラン）"))
    assert application().drafts == {}  # nothing typed on 申込内容確認
    response = click(client, "/sections/entry_plan", section, "メニュー")
    assert response.location.endswith("/home") and application().drafts == {}
    assert "保存していない入力内容" not in client.get(url).get_data(as_text=True)
    # A change is kept and listed on 申込内容確認 until it is saved.
    section = client.get("/sections/entry_plan").get_data(as_text=True)
    click(client, "/sections/entry_plan", section, "メニュー", {"plan": "B"})
    assert application().drafts["entry_plan"]["plan"] == ["B"]
    page = client.get(url).get_data(as_text=True)
    assert "保存していない入力内容" in page
    reopened = client.get("/sections/entry_plan").get_data(as_text=True)
    assert checked(reopened, "plan", "B")
    # Changed back to what is saved: the draft goes.
    click(client, "/sections/entry_plan", reopened, "メニュー", {"plan": "A"})
    assert "entry_plan" not in application().drafts


def test_every_link_off_a_screen_keeps_input_and_enter_still_takes_the_screen_button(
    app, client, smtp
):
    url, _ = at_screen(client, smtp, "entry_contractor")
    html = client.get(url).get_data(as_text=True)
    form = parse(html)
    # Enter in a text box presses the first button of the form in page order: the screen's own.
    assert form.buttons[0]["class"] == "default-submit" and form.buttons[0]["name"] == "submit"
    assert not re.search(r'<nav aria-label="メニュー">.*?<a href=', html, re.S)  # no plain links
    logout = button(html, "ログアウト")
    assert logout["name"] == "save_draft"  # logging out from a screen is its 一時保存
    brand = button(html, "NACCSサポートシステム（NSS）")
    response = click(client, url, html, brand["text"], {"name": "南楠 太郎"})
    assert response.status_code == 302 and response.location.endswith("/")
    assert application().drafts["entry_contractor"]["name"] == ["南楠 太郎"]
    assert 'value="南楠 太郎"' in client.get(url).get_data(as_text=True)


def test_leave_to_is_a_path_of_this_site_and_needs_the_csrf_token(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_contractor")
    html = client.get(url).get_data(as_text=True)
    token = csrf_token(html)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        data = {"csrf_token": token, "name": "南楠", "leave_to": target}
        response = client.post(url, data=data)
        assert response.status_code == 302 and response.location.endswith("/home"), target
    refused = client.post(url, data={"name": "CSRFなし", "leave_to": "/home"})
    assert refused.status_code == 400
    assert application().drafts["entry_contractor"]["name"] == ["南楠"]


# --- 2. Browser Back to a done screen ----------------------------------------------------------


def test_back_during_signup_shows_the_contact_and_after_it_says_how_to_log_in(app, client, smtp):
    page = client.get("/signup")
    response = client.post("/signup", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    contact_url = response.location
    response = post_page(client, contact_url, SIGNUP_CONTACT)
    confirm_url = response.location
    assert "/signup/tasks/" in confirm_url and confirm_url != contact_url
    # Back to the contact screen: it opens with its data, a note instead of 「期限切れ」.
    response = client.get(contact_url)
    assert response.status_code == 302
    assert response.location.endswith("/signup/sections/signup_contact")
    html = client.get(response.location).get_data(as_text=True)
    assert "この画面は入力済みです" in html and 'value="混載"' in html
    assert not any(word in html for word in GONE_WORDS)
    # The old page's form sent after Back is the correction itself.
    fixed = {**SIGNUP_CONTACT, "first_name": "次郎", "submit": "1", "csrf_token": csrf_token(html)}
    response = client.post(contact_url, data=fixed)
    assert response.status_code == 302 and response.location.endswith(confirm_url)
    assert application().answer("signup_contact")["first_name"] == "次郎"
    post_page(client, confirm_url, {})
    assert client.get("/signup/done").status_code == 200
    # Back after the account exists: the truth, and where to go.
    for old in (confirm_url, contact_url):
        response = client.get(old)
        assert response.status_code == 302 and response.location.endswith("/login")
        html = client.get(response.location).get_data(as_text=True)
        assert "仮アカウントの申込は完了しています" in html
        assert not any(word in html for word in GONE_WORDS)


def test_back_during_entry_opens_the_earlier_screen_with_its_data(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_office")
    contact_url = task_url("entry_contact")
    response = client.get(contact_url)
    assert response.location.endswith("/sections/entry_contact")
    html = client.get(response.location).get_data(as_text=True)
    assert "この画面は入力済みです" in html and "海上貨物の通関業務を開始するため。" in html
    assert not any(word in html for word in GONE_WORDS)
    # The form of the cached old page, sent again: saved as a correction, back to the current.
    old_page = html
    response = click(client, contact_url, old_page, "次へ進む", {"reason": "航空貨物も扱うため。"})
    assert response.status_code == 302 and response.location.endswith(url)
    assert application().answer("entry_contact")["reason"] == "航空貨物も扱うため。"


def test_back_after_registration_and_after_a_return_lands_on_the_current_screen(
    app, client, staff_client, smtp
):
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client)
    first_confirm = task_url("entry_confirm")
    response = client.get(first_confirm)
    assert response.status_code == 302 and response.location.endswith("/home")
    html = client.get(response.location).get_data(as_text=True)
    assert "「申込内容確認」の手続きは完了しています" in html
    assert not any(word in html for word in GONE_WORDS)

    staff_login(staff_client)
    review(staff_client, "return", comment="事業所名をご確認ください。")
    current = next_task_url(client)
    assert current != first_confirm
    response = client.get(first_confirm)
    assert response.location.endswith(current)
    assert "現在の手続き「申込内容確認」" in client.get(response.location).get_data(as_text=True)
    # The first pass's confirmation page sent again: its 備考 kept on the current one.
    html = client.get(current).get_data(as_text=True)
    response = click(client, first_confirm, html, "申込内容を登録する", {"remarks": "再確認済"})
    assert response.location.endswith(current)
    assert application().status == "returned"  # not submitted by an old page
    assert textarea(client.get(current).get_data(as_text=True), "remarks") == "再確認済"


def test_another_applicants_old_screen_is_still_refused(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_start_date")
    contact_url = task_url("entry_contact")
    client.post("/logout", data={"csrf_token": csrf_token(client.get(url).get_data(as_text=True))})
    assert login(client, *signup(client, smtp)).status_code == 302
    response = client.get(contact_url)
    assert response.status_code in (403, 409)  # refused as before: no redirect, no data
    assert ANSWERS["entry_contact"]["reason"] not in response.get_data(as_text=True)


# --- 3. After 修正する or a 差戻し fix: straight back to 申込内容確認 ----------------------------


def test_correction_after_a_return_goes_straight_back_to_the_confirmation(
    app, client, staff_client, smtp
):
    assert login(client, *signup(client, smtp)).status_code == 302
    complete_applicant_tasks(client)
    staff_login(staff_client)
    review(staff_client, "return", comment="事業所名をご確認ください。")
    current = next_task_url(client)
    html = client.get(current).get_data(as_text=True)
    section = follow(client, click(client, current, html, "修正する（事業所に関する情報）"))
    response = click(
        client, "/sections/entry_office", section, "次へ進む", {"office_name": "海上第二事業所"}
    )
    assert response.location.endswith(current)
    page = client.get(current).get_data(as_text=True)
    assert "海上第二事業所" in page
    assert click(client, current, page, "申込内容を登録する").status_code == 302
    assert application().status == "submitted"


def test_correction_stops_at_a_later_screen_with_unsaved_input(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_confirm")
    plan = client.get("/sections/entry_plan").get_data(as_text=True)
    click(client, "/sections/entry_plan", plan, "メニュー", {"plan": "B"})
    office = client.get("/sections/entry_office").get_data(as_text=True)
    response = click(client, "/sections/entry_office", office, "次へ進む")
    assert response.location.endswith("/sections/entry_plan")
    plan = client.get(response.location).get_data(as_text=True)
    assert checked(plan, "plan", "B")
    response = click(client, "/sections/entry_plan", plan, "次へ進む")
    assert response.location.endswith(url)
    assert application().answer("entry_plan")["plan"] == "B"


def test_correction_stops_at_a_later_screen_that_is_no_longer_valid(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_confirm")
    wished = date.fromisoformat(application().answer("entry_start_date")["wished_start_date"])
    # The wished date's 申込締切 has passed since it was chosen (the schedule was changed).
    # schedule_entry outlives each test (tests/conftest.py KEEP_TABLES): put the row back after.
    entry = update(ScheduleEntry).where(ScheduleEntry.start_date == wished)
    deadline = db.session.scalar(
        select(ScheduleEntry.contract_deadline).where(ScheduleEntry.start_date == wished)
    )
    db.session.execute(entry.values(contract_deadline=today_jst() - timedelta(days=1)))
    db.session.commit()
    try:
        _correct_through_the_start_date(client, url)
    finally:
        db.session.rollback()
        db.session.execute(entry.values(contract_deadline=deadline))
        db.session.commit()


def _correct_through_the_start_date(client, url: str) -> None:
    contact = client.get("/sections/entry_contact").get_data(as_text=True)
    response = click(client, "/sections/entry_contact", contact, "次へ進む")
    assert response.location.endswith("/sections/entry_start_date")
    # The screens after it are complete: once a date is chosen, back to 申込内容確認.
    page = client.get(response.location).get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="(\d{4}-\d\d-\d\d)"', page)
    response = click(
        client, "/sections/entry_start_date", page, "次へ進む", {"wished_start_date": options[0]}
    )
    assert response.location.endswith(url)


def test_every_saved_screen_of_a_finished_entry_counts_as_complete(app, client, smtp):
    """The saved answers of each screen pass its form again: no correction is sent through a
    screen that needs nothing (the round trip answers -> form data -> checks holds)."""
    from app.services.navigation import screen_after_correction

    at_screen(client, smtp, "entry_confirm")
    saved = application()
    keys = [key for key in ANSWERS if key in saved.answers and key != "entry_confirm"]
    assert len(keys) == 10
    with app.test_request_context():
        for key in keys:
            assert screen_after_correction(saved.id, key) is None, key
