"""A benchmark world: real applications driven over HTTP to every stage, then cloned in SQL.

The templates are made exactly as people make them (signup, screens, review, setup work, the
start date's timers), so their states, inbox, audit and outbox rows are the product's own.
Clones copy every row of every table that belongs to an application (found from the models'
foreign keys, so a table added later is cloned too) with INSERT ... SELECT, doubling until the
wanted count; a clone keeps its template's state and task ids (unique per instance only).
"""

import json
import re
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Also reached through world: world.database (run.py, pages, timer, serve) and world.OutboxMailbox.
from driving import (  # noqa: E402, F401 - world.database etc. serve the other benchmarks
    FreshContextClient,
    OutboxMailbox,
    bench_config,
    database,
    prepare_database,
    serving_collector,
)
from sqlalchemy import Integer, and_, case, func, insert, literal, select, text  # noqa: E402

from app import clock, create_app  # noqa: E402
from app.extensions import db  # noqa: E402

# The driven applications, most advanced first (so each review or setup claim finds only its
# own task): the stage each one is left at.
STAGES = (
    "completed",
    "setup_done",
    "setup_filed",
    "issued",
    "returned",
    "submitted",
    "entry_midway",
    "signed_up",
)


@dataclass
class World:
    """The app on its database and what the benchmarks need to know about it."""

    app: object
    url: str
    templates: dict = field(default_factory=dict)  # stage -> application id
    logins: dict = field(default_factory=dict)  # stage -> (login id, password)
    build_seconds: dict = field(default_factory=dict)


def build(url: str, stages=STAGES) -> World:
    """Migrate, seed, deploy, drive one application to each stage over HTTP."""
    app = create_app(bench_config(url, DEV_TOOLS=False, LOGIN_MAX_FAILURES_PER_ADDRESS=10**6))
    app.test_client_class = FreshContextClient
    world = World(app=app, url=url)
    started = time.perf_counter()
    with app.app_context():
        prepare_database()
        clock.set_offset(timedelta(0))
        db.session.remove()
    for stage in stages:
        world.templates[stage], world.logins[stage] = _drive(app, stage)
    with app.app_context():
        from app import mailer

        clock.set_offset(timedelta(0))
        mailer.deliver_due()  # the worker would have sent them: no clone starts with mail due
        db.session.remove()
    world.build_seconds["drive"] = time.perf_counter() - started
    with app.app_context():
        _renumber_unique_values(world)
        db.session.remove()
    return world


UNIQUE_TEXT = {"application": "id", "provisional_account": "application_id"}


def _renumber_unique_values(world: World) -> None:
    """Give the templates' unique text values (仮ログインID, 申込受付番号) the form every clone's
    takes, from the application id, so that no clone's can equal a template's random one."""
    from app.models import ProvisionalAccount

    dialect = db.session.get_bind().dialect.name
    for name, owner in UNIQUE_TEXT.items():
        table = db.metadata.tables[name]
        values = {
            column.name: _unique_value(column, table.c[owner], dialect)
            for column in table.columns
            if column.unique and not column.foreign_keys and column.name != "id"
        }
        db.session.execute(table.update().values(**values))
    for stage, application_id in world.templates.items():
        login_id = db.session.scalar(
            select(ProvisionalAccount.login_id).where(
                ProvisionalAccount.application_id == application_id
            )
        )
        world.logins[stage] = (login_id, world.logins[stage][1])
    db.session.commit()


def _drive(app, stage: str) -> tuple[int, tuple[str, str]]:
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

    applicant, staff = app.test_client(), app.test_client()
    credentials = signup(applicant, OutboxMailbox(app))
    application_id = _newest_application(app)
    if stage == "signed_up":
        return application_id, credentials
    assert login(applicant, *credentials).status_code == 302
    if stage == "entry_midway":
        complete_applicant_tasks(applicant, stop_at="entry_manager")
        return application_id, credentials
    complete_applicant_tasks(applicant)
    if stage == "submitted":
        return application_id, credentials
    staff_login(staff)
    review(staff, "return", comment="事業所名をご確認ください。")
    if stage == "returned":
        return application_id, credentials
    complete_applicant_tasks(applicant)
    review(staff, "approve")
    if stage == "issued":
        return application_id, credentials
    complete_applicant_tasks(applicant)
    if stage == "setup_filed":
        return application_id, credentials
    url = claim_and_open(staff, lane="operator")
    assert post_page(staff, url, ANSWERS["setup_work"]).status_code == 302
    if stage == "setup_done":
        return application_id, credentials
    _run_out_the_clock(app, application_id)
    return application_id, credentials


def _run_out_the_clock(app, application_id: int) -> None:
    """Move the clock past the start date, then past every remaining timer of this application."""
    from app.domain.schedule import JST
    from app.models import Application
    from app.services.timers import refresh_application

    with app.app_context():
        start = db.session.get(Application, application_id).confirmed_start_date
        midnight = datetime.combine(start, datetime.min.time(), tzinfo=JST)
        for at in (midnight + timedelta(minutes=1), midnight + timedelta(days=400)):
            clock.set_offset(at - datetime.now(UTC))
            refresh_application(application_id)
            db.session.remove()
        clock.set_offset(timedelta(0))
        db.session.remove()


def _newest_application(app) -> int:
    from app.models import Application

    with app.app_context():
        return db.session.scalar(select(func.max(Application.id)))


# --- cloning ------------------------------------------------------------------------------


def _owned_tables():
    """Tables whose rows belong to an application, parents first, and each one's FK columns."""
    owned = {"application": {}}
    for table in db.metadata.sorted_tables:
        fks = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
        if table.name != "application" and any(t in owned for t in fks.values()):
            owned[table.name] = {c: t for c, t in fks.items() if t in owned}
    return [(db.metadata.tables[name], fks) for name, fks in owned.items()]


def _unique_value(column, new_app_id, dialect: str):
    """A fresh value for a unique text column of a clone, of the same length."""
    width = column.type.length or 8
    if dialect == "postgresql":
        fresh = func.lpad(func.cast(new_app_id, db.String), width, "0")
    else:
        fresh = func.printf(f"%0{width}d", new_app_id)
    return case((column.is_(None), None), else_=fresh)


SPENT: dict[str, float] = {}  # seconds of INSERT ... SELECT per table, to see what cloning costs


def clone_to(target: int) -> float:
    """Copy the application rows until there are `target` applications; returns seconds."""
    from app.models import Application

    started = time.perf_counter()
    dialect = db.session.get_bind().dialect.name
    tables = _owned_tables()
    have = db.session.scalar(select(func.count()).select_from(Application))
    with _indexes_rebuilt([t.name for t, _ in tables], target - have > 20_000):
        _double_up_to(target, tables, dialect)
    _settle()
    return time.perf_counter() - started


@contextmanager
def _indexes_rebuilt(names: list[str], wanted: bool):
    """Drop the secondary indexes of these tables for a big copy and build them again after:
    one sorted build instead of millions of random inserts (e.g. the task-id index)."""
    if not wanted:
        yield
        return
    if db.session.get_bind().dialect.name == "postgresql":
        query = text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema()"
            " AND i.tablename = ANY(:names) AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            " WHERE c.conname = i.indexname)"
        )
    else:
        query = text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN (SELECT value FROM json_each(:names))"
        )
        names = json.dumps(names)
    indexes = db.session.execute(query, {"names": names}).all()
    for name, _ in indexes:
        db.session.execute(text(f'DROP INDEX "{name}"'))
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        for _, ddl in indexes:
            db.session.execute(text(ddl))
        db.session.commit()


def _double_up_to(target: int, tables: list, dialect: str) -> None:
    from app.models import Application

    while True:
        count = db.session.scalar(select(func.count()).select_from(Application))
        top = db.session.scalar(select(func.max(Application.id)))
        if count >= target:
            break
        copies = min(count, target - count)
        # The `copies` lowest ids are copied to ids above `top`, rows of each table above its max.
        cutoff = db.session.scalar(
            select(Application.id).order_by(Application.id).offset(copies - 1).limit(1)
        )
        offsets = {
            table.name: db.session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
            for table, _ in tables
            if "id" in table.c and isinstance(table.c.id.type, Integer)
        }
        offsets["application"] = top
        for table, fks in tables:
            owner = table.c.id if table.name == "application" else table.c.application_id
            columns, values = [], []
            for column in table.columns:
                if column.name == "id" and table.name in offsets:
                    value = column + literal(offsets[table.name])
                elif column.name in fks:
                    value = column + literal(offsets[fks[column.name]])
                elif column.unique and table.name in UNIQUE_TEXT:
                    value = _unique_value(column, owner + literal(top), dialect)
                else:
                    value = column
                columns.append(column.name)
                values.append(value.label(column.name) if value is not column else column)
            query = select(*values).where(and_(owner.is_not(None), owner <= cutoff))
            began = time.perf_counter()
            db.session.execute(insert(table).from_select(columns, query))
            SPENT[table.name] = SPENT.get(table.name, 0) + time.perf_counter() - began
        db.session.commit()
    if dialect == "postgresql":  # ids were given explicitly: move each sequence past them
        for table, _ in tables:
            if "id" in table.c and isinstance(table.c.id.type, Integer):
                db.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )
        db.session.commit()


def _settle() -> None:
    """Fresh statistics and a checkpointed log, as a database in steady use has."""
    db.session.remove()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def counts() -> dict:
    from app.models import Application, AuditEvent, HumanTask, OutboundMail

    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Application, HumanTask, AuditEvent, OutboundMail)
    }


def staff_client(app, login: str):
    from tests.helpers import staff_login

    client = app.test_client()
    staff_login(client, login, f"{login}-pass")
    return client


def applicant_client(app, credentials: tuple[str, str]):
    from tests.helpers import login

    client = app.test_client()
    response = login(client, *credentials)
    assert response.status_code == 302, re.sub(r"\s+", " ", response.get_data(as_text=True))[:300]
    return client
