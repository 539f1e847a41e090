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

# Every login principal carries the epoch its sessions must match (logout, new password).
EPOCH_TABLES = ('staff_user', 'provisional_account', 'issued_credential')


def upgrade():
    # Failed logins and sign-ups per account / client address, shared by every web process.
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index(
        op.f('ix_login_throttle_locked_until'), 'login_throttle', ['locked_until'], unique=False
    )
    for table in EPOCH_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0')
            )


def downgrade():
    for table in reversed(EPOCH_TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('session_epoch')
    op.drop_index(op.f('ix_login_throttle_locked_until'), table_name='login_throttle')
    op.drop_table('login_throttle')
