"""`flask admin ...`: the schedule, the business calendar, offices, staff users, demo applications."""

from collections.abc import Callable
from datetime import date
from functools import wraps
from pathlib import Path

import click
from flask.cli import AppGroup

from app.services import Actor, ServiceError

admin_cli = AppGroup("admin", help="Staff administration (the same as the /admin pages).")
schedule_cli = AppGroup("schedule", help="The スケジュール表 (start dates and deadlines).")
calendar_cli = AppGroup("calendar", help="Business-day exceptions (営業日カレンダー).")
office_cli = AppGroup("office", help="The office registry (事業所台帳).")
staff_cli = AppGroup("staff", help="Staff users and their roles.")
for _group in (schedule_cli, calendar_cli, office_cli, staff_cli):
    admin_cli.add_command(_group)

CLI_ACTOR = Actor(kind="staff", label="cli", roles=frozenset({"administrator"}))


def refusals(command: Callable) -> Callable:
    """Turn a service refusal into a clean CLI error (exit status 1)."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc

    return wrapper


def _date(value: str) -> date:
    from app.services.admin import parse_date

    parsed = parse_date(value)
    if parsed is None:
        raise click.BadParameter(f"not a date: {value} (use YYYY-MM-DD)")
    return parsed


def _read(path: str) -> str:
    """The CSV file's text, read with the web import's bound (CSV_MAX_BYTES), never whole."""
    from flask import current_app

    from app.services.admin import decode_csv

    limit = current_app.config["CSV_MAX_BYTES"]
    try:
        with Path(path).open("rb") as file:
            raw = file.read(limit + 1)
    except OSError as exc:
        raise click.ClickException(f"CSVファイルを読めません：{path}（{exc.strerror}）") from exc
    if len(raw) > limit:
        raise click.ClickException(
            f"CSVファイルが大きすぎます（上限 {limit // (1024 * 1024)} MB）：{path}。"
            "ファイルを分けて取り込んでください。"
        )
    return decode_csv(raw)


# --- schedule ----------------------------------------------------------------------------


@schedule_cli.command("list")
def schedule_list() -> None:
    """Print the schedule: contract deadline, setup deadline, start date, open applications."""
    from app.services.admin import schedule_entries

    for entry, used in schedule_entries(CLI_ACTOR):
        click.echo(f"{entry.contract_deadline}  {entry.setup_deadline}  {entry.start_date}  {used}")


@schedule_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@refusals
def schedule_import(csv_file: str) -> None:
    """Import CSV_FILE: 利用契約関係申込締切日, システム設定関係申込締切日, システム登録日."""
    from app.services.admin import import_schedule

    counts = import_schedule(CLI_ACTOR, _read(csv_file))
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@schedule_cli.command("set")
@click.argument("start")
@click.argument("contract_deadline")
@click.argument("setup_deadline")
@refusals
def schedule_set(start: str, contract_deadline: str, setup_deadline: str) -> None:
    """Add or change the start date START with its two deadlines."""
    from app.services.admin import save_schedule_entry, schedule_entries

    day = _date(start)
    existing = next((e.id for e, _ in schedule_entries(CLI_ACTOR) if e.start_date == day), None)
    save_schedule_entry(CLI_ACTOR, day, _date(contract_deadline), _date(setup_deadline), existing)
    click.echo(f"saved {day}")


@schedule_cli.command("delete")
@click.argument("start")
@refusals
def schedule_delete(start: str) -> None:
    """Delete the start date START (refused while applications use it)."""
    from app.services.admin import delete_schedule_entry, schedule_entries

    day = _date(start)
    existing = next((e.id for e, _ in schedule_entries(CLI_ACTOR) if e.start_date == day), None)
    if existing is None:
        raise click.ClickException(f"{day} is not in the schedule")
    delete_schedule_entry(CLI_ACTOR, existing)
    click.echo(f"deleted {day}")


# --- calendar ----------------------------------------------------------------------------


@calendar_cli.command("list")
@click.option("--year", type=int, default=None)
def calendar_list(year: int | None) -> None:
    """Print the exceptions of YEAR (default: this year)."""
    from app.clock import today_jst
    from app.services.admin import calendar_days

    for row in calendar_days(CLI_ACTOR, year or today_jst().year):
        kind = "business" if row.is_business_day else "closed"
        click.echo(f"{row.day}  {kind:8}  {row.note}")


@calendar_cli.command("set")
@click.argument("day")
@click.option("--closed/--business", default=True, help="Closed (default) or a business day.")
@click.option("--note", default="")
@refusals
def calendar_set(day: str, closed: bool, note: str) -> None:
    """Make DAY a closed day (or, with --business, a business day)."""
    from app.services.admin import set_calendar_day

    moved = set_calendar_day(CLI_ACTOR, _date(day), not closed, note)
    click.echo(f"{day}: {'closed' if closed else 'business'} (due dates moved: {moved})")


@calendar_cli.command("unset")
@click.argument("day")
@refusals
def calendar_unset(day: str) -> None:
    """Remove the exception on DAY (the default rule applies again)."""
    from app.services.admin import clear_calendar_day

    moved = clear_calendar_day(CLI_ACTOR, _date(day))
    click.echo(f"{day}: default rule (due dates moved: {moved})")


@calendar_cli.command("seed")
@click.argument("year", type=int)
def calendar_seed(year: int) -> None:
    """Add the national holidays and the 12/29–1/3 closure of YEAR."""
    from app.services.admin import seed_calendar_year

    click.echo(f"added {seed_calendar_year(CLI_ACTOR, year)} day(s)")


# --- offices -----------------------------------------------------------------------------


@office_cli.command("list")
@click.option("--search", default="", help="Code prefix, company or office name.")
def office_list(search: str) -> None:
    """Print registered offices."""
    from app.services.admin import offices

    page = offices(CLI_ACTOR, search, 1, per_page=10_000)
    for o in page.items:
        click.echo(f"{o.code}  {o.company_name}  {o.office_name}  {o.address}  {o.customs}")


@office_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
@refusals
def office_import(csv_file: str) -> None:
    """Import CSV_FILE: 事業所コード, 企業名, 企業名カナ, 事業所名, 郵便番号, 都道府県, 市区町村, 番地, 管轄税関."""
    from app.services.admin import import_offices

    counts = import_offices(CLI_ACTOR, _read(csv_file))
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


# --- staff -------------------------------------------------------------------------------


@staff_cli.command("list")
def staff_list() -> None:
    """Print staff users with their roles."""
    from app.services.staff_admin import staff_users

    for user in staff_users(CLI_ACTOR):
        state = "active" if user.active else "inactive"
        click.echo(f"{user.login:12}  {user.name}  [{user.roles}]  {state}")


def _roles(value: str) -> list[str]:
    return [r.strip() for r in value.split(",") if r.strip()]


@staff_cli.command("add")
@click.argument("login")
@click.option("--name", required=True)
@click.option("--email", default="")
@click.option("--roles", default="reviewer", help="Comma-separated, e.g. reviewer,supervisor.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@refusals
def staff_add(login: str, name: str, email: str, roles: str, password: str) -> None:
    """Create the staff user LOGIN (the password is stored hashed)."""
    from app.services.staff_admin import save_staff_user

    data = {"login": login, "name": name, "email": email, "roles": _roles(roles)}
    save_staff_user(CLI_ACTOR, {**data, "active": True, "password": password})
    click.echo(f"created {login}")


@staff_cli.command("set")
@click.argument("login")
@click.option("--roles", default=None, help="Replace the roles (comma-separated).")
@click.option("--active/--inactive", default=None)
@click.option("--password", is_flag=True, help="Ask for a new password.")
@refusals
def staff_set(login: str, roles: str | None, active: bool | None, password: bool) -> None:
    """Change the roles, the state or the password of LOGIN."""
    from app.services.staff_admin import save_staff_user, staff_users

    user = next((u for u in staff_users(CLI_ACTOR) if u.login == login), None)
    if user is None:
        raise click.ClickException(f"no staff user {login}")
    data = {
        "login": user.login,
        "name": user.name,
        "email": user.email,
        "roles": _roles(roles) if roles is not None else sorted(user.role_set),
        "active": user.active if active is None else active,
    }
    if password:
        data["password"] = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    save_staff_user(CLI_ACTOR, data, user.id)
    click.echo(f"saved {login}")


# --- demo applications -------------------------------------------------------------------

_CONTACT = {
    "company_name": "ナックスシステム株式会社",
    "company_kana": "ナックスシステムカブシキカイシャ",
    "last_name": "混載",
    "first_name": "一郎",
    "last_kana": "コンサイ",
    "first_kana": "イチロウ",
    "phone": "0123456789",
    "email": "konsai.ichiro@naccs.example.jp",
    "email_confirm": "konsai.ichiro@naccs.example.jp",
    "fax": "",
}
_ROW = {
    "code_no": 1,
    "system_kind": "海上",
    "sso": "要",
    "industries": ["通関業", "海貨業"],
    "processing": "netNACCS",
    "identifier_count": 1,
    "paid_statistics": "否",
    "free_statistics": "否",
    "bonded_storage": "否",
}
_ANSWERS = {
    "signup_contact": _CONTACT,
    "entry_contact": {**_CONTACT, "reason": "海上貨物の通関業務を開始するため。"},
    "entry_office": {
        "company_name": "ナックスシステム株式会社",
        "company_kana": "ナックスシステムカブシキカイシャ",
        "office_kana": "カイジョウジギョウショ",
        "postal_code": "2120013",
        "prefecture": "神奈川県",
        "city": "川崎市幸区",
        "street": "堀川町999 ナックスタワー1階",
        "address_kana": "カナガワケンカワサキシサイワイクホリカワチョウ",
        "phone": "0312345678",
        "fax": "",
        "customs": "横浜税関",
    },
    "entry_contractor": {"name": "南楠 太郎", "kana": "ナックス タロウ", "title": "代表取締役社長"},
    "entry_manager": {"mode": "same", "fax1": "0000000000", "confirmed": True, "naccs_type": "net"},
    "entry_user_codes": {"rows": [_ROW]},
    "entry_equipment": {"owner_office_code": "NAC001"},
    "entry_plan": {"plan": "A"},
    "entry_billing": {
        "bulk": "no",
        "address_mode": "same",
        "contact_name": "請求 花子",
        "contact_kana": "セイキュウ ハナコ",
        "contact_phone": "0312345678",
        "emails": ["billing@naccs.example.jp"],
        "payment": "transfer",
        "bank": "三菱UFJ銀行",
    },
    "entry_confirm": {"remarks": ""},
}
_FREE_MAIL = "naccs.konsai@gmail.com"
DEMO_VARIANTS: list[tuple[str, dict]] = [
    ("all checks OK", {}),
    ("billing e-mail on another domain", {"entry_billing": {"emails": ["keiri@kaikei.example.jp"]}}),
    ("contact on a free mail domain", {"entry_contact": {"email": _FREE_MAIL, "email_confirm": _FREE_MAIL}}),
    ("customs 不明", {"entry_office": {"customs": "不明"}}),
    ("SSO with a 業種 that cannot share an ID", {"entry_user_codes": {"rows": [
        {**_ROW, "industries": ["通関業", "自社通関"]}]}}),
    ("duplicate of the first one", {"entry_office": {"office_name": "海上第1事業所"}}),
]  # fmt: skip


def submit_demo_applications(count: int) -> list[tuple[str, str]]:
    """Drive applications through signup and detail entry with the services (no HTTP)."""
    from app.extensions import db
    from app.models import Application
    from app.services.auth import applicant_actor
    from app.services.reference import open_schedule
    from app.services.signup import start_signup
    from app.services.tasks import current_applicant_task, submit_task

    dates = open_schedule()
    if not dates:
        raise click.ClickException("no open start date in the schedule (run flask seed)")
    done = []
    for number in range(1, count + 1):
        variant, changes = DEMO_VARIANTS[(number - 1) % len(DEMO_VARIANTS)]
        answers = {k: dict(v) for k, v in _ANSWERS.items()}
        answers["entry_office"]["office_name"] = f"海上第{number}事業所"
        answers["entry_start_date"] = {"wished_start_date": dates[0].start_date.isoformat()}
        for form_key, values in changes.items():
            answers[form_key].update(values)
        actor = start_signup()
        for _ in range(40):
            task = current_applicant_task(actor.application_id)
            if task is None:
                break
            submit_task(actor, task.task_id, answers.get(task.form_key, {}))
            application = db.session.get(Application, actor.application_id)
            if application.account is not None and actor.kind != "applicant":
                actor = applicant_actor(application.account)
        application = db.session.get(Application, actor.application_id)
        done.append((application.reference_no or "(not submitted)", variant))
    return done


@admin_cli.command("demo-applications")
@click.option("--count", default=len(DEMO_VARIANTS), show_default=True)
@click.option("--if-none", is_flag=True, help="Only when there is no application yet (make run).")
@refusals
def demo_applications(count: int, if_none: bool) -> None:
    """Submit demo applications waiting for review (each with something to check)."""
    from app.extensions import db
    from app.models import Application

    if if_none and db.session.query(Application.id).first() is not None:
        click.echo("applications exist: no demo applications added")
        return
    for reference_no, variant in submit_demo_applications(count):
        click.echo(f"{reference_no}  {variant}")
