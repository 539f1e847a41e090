"""A diagram with markup in every name is deployed; no page that draws it runs any script."""

import re
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from app import mailer
from app.extensions import db
from app.models import ProcessVersion

pytestmark = pytest.mark.browser
BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ATTACKS = [
    'x" onload="alert(1)" x="',
    "<script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
]
MARK = "☠"  # how the test finds the hostile text on the page


def hostile_files() -> dict[str, bytes]:
    """The repository's diagrams with an attack added to every name (lanes keep their role
    key: the contract needs it) and a documentation element on every process and activity."""
    files = {}
    n = 0
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        root = etree.fromstring(path.read_bytes())
        for element in root.iter(f"{{{BPMN}}}*"):
            kind = etree.QName(element).localname
            if element.get("name") is not None and kind != "lane":
                element.set("name", f"{element.get('name')}{MARK}{ATTACKS[n % len(ATTACKS)]}")
                n += 1
            if kind in ("process", "userTask", "callActivity", "serviceTask"):
                doc = etree.Element(f"{{{BPMN}}}documentation")
                doc.text = ATTACKS[n % len(ATTACKS)]
                element.insert(0, doc)
        files[path.name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return files


class Watch:
    """Records every dialog (alert/confirm/prompt) and every CSP report on the page."""

    def __init__(self, page):
        self.dialogs: list[str] = []
        self.violations: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.violations.append(message.text)


def assert_inert(page, watch: Watch, url: str) -> None:
    """Nothing ran, nothing was blocked, and no attack became markup."""
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(150)  # an onload/onerror would have fired by now
    injected = page.evaluate(
        """() => {
          const found = [];
          for (const el of document.querySelectorAll('*')) {
            for (const a of el.attributes) {
              if (/^on/i.test(a.name)) { found.push(el.tagName + '@' + a.name); }
            }
          }
          for (const el of document.querySelectorAll('main script, main img, svg script')) {
            found.push(el.tagName);
          }
          return found;
        }"""
    )
    assert injected == [], (url, injected)
    assert watch.dialogs == [], (url, watch.dialogs)
    assert watch.violations == [], (url, watch.violations)
    assert page.evaluate("() => window.__xss === undefined"), url


def process_ids(page) -> list[str]:
    links = page.locator("a[href*='process=']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    return sorted({re.search(r"process=([^&]+)", href).group(1) for href in links})


def test_markup_in_a_deployed_diagram_never_runs(browser_page, live_app, smtp):
    from playwright.sync_api import expect

    page = browser_page
    watch = Watch(page)

    # An administrator (who is also an analyst) deploys the hostile bundle through the upload.
    page.goto("/staff/login")
    page.get_by_label("職員ID").fill("admin")
    page.get_by_label("パスワード").fill("admin-pass")
    page.get_by_role("button", name="ログイン").click()
    page.goto("/analyst/upload")
    page.locator("input[type=file]").set_input_files(
        [
            {"name": name, "mimeType": "application/xml", "buffer": body}
            for name, body in hostile_files().items()
        ]
    )
    page.locator("button[name=deploy]").click()
    expect(page.get_by_text("新しい版として配備しました")).to_be_visible()
    version_id = db.session.scalar(select(func.max(ProcessVersion.id)))
    db.session.remove()
    assert_inert(page, watch, page.url)
    svg = page.locator(".diagram svg").first
    assert MARK in (svg.get_attribute("aria-label") or "")  # the name is there, as text
    # The embedded stylesheet applies (the CSP allows it by hash): shapes are outlined in ink.
    stroke = page.evaluate(
        "() => getComputedStyle(document.querySelector('.diagram svg .s')).stroke"
    )
    assert stroke == "rgb(34, 49, 63)"

    # Every process of the version, scrolled and fitted; the list and index pages.
    processes = process_ids(page)
    assert len(processes) >= 3, processes
    for process in processes:
        assert_inert(page, watch, f"/analyst/versions/{version_id}?process={process}")
        assert_inert(page, watch, f"/analyst/versions/{version_id}?process={process}&fit=1")
    assert_inert(page, watch, "/analyst/")
    assert_inert(page, watch, f"/analyst/versions/{version_id}/migration")

    # An applicant signs up on the new version: the applicant's progress and the analyst's
    # instance pages draw the hostile names too.
    applicant = page.context.browser.new_context(
        locale="ja-JP", base_url=page.url.split("/analyst")[0]
    )
    them = applicant.new_page()
    their_watch = Watch(them)
    them.goto("/signup")
    them.get_by_role("button", name="システム利用規程に同意する").click()
    them.get_by_label("企業名", exact=True).fill("ナックスシステム株式会社")
    them.get_by_label("企業名（カナ）").fill("なっくすしすてむかぶしきかいしゃ")
    them.get_by_label("氏名（姓）").fill("混載")
    them.get_by_label("氏名（名）").fill("一郎")
    them.get_by_label("氏名カナ（姓）").fill("ｺﾝｻｲ")
    them.get_by_label("氏名カナ（名）").fill("いちろう")
    them.get_by_label("電話番号").fill("0123456789")
    them.get_by_label("E-mail", exact=True).fill("konsai.ichiro@naccs.example.jp")
    them.get_by_label("E-mail（確認）").fill("konsai.ichiro@naccs.example.jp")
    them.get_by_role("button", name="次へ進む").click()
    them.get_by_role("button", name="申込内容を登録する").click()
    expect(them.get_by_text("仮ログインID・パスワードを送信しました")).to_be_visible()
    if not smtp.by_subject("仮アカウント登録完了") and hasattr(mailer, "deliver_due"):
        mailer.deliver_due()  # where requests no longer send, the worker's delivery
        db.session.remove()
    body = smtp.body(smtp.by_subject("仮アカウント登録完了")[-1])
    them.goto("/login")
    them.get_by_label("ログインID").fill(re.search(r"仮ログインID：(\d{7})", body).group(1))
    them.get_by_label("パスワード").fill(re.search(r"仮パスワード：([A-Z0-9]{8})", body).group(1))
    them.get_by_role("button", name="ログイン").click()
    expect(them.locator(".progress-steps svg")).to_be_visible()
    assert MARK in them.locator(".progress-steps").inner_text()
    assert_inert(them, their_watch, "/home")
    applicant.close()

    page.goto("/analyst/applications")
    page.locator("a[href^='/analyst/applications/']").first.click()
    application_url = page.url.split("?")[0]
    assert_inert(page, watch, application_url)
    for process in process_ids(page):
        assert_inert(page, watch, f"{application_url}?process={process}")
    assert_inert(page, watch, "/analyst/applications")
    # The staff and administration pages load their styles and scripts under the same policy.
    assert_inert(page, watch, "/staff/")
    assert_inert(page, watch, application_url.replace("/analyst/", "/staff/"))
    assert_inert(page, watch, "/admin/")
    assert watch.dialogs == [] and their_watch.dialogs == []


def test_the_review_page_script_works_from_its_static_file(browser_page, live_app, smtp):
    """The decision box script moved out of the template still shows the part that applies."""
    from playwright.sync_api import expect

    from tests.helpers import SIGNUP_CONTACT, complete_applicant_tasks, csrf_token, post_page

    client = live_app.test_client()
    page = client.get("/signup")
    response = client.post("/signup", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    post_page(client, post_page(client, response.location, SIGNUP_CONTACT).location, {})
    if not smtp.by_subject("仮アカウント登録完了") and hasattr(mailer, "deliver_due"):
        mailer.deliver_due()
    body = smtp.body(smtp.by_subject("仮アカウント登録完了")[-1])
    login_page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "login_id": re.search(r"仮ログインID：(\d{7})", body).group(1),
            "password": re.search(r"仮パスワード：([A-Z0-9]{8})", body).group(1),
            "csrf_token": csrf_token(login_page),
        },
    )
    complete_applicant_tasks(client)
    db.session.remove()

    page = browser_page
    watch = Watch(page)
    page.goto("/staff/login")
    page.get_by_label("職員ID").fill("reviewer")
    page.get_by_label("パスワード").fill("reviewer-pass")
    page.get_by_role("button", name="ログイン").click()
    page.goto("/staff/?lane=reviewer")
    page.get_by_role("button", name="回答期限の近い未割当を担当する").click()
    expect(page.locator("#decision-box")).to_be_visible()
    parts = {w: page.locator(f".decision-part[data-when={w}]") for w in ("approve", "return")}
    expect(parts["approve"]).to_be_hidden()  # nothing chosen yet: the script hid every part
    expect(parts["return"]).to_be_hidden()
    page.locator("#decision-box").get_by_label("差戻し", exact=True).check()
    expect(parts["return"]).to_be_visible()
    expect(parts["approve"]).to_be_hidden()
    comment = page.locator('textarea[name^="field_comments-"]').first
    comment.evaluate("el => { const d = el.closest('details'); if (d) { d.open = true; } }")
    comment.fill("住所の番地を確認してください。")
    expect(page.locator("#fc-count")).to_have_text("1")
    assert watch.violations == [] and watch.dialogs == []
