"""The reviewer's queues and claiming: counts, filters, sorting, pagination, atomic claims."""

import re
import threading
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from app.domain.schedule import JST
from app.extensions import db
from app.models import (
    Application,
    AuditEvent,
    HumanTask,
    ProcessInstance,
    ProcessVersion,
    StaffUser,
)
from tests.helpers import complete_applicant_tasks, csrf_token, login, signup, staff_login


def submit(app, smtp, answers: dict | None = None) -> Application:
    """One application through signup and detail entry over HTTP; returns it, submitted."""
    client = app.test_client()
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client, answers)
    db.session.expire_all()
    return db.session.scalars(select(Application).order_by(Application.id.desc())).first()


def staff(app, login_name: str):
    client = app.test_client()
    staff_login(client, login_name, f"{login_name}-pass")
    return client


def staff_id(login_name: str) -> int:
    return db.session.scalar(select(StaffUser.id).where(StaffUser.login == login_name))


def waiting(
    reference_no: str,
    company: str,
    submitted: datetime,
    wished: date,
    owner: str | None = None,
    returned: bool = False,
) -> HumanTask:
    """A review task in the inbox table, written directly (the queue is a read model)."""
    from app.models import ReviewDecision

    application = Application(
        reference_no=reference_no,
        status="submitted",
        company_name=company,
        submitted_at=submitted,
        wished_start_date=wished,
        answers={"entry_office": {"office_name": "本社"}},
    )
    db.session.add(application)
    db.session.flush()
    version = db.session.scalar(select(ProcessVersion.id).limit(1))
    instance = ProcessInstance(application_id=application.id, version_id=version, state="{}")
    db.session.add(instance)
    db.session.flush()
    local = submitted.astimezone(JST).date()
    next_day = local + timedelta(days=1 if local.weekday() < 4 else 7 - local.weekday())
    task = HumanTask(
        instance_id=instance.id,
        application_id=application.id,
        task_id=f"t-{reference_no}",
        bpmn_id="review_application",
        process_id="review",
        title="審査",
        form_key="review_decision",
        lane="reviewer",
        owner_id=staff_id(owner) if owner else None,
        created_at=submitted,
        due_at=datetime.combine(next_day + timedelta(days=1), datetime.min.time(), tzinfo=JST),
    )
    db.session.add(task)
    if returned:
        db.session.add(
            ReviewDecision(application_id=application.id, decision="return", decided_by="x")
        )
    db.session.commit()
    return task


def references(html: str) -> list[str]:
    return re.findall(r'/staff/applications/\d+">(\w+)</a>', html)


def jst(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=JST).astimezone(UTC)


def test_tabs_have_counts_and_all_is_for_supervisors(app, smtp):
    waiting("2600001A", "ナックスシステム株式会社", jst(date(2026, 11, 30)), date(2026, 12, 21))
    waiting("2600002B", "エービーシー物流株式会社", jst(date(2026, 11, 30)), date(2026, 12, 21))
    waiting("2600003C", "株式会社エックスワイゼット", jst(date(2026, 11, 30)), date(2026, 12, 28))
    waiting("2600004D", "株式会社エックスワイゼット", jst(date(2026, 11, 30)), date(2026, 12, 28))
    db.session.get(HumanTask, 4).owner_id = staff_id("reviewer2")
    db.session.commit()
    reviewer = staff(app, "reviewer")
    page = reviewer.get("/staff/").get_data(as_text=True)
    assert "未割当" in page and 'aria-label="3件"' in page and "全件" not in page
    assert references(page) == ["2600001A", "2600002B", "2600003C"]
    # A reviewer asking for the supervisors' list gets the unclaimed one.
    assert references(reviewer.get("/staff/?scope=all").get_data(as_text=True))[0] == "2600001A"
    supervisor = staff(app, "supervisor")
    page = supervisor.get("/staff/?scope=all").get_data(as_text=True)
    assert "全件" in page and 'aria-label="4件"' in page
    assert len(references(page)) == 4 and "審査 花子" in page
    assert 'name="staff_id"' in page  # supervisors can reassign from the list


def test_overdue_and_due_today_are_shown_on_the_business_calendar(app, smtp, clock_at):
    # Friday 27 Nov → due Monday 30 Nov (overdue on Tue 1 Dec); Monday 30 Nov → due today.
    waiting("2600001A", "A社", jst(date(2026, 11, 27)), date(2026, 12, 21))
    waiting("2600002B", "B社", jst(date(2026, 11, 30)), date(2026, 12, 21))
    waiting("2600003C", "C社", jst(date(2026, 12, 1)), date(2026, 12, 21))
    page = staff(app, "reviewer").get("/staff/").get_data(as_text=True)
    rows = page.split("<tr")[2:]
    assert "期限超過" in rows[0] and "11月30日（月）中" in rows[0]
    assert "本日期限" in rows[1] and "期限超過" not in rows[1]
    assert "本日期限" not in rows[2] and "期限超過" not in rows[2]
    overdue = staff(app, "reviewer").get("/staff/?due=overdue").get_data(as_text=True)
    assert references(overdue) == ["2600001A"]
    assert references(staff(app, "reviewer").get("/staff/?due=today").get_data(as_text=True)) == [
        "2600002B"
    ]


def test_search_filters_and_sorting(app, smtp):
    waiting("2600001A", "ナックスシステム株式会社", jst(date(2026, 11, 26)), date(2026, 12, 28))
    waiting("2600002B", "エービーシー物流株式会社", jst(date(2026, 11, 27)), date(2026, 12, 21))
    waiting("2600013C", "株式会社エックスワイゼット", jst(date(2026, 11, 30)), date(2027, 1, 12))
    waiting(
        "2600014D", "ナックス商事株式会社", jst(date(2026, 11, 30)), date(2026, 12, 21), None, True
    )
    reviewer = staff(app, "reviewer")

    def refs(query: str) -> list[str]:
        response = reviewer.get(f"/staff/?{query}")
        assert response.status_code == 200
        return references(response.get_data(as_text=True))

    assert refs("q=ナックス") == ["2600001A", "2600014D"]
    assert refs("q=２６０００１") == ["2600013C", "2600014D"]  # full-width prefix of the number
    assert refs("q=2600002b") == ["2600002B"]
    assert refs("q=100%25") == []  # LIKE wildcards are taken literally
    assert refs("sort=reference&order=desc") == ["2600014D", "2600013C", "2600002B", "2600001A"]
    assert refs("sort=start")[:2] == ["2600002B", "2600014D"]
    assert refs("sort=submitted&order=desc")[-1] == "2600001A"
    assert refs("submitted_from=2026-11-27&submitted_to=2026-11-27") == ["2600002B"]
    assert refs("start_from=2026-12-22&start_to=2027-01-31") == ["2600001A", "2600013C"]
    assert refs("status=resubmitted") == ["2600014D"]
    assert len(refs("status=first")) == 3
    page = reviewer.get("/staff/?submitted_from=2026-13-01").get_data(as_text=True)
    assert "日付はYYYY-MM-DDの形式で入力してください。" in page  # ignored, and said so
    assert len(references(page)) == 4
    assert "再提出（差戻し1回）" in reviewer.get("/staff/").get_data(as_text=True)


def test_sort_by_company_both_ways(app, smtp):
    # Names in 五十音 order, which every collation (SQLite, PostgreSQL) agrees on.
    waiting("2600001A", "ウメ運輸株式会社", jst(date(2026, 11, 30)), date(2026, 12, 21))
    waiting("2600002B", "アカシア物流株式会社", jst(date(2026, 11, 30)), date(2026, 12, 21))
    waiting("2600003C", "イチョウ商事株式会社", jst(date(2026, 11, 30)), date(2026, 12, 21))
    reviewer = staff(app, "reviewer")
    page = reviewer.get("/staff/?sort=company").get_data(as_text=True)
    assert references(page) == ["2600002B", "2600003C", "2600001A"]
    assert "▲" in page
    page = reviewer.get("/staff/?sort=company&order=desc").get_data(as_text=True)
    assert references(page) == ["2600001A", "2600003C", "2600002B"]


def test_pagination_keeps_the_filters(app, smtp):
    for number in range(30):
        waiting(f"26{number:05d}X", "ナックス", jst(date(2026, 11, 30)), date(2026, 12, 21))
    reviewer = staff(app, "reviewer")
    first = reviewer.get("/staff/?q=ナックス&sort=reference").get_data(as_text=True)
    assert "30件中 1–25件を表示" in first and len(references(first)) == 25
    link = re.search(r'href="([^"]*page=2[^"]*)"', first).group(1).replace("&amp;", "&")
    assert "sort=reference" in link and "q=" in link
    second = reviewer.get(link).get_data(as_text=True)
    assert references(second) == [f"26{n:05d}X" for n in range(25, 30)]
    assert references(reviewer.get("/staff/?page=99").get_data(as_text=True))  # last page


def test_claim_unclaim_and_claim_next(app, smtp):
    submit(app, smtp)
    task = db.session.scalar(select(HumanTask).where(HumanTask.state == "ready"))
    reviewer, other = staff(app, "reviewer"), staff(app, "reviewer2")
    page = reviewer.get("/staff/").get_data(as_text=True)
    response = reviewer.post("/staff/claim-next", data={"csrf_token": csrf_token(page)})
    assert response.location.endswith(f"/staff/tasks/{task.task_id}")
    # Somebody else cannot take it, open it or let it go.
    other_page = other.get("/staff/").get_data(as_text=True)
    refused = other.post(
        f"/staff/human-tasks/{task.id}/claim", data={"csrf_token": csrf_token(other_page)}
    )
    assert "既に審査 太郎さんが担当しています" in other.get(refused.location).get_data(as_text=True)
    assert other.get(f"/staff/tasks/{task.task_id}").status_code == 403
    other.post(f"/staff/human-tasks/{task.id}/unclaim", data={"csrf_token": csrf_token(other_page)})
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).owner_id == staff_id("reviewer")
    # The owner lets it go: it is back in the queue.
    reviewer.post(f"/staff/human-tasks/{task.id}/unclaim", data={"csrf_token": csrf_token(page)})
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).owner_id is None
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["task_claimed", "task_unclaimed"]
    taken = other.post("/staff/claim-next", data={"csrf_token": csrf_token(other_page)})
    assert taken.location.endswith(f"/staff/tasks/{task.task_id}")  # reviewer2 takes it now
    empty = reviewer.post("/staff/claim-next", data={"csrf_token": csrf_token(page)})
    assert "未割当の手続きはありません" in reviewer.get(empty.location).get_data(as_text=True)


def test_supervisor_reassigns_and_reviewers_cannot(app, smtp):
    submit(app, smtp)
    task = db.session.scalar(select(HumanTask).where(HumanTask.state == "ready"))
    reviewer = staff(app, "reviewer")
    page = reviewer.get("/staff/").get_data(as_text=True)
    token = csrf_token(page)
    url = f"/staff/human-tasks/{task.id}/reassign"
    denied = reviewer.post(url, data={"csrf_token": token, "staff_id": staff_id("reviewer")})
    assert "審査責任者のみ" in reviewer.get(denied.location).get_data(as_text=True)
    supervisor = staff(app, "supervisor")
    token = csrf_token(supervisor.get("/staff/?scope=all").get_data(as_text=True))
    supervisor.post(url, data={"csrf_token": token, "staff_id": staff_id("reviewer2")})
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).owner_id == staff_id("reviewer2")
    analyst = staff_id("analyst")
    supervisor.post(url, data={"csrf_token": token, "staff_id": analyst})
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).owner_id == staff_id("reviewer2")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "task_reassigned"))
    assert event.actor == "staff:supervisor" and event.detail["to"] == "reviewer2"


def test_concurrent_claims_exactly_one_wins_and_the_others_are_told_who(app, smtp):
    """Real concurrent requests: four reviewers, each with their own client, claim at once."""
    submit(app, smtp)
    task = db.session.scalar(select(HumanTask).where(HumanTask.state == "ready"))
    names = {"reviewer": "審査 太郎", "reviewer2": "審査 花子", "supervisor": "責任者 一郎"}
    names["admin"] = "管理 三郎"
    clients = {login_name: staff(app, login_name) for login_name in names}
    tokens = {n: csrf_token(c.get("/staff/").get_data(as_text=True)) for n, c in clients.items()}
    for attempt in range(5):
        barrier = threading.Barrier(len(clients))
        results, errors = {}, []

        def claim(login_name: str, barrier=barrier, results=results, errors=errors) -> None:
            try:
                barrier.wait(timeout=10)
                results[login_name] = clients[login_name].post(
                    f"/staff/human-tasks/{task.id}/claim",
                    data={"csrf_token": tokens[login_name]},
                )
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=claim, args=(n,)) for n in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors and len(results) == len(clients)
        winners = [n for n, r in results.items() if "/staff/tasks/" in r.location]
        assert len(winners) == 1, (attempt, {n: r.location for n, r in results.items()})
        winner = winners[0]
        for login_name, response in results.items():
            if login_name != winner:
                told = clients[login_name].get(response.location).get_data(as_text=True)
                assert f"既に{names[winner]}さんが担当しています" in told
        db.session.expire_all()
        assert db.session.get(HumanTask, task.id).owner_id == staff_id(winner)
        claims = select(func.count()).where(AuditEvent.action == "task_claimed")
        assert db.session.scalar(claims) == attempt + 1
        clients[winner].post(
            f"/staff/human-tasks/{task.id}/unclaim", data={"csrf_token": tokens[winner]}
        )


def test_counts_past_the_cap_say_so_and_the_list_pages_on(app, smtp, monkeypatch):
    from app.services import staff_views

    monkeypatch.setattr(staff_views, "COUNT_CAP", 3)
    for number in range(30):
        waiting(f"26{number:05d}Y", "ナックス", jst(date(2026, 11, 30)), date(2026, 12, 21))
    reviewer = staff(app, "reviewer")
    first = reviewer.get("/staff/").get_data(as_text=True)
    # Past the cap: 「3件以上」 on the tab, no total, but every page is still reachable.
    assert 'aria-label="3件以上"' in first and "件中" not in first
    assert "1–25件目を表示" in first and len(references(first)) == 25
    second = reviewer.get("/staff/?page=2").get_data(as_text=True)
    assert len(references(second)) == 5 and "26–30件目を表示" in second
    # A narrowing filter is counted exactly.
    found = reviewer.get("/staff/?q=260001").get_data(as_text=True)
    assert "10件中 1–10件を表示" in found  # 2600010Y–2600019Y
