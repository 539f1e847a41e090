"""process rules: reminders, setup escalation, code release, per-section drafts

Revision ID: d4rul0000004
Revises: c3adm0000003
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4rul0000004'
down_revision = 'c3adm0000003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('issued_credential') as batch:
        # A 利用者コード of an application that ended before use goes back to the pool.
        batch.add_column(sa.Column('released_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('application') as batch:
        # Compare-and-swap counter of the drafts JSON (one screen saved at a time).
        batch.add_column(
            sa.Column('drafts_version', sa.Integer(), nullable=False, server_default='0')
        )
        # Set by the 設定作業 escalation timer; shown in the operator's queue.
        batch.add_column(
            sa.Column('setup_escalated_at', sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('application') as batch:
        batch.drop_column('setup_escalated_at')
        batch.drop_column('drafts_version')
    with op.batch_alter_table('issued_credential') as batch:
        batch.drop_column('released_at')
