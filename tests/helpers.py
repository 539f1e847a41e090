"""HTTP helpers that drive the product as a person would: read the page, fill the form, post."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FORM_KEY = re.compile(r'data-form-key="([a-z_]+)"')
TASK_LINK = re.compile(r'href="(/tasks/[0-9a-f-]{36})"')

SIGNUP_CONTACT = {
    "company_name": "ナックスシステム株式会社",
    "company_kana": "なっくすしすてむかぶしきかいしゃ",  # hiragana: stored as katakana
    "last_name": "混載",
    "first_name": "一郎",
    "last_kana": "コンサイ",
    "first_kana": "イチロウ",
    "phone": "０１２３－４５６－７８９",  # full-width with hyphens: normalised
    "email": "konsai.ichiro@naccs.example.jp",
    "email_confirm": "konsai.ichiro@naccs.example.jp",
    "fax": "0123987650",
}

ANSWERS = {
    "entry_guidance": {},
    "entry_start_date": {},  # the first open date is read from the page
    "entry_contact": {
        **SIGNUP_CONTACT,
        "phone": "0123456789",
        "reason": "海上貨物の通関業務を開始するため。",
    },
    "entry_office": {
        "company_name": "ナックスシステム株式会社",
        "company_kana": "ナックスシステムカブシキカイシャ",
        "office_name": "海上事業所",
        "office_kana": "カイジョウジギョウショ",
        "postal_code": "212-0013",
        "prefecture": "神奈川県",
        "city": "川崎市幸区",
        "street": "堀川町９９９ ナックスタワー１階",
        "address_kana": "カナガワケンカワサキシサイワイクホリカワチョウ",
        "phone": "0312345678",
        "fax": "0398765432",
        "customs": "横浜税関",
    },
    "entry_contractor": {
        "name": "南楠 太郎",
        "kana": "ナックス タロウ",
        "title": "代表取締役社長",
        "address_mode": "same",
    },
    "entry_manager": {"mode": "same", "fax1": "0123987650", "confirmed": "y", "naccs_type": "net"},
    "entry_user_codes": {
        "rows-0-code_no": "1",
        "rows-0-system_kind": "海上",
        "rows-0-sso": "要",
        "rows-0-industries": ["通関業", "海貨業"],
        "rows-0-processing": "netNACCS",
        "rows-0-identifier_count": "2",
        "rows-0-paid_statistics": "否",
        "rows-0-free_statistics": "要",
        "rows-0-bonded_storage": "否",
    },
    "entry_equipment": {"owner_office_code": "nac001"},
    "entry_plan": {"plan": "A"},
    "entry_billing": {
        "bulk": "no",
        "address_mode": "same",
        "contact_name": "請求 花子",
        "contact_kana": "セイキュウ ハナコ",
        "contact_phone": "0312345678",
        "emails-0": "billing@naccs.example.jp",
        "payment": "transfer",
        "bank": "三菱UFJ銀行",
    },
    "entry_confirm": {"remarks": "通関業許可12月20日予定"},
    "issuance_confirm": {"checked": "y"},
    "system_setup": {
        "change_all_offices": "y",
        "company_name_en": "NACCS SYSTEM CO.,LTD.",
        "office_name_en": "KAIJO",
        "postal_code": "2120013",
        "address_en1": "KANAGAWA KEN",
        "address_en2": "KAWASAKI SHI SAIWAI KU",
        "address_en3": "HORIKAWA CYO 999",
        "contact_name_en": "I.KONSAI",
    },
    "setup_work": {"certificate_issued": "y", "note": "証明書発行済"},
}

# One user-code row as the applicant enters it in the code editor of entry_user_codes.
USER_CODE_ROW = {
    "new-system_kind": "海上",
    "new-sso": "要",
    "new-industries": ["通関業", "海貨業"],
    "new-processing": "netNACCS",
    "new-identifier_count": "1",
    "new-paid_statistics": "否",
    "new-free_statistics": "要",
    "new-bonded_storage": "否",
}


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def post_page(client, url: str, data: dict, button: str = "submit"):
    """GET the page (as the browser would), then POST the form with its CSRF token."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    payload = {**data, "csrf_token": csrf_token(page.get_data(as_text=True))}
    if button:
        payload[button] = "1"
    return client.post(url, data=payload)


def first_option(html: str, field: str) -> str:
    select = re.search(rf'<select[^>]*name="{field}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {field}"
    values = [v for v in re.findall(r'<option[^>]*value="([^"]*)"', select.group(1)) if v]
    return values[0]


def signup(client, smtp, contact: dict | None = None) -> tuple[str, str]:
    """Agree to the terms, enter the contact, confirm; return (仮ログインID, 仮パスワード) from the mail."""
    page = client.get("/signup")
    response = client.post("/signup", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 302
    response = post_page(client, response.location, contact or SIGNUP_CONTACT)
    assert response.status_code == 302, response.get_data(as_text=True)
    response = post_page(client, response.location, {})
    assert response.status_code == 302 and response.location.endswith("/signup/done")
    mails = smtp.by_subject("仮アカウント登録完了")
    assert mails, "no signup mail received"
    body = smtp.body(mails[-1])
    login_id = re.search(r"仮ログインID：(\d{7})", body).group(1)
    password = re.search(r"仮パスワード：([A-Z0-9]{8})", body).group(1)
    return login_id, password


def login(client, login_id: str, password: str):
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "login_id": login_id,
            "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )


def staff_login(client, login: str = "reviewer", password: str = "reviewer-pass"):
    page = client.get("/staff/login")
    response = client.post(
        "/staff/login",
        data={
            "login": login,
            "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def next_task_url(client) -> str | None:
    home = client.get("/home").get_data(as_text=True)
    match = TASK_LINK.search(home)
    return match.group(1) if match else None


def complete_applicant_tasks(
    client, answers: dict | None = None, stop_at: str | None = None
) -> list[str]:
    """Fill every screen the applicant is offered until the stage ends; returns the form keys seen."""
    answers = {**ANSWERS, **(answers or {})}
    seen = []
    url = next_task_url(client)
    while url and url.startswith("/tasks/"):
        html = client.get(url).get_data(as_text=True)
        form_key = FORM_KEY.search(html).group(1)
        if form_key == stop_at:
            break
        data = dict(answers[form_key])
        if form_key == "entry_start_date":
            data["wished_start_date"] = first_option(html, "wished_start_date")
        response = post_page(client, url, data)
        assert response.status_code == 302, (form_key, response.get_data(as_text=True)[:3000])
        seen.append(form_key)
        url = response.location if "/tasks/" in response.location else next_task_url(client)
    return seen


def at_screen(client, smtp, form_key: str) -> tuple[str, tuple[str, str]]:
    """Sign up, log in and fill every screen before form_key; returns its URL and the login."""
    credentials = signup(client, smtp)
    assert login(client, *credentials).status_code == 302
    complete_applicant_tasks(client, stop_at=form_key)
    url = next_task_url(client)
    assert f'data-form-key="{form_key}"' in client.get(url).get_data(as_text=True)
    return url, credentials


def claim_and_open(client, lane: str = "reviewer") -> str:
    inbox = client.get(f"/staff/?lane={lane}&scope=unclaimed").get_data(as_text=True)
    match = re.search(r'action="(/staff/human-tasks/\d+/claim)"', inbox)
    assert match, "nothing to claim"
    response = client.post(match.group(1), data={"csrf_token": csrf_token(inbox)})
    assert response.status_code == 302
    return response.location


def review(client, decision: str, **fields) -> None:
    url = claim_and_open(client)
    html = client.get(url).get_data(as_text=True)
    data = {"decision": decision, **fields}
    if decision == "approve" and "confirmed_start_date" not in fields:
        data["confirmed_start_date"] = first_option(html, "confirmed_start_date")
    response = post_page(client, url, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (its own `g` and DB session), as in production,
    although the test or benchmark itself may hold one open to read the database."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@contextmanager
def private_schema(url: str, schema: str) -> Iterator[str]:
    """A PostgreSQL schema of its own on `url` for one run (tests, benchmarks), dropped after:
    the URL to use, with the schema as its search path."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


def instances_by_version() -> dict:
    """{(version id, status): instances} counted off process_instance."""
    from app.extensions import db
    from app.models import ProcessInstance as Instance

    query = select(Instance.version_id, Instance.status, func.count())
    rows = db.session.execute(query.group_by(Instance.version_id, Instance.status))
    return {(version, status): n for version, status, n in rows}


def version_counts_kept() -> dict:
    """The same as the triggers keep it in version_instance_count (rows at zero left out)."""
    from app.extensions import db
    from app.models import VersionInstanceCount as Kept

    rows = db.session.execute(select(Kept.version_id, Kept.status, Kept.instances))
    return {(version, status): n for version, status, n in rows if n}
