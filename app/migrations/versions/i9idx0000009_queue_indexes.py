"""list pages at 100k: the inbox queue indexes end with the id

Revision ID: i9idx0000009
Revises: h8sml0000008
Create Date: 2026-12-03

The staff queues order by (due date | completion time, id). Without the id in the index,
PostgreSQL reads every row sharing a due date and sorts them before LIMIT (a clone-heavy or
busy queue: tens of thousands of ties); with it, the page is the index's first rows. SQLite
had the rowid at the end of every index already, so the order is unchanged there.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "i9idx0000009"
down_revision = "h8sml0000008"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_human_task_queue": ["lane", "state", "owner_id", "due_at"],
    "ix_human_task_queue_due": ["lane", "state", "due_at"],
    "ix_human_task_queue_done": ["lane", "state", "completed_at"],
}


def upgrade():
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="human_task")
        op.create_index(name, "human_task", [*columns, "id"])


def downgrade():
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="human_task")
        op.create_index(name, "human_task", columns)
