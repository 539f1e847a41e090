"""A lower bound for P1: what any submission on this stack costs before it does its own work.

P1 judges the product's POST against the bare engine step. Two parts of every POST are neither
the engine nor the product's own choices: Flask serving a request (WSGI, request context, the
signed session cookie, the app's before/after hooks) and SQLAlchemy running the statements a
submission needs (≤ 8 per issue 10) and committing them. This module measures both on the
product as it runs, the way P1 measures (CPU in this process, each after an application was
driven to the screen, so neither finds its caches warmed by a repetition of itself):

- `request_ms`: a GET of /healthz with the applicant's session cookie: the framework's work
  for a request whose view does nothing (no login check, no form, no database);
- `statements_ms`: the shapes of the POST's 8 statements as prebuilt SQLAlchemy Core
  statements on a driven application's rows (the login's row joined with its application,
  without the product's due-timer EXISTS; the task row by task_id; the instance with its
  application and version, FOR UPDATE on PostgreSQL; the answers and drafts written back
  compare-and-set; an audit row; the state written back compare-and-set; the inbox row
  updated; a second inbox write), then the commit. No ORM objects: the values written are
  those just read. On PostgreSQL also with the writes as one statement (`writes_as_one`).

Their sum with the bare step is the floor of a submission on Flask and SQLAlchemy with 8
statements, before the login is checked, the form built and validated, the state packed and
the inbox worked out. The product is not judged by it; it shows how much of the 3x goal the
stack itself leaves.
"""

from functools import cache


@cache
def _reads(postgresql: bool) -> tuple:
    """The POST's reads: the login's row with its application, the task row, the instance with
    its application and version (locked on PostgreSQL)."""
    from sqlalchemy import LABEL_STYLE_TABLENAME_PLUS_COL, bindparam, select

    from app.models import (
        Application,
        HumanTask,
        ProcessInstance,
        ProcessVersion,
        ProvisionalAccount,
    )

    account, application = ProvisionalAccount.__table__, Application.__table__
    task, instance = HumanTask.__table__, ProcessInstance.__table__
    version = ProcessVersion.__table__
    login = (
        select(account, application.c.status, application.c.contact_name)
        .join(application, application.c.id == account.c.application_id)
        .where(account.c.id == bindparam("account"))
    )
    by_task_id = select(task).where(task.c.task_id == bindparam("task_id"))
    locked = (
        select(instance, application, version.c.content_hash)
        .join(application, application.c.id == instance.c.application_id)
        .join(version, version.c.id == instance.c.version_id)
        .where(instance.c.application_id == bindparam("application"))
        .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)  # both tables have id, status, ...
    )
    if postgresql:
        locked = locked.with_for_update(of=instance)
    return login, by_task_id, locked


@cache
def _writes() -> tuple:
    """The POST's writes: the answers and drafts (compare-and-set), the audit row, the state
    (compare-and-set), an inbox row. Bound parameters are prefixed per statement, so that one
    set of values serves them one by one and as one statement (_writes_as_one)."""
    from sqlalchemy import bindparam, insert, update

    from app.models import Application, AuditEvent, HumanTask, ProcessInstance

    application, audit_table = Application.__table__, AuditEvent.__table__
    task, instance = HumanTask.__table__, ProcessInstance.__table__
    answers = (
        update(application)
        .where(
            application.c.id == bindparam("a_key"),
            application.c.drafts_version == bindparam("a_seen"),
        )
        .values(
            answers=bindparam("a_answers"),
            drafts=bindparam("a_drafts"),
            drafts_version=bindparam("a_next"),
            updated_at=bindparam("a_at"),  # onupdate defaults are not applied inside a CTE
        )
    )
    audit = insert(audit_table).values(
        application_id=bindparam("e_application"),
        at=bindparam("e_at"),
        actor=bindparam("e_actor"),
        action=bindparam("e_action"),
        detail=bindparam("e_detail"),
    )
    state = (
        update(instance)
        .where(instance.c.id == bindparam("s_key"), instance.c.lock_version == bindparam("s_seen"))
        .values(
            state=bindparam("s_state"),
            lock_version=bindparam("s_next"),
            updated_at=bindparam("s_at"),
        )
    )
    inbox = (
        update(task)
        .where(task.c.instance_id == bindparam("t_key"), task.c.task_id == bindparam("t_task_id"))
        .values(completed_by=bindparam("t_by"))
    )
    return answers, audit, state, inbox


@cache
def _writes_as_one():
    """PostgreSQL: the writes as one statement (data-modifying CTEs), the least a batched
    request path could send; it answers how many rows each wrote."""
    from sqlalchemy import func, select

    counts = []
    for name, write in zip(("answers", "audit", "state", "inbox"), _writes(), strict=True):
        cte = write.returning(write.table.c.id).cte(name)
        counts.append(select(func.count()).select_from(cte).scalar_subquery())
    return select(*counts)


def floor_ids(app, task_url: str) -> tuple[str, int, int]:
    """(task id, application id, login account id) of the application behind `task_url`."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import HumanTask, ProvisionalAccount

    task_id = task_url.rsplit("/", 1)[1]
    with app.app_context():
        application_id = db.session.scalar(
            select(HumanTask.application_id).where(HumanTask.task_id == task_id)
        )
        account_id = db.session.scalar(
            select(ProvisionalAccount.id).where(ProvisionalAccount.application_id == application_id)
        )
        db.session.remove()
    return task_id, application_id, account_id


def statements_ms(app, ids: tuple[str, int, int], writes_as_one: bool = False) -> float:
    """CPU ms of the POST's 8 statement shapes and the commit, on the application of `ids`
    (floor_ids; read before another application is driven, so that nothing here is warm).
    `writes_as_one` (PostgreSQL only): the three reads, then the writes as one statement."""
    import time

    from app.clock import now
    from app.extensions import db

    task_id, application_id, account_id = ids
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
        login, by_task_id, locked = _reads(postgresql)
        start = time.process_time()
        connection = db.session.connection()
        connection.execute(login, {"account": account_id}).one()
        task = connection.execute(by_task_id, {"task_id": task_id}).one()
        row = connection.execute(locked, {"application": application_id}).one()._mapping
        drafts_version, lock_version = (
            row["application_drafts_version"],
            row["process_instance_lock_version"],
        )
        values = {  # each write's parameters under its prefix (see _writes)
            "a_key": application_id,
            "a_seen": drafts_version,
            "a_next": drafts_version + 1,
            "a_answers": row["application_answers"],
            "a_drafts": row["application_drafts"],
            "a_at": now(),
            "e_application": application_id,
            "e_at": now(),
            "e_actor": "floor",
            "e_action": "floor",
            "e_detail": {},
            "s_key": row["process_instance_id"],
            "s_seen": lock_version,
            "s_next": lock_version + 1,
            "s_state": row["process_instance_state"],
            "s_at": now(),
            "t_key": row["process_instance_id"],
            "t_task_id": task.task_id,
            "t_by": "floor",
        }
        if writes_as_one:
            written = connection.execute(_writes_as_one(), values).one()
            assert tuple(written) == (1, 1, 1, 1), written
        else:
            answers, audit, state, inbox = _writes()
            for statement in (answers, audit, state, inbox):
                connection.execute(statement, values)
            # The inbox's second write (the product closes a row and opens the next).
            connection.execute(inbox, {**values, "t_by": None})
        db.session.commit()
        spent = (time.process_time() - start) * 1000
        db.session.remove()
    return spent


def request_ms(client, server) -> float:
    """CPU ms in the application for GET /healthz with `client`'s session (see the module);
    `server` is the WSGI wrapper that times the application (submission_bench._ServerClock)."""
    response = client.get("/healthz")
    assert response.status_code == 200
    return server.last_ms
