"""instance administration: withdraw, cancel, suspend, reopen, variable correction

Revision ID: c3adm0000003
Revises: b2ops0000002
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3adm0000003'
down_revision = 'b2ops0000002'
branch_labels = None
depends_on = None


def upgrade():
    # A suspended instance keeps its state and timers; the worker skips it until resumed.
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('suspended_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('suspended_reason')
        batch_op.drop_column('suspended_at')
