"""compact storage: compressed states and mail bodies, instance positions column

Revision ID: g7cmp0000007
Revises: f6prf0000006
Create Date: 2026-12-03

process_instance.state becomes compact JSON, zlib-compressed, in a binary column;
outbound_mail.body_text and body_html become one zlib-compressed JSON pair in `body`;
process_instance.positions (where each instance stands: " process:element ... ", see
app/engine/positions.py) is added, indexed with version_id, and filled from the states.
Rows are converted in batches by id, both ways. On SQLite the columns are swapped with native
ALTER TABLE (ADD, DROP, RENAME COLUMN): rebuilding process_instance would break the foreign
keys of its children; the new columns are therefore nullable there (PostgreSQL: NOT NULL).

The conversion is self-contained (JSON and zlib only, no application code), so it keeps
working as the application changes.
"""

import json
import zlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "g7cmp0000007"
down_revision = "f6prf0000006"
branch_labels = None
depends_on = None

BATCH = 500
# SpiffWorkflow task states an analyst sees as standing there: WAITING, READY, STARTED, ERROR.
STANDING = 8 | 16 | 32 | 128


def _batches(conn, table: str, columns: str):
    last = 0
    while True:
        rows = conn.execute(
            sa.text(f"SELECT id, {columns} FROM {table} WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _pack(text: str) -> bytes:
    compact = json.dumps(json.loads(text or "{}"), ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(compact.encode("utf-8"), 6)


def _unpack(data) -> str:
    if data is None:
        return "{}"
    if isinstance(data, str):  # never written by this revision; tolerated
        return data
    return zlib.decompress(bytes(data)).decode("utf-8")


def _swap(table: str, old: list[str], new: str, kind, nullable: bool) -> None:
    """Drop the old columns; `new` (filled) takes its name without the "_new" suffix."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    for column in old:
        op.drop_column(table, column)
    final = new.removesuffix("_new")
    if postgresql:
        op.alter_column(table, new, new_column_name=final, nullable=nullable, existing_type=kind)
    else:
        op.execute(f"ALTER TABLE {table} RENAME COLUMN {new} TO {final}")


def _element_index(conn, version_id: int, cache: dict) -> dict:
    """{process id: {task spec name: (bpmn id, typename)}} of one version's spec JSON."""
    if version_id not in cache:
        spec_json = conn.execute(
            sa.text("SELECT spec_json FROM process_version WHERE id = :v"), {"v": version_id}
        ).scalar()
        specs = json.loads(spec_json or "{}")
        index = {}
        main = specs.get("spec") or {}
        everything = [(main.get("name"), main), *(specs.get("subprocess_specs") or {}).items()]
        for name, spec in everything:
            index[name] = {
                task_name: (task.get("bpmn_id"), task.get("typename"))
                for task_name, task in (spec.get("task_specs") or {}).items()
            }
        cache[version_id] = (main.get("name"), index)
    return cache[version_id]


def _positions(state: dict, main: str, index: dict) -> set[tuple[str, str]]:
    """What engine.positions.of_workflow gives for the restored workflow, read from JSON."""
    found = set()
    parts = [(main, state)] + [
        (s.get("spec"), s) for s in (state.get("subprocesses") or {}).values()
    ]
    for process_id, part in parts:
        specs = index.get(process_id, {})
        for task in (part.get("tasks") or {}).values():
            if not (task.get("state") or 0) & STANDING:
                continue
            bpmn_id, typename = specs.get(task.get("task_spec"), (None, None))
            if bpmn_id and typename != "BoundaryEvent":
                found.add((process_id, bpmn_id))
    return found


def _encode(pairs: set[tuple[str, str]]) -> str:
    """As engine.positions.encode."""
    if not pairs:
        return ""
    return " " + " ".join(sorted(f"{process}:{element}" for process, element in pairs)) + " "


def upgrade():
    conn = op.get_bind()
    op.add_column(
        "process_instance",
        sa.Column("positions", sa.Text(), nullable=False, server_default=""),
    )
    op.add_column("process_instance", sa.Column("state_new", sa.LargeBinary(), nullable=True))
    specs: dict = {}
    for rows in _batches(conn, "process_instance", "version_id, status, state"):
        for instance_id, version_id, status, state in rows:
            where = ""
            if status == "running":
                main, index = _element_index(conn, version_id, specs)
                where = _encode(_positions(json.loads(state or "{}"), main, index))
            conn.execute(
                sa.text("UPDATE process_instance SET state_new = :s, positions = :p WHERE id = :i"),
                {"s": _pack(state), "p": where, "i": instance_id},
            )
    _swap("process_instance", ["state"], "state_new", sa.LargeBinary(), nullable=False)
    op.create_index(
        "ix_process_instance_positions", "process_instance", ["version_id", "positions"]
    )

    op.add_column("outbound_mail", sa.Column("body_new", sa.LargeBinary(), nullable=True))
    for rows in _batches(conn, "outbound_mail", "body_text, body_html"):
        for mail_id, body_text, body_html in rows:
            body = json.dumps([body_text, body_html], ensure_ascii=False, separators=(",", ":"))
            conn.execute(
                sa.text("UPDATE outbound_mail SET body_new = :b WHERE id = :i"),
                {"b": zlib.compress(body.encode("utf-8"), 6), "i": mail_id},
            )
    _swap("outbound_mail", ["body_text", "body_html"], "body_new", sa.LargeBinary(), False)


def downgrade():
    conn = op.get_bind()
    op.add_column("outbound_mail", sa.Column("body_text", sa.Text(), nullable=True))
    op.add_column("outbound_mail", sa.Column("body_html", sa.Text(), nullable=True))
    for rows in _batches(conn, "outbound_mail", "body"):
        for mail_id, body in rows:
            text, html = json.loads(_unpack(body)) if body is not None else ("", None)
            conn.execute(
                sa.text("UPDATE outbound_mail SET body_text = :t, body_html = :h WHERE id = :i"),
                {"t": text, "h": html, "i": mail_id},
            )
    op.drop_column("outbound_mail", "body")
    if conn.dialect.name == "postgresql":
        op.alter_column("outbound_mail", "body_text", nullable=False, existing_type=sa.Text())

    op.add_column("process_instance", sa.Column("state_new", sa.Text(), nullable=True))
    for rows in _batches(conn, "process_instance", "state"):
        for instance_id, state in rows:
            conn.execute(
                sa.text("UPDATE process_instance SET state_new = :s WHERE id = :i"),
                {"s": _unpack(state), "i": instance_id},
            )
    _swap("process_instance", ["state"], "state_new", sa.Text(), nullable=False)

    op.drop_index("ix_process_instance_positions", table_name="process_instance")
    op.drop_column("process_instance", "positions")
