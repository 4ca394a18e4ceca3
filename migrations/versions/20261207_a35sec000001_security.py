"""security: server sessions, second factors, throttles, quotas (issue 11)

Revision ID: a35sec000001
Revises: a35conc00001
Create Date: 2026-12-07 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import common.db


# revision identifiers, used by Alembic.
revision = 'a35sec000001'
down_revision = 'a35conc00001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
