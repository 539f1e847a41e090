"""Staff administration: schedule, business calendar, offices, staff users — pages and commands."""

import re
from datetime import date, datetime

import pytest
from sqlalchemy import delete, insert, select, update

from app.domain.schedule import JST
from app.extensions import db
from app.models import AuditEvent, CalendarDay, HumanTask, Office, ScheduleEntry, StaffUser
from tests.helpers import complete_applicant_tasks, csrf_token, login, signup, staff_login


@pytest.fixture(autouse=True)
def restore_reference_data(app):
    """The staff, schedule and calendar tables outlive each test (tests/conftest.py keeps
    them): put back exactly what was there, whatever a test added, changed or deleted."""
    tables = [StaffUser.__table__, ScheduleEntry.__table__, CalendarDay.__table__]
    saved = {t.name: [dict(r._mapping) for r in db.session.execute(select(t))] for t in tables}
    yield
    db.session.rollback()
    for table in tables:
        key = list(table.primary_key.columns)[0]
        before = {row[key.name]: row for row in saved[table.name]}
        now = {r[0] for r in db.session.execute(select(key))}
        db.session.execute(delete(table).where(key.not_in(list(before))))
        for value, row in before.items():
            if value in now:
                db.session.execute(update(table).where(key == value).values(**row))
            else:
                db.session.execute(insert(table).values(**row))
    db.session.commit()


def admin(app):
    client = app.test_client()
    staff_login(client, "admin", "admin-pass")
    return client


def post_form(client, url: str, data: dict, page_url: str | None = None):
    page = client.get(page_url or url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})


def flashes(client, url: str) -> list[str]:
    return re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<', client.get(url).get_data(as_text=True))


def test_only_administrators_reach_the_admin_pages(app):
    anonymous = app.test_client()
    assert "/staff/login" in anonymous.get("/admin/").location
    for login_name in ("reviewer", "supervisor", "analyst"):
        client = app.test_client()
        staff_login(client, login_name, f"{login_name}-pass")
        assert client.get("/admin/schedule").status_code == 403
        assert client.get("/admin/staff").status_code == 403
    client = admin(app)
    page = client.get("/admin/").get_data(as_text=True)
    assert "スケジュール表" in page and "営業日カレンダー" in page and "事業所台帳" in page
    assert "管理メニュー" in client.get("/staff/").get_data(as_text=True)


def test_schedule_entry_added_checked_and_deleted(app):
    client = admin(app)
    bad = post_form(
        client,
        "/admin/schedule",
        {
            "start_date": "2028-04-03",
            "contract_deadline": "2028-03-30",
            "setup_deadline": "2028-03-19",
        },
    )
    assert bad.status_code == 422
    assert "システム設定関係申込締切日は利用契約関係申込締切日以降に" in bad.get_data(as_text=True)
    not_a_date = post_form(
        client,
        "/admin/schedule",
        {"start_date": "4月3日", "contract_deadline": "2028-03-17", "setup_deadline": "2028-03-24"},
    )
    assert "日付はYYYY-MM-DDの形式で入力してください。" in not_a_date.get_data(as_text=True)
    good = post_form(
        client,
        "/admin/schedule",
        {
            "start_date": "2028-04-03",
            "contract_deadline": "2028-03-17",
            "setup_deadline": "2028-03-24",
        },
    )
    assert good.status_code == 302
    entry = db.session.scalar(
        select(ScheduleEntry).where(ScheduleEntry.start_date == date(2028, 4, 3))
    )
    assert entry.contract_deadline == date(2028, 3, 17) and entry.setup_deadline == date(
        2028, 3, 24
    )
    twice = post_form(
        client,
        "/admin/schedule",
        {
            "start_date": "2028-04-03",
            "contract_deadline": "2028-03-17",
            "setup_deadline": "2028-03-24",
        },
    )
    assert "既に登録されています" in twice.get_data(as_text=True)
    edited = post_form(
        client,
        f"/admin/schedule/{entry.id}",
        {
            "start_date": "2028-04-03",
            "contract_deadline": "2028-03-16",
            "setup_deadline": "2028-03-23",
        },
    )
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.get(ScheduleEntry, entry.id).contract_deadline == date(2028, 3, 16)
    # A deadline on a Sunday is refused, naming the business day before it.
    sunday = post_form(
        client,
        f"/admin/schedule/{entry.id}",
        {
            "start_date": "2028-04-03",
            "contract_deadline": "2028-03-19",
            "setup_deadline": "2028-03-23",
        },
    )
    assert sunday.status_code == 422
    assert "利用契約関係申込締切日（2028年3月19日（日））はNACCSセンターの営業日では" in (
        sunday.get_data(as_text=True)
    )
    entry_id = entry.id
    deleted = post_form(client, f"/admin/schedule/{entry_id}/delete", {}, "/admin/schedule")
    db.session.expire_all()
    assert deleted.status_code == 302 and db.session.get(ScheduleEntry, entry_id) is None
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("schedule_saved") == 2 and "schedule_deleted" in actions


def test_schedule_in_use_cannot_be_deleted(app, client, smtp):
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client)
    from app.models import Application

    wished = db.session.scalar(select(Application.wished_start_date))
    entry = db.session.scalar(select(ScheduleEntry).where(ScheduleEntry.start_date == wished))
    staff = admin(client.application)
    post_form(staff, f"/admin/schedule/{entry.id}/delete", {}, "/admin/schedule")
    assert "選択している申込があるため削除できません" in " ".join(flashes(staff, "/admin/schedule"))
    assert db.session.get(ScheduleEntry, entry.id) is not None


def test_schedule_csv_import_utf8_and_shift_jis_all_or_nothing(app):
    from io import BytesIO

    client = admin(app)
    csv_text = (
        "利用契約関係申込締切日,システム設定関係申込締切日,システム登録日（利用開始日）\n"
        "2029/3/16,2029/3/23,2029/4/2\n"
        "2029-03-23,2029-03-30,2029-04-09\n"
    )

    def upload(raw: bytes):
        page = client.get("/admin/schedule").get_data(as_text=True)
        data = {"csrf_token": csrf_token(page), "file": (BytesIO(raw), "schedule.csv")}
        response = client.post(
            "/admin/schedule/import", data=data, content_type="multipart/form-data"
        )
        if response.status_code == 422:  # refused: the reasons are beside the file field
            return response.get_data(as_text=True)
        return " ".join(flashes(client, response.location))

    assert "追加 2件・更新 0件" in upload(csv_text.encode("cp932"))
    changed = csv_text.replace("2029/3/23", "2029/3/22")
    assert "追加 0件・更新 1件・変更なし 1件" in upload(("\ufeff" + changed).encode("utf-8"))
    broken = changed + (
        "2029-04-30,2029-04-06,2029-04-14\n2029-05-01,x,2029-05-20\n"
        "2029-05-06,2029-05-13,2029-05-21\n"  # Sundays: refused, the Friday before named
    )
    message = upload(broken.encode("utf-8"))
    assert "4行目：日付の順序が正しくありません" in message and "5行目：日付はYYYY-MM-DD" in message
    assert "6行目：利用契約関係申込締切日（2029年5月6日（日））は" in message
    assert "前の営業日（2029年5月4日（金））にしてください" not in message  # 5/4 is a holiday
    assert "前の営業日（2029年5月2日（水））にしてください" in message
    assert "システム設定関係申込締切日（2029年5月13日（日））" in message
    days = db.session.scalars(
        select(ScheduleEntry.start_date).where(ScheduleEntry.start_date >= date(2029, 1, 1))
    ).all()
    assert sorted(days) == [date(2029, 4, 2), date(2029, 4, 9)]  # nothing of the broken file


def test_closing_a_day_moves_the_answer_due_dates(app, client, smtp, clock_at):
    clock_at.move_to(datetime(2026, 12, 28, 10, tzinfo=JST))  # the last business day of 2026
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client)
    task = db.session.scalar(select(HumanTask).where(HumanTask.lane == "reviewer"))
    assert task.due_at == datetime(2027, 1, 5, tzinfo=JST)  # 12/29–1/3 closed: end of 1/4
    staff = admin(app)
    response = post_form(
        staff,
        "/admin/calendar?year=2027",
        {"day": "2027-01-04", "kind": "closed", "note": "臨時休業"},
    )
    assert response.status_code == 302
    assert "回答期限の再計算：1件" in " ".join(flashes(staff, response.location))
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).due_at == datetime(2027, 1, 6, tzinfo=JST)
    page = staff.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "臨時休業" in page and "元日" in page
    post_form(staff, "/admin/calendar/2027-01-04/delete", {}, "/admin/calendar?year=2027")
    db.session.expire_all()
    assert db.session.get(CalendarDay, date(2027, 1, 4)) is None
    assert db.session.get(HumanTask, task.id).due_at == datetime(2027, 1, 5, tzinfo=JST)
    # A Saturday can be opened as a business day (振替営業).
    post_form(staff, "/admin/calendar", {"day": "2027-01-02", "kind": "business", "note": "振替"})
    assert db.session.get(CalendarDay, date(2027, 1, 2)).is_business_day


def test_office_registry_add_edit_search_and_import(app):
    from io import BytesIO

    client = admin(app)
    data = {
        "code": "ｊｐｎ００１",
        "company_name": "日本海運株式会社",
        "company_kana": "ニホンカイウンカブシキガイシャ",
        "office_name": "本社",
        "postal_code": "100-0005",
        "prefecture": "東京都",
        "city": "千代田区",
        "street": "丸の内1-1-1",
        "customs": "東京税関",
    }
    assert post_form(client, "/admin/offices/new", data).status_code == 302
    office = db.session.get(Office, "JPN001")
    assert office.postal_code == "1000005" and office.company_name == "日本海運株式会社"
    again = post_form(client, "/admin/offices/new", data)
    assert "既に登録されています" in again.get_data(as_text=True)
    bad = post_form(client, "/admin/offices/new", {**data, "code": "JP001", "postal_code": "12"})
    text = bad.get_data(as_text=True)
    assert "英字3桁＋数字3桁" in text and "郵便番号は7桁" in text
    post_form(client, "/admin/offices/JPN001", {**data, "office_name": "東京本社"})
    db.session.expire_all()
    assert db.session.get(Office, "JPN001").office_name == "東京本社"
    assert "JPN001" in client.get("/admin/offices?q=日本海運").get_data(as_text=True)
    assert "JPN001" not in client.get("/admin/offices?q=エービーシー").get_data(as_text=True)
    csv_text = "事業所コード,企業名,企業名カナ,事業所名,郵便番号,都道府県,市区町村,番地,管轄税関\n"
    csv_text += "JPN002,日本海運株式会社,,横浜支店,2310001,神奈川県,横浜市中区,新港1-1,横浜税関\n"
    page = client.get("/admin/offices").get_data(as_text=True)
    client.post(
        "/admin/offices/import",
        data={"csrf_token": csrf_token(page), "file": (BytesIO(csv_text.encode()), "o.csv")},
        content_type="multipart/form-data",
    )
    assert db.session.get(Office, "JPN002").office_name == "横浜支店"


def test_staff_users_roles_and_passwords(app):
    client = admin(app)
    data = {
        "login": "reviewer3",
        "name": "審査 三郎",
        "email": "reviewer3@naccs-center.example.jp",
        "roles": ["reviewer"],
        "active": "y",
        "password": "a-long-password",
        "password_confirm": "a-long-password",
    }
    mismatch = post_form(client, "/admin/staff/new", {**data, "password_confirm": "other"})
    assert "パスワードが一致しません。" in mismatch.get_data(as_text=True)
    no_password = post_form(
        client, "/admin/staff/new", {**data, "password": "", "password_confirm": ""}
    )
    assert "新しい職員にはパスワードを設定してください。" in no_password.get_data(as_text=True)
    assert post_form(client, "/admin/staff/new", data).status_code == 302
    user = db.session.scalar(select(StaffUser).where(StaffUser.login == "reviewer3"))
    assert user.roles == "reviewer" and user.password_hash.startswith("$argon2")
    taken = post_form(client, "/admin/staff/new", {**data, "login": "reviewer"})
    assert "既に使われています" in taken.get_data(as_text=True)
    newcomer = app.test_client()
    staff_login(newcomer, "reviewer3", "a-long-password")
    assert newcomer.get("/staff/").status_code == 200
    assert "全件" not in newcomer.get("/staff/").get_data(as_text=True)
    # Promoted to supervisor: the 全件 list appears at the next request.
    edit = {k: v for k, v in data.items() if not k.startswith("password")}
    post_form(client, f"/admin/staff/{user.id}", {**edit, "roles": ["reviewer", "supervisor"]})
    assert "全件" in newcomer.get("/staff/").get_data(as_text=True)
    # Deactivated: the session ends.
    post_form(client, f"/admin/staff/{user.id}", {**edit, "active": ""})
    assert newcomer.get("/staff/").status_code == 302
    me = db.session.scalar(select(StaffUser).where(StaffUser.login == "admin"))
    refused = post_form(
        client, f"/admin/staff/{me.id}", {"name": me.name, "roles": ["reviewer"], "active": "y"}
    )
    assert "自分自身の管理者権限" in refused.get_data(as_text=True)


def test_admin_commands(app, runner, tmp_path):
    csv_file = tmp_path / "schedule.csv"
    csv_file.write_text("2030-03-15,2030-03-22,2030-04-01\n", encoding="utf-8")
    result = runner.invoke(args=["admin", "schedule", "import", str(csv_file)])
    assert result.exit_code == 0 and "added: 1" in result.output
    result = runner.invoke(
        args=["admin", "schedule", "set", "2030-04-08", "2030-03-22", "2030-03-29"]
    )
    assert result.exit_code == 0
    assert "2030-04-08" in runner.invoke(args=["admin", "schedule", "list"]).output
    bad = runner.invoke(args=["admin", "schedule", "set", "2030-04-15", "2030-04-10", "2030-04-01"])
    assert bad.exit_code == 1 and "日付の順序" in bad.output
    assert runner.invoke(args=["admin", "schedule", "delete", "2030-04-08"]).exit_code == 0
    result = runner.invoke(args=["admin", "calendar", "set", "2030-05-07", "--note", "臨時"])
    assert (
        result.exit_code == 0 and not db.session.get(CalendarDay, date(2030, 5, 7)).is_business_day
    )
    assert "臨時" in runner.invoke(args=["admin", "calendar", "list", "--year", "2030"]).output
    assert runner.invoke(args=["admin", "calendar", "unset", "2030-05-07"]).exit_code == 0
    assert "added" in runner.invoke(args=["admin", "calendar", "seed", "2031"]).output
    result = runner.invoke(
        args=["admin", "staff", "add", "ops", "--name", "作業 四郎", "--roles", "operator"],
        input="secret-password\nsecret-password\n",
    )
    assert result.exit_code == 0, result.output
    assert (
        runner.invoke(
            args=["admin", "staff", "set", "ops", "--roles", "operator,reviewer"]
        ).exit_code
        == 0
    )
    listed = runner.invoke(args=["admin", "staff", "list"]).output
    assert re.search(r"^ops .*\[reviewer,operator\]  active$", listed, re.M), listed
    unknown = runner.invoke(args=["admin", "staff", "set", "ops", "--roles", "king"])
    assert unknown.exit_code == 1 and "不明な役割" in unknown.output
    assert "NAC001" in runner.invoke(args=["admin", "office", "list"]).output


def test_demo_applications_fill_the_queue(app, runner, smtp):
    result = runner.invoke(args=["admin", "demo-applications", "--count", "6"])
    assert result.exit_code == 0, result.output
    assert len(re.findall(r"^26\d{5}[A-Z]", result.output, re.M)) == 6
    waiting = db.session.scalars(
        select(HumanTask).where(HumanTask.lane == "reviewer", HumanTask.state == "ready")
    ).all()
    assert len(waiting) == 6
