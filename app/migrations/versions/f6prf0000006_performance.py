"""performance: indexes on the request path

Revision ID: f6prf0000006
Revises: e5obs0000005
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f6prf0000006'
down_revision = 'e5obs0000005'
branch_labels = None
depends_on = None


def upgrade():
    # Every task GET and POST looks its human_task row up by task_id alone.
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_task_id', ['task_id'], unique=False)


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_task_id')
