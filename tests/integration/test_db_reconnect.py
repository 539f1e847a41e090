"""A database restart costs no failed request: pooled connections the server closed are
replaced at checkout (app.pool_liveness), and a live one is not pinged."""

import time

import pytest
from sqlalchemy import create_engine, func, select, text

from app.extensions import db


def _pid() -> int:
    return db.session.scalar(select(func.pg_backend_pid()))


def _terminate(database_url: str, pids: set[int]) -> None:
    """What a restart does to every pooled connection: the server ends the backend."""
    admin = create_engine(database_url)
    try:
        with admin.connect() as conn:
            for pid in pids:
                assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            deadline = time.monotonic() + 10  # the backends exit asynchronously
            query = text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)")
            while conn.scalar(query, {"pids": list(pids)}) and time.monotonic() < deadline:
                time.sleep(0.05)
            conn.rollback()
    finally:
        admin.dispose()


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a server that ends connections: PostgreSQL")


def test_requests_go_on_after_the_server_ended_the_pooled_connections(
    app, client, postgresql, database_url
):
    # Two connections in the pool, both used and returned.
    first = db.engine.connect()
    second = db.engine.connect()
    pids = {c.scalar(select(func.pg_backend_pid())) for c in (first, second)}
    first.close()
    second.close()
    db.session.remove()

    _terminate(database_url, pids)

    assert client.get("/login").status_code == 200
    assert client.get("/login").status_code == 200
    with db.engine.connect() as conn:
        assert conn.scalar(select(func.pg_backend_pid())) not in pids
    assert _pid() not in pids


def test_a_live_pooled_connection_is_checked_out_without_a_round_trip(
    app, postgresql, database_url, tmp_path
):
    engine = create_engine(database_url, **app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    try:
        with engine.connect() as conn:  # one connection in this pool, used and returned
            conn.execute(select(1))
            dbapi_connection = conn.connection.dbapi_connection
        trace = tmp_path / "libpq.trace"
        with open(trace, "w") as out:
            dbapi_connection.pgconn.trace(out.fileno())  # every message libpq sends or receives
            try:
                with engine.connect() as conn:
                    assert conn.connection.dbapi_connection is dbapi_connection
            finally:
                dbapi_connection.pgconn.untrace()
    finally:
        engine.dispose()
    # Checked out and returned: nothing was sent (a pre-ping would be a query here).
    assert "\tF\t" not in trace.read_text()
