"""observability: worker heartbeat

Revision ID: e5obs0000005
Revises: d4rul0000004
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5obs0000005'
down_revision = 'd4rul0000004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_heartbeat",
        sa.Column("worker_id", sa.String(length=120), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_pass_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_pass_seconds", sa.Float(), nullable=False),
        sa.Column("last_lag_seconds", sa.Float(), nullable=False),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("worker_id"),
    )
    op.create_index("ix_worker_heartbeat_last_pass_at", "worker_heartbeat", ["last_pass_at"])


def downgrade():
    op.drop_index("ix_worker_heartbeat_last_pass_at", table_name="worker_heartbeat")
    op.drop_table("worker_heartbeat")
