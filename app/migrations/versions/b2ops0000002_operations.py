"""operations: incidents, outbox claiming, append-only truncate guard

Revision ID: b2ops0000002
Revises: a1sec0000001
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b2ops0000002'
down_revision = 'a1sec0000001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
