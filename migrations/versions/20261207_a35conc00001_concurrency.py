"""concurrency: versions, exclusion constraints, bounded ids (issue 12)

Revision ID: a35conc00001
Revises: a35cal000001
Create Date: 2026-12-07 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import common.db


# revision identifiers, used by Alembic.
revision = 'a35conc00001'
down_revision = 'a35cal000001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
