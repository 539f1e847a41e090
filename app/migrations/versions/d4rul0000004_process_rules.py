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
    pass


def downgrade():
    pass
