"""Pooled database connections checked at checkout without a round trip to the server.

`pool_pre_ping` sent a query on every checkout, that is on every request: a round trip and
its CPU in the web process. A pooled connection sits idle between requests, its socket with
nothing to read; a server that restarts (or terminates the backend) says goodbye on it and
closes it, so the socket becomes readable. Only then is the connection pinged; one that does
not answer raises DisconnectionError, on which the pool opens a fresh connection and checks
out again (SQLAlchemy's own retry). Connections are also recycled (`pool_recycle` in app.config), which
bounds how long a silently dropped one (no goodbye) can sit in the pool.
SQLite connections have no socket and are not checked.
"""

import select

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool


def _socket_of(dbapi_connection) -> int | None:
    fileno = getattr(dbapi_connection, "fileno", None)  # psycopg (3 and 2); not sqlite3
    if fileno is None:
        return None
    try:
        return fileno()
    except Exception as exc:  # the driver knows it is closed
        raise DisconnectionError("the pooled connection is closed") from exc


def _server_spoke(fd: int) -> bool:
    """Whether the idle connection's socket has something to read (poll: no fd limit)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _ping(dbapi_connection) -> None:
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as exc:
        raise DisconnectionError("the pooled connection does not answer") from exc


@event.listens_for(Pool, "checkout")
def _check_alive(dbapi_connection, connection_record, connection_proxy) -> None:
    fd = _socket_of(dbapi_connection)
    if fd is not None and _server_spoke(fd):
        _ping(dbapi_connection)
