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
    pass


def downgrade():
    pass
