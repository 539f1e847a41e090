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
    pass


def downgrade():
    pass
