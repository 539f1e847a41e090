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

# TRUNCATE bypasses row triggers, so PostgreSQL needs a statement trigger as well (the test
# reset turns ordinary triggers off with session_replication_role = replica). SQLite has no
# TRUNCATE.
APPEND_ONLY = ("audit_event", "review_decision", "return_comment", "staff_note")


def upgrade():
    op.create_table(
        'incident',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('process_instance_id', sa.Integer(), nullable=True),
        sa.Column('element_id', sa.String(length=200), nullable=True),
        sa.Column('element_name', sa.String(length=300), nullable=True),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('error_class', sa.String(length=200), nullable=False),
        sa.Column('error_message', sa.Text(), nullable=False),
        sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_retry_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolved_by', sa.String(length=100), nullable=True),
        sa.Column('resolution_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'], ),
        sa.ForeignKeyConstraint(['process_instance_id'], ['process_instance.id'], ),
        sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_application_id', ['application_id'], unique=False)
        batch_op.create_index('ix_incident_status_retry', ['status', 'next_retry_at'], unique=False)
        batch_op.create_index(
            'ux_incident_open_application', ['application_id'], unique=True,
            sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"),
        )

    with op.batch_alter_table('outbound_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION refuse_append_only_truncate() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION '% rows are append-only (TRUNCATE refused)', TG_TABLE_NAME; "
            "END; $$ LANGUAGE plpgsql"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION refuse_append_only_truncate()"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS refuse_append_only_truncate()")

    with op.batch_alter_table('outbound_mail', schema=None) as batch_op:
        batch_op.drop_column('lease_until')

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ux_incident_open_application')
        batch_op.drop_index('ix_incident_status_retry')
        batch_op.drop_index('ix_incident_application_id')
    op.drop_table('incident')
