"""freshness: confirmations, verified e-mails, number states, mail outbox (issue 15)

Revision ID: a35fresh0001
Revises: a35abuse00001
Create Date: 2026-12-07 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import common.db


# revision identifiers, used by Alembic.
revision = 'a35fresh0001'
down_revision = 'a35abuse00001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
