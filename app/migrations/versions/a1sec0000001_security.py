"""security: login throttling, session epochs, key rotation

Revision ID: a1sec0000001
Revises: 9d401568d014
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1sec0000001'
down_revision = '9d401568d014'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
