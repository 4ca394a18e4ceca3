"""abuse controls: call quotas, rate-limit counters, allowed calling codes (issue 11)

Revision ID: a35abuse00001
Revises: a35sec000001
Create Date: 2026-12-07 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import common.db


# revision identifiers, used by Alembic.
revision = 'a35abuse00001'
down_revision = 'a35sec000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reach_call_quota',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('window_start', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_reach_call_quota'))
    )
    op.create_table('reach_number_guard',
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('last_called_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('phone', name=op.f('pk_reach_number_guard'))
    )
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('allowed_calling_codes', sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('party', schema=None) as batch_op:
        batch_op.drop_column('allowed_calling_codes')
    op.drop_table('reach_number_guard')
    op.drop_table('reach_call_quota')
