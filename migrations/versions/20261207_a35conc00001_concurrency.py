"""concurrency: versions, exclusion constraints, bounded ids (issue 12)

Revision ID: a35conc00001
Revises: a35cal000001
Create Date: 2026-12-07 12:00:00.000000

Version counters for optimistic concurrency (the UPDATE itself checks the version read), one
current designation per Party, and no two overlapping overrides of one rota: an exclusion
constraint on PostgreSQL, triggers on SQLite. Upgrading refuses a database that already breaks
one of these rules (the error names the constraint): fix those rows first, then upgrade.
"""
from alembic import op
import sqlalchemy as sa

import common.db


# revision identifiers, used by Alembic.
revision = 'a35conc00001'
down_revision = 'a35cal000001'
branch_labels = None
depends_on = None

VERSIONED = ('party', 'contact_point', 'person', 'rota')

# Copied from rota/models.py as of this revision (a migration never imports the live models).
PG_OVERRIDE_NO_OVERLAP = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE override ADD CONSTRAINT ex_override_no_overlap EXCLUDE USING gist "
    "(rota_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&)",
]
_SQLITE_CLASH = (
    "SELECT 1 FROM override AS o WHERE o.rota_id = NEW.rota_id "
    "AND o.start_at < NEW.end_at AND o.end_at > NEW.start_at"
)
SQLITE_OVERRIDE_NO_OVERLAP = [
    "CREATE TRIGGER tr_override_no_overlap_insert BEFORE INSERT ON override "
    f"WHEN EXISTS ({_SQLITE_CLASH}) "
    "BEGIN SELECT RAISE(ABORT, 'ex_override_no_overlap'); END",
    "CREATE TRIGGER tr_override_no_overlap_update "
    "BEFORE UPDATE OF rota_id, start_at, end_at ON override "
    f"WHEN EXISTS ({_SQLITE_CLASH} AND o.id <> NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'ex_override_no_overlap'); END",
]


def upgrade():
    for table in VERSIONED:
        op.add_column(
            table,
            sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
        )
    op.create_index(
        'uq_contact_point_current',
        'contact_point',
        ['party_id'],
        unique=True,
        postgresql_where=sa.text('effective_to IS NULL'),
        sqlite_where=sa.text('effective_to IS NULL'),
    )
    statements = {
        'postgresql': PG_OVERRIDE_NO_OVERLAP,
        'sqlite': SQLITE_OVERRIDE_NO_OVERLAP,
    }[op.get_bind().dialect.name]
    for statement in statements:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE override DROP CONSTRAINT IF EXISTS ex_override_no_overlap')
        # btree_gist stays: another schema in this database may use it.
    else:
        op.execute('DROP TRIGGER IF EXISTS tr_override_no_overlap_insert')
        op.execute('DROP TRIGGER IF EXISTS tr_override_no_overlap_update')
    op.drop_index('uq_contact_point_current', table_name='contact_point')
    for table in reversed(VERSIONED):
        op.drop_column(table, 'version')
