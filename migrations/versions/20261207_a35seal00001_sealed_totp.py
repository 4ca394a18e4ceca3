"""sealed TOTP seeds: room for a Fernet token in app_user.totp_secret (issue 11)

Revision ID: a35seal00001
Revises: a35web000001
Create Date: 2026-12-07 15:20:00.000000

Seeds stored before this revision stay readable and are sealed at their next use
(common/sealing.py); the column only grows.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a35seal00001'
down_revision = 'a35web000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.alter_column(
            'totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=255)
        )


def downgrade():
    # A sealed seed does not fit in 64 characters: those second factors are dropped.
    op.execute("UPDATE app_user SET totp_secret = NULL, totp_last_step = NULL "
               "WHERE length(totp_secret) > 64")
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.alter_column(
            'totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64)
        )
