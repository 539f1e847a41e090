"""small rows: answers, review snapshots, audit details and mail bodies packed

Revision ID: h8sml0000008
Revises: g7cmp0000007
Create Date: 2026-12-03

application.answers, review_decision.answers and audit_event.detail become binary columns of
compact JSON, raw-deflated against a preset dictionary (app/models/packed.py; the first byte
names the dictionary version); outbound_mail.body (already binary) is packed the same way
instead of plain zlib. Rows are converted in batches by id, both ways; the append-only
triggers of audit_event and review_decision are dropped for the conversion and created again.

The conversion is self-contained (JSON and zlib, and the dictionary files, which never change
once written: rows need them byte for byte), so it keeps working as the application changes.
"""

import json
import zlib
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "h8sml0000008"
down_revision = "g7cmp0000007"
branch_labels = None
depends_on = None

BATCH = 500
DICTIONARIES = Path(__file__).resolve().parents[2] / "models" / "dictionaries"
VERSION = 1
# (table, column, dictionary kind)
PACKED = (
    ("application", "answers", "answers"),
    ("review_decision", "answers", "answers"),
    ("audit_event", "detail", "audit"),
)
APPEND_ONLY = ("audit_event", "review_decision")


def _dictionary(kind: str) -> bytes:
    return (DICTIONARIES / f"{kind}.v{VERSION}.txt").read_bytes()


def _pack(kind: str, value) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, _dictionary(kind))
    return bytes((VERSION,)) + packer.compress(text.encode("utf-8")) + packer.flush()


def _unpack(kind: str, data):
    data = bytes(data)
    if data[0] == 0x78:  # plain zlib (mail bodies of g7cmp0000007)
        return json.loads(zlib.decompress(data).decode("utf-8"))
    assert data[0] == VERSION, f"dictionary version {data[0]} is newer than this revision"
    unpacker = zlib.decompressobj(-15, zdict=_dictionary(kind))
    return json.loads((unpacker.decompress(data[1:]) + unpacker.flush()).decode("utf-8"))


def _json_value(value):
    """A JSON column's value as the driver returns it (text on SQLite, parsed on PostgreSQL)."""
    if value is None:
        return {}
    return json.loads(value) if isinstance(value, str | bytes) else value


def _batches(conn, table: str, column: str):
    last = 0
    while True:
        rows = conn.execute(
            sa.text(f"SELECT id, {column} FROM {table} WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _triggers(create: bool) -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "postgresql" and create:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()"
            )
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif dialect == "sqlite" and create:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"
            )
        elif dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only")


def _convert(table: str, column: str, kind, convert) -> None:
    """Fill `<column>_new` of type `kind` with convert(old value), then swap the columns."""
    conn = op.get_bind()
    new = f"{column}_new"
    op.add_column(table, sa.Column(new, kind, nullable=True))
    for rows in _batches(conn, table, column):
        for row_id, value in rows:
            conn.execute(
                sa.text(f"UPDATE {table} SET {new} = :v WHERE id = :i"),
                {"v": convert(value), "i": row_id},
            )
    op.drop_column(table, column)
    if conn.dialect.name == "postgresql":
        op.alter_column(table, new, new_column_name=column, nullable=False, existing_type=kind)
    else:
        op.execute(f"ALTER TABLE {table} RENAME COLUMN {new} TO {column}")


def _mail_bodies(convert) -> None:
    conn = op.get_bind()
    for rows in _batches(conn, "outbound_mail", "body"):
        for mail_id, body in rows:
            if body is not None:
                conn.execute(
                    sa.text("UPDATE outbound_mail SET body = :b WHERE id = :i"),
                    {"b": convert(body), "i": mail_id},
                )


def upgrade():
    _triggers(create=False)
    for table, column, kind in PACKED:
        _convert(
            table,
            column,
            sa.LargeBinary(),
            lambda value, kind=kind: _pack(kind, _json_value(value)),
        )
    _triggers(create=True)
    _mail_bodies(lambda body: _pack("mail", _unpack("mail", body)))


def downgrade():
    _mail_bodies(
        lambda body: zlib.compress(
            json.dumps(_unpack("mail", body), ensure_ascii=False, separators=(",", ":")).encode(
                "utf-8"
            ),
            6,
        )
    )
    _triggers(create=False)
    for table, column, kind in PACKED:
        # As SQLAlchemy's JSON type writes it (json.dumps with its defaults).
        _convert(
            table,
            column,
            sa.JSON(),
            lambda value, kind=kind: json.dumps(_unpack(kind, value) if value else {}),
        )
    _triggers(create=True)
