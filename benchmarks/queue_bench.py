"""Review-queue details with 100,000 applications: tab counts, sorts, search, filters, deep pages.

Not part of `make bench`: its rows are synthetic (empty states, no audit or outbox rows), so it
shows the queue's queries alone; pages_bench measures the pages on cloned real applications.

Usage: python benchmarks/queue_bench.py [--applications 100000] [--history 12] [--database URL]
(default: a temporary SQLite file; pass a PostgreSQL URL to measure there; the database is
emptied first). Two scenarios: a realistic queue (3% of the applications waiting, a third of
those claimed) and a stress case where every application waits for review. Prints the median
and 95th percentile of the service call (queries + ORM) and of the whole page over HTTP.
"""

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text, update  # noqa: E402

from app import create_app  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    Application,
    HumanTask,
    ProcessInstance,
    ProcessVersion,
    ReviewDecision,
    ScheduleEntry,
    StaffUser,
)

NOW = datetime.now(UTC)
KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"
SUFFIX = ("物流", "商事", "運輸", "海運", "通関", "倉庫", "航空", "産業")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def companies(count: int) -> list[str]:
    rng = random.Random(7)
    names = set()
    while len(names) < count:
        stem = "".join(rng.choice(KANA) for _ in range(rng.randint(3, 6)))
        names.add(f"{stem}{rng.choice(SUFFIX)}株式会社")
    return sorted(names)


def populate(applications: int, history: int) -> dict:
    """Bulk rows as the product would leave them: finished applications with their task history,
    plus the waiting review tasks; returns what the measurements need."""
    rng = random.Random(42)
    version = db.session.scalar(select(ProcessVersion.id).limit(1))
    starts = db.session.scalars(select(ScheduleEntry.start_date)).all()
    reviewers = db.session.scalars(select(StaffUser.id).where(StaffUser.roles.like("%reviewer%")))
    reviewers = list(reviewers)
    names = companies(2_000)
    statuses = ("in_use",) * 6 + ("issued", "rejected", "cancelled", "setup_done")
    started = time.perf_counter()
    batch = 5_000
    for first in range(1, applications + 1, batch):
        ids = range(first, min(first + batch, applications + 1))
        apps, instances, tasks, decisions = [], [], [], []
        for i in ids:
            submitted = NOW - timedelta(minutes=i * 15 + rng.randint(0, 14))
            wished = rng.choice(starts)
            apps.append(
                {
                    "id": i,
                    "reference_no": f"{20 + i // 100_000:02d}{i % 100_000:05d}{chr(65 + i % 26)}",
                    "status": rng.choice(statuses),
                    "company_name": rng.choice(names),
                    "contact_name": "申込 太郎",
                    "contact_email": "tanto@example.jp",
                    "answers": {"entry_office": {"office_name": "本社"}},
                    "drafts": {},
                    "wished_start_date": wished,
                    "submitted_at": submitted,
                    "created_at": submitted - timedelta(hours=2),
                    "updated_at": submitted,
                }
            )
            instances.append(
                {
                    "id": i,
                    "version_id": version,
                    "application_id": i,
                    "state": "{}",
                    "status": "completed",
                    "lock_version": 1,
                    "created_at": submitted,
                    "updated_at": submitted,
                }
            )
            for n in range(history):
                tasks.append(_task(i, f"h{n}", "applicant", "entry", submitted, "completed"))
            tasks.append(_task(i, "review", "reviewer", "review_decision", submitted, "completed"))
            if i % 7 == 0:
                decisions.append(
                    {"application_id": i, "round": 1, "decision": "return", "decided_by": "x",
                     "decided_at": submitted, "answers": {}}
                )  # fmt: skip
        db.session.execute(insert(Application), apps)
        db.session.execute(insert(ProcessInstance), instances)
        db.session.execute(insert(HumanTask), tasks)
        if decisions:
            db.session.execute(insert(ReviewDecision), decisions)
        db.session.commit()
    elapsed = time.perf_counter() - started
    total = db.session.scalar(select(func.count()).select_from(HumanTask))
    print(f"populated {applications:,} applications, {total:,} inbox rows in {elapsed:.1f} s")
    return {"reviewers": reviewers}


def _task(app_id: int, suffix: str, lane: str, form_key: str, at: datetime, state: str) -> dict:
    return {
        "instance_id": app_id,
        "application_id": app_id,
        "task_id": f"{app_id}-{suffix}",
        "bpmn_id": form_key,
        "process_id": "review" if lane == "reviewer" else "detail_entry",
        "title": "審査" if lane == "reviewer" else "入力",
        "form_key": form_key,
        "lane": lane,
        "state": state,
        "created_at": at,
        "due_at": at + timedelta(days=1) if lane == "reviewer" else None,
        "completed_at": at + timedelta(hours=20),
        "completed_by": "staff:reviewer" if lane == "reviewer" else "applicant",
    }


def open_queue(share: float, reviewers: list[int]) -> int:
    """Put the newest share of the review tasks back in the queue; a third of them claimed."""
    db.session.execute(
        update(HumanTask)
        .where(HumanTask.lane == "reviewer")
        .values(state="completed", owner_id=None)
    )
    total = db.session.scalar(select(func.count()).select_from(Application))
    waiting = int(total * share)
    db.session.execute(
        update(HumanTask)
        .where(HumanTask.lane == "reviewer", HumanTask.application_id <= waiting)
        .values(state="ready", completed_at=None, completed_by=None)
    )
    for index, staff_id in enumerate(reviewers):
        db.session.execute(
            update(HumanTask)
            .where(
                HumanTask.lane == "reviewer",
                HumanTask.application_id <= waiting,
                HumanTask.application_id % (3 * len(reviewers)) == index,
            )
            .values(owner_id=staff_id)
        )
    db.session.execute(
        update(Application).where(Application.id <= waiting).values(status="submitted")
    )
    db.session.commit()
    db.session.remove()
    # A steady state, as autovacuum keeps it: fresh statistics, no dead rows from the bulk load,
    # (SQLite) the bulk writes checkpointed out of the write-ahead log.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return waiting


def timed(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


CASES = [
    ("unclaimed, by due date", "reviewer", "unclaimed", {}),
    ("mine", "reviewer", "mine", {}),
    ("all (supervisor)", "supervisor", "all", {}),
    ("all, page 40", "supervisor", "all", {"page": 40}),
    ("all, sort company", "supervisor", "all", {"sort": "company"}),
    ("all, sort reference desc", "supervisor", "all", {"sort": "reference", "descending": True}),
    ("all, sort submitted", "supervisor", "all", {"sort": "submitted"}),
    ("all, sort start date", "supervisor", "all", {"sort": "start"}),
    ("all, search reference", "supervisor", "all", {"q": "2000123"}),
    ("all, search company", "supervisor", "all", {"q": "物流"}),
    ("all, overdue", "supervisor", "all", {"due": "overdue"}),
    ("all, resubmitted", "supervisor", "all", {"status": "resubmitted"}),
    ("all, submitted range", "supervisor", "all", {"submitted_from": date.today() - timedelta(days=7)}),
    ("done, everyone's (supervisor)", "supervisor", "done", {}),
    ("done, my own (reviewer)", "reviewer", "done", {}),
]  # fmt: skip


def measure(app, label: str, repeat: int) -> None:
    from app.services.auth import staff_actor
    from app.services.staff_views import inbox

    actors = {
        login: staff_actor(db.session.scalar(select(StaffUser).where(StaffUser.login == login)))
        for login in ("reviewer", "supervisor")
    }
    clients = {login: _client(app, login) for login in actors}

    def service(login: str, scope: str, page: int, args: dict) -> int:
        with app.app_context():  # a fresh session, as each request has
            return inbox(actors[login], "reviewer", scope, page, **args)["page"].total

    print(f"\n{label}")
    print(f"{'case':32} {'rows':>7} {'service ms (p50/p95)':>22} {'page ms (p50/p95)':>20}")
    for name, login, scope, args in CASES:
        args = dict(args)
        page = args.pop("page", 1)
        total = service(login, scope, page, args)
        total = "—" if total is None else f"{total:,}"
        timing = timed(lambda: service(login, scope, page, args), repeat)  # noqa: B023
        query = {"scope": scope, "page": page, **_query(args)}
        http = timed(lambda: _get(clients[login], query), repeat)  # noqa: B023
        print(
            f"{name:32} {total:>7} {timing[0]:>10.1f} / {timing[1]:<9.1f}"
            f" {http[0]:>8.1f} / {http[1]:<8.1f}"
        )


def _query(args: dict) -> dict:
    query = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in args.items()}
    if query.pop("descending", False):
        query["order"] = "desc"
    return query


def _client(app, login: str):
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    client.post(
        "/staff/login", data={"login": login, "password": f"{login}-pass", "csrf_token": token}
    )
    return client


def _get(client, query: dict) -> None:
    response = client.get("/staff/", query_string=query)
    assert response.status_code == 200, response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=12, help="completed tasks per application")
    parser.add_argument("--database", default=None, help="SQLAlchemy URL (default: temp SQLite)")
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = options.database or f"sqlite:///{tmp}/queue-bench.sqlite3"

        class Config(TestConfig):
            SQLALCHEMY_DATABASE_URI = url
            MAIL_SUPPRESS_SEND = True
            DEV_TOOLS = False

        app = create_app(Config)
        with app.app_context():
            _prepare()
            context = populate(options.applications, options.history)
            waiting = open_queue(0.03, context["reviewers"])
            measure(
                app,
                f"realistic queue: {waiting:,} waiting of {options.applications:,}",
                options.repeat,
            )
            waiting = open_queue(1.0, context["reviewers"])
            measure(
                app, f"stress: all {waiting:,} applications waiting", max(5, options.repeat // 3)
            )
            db.session.remove()
            db.engine.dispose()


def _prepare() -> None:
    from flask_migrate import upgrade

    from app.services.deploy import deploy_repository
    from app.services.seed import seed_calendar, seed_schedule, seed_staff

    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade()
    today = NOW.date()
    seed_calendar(today.year - 4, today.year + 1)
    db.session.flush()
    seed_schedule(today - timedelta(days=4 * 365), today + timedelta(days=120))
    seed_staff()
    db.session.commit()
    deploy_repository("bench")


if __name__ == "__main__":
    main()
