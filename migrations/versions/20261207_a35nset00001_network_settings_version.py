"""network settings version: one counter row the settings' writes check (If-Match, forms)

Revision ID: a35nset00001
Revises: a35probl0001
Create Date: 2026-12-07 16:00:00.000000

`PATCH /api/v1/network-settings` and the secretariat's settings page name the version they
read: `UPDATE network_settings_version SET version = version + 1 WHERE version = :read` lets
exactly one of two writers from one version through (directory/freshness.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a35nset00001'
down_revision = 'a35probl0001'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('network_settings_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_network_settings_version_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_settings_version'))
    )
    op.bulk_insert(table, [{'id': 1, 'version': 1}])


def downgrade():
    op.drop_table('network_settings_version')
