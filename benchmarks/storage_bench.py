"""Stored bytes per completed application (per table) and the analyst pages at 1k vs ~20k.

Real figures: one application is driven over HTTP through the whole procedure (signup, detail
entry, review, issuance, system setup, setup work, start of use, every remaining timer), and
the database's own accounting is read before and after (SQLite `dbstat` payload bytes;
PostgreSQL `pg_column_size` of every column, i.e. after TOAST compression, plus a 24-byte tuple
header per row). For the analyst pages the states it passed through are cloned in bulk.

    .venv/bin/python benchmarks/storage_bench.py       (DATABASE_URL=postgresql+psycopg://... too)

`measure_storage()` and `measure_analyst_pages()` return the figures for other scripts.
"""

import statistics
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import time_machine  # noqa: E402
from driving import (  # noqa: E402
    FreshContextClient,
    OutboxMailbox,
    bench_config,
    database,
    prepare_database,
)
from sqlalchemy import func, insert, inspect, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # a Tuesday, 10:00 JST (as the tests)
SIZES = (1_000, 20_000)


@contextmanager
def bench_app(database_url: str | None = None):
    """A migrated, seeded database of its own (temp SQLite file, or a private PostgreSQL
    schema when `database_url` is given), the app, and the clock frozen at START."""
    with (
        database("storage", database_url) as url,
        time_machine.travel(START, tick=False) as clock,
    ):
        app = create_app(bench_config(url))
        app.test_client_class = FreshContextClient
        with app.app_context():
            prepare_database()
            yield app, clock
            db.session.remove()
            db.engine.dispose()


def table_bytes() -> dict[str, int]:
    """Stored bytes of every table's rows (indexes under "<table> indexes")."""
    if db.engine.dialect.name == "sqlite":
        db.session.commit()
        rows = db.session.execute(
            text(
                "SELECT s.name, m.type, m.tbl_name, SUM(s.payload) FROM dbstat s "
                "JOIN sqlite_master m ON m.name = s.name GROUP BY s.name"
            )
        ).all()
        result: dict[str, int] = {}
        for _name, kind, table, payload in rows:
            key = table if kind == "table" else f"{table} indexes"
            result[key] = result.get(key, 0) + int(payload or 0)
        return result
    result = {}
    inspector = inspect(db.engine)
    for table in inspector.get_table_names():
        columns = [c["name"] for c in inspector.get_columns(table)]
        sizes = " + ".join(f'COALESCE(SUM(pg_column_size("{c}")), 0)' for c in columns)
        total = db.session.execute(text(f'SELECT {sizes} + 24 * COUNT(*) FROM "{table}"')).scalar()
        result[table] = int(total)
        indexes = db.session.execute(
            text(
                "SELECT COALESCE(SUM(pg_relation_size(indexrelid)), 0) FROM pg_index "
                "WHERE indrelid = CAST(:t AS regclass)"
            ),
            {"t": table},
        ).scalar()
        result[f"{table} indexes"] = int(indexes)
    return result


def _snapshot(stage: str) -> dict:
    """The only application's instance as stored (raw column values) and its status."""
    from app.models import Application, ProcessInstance

    db.session.expire_all()
    application = db.session.scalars(select(Application).order_by(Application.id.desc())).first()
    table = ProcessInstance.__table__
    row = (
        db.session.execute(select(table).where(table.c.application_id == application.id))
        .one()
        ._asdict()
    )
    db.session.rollback()
    return {"stage": stage, "status": application.status, "instance": row}


def drive_one_application(app, clock) -> list[dict]:
    """The whole procedure over HTTP; returns a snapshot of the instance after each stage."""
    from app import mailer
    from app.models import Application
    from app.services.timers import fire_due_timers
    from tests.helpers import (
        ANSWERS,
        claim_and_open,
        complete_applicant_tasks,
        login,
        post_page,
        review,
        signup,
        staff_login,
    )

    client, staff = app.test_client(), app.test_client()
    shots = []
    login_id, password = signup(client, OutboxMailbox(app))
    shots.append(_snapshot("signup done"))
    assert login(client, login_id, password).status_code == 302
    complete_applicant_tasks(client, stop_at="entry_billing")
    shots.append(_snapshot("detail entry"))
    complete_applicant_tasks(client)
    shots.append(_snapshot("submitted"))
    staff_login(staff)
    review(staff, "approve")
    shots.append(_snapshot("approved"))
    complete_applicant_tasks(client)
    shots.append(_snapshot("setup filed"))
    url = claim_and_open(staff, lane="operator")
    assert post_page(staff, url, ANSWERS["setup_work"]).status_code == 302
    shots.append(_snapshot("setup done"))
    start = db.session.scalars(select(Application.confirmed_start_date)).one()
    clock.move_to(datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(hours=1))
    fire_due_timers()
    shots.append(_snapshot("in use"))
    clock.move_to(START + timedelta(days=500))
    fire_due_timers()
    mailer.deliver_due()
    shots.append(_snapshot("completed"))
    db.session.remove()
    return shots


# Rows a database has once, not per application (the housekeeping diagram's instance, serial
# counters, workers): shown apart, not counted in the bytes per application.
SHARED = frozenset({"housekeeping_instance", "counter", "worker_heartbeat", "setting"})


def _stored_len(value) -> int:
    return len(value.encode("utf-8")) if isinstance(value, str) else len(value)


def measure_storage(database_url: str | None = None) -> dict:
    """Bytes stored for one completed application: {"dialect", "instance_status",
    "bytes_per_application" (its rows in every table), "tables" {table: bytes}, "shared"
    {table: bytes, once per database}, "indexes" {table: bytes} (SQLite only: PostgreSQL
    allocates index pages), "state_bytes" (as stored), "state_json_bytes" (its JSON),
    "stages" [(stage, stored state bytes)]}."""
    from app.engine import serializer

    with bench_app(database_url) as (app, clock):
        before = table_bytes()
        shots = drive_one_application(app, clock)
        after = table_bytes()
        dialect = db.engine.dialect.name
        db.session.remove()
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    delta = {k: v for k, v in sorted(delta.items()) if v}
    rows = {k: v for k, v in delta.items() if not k.endswith(" indexes")}
    tables = {k: v for k, v in rows.items() if k not in SHARED}
    indexes = {k.removesuffix(" indexes"): v for k, v in delta.items() if k.endswith(" indexes")}
    state = shots[-1]["instance"]["state"]
    text_of = getattr(serializer, "state_text", lambda v: v)  # absent before compression
    return {
        "dialect": dialect,
        "instance_status": shots[-1]["instance"]["status"],
        "bytes_per_application": sum(tables.values()),
        "tables": tables,
        "shared": {k: v for k, v in rows.items() if k in SHARED},
        "indexes": indexes if dialect == "sqlite" else {},
        "state_bytes": _stored_len(state),
        "state_json_bytes": _stored_len(text_of(state)),
        "stages": [(shot["stage"], _stored_len(shot["instance"]["state"])) for shot in shots],
    }


def _clone(shots: list[dict], up_to: int) -> None:
    """Copies of the snapshots (round robin) until `up_to` applications exist."""
    from app.models import Application, ProcessInstance

    have = db.session.scalar(select(func.count()).select_from(Application)) or 0
    next_id = (db.session.scalar(select(func.max(Application.id))) or 0) + 1
    instance_id = (db.session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
    batch = 2_000
    while have < up_to:
        n = min(batch, up_to - have)
        apps, instances = [], []
        for k in range(n):
            shot = shots[(have + k) % len(shots)]
            apps.append({"id": next_id, "status": shot["status"], "company_name": f"複製{next_id}"})
            # The state as stored and its positions column, as every save writes them.
            instances.append(dict(shot["instance"], id=instance_id, application_id=next_id))
            next_id += 1
            instance_id += 1
        db.session.execute(insert(Application), apps)
        db.session.execute(insert(ProcessInstance.__table__), instances)
        db.session.commit()
        have += n


def _timed_get(client, url: str, repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def measure_analyst_pages(sizes: tuple[int, ...] = SIZES, database_url: str | None = None) -> dict:
    """Median ms of the analyst version page and of the list filtered by stage, at each size:
    {"sizes": [...], "version_page_ms": {n: ms}, "stage_filter_ms": {n: ms}, "dialect"}."""
    from app.models import ProcessVersion
    from tests.helpers import staff_login

    result: dict = {"sizes": list(sizes), "version_page_ms": {}, "stage_filter_ms": {}}
    with bench_app(database_url) as (app, clock):
        shots = drive_one_application(app, clock)
        running = [s for s in shots if s["instance"]["status"] == "running"]
        version_id = db.session.scalar(select(func.max(ProcessVersion.id)))
        db.session.remove()
        analyst = app.test_client()
        staff_login(analyst, "analyst", "analyst-pass")
        for n in sizes:
            _clone(shots + running, n)
            result["version_page_ms"][n] = _timed_get(analyst, f"/analyst/versions/{version_id}")
            result["stage_filter_ms"][n] = _timed_get(
                analyst, "/analyst/applications?stage=call_review&page=3"
            )
        result["dialect"] = db.engine.dialect.name
    return result


def main() -> None:
    storage = measure_storage()
    print(
        f"stored per completed application ({storage['dialect']}, instance "
        f"{storage['instance_status']}): {storage['bytes_per_application'] / 1024:.1f} KB of rows "
        f"(goal 20 KB)"
        + (
            f", indexes {sum(storage['indexes'].values()) / 1024:.1f} KB"
            if storage["indexes"]
            else ""
        )
    )
    for table, size in sorted(storage["tables"].items(), key=lambda kv: -kv[1]):
        print(f"  {table:24} {size:8,d} B")
    shared = ", ".join(f"{t} {n:,d} B" for t, n in storage["shared"].items())
    print(f"  once per database, not counted: {shared or 'none'}")
    print(
        f"  state as stored {storage['state_bytes']:,d} B (its JSON {storage['state_json_bytes']:,d} B);"
        " stored state by stage: " + ", ".join(f"{s} {n:,d}" for s, n in storage["stages"])
    )
    pages = measure_analyst_pages()
    for n in pages["sizes"]:
        print(
            f"analyst pages at {n:,d} applications ({pages['dialect']}): version page "
            f"{pages['version_page_ms'][n]:.1f} ms, list by stage {pages['stage_filter_ms'][n]:.1f} ms"
        )
    first, last = pages["sizes"][0], pages["sizes"][-1]
    print(
        f"  ratio {last:,d} / {first:,d}: version page "
        f"{pages['version_page_ms'][last] / pages['version_page_ms'][first]:.2f}x, list by stage "
        f"{pages['stage_filter_ms'][last] / pages['stage_filter_ms'][first]:.2f}x"
    )


if __name__ == "__main__":
    main()
