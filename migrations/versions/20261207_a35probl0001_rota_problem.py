"""rota_problem: rotas whose stored data breaks resolution, shared by every worker

Revision ID: a35probl0001
Revises: a35seal00001
Create Date: 2026-12-07 16:00:00.000000

Until this revision each process kept the rotas it found broken in its own memory
(rota/integrity.py), so /readyz depended on the worker that answered. The table starts
empty: lookups fill it again as they meet the broken rotas.
"""
from alembic import op
import sqlalchemy as sa

import common.db


# revision identifiers, used by Alembic.
revision = 'a35probl0001'
down_revision = 'a35seal00001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rota_problem',
    sa.Column('rota_id', sa.Integer(), nullable=False),
    sa.Column('problem', sa.String(length=1000), nullable=False),
    sa.Column('found_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rota_id'], ['rota.id'], name=op.f('fk_rota_problem_rota_id_rota'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rota_id', name=op.f('pk_rota_problem'))
    )


def downgrade():
    op.drop_table('rota_problem')
