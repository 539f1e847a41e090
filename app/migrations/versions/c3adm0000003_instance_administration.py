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
    pass


def downgrade():
    pass
