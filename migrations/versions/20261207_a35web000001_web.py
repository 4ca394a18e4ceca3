"""web: favourites, campaign cancellation (issue 13)

Revision ID: a35web000001
Revises: a35fresh0001
Create Date: 2026-12-07 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import common.db


# revision identifiers, used by Alembic.
revision = 'a35web000001'
down_revision = 'a35fresh0001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
