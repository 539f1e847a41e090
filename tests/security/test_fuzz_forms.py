"""Fuzz every form: malformed values never give a 5xx, and an applicant's typed input is kept.

Malformed values: 100 KB strings, NUL, other control and bidi-override characters, invalid
UTF-8 (a raw request body), lists where one value is expected, impossible dates. Every field
of a form gets the value at once (the 100 KB string goes to a few fields per request, under the
form-memory limit). Bounded: about a dozen requests per form.

* test_applicant_screens_*: an application is driven through every screen of its journey
  (signup, detail entry, earlier screens, review, 発行確認, システム設定, 設定作業); each screen
  is fuzzed, then answered properly.
* test_every_other_form_route: every POST route of `app.url_map` (the authorization matrix's
  world and URL values), posted by a principal allowed to use it.
"""

import re
import unicodedata
from urllib.parse import quote

import pytest

from tests.helpers import (
    ANSWERS,
    FORM_KEY,
    SIGNUP_CONTACT,
    claim_and_open,
    csrf_token,
    first_option,
    login,
    next_task_url,
    post_page,
    staff_login,
)
from tests.security.test_authorization_matrix import (
    OK,
    PRINCIPALS,
    _staff_accounts,
    build_world,
    expectation,
    restore_reference_data,
    routes,
    snapshot_reference_data,
    url_for_rule,
)

HUGE = "FUZZ" + "あ" * 33_000  # about 100 KB of UTF-8
IMPOSSIBLE_DATES = ("2026-02-30", "0000-00-00", "99999-01-01")
FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.S)
NAME = re.compile(r'\bname="([^"]+)"')
TYPE = re.compile(r'\btype="([^"]+)"')
NOT_DATA = {"csrf_token"}
BUTTON_TYPES = {"submit", "button", "reset", "image", "file"}
KEPT_TYPES = {"text", "tel", "email", "search", "textarea", None}


def fields_of(html: str) -> tuple[list[str], list[str]]:
    """(every data field name, the names of text boxes whose typed value must come back)."""
    names: list[str] = []
    texts: list[str] = []
    for tag, attrs in FIELD.findall(html):
        name = NAME.search(attrs)
        if not name or name.group(1) in NOT_DATA:
            continue
        kind = "textarea" if tag == "textarea" else (TYPE.search(attrs) or [None, None])[1]
        if kind in BUTTON_TYPES:
            continue
        if name.group(1) not in names:
            names.append(name.group(1))
        if tag != "select" and kind in KEPT_TYPES and "readonly" not in attrs:
            texts.append(name.group(1))
    return names, texts


def _marker(index: int) -> str:
    return f"FUZZ{index:02d}Z"


def variants(names: list[str]) -> list[tuple[str, object]]:
    """(label, form data as a dict, or raw bytes for a body that is not UTF-8)."""

    def each(make) -> dict:
        return {name: make(i) for i, name in enumerate(names)}

    def body(tail: bytes) -> bytes:
        return b"&".join(
            quote(name).encode() + b"=" + _marker(i).encode() + tail for i, name in enumerate(names)
        )

    huge_fields = names[:4]  # 400 KB: under the form-memory limit
    return [
        ("nul", each(lambda i: f"{_marker(i)}\x00値")),
        ("controls", each(lambda i: f"{_marker(i)}\x1b[31m\x7f\u202e\u2066\x85値")),
        ("lists", each(lambda i: [f"{_marker(i)}a", f"{_marker(i)}b"])),
        ("dates", each(lambda i: IMPOSSIBLE_DATES[i % len(IMPOSSIBLE_DATES)])),
        ("huge", {n: HUGE if n in huge_fields else "" for n in names}),
        # Percent-escaped bytes that are not UTF-8: Werkzeug keeps them as text.
        ("invalid utf-8", body(b"%FF%FE%C3%28%C0%AF")),
        # Raw bytes that are not UTF-8: Werkzeug drops the whole form (then CSRF refuses it).
        ("raw bytes", body(b"\xff\xfe\xc3\x28")),
    ]


def _post(client, url: str, token: str, data, button: str | None):
    if isinstance(data, bytes):
        body = data + f"&csrf_token={quote(token)}".encode()
        if button:
            body += f"&{button}=1".encode()
        return client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    payload = {**data, "csrf_token": token}
    if button:
        payload[button] = "1"
    return client.post(url, data=payload)


def fuzz(
    client,
    url: str,
    *,
    names: list[str] | None = None,
    keep: bool = False,
    button: str | None = "submit",
    failures: list,
) -> bool:
    """Post every variant to url; a 5xx (or, with keep, lost input) is a failure.

    Without names, the page at url is read for its fields. With keep (an applicant's screen),
    what was typed in the text boxes must come back, and 「戻る」 (which keeps the raw input as
    a draft) is pressed with the worst variants too.
    """
    html = ""
    texts: list[str] = []
    if names is None:
        page = client.get(url)
        html = page.get_data(as_text=True)
        names, texts = fields_of(html) if page.status_code == 200 else ([], [])
        if not names:
            return False  # nothing to type in (a confirmation screen): any post completes it
    names = list(names) or ["value"]
    if 'name="csrf_token"' not in html:
        html = client.get("/staff/login").get_data(as_text=True)
    token = csrf_token(html)
    for label, data in variants(names):
        buttons = [button]
        if keep and label in ("nul", "huge"):
            buttons.append("go_back")
        for pressed in buttons:
            response = _post(client, url, token, data, pressed)
            status = response.status_code
            if status >= 500:
                failures.append(f"POST {url} [{label}, {pressed}]: {status}")
                continue
            if keep and pressed == button and 300 <= status < 400:
                return True  # the junk happened to be valid text: the screen is done
            if keep and pressed == button and label in ("nul", "controls", "invalid utf-8"):
                # Filters may widen digits or make kana full-width: compare in NFKC.
                body = unicodedata.normalize("NFKC", response.get_data(as_text=True))
                lost = [n for n in texts if _marker(names.index(n)) not in body]
                if status != 422 or lost:
                    failures.append(f"POST {url} [{label}]: {status}, typed input lost: {lost}")
    return True


# --- the applicant's screens ---------------------------------------------------------------


def _answer(client, url: str, html: str) -> str | None:
    form_key = FORM_KEY.search(html).group(1)
    data = dict(ANSWERS.get(form_key, {}))
    if form_key == "entry_start_date":
        data["wished_start_date"] = first_option(html, "wished_start_date")
    response = post_page(client, url, data)
    assert response.status_code == 302, (form_key, response.get_data(as_text=True)[:2000])
    return response.location


def _fuzz_then_answer_every_screen(client, failures: list, seen: list) -> None:
    url = next_task_url(client)
    while url and url.startswith("/tasks/"):
        html = client.get(url).get_data(as_text=True)
        form_key = FORM_KEY.search(html).group(1)
        seen.append(form_key)
        fuzz(client, url, keep=True, failures=failures)
        if client.get(url).status_code != 200:  # a check box alone was enough to complete it
            url = next_task_url(client)
            continue
        if form_key == "entry_confirm":
            # Earlier screens are the same forms behind /sections/<form_key>.
            for section in ("entry_office", "entry_user_codes", "entry_billing"):
                fuzz(client, f"/sections/{section}", keep=True, failures=failures)
        location = _answer(client, url, client.get(url).get_data(as_text=True))
        url = location if "/tasks/" in location else next_task_url(client)


def test_applicant_screens_of_the_whole_journey(app, client, staff_client, smtp):
    failures: list[str] = []
    seen: list[str] = []
    # Stage 1: signup (anonymous), with the 申込担当者 screen and its correction page.
    page = client.get("/signup")
    response = client.post("/signup", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    contact_url = response.location
    fuzz(client, contact_url, keep=True, failures=failures)
    confirm_url = post_page(client, contact_url, SIGNUP_CONTACT).location
    fuzz(client, confirm_url, failures=failures)
    fuzz(client, "/signup/sections/signup_contact", keep=True, failures=failures)
    assert post_page(client, confirm_url, {}).status_code == 302
    mail = smtp.body(smtp.by_subject("仮アカウント登録完了")[-1])
    login_id = re.search(r"仮ログインID：(\d{7})", mail).group(1)
    password = re.search(r"仮パスワード：([A-Z0-9]{8})", mail).group(1)
    # Stage 2: detail entry, every screen and some earlier ones.
    assert login(client, login_id, password).status_code == 302
    _fuzz_then_answer_every_screen(client, failures, seen)
    # Stage 3: the reviewer's decision form, then approval.
    staff_login(staff_client)
    review_url = claim_and_open(staff_client)
    fuzz(staff_client, review_url, failures=failures)
    html = staff_client.get(review_url).get_data(as_text=True)
    approve = {
        "decision": "approve",
        "confirmed_start_date": first_option(html, "confirmed_start_date"),
    }
    assert post_page(staff_client, review_url, approve).status_code == 302
    # Stage 4: 発行確認 and システム設定, then the operator's 設定作業.
    _fuzz_then_answer_every_screen(client, failures, seen)
    operator_url = claim_and_open(staff_client, lane="operator")
    fuzz(staff_client, operator_url, failures=failures)
    assert not failures, "\n".join(failures)
    assert {
        "entry_office",
        "entry_user_codes",
        "entry_billing",
        "issuance_confirm",
        "system_setup",
    } <= set(seen), seen


def test_login_forms_and_signup_terms(app):
    failures: list[str] = []
    anonymous = app.test_client()
    fuzz(anonymous, "/login", failures=failures, button=None)
    fuzz(anonymous, "/staff/login", failures=failures, button=None)
    assert not failures, "\n".join(failures)


# --- every other form route ----------------------------------------------------------------

# Posting these with junk would end the principal's session or reset the shared clock.
SKIP = {"auth.logout", "dev.clock_page"}
# Junk that happens to be valid may complete a task through these: fuzzed after the pages.
LAST = {"applicant.signup_task"}
# The principal who posts, in order of preference (the first allowed one is used).
PREFERENCE = (
    "administrator",
    "supervisor",
    "reviewer",
    "operator",
    "analyst",
    "applicant_a",
    "anonymous",
)


@pytest.fixture
def world(app, smtp):
    _staff_accounts()
    saved = snapshot_reference_data()  # junk that happens to be valid may change staff users
    try:
        yield build_world(app, smtp)
    finally:
        restore_reference_data(saved)
        _staff_accounts(active=False)


def test_every_other_form_route(app, world):
    failures: list[str] = []
    done = set()
    fuzzed: list[str] = []
    # Pages first; actions that may delete or complete what a page needs come last.
    order = sorted(routes(app), key=lambda r: (r[0] in LAST or "GET" not in r[2].methods, r[0]))
    for endpoint, method, rule in order:
        if method != "POST" or endpoint in SKIP or (endpoint, rule.rule) in done:
            continue
        done.add((endpoint, rule.rule))
        table = expectation(endpoint, "POST")
        assert set(table) == set(PRINCIPALS)
        allowed = [p for p in PREFERENCE if table[p] is OK]
        if not allowed:
            continue
        url = url_for_rule(rule, world, None)
        client = world.clients[allowed[0]]
        names = None if "GET" in rule.methods else list(world.post_data.get(endpoint, {}))
        if fuzz(client, url, names=names, failures=failures):
            fuzzed.append(endpoint)
    # Left out, covered elsewhere: pages without a form in this world (analyst.migration with
    # nothing to migrate, withdraw after approval) and the applicant's screens (test above).
    assert len(set(fuzzed)) >= 24, sorted(e for e, _ in done if e not in fuzzed)
    assert not failures, "\n".join(failures)
