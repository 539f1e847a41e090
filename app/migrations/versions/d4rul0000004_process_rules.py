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
    # Processes that belong to no application (the reviewers' daily digest), run by the worker.
    op.create_table(
        'housekeeping_instance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('process_id', sa.String(length=100), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.Text(), nullable=True),
        sa.Column('next_timer_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('runs', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('lock_version', sa.Integer(), nullable=False, server_default='1'),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['process_version.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('process_id'),
    )
    op.create_index(
        'ix_housekeeping_instance_next_timer_at', 'housekeeping_instance', ['next_timer_at']
    )


def downgrade():
    op.drop_index('ix_housekeeping_instance_next_timer_at', table_name='housekeeping_instance')
    op.drop_table('housekeeping_instance')
    with op.batch_alter_table('application') as batch:
        batch.drop_column('setup_escalated_at')
        batch.drop_column('drafts_version')
    with op.batch_alter_table('issued_credential') as batch:
        batch.drop_column('released_at')
