"""The applicant's screens over HTTP: 反映, user codes, 戻る, 一時保存, confirmation, home."""

import re
from html.parser import HTMLParser

from sqlalchemy import select

from app.extensions import db
from app.models import Application
from tests.helpers import ANSWERS, at_screen, csrf_token, login, post_page
from tests.helpers import USER_CODE_ROW as ROW


def only_application() -> Application:
    db.session.expire_all()
    return db.session.scalars(select(Application)).one()


def page_action(client, url: str, data: dict, name: str, value: str):
    return post_page(client, url, {**data, name: value}, button="")


class Inputs(HTMLParser):
    """Inputs, selects and text areas of a page with the labels tied to them."""

    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.label_for: set[str] = set()
        self.ids: set[str] = set()
        self._label_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        if tag in ("input", "select", "textarea"):
            kind = attrs.get("type", "text")
            if kind not in ("hidden", "submit", "button"):
                self.controls.append({**attrs, "wrapped": self._label_depth > 0})

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth -= 1


def assert_labelled(html: str) -> None:
    parser = Inputs()
    parser.feed(html)
    for control in parser.controls:
        labelled = control.get("id") in parser.label_for or control["wrapped"]
        assert labelled or control.get("aria-label"), f"no label for {control}"


# --- 反映 (postal code) -----------------------------------------------------------------------


def test_postal_reflect_without_javascript_fills_address_and_customs(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_office")
    office = {**ANSWERS["entry_office"], "prefecture": "", "city": "", "street": "", "customs": ""}
    office.update(address_kana="", postal_code="２１２－００１３")
    page = page_action(client, url, office, "postal_lookup", "postal_code")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<option selected value="神奈川県">' in html
    assert 'value="川崎市幸区"' in html and 'value="堀川町"' in html
    assert '<option selected value="横浜税関">' in html
    assert 'value="カナガワケンカワサキシサイワイクホリカワチョウ"' in html
    assert 'value="2120013"' in html  # the hyphen and the full width are gone
    assert 'value="海上事業所"' in html  # nothing else typed is lost
    assert "郵便番号から住所を反映しました" in html
    assert_labelled(html)
    # Nothing was submitted: the screen is still the current task.
    assert only_application().answer("entry_office") == {}


def test_postal_reflect_keeps_what_was_typed_and_explains_unknown_codes(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_office")
    office = {**ANSWERS["entry_office"], "postal_code": "9999999"}
    html = page_action(client, url, office, "postal_lookup", "postal_code").get_data(as_text=True)
    assert "郵便番号「9999999」に該当する住所が見つかりません" in html
    assert 'value="堀川町999 ナックスタワー1階"' in html  # kept (made half-width)
    office = {**ANSWERS["entry_office"], "postal_code": "1000001", "customs": "東京税関"}
    html = page_action(client, url, office, "postal_lookup", "postal_code").get_data(as_text=True)
    assert '<option selected value="東京都">' in html
    assert "堀川町" in html  # a typed 番地・建物 is not overwritten


def test_postal_json_for_the_script(app, client, smtp):
    at_screen(client, smtp, "entry_guidance")
    data = client.get("/postal/212-0013").get_json()
    assert data["found"] and data["prefecture"] == "神奈川県" and data["customs"] == "横浜税関"
    assert data["romaji"] == ["KANAGAWA KEN", "KAWASAKI SHI SAIWAI KU", "HORIKAWA CYO"]
    assert client.get("/postal/0000000").get_json() == {
        "found": False,
        "message": "郵便番号「0000000」に該当する住所が見つかりません。"
        "郵便番号を確認するか、住所を直接入力してください。",
    }


def test_customs_is_preselected_from_the_prefecture_and_stays_changeable(app, client, smtp):
    url, credentials = at_screen(client, smtp, "entry_office")
    office = {**ANSWERS["entry_office"], "customs": ""}
    response = post_page(client, url, office, button="save_draft")
    assert response.location.endswith("/login")
    login(client, *credentials)
    html = client.get(url).get_data(as_text=True)
    assert '<option selected value="横浜税関">' in html
    response = post_page(client, url, {**ANSWERS["entry_office"], "customs": "東京税関"})
    assert response.status_code == 302
    assert only_application().answer("entry_office")["customs"] == "東京税関"


# --- 利用者コード ------------------------------------------------------------------------------


def hidden_state(html: str) -> dict:
    """The rows and sub-screen the page carries, as a browser would post them back."""
    pairs: dict = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html):
        if name == "csrf_token":
            continue
        pairs.setdefault(name, []).append(value)
    for name, value in re.findall(r'<input[^>]*id="(uc_\w+)"[^>]*value="([^"]*)"', html):
        pairs[name] = [value]
    return pairs


def press(client, url: str, html: str, action: str, extra: dict | None = None):
    data = {**hidden_state(html), **(extra or {}), "uc_action": action}
    data["csrf_token"] = csrf_token(html)
    response = client.post(url, data=data)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_user_codes_add_set_edit_remove_and_confirm(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_user_codes")
    html = client.get(url).get_data(as_text=True)
    assert "まだ利用者コードが設定されていません" in html
    assert "新規に利用者コードを追加する" in html
    html = press(client, url, html, "add_code")
    assert "利用者コード1　設定の追加" in html and "設定する" in html
    assert_labelled(html)
    html = press(client, url, html, "set_row", ROW)
    assert "利用者コード1に設定しました。" in html
    assert 'name="rows-0-industries" value="通関業"' in html
    # A 業種 of another group in the same code is refused with the reason, input kept.
    refused = press(client, url, html, "set_row", {**ROW, "new-industries": ["船会社"]})
    assert "異なるグループの業種は同一の利用者コードに設定できません" in refused
    assert 'value="船会社" checked' in refused
    # シングルサインオン with a × 業種 is refused.
    refused = press(client, url, html, "set_row", {**ROW, "new-industries": ["通関業", "自社通関"]})
    assert "業種「自社通関」はシングルサインオンはできません" in refused
    # A second row (separate user ID for 混載業), then correct it, then remove it.
    html = press(
        client, url, html, "set_row", {**ROW, "new-sso": "否", "new-industries": ["混載業"]}
    )
    assert 'name="rows-1-industries" value="混載業"' in html
    html = press(client, url, html, "edit_row:1")
    assert "利用者コード1の2行目の内容を入力欄に表示しました" in html
    corrected = {**ROW, "new-sso": "否", "new-industries": ["NVOCC"], "new-identifier_count": "2"}
    html = press(client, url, html, "set_row", corrected)
    state = hidden_state(html)
    assert state["rows-1-industries"] == ["NVOCC"] and state["rows-1-identifier_count"] == ["2"]
    assert len([k for k in state if k.endswith("-industries") and k.startswith("rows-")]) == 2
    html = press(client, url, html, "delete_row:1")
    assert "rows-1-industries" not in html
    # A second code for group Ⅲ, then remove the first code: the second becomes 利用者コード1.
    html = press(client, url, html, "done_code")
    html = press(client, url, html, "add_code")
    html = press(
        client, url, html, "done_code", {**ROW, "new-sso": "否", "new-industries": ["船会社"]}
    )
    assert "利用者コード2" in html
    html = press(client, url, html, "delete_code:1")
    assert "利用者コード1を削除しました。" in html
    assert (
        'name="rows-0-industries" value="船会社"' in html
        and 'name="rows-0-code_no" value="1"' in html
    )
    html = press(client, url, html, "add_code")
    html = press(client, url, html, "set_row", ROW)
    html = press(client, url, html, "done_code")
    html = press(client, url, html, "to_confirm")
    assert "設定した利用者コードを確認の上" in html
    assert "通関士用の利用者ID（通関士ID）" in html
    data = {**hidden_state(html), "submit": "1", "csrf_token": csrf_token(html)}
    response = client.post(url, data=data)
    assert response.status_code == 302
    rows = only_application().answer("entry_user_codes")["rows"]
    assert [(r["code_no"], r["industries"]) for r in rows] == [
        (1, ["船会社"]),
        (2, ["通関業", "海貨業"]),
    ]


def test_user_codes_need_one_code_and_done_without_rows_is_refused(app, client, smtp):
    url, _ = at_screen(client, smtp, "entry_user_codes")
    html = client.get(url).get_data(as_text=True)
    refused = press(client, url, html, "to_confirm")
    assert "利用者コードが設定されていません" in refused
    html = press(client, url, html, "add_code")
    refused = press(client, url, html, "done_code")
    assert "業種の設定がありません" in refused
    # 「この内容で設定する」 with a filled row sets it first: nothing typed is lost.
    html = press(client, url, html, "done_code", ROW)
    assert "利用者コード1" in html and 'name="rows-0-industries" value="海貨業"' in html


def test_user_codes_temp_save_resumes_inside_the_code_editor(app, client, smtp):
    url, credentials = at_screen(client, smtp, "entry_user_codes")
    html = press(client, url, client.get(url).get_data(as_text=True), "add_code")
    html = press(client, url, html, "set_row", ROW)
    data = {**hidden_state(html), "new-system_kind": "航空", "new-industries": "混載業"}
    data.update(save_draft="1", csrf_token=csrf_token(html))
    assert client.post(url, data=data).location.endswith("/login")
    response = login(client, *credentials)
    page = client.get(response.location, follow_redirects=True).get_data(as_text=True)
    assert "利用者コード1　設定の追加" in page  # the same sub-screen
    assert 'value="混載業" checked' in page and '<option selected value="航空">' in page
    assert 'name="rows-0-industries" value="通関業"' in page
