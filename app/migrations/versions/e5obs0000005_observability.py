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
    pass


def downgrade():
    pass
