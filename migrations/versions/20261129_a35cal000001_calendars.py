"""calendars: feed subscriptions and published-shift versions

Revision ID: a35cal000001
Revises: a35reach0001
Create Date: 2026-11-29 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import common.db


# revision identifiers, used by Alembic.
revision = 'a35cal000001'
down_revision = 'a35reach0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('tiers', sa.JSON(), nullable=True),
    sa.Column('include_contacts', sa.Boolean(), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("scope IN ('party', 'person', 'network')", name=op.f('ck_calendar_subscription_scope')),
    sa.CheckConstraint("(scope = 'party' AND party_id IS NOT NULL) OR (scope = 'person' AND person_id IS NOT NULL) OR scope = 'network'", name=op.f('ck_calendar_subscription_target')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_calendar_subscription_party_id_party'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_calendar_subscription_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_calendar_subscription_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_subscription')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_subscription_token_hash'))
    )
    with op.batch_alter_table('calendar_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_subscription_user_id'), ['user_id'], unique=False)

    op.create_table('calendar_published_shift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=200), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('rota_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('start_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('last_modified_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.String(length=600), nullable=False),
    sa.Column('description', sa.String(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_calendar_published_shift_party_id_party'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_published_shift')),
    sa.UniqueConstraint('uid', name=op.f('uq_calendar_published_shift_uid'))
    )
    with op.batch_alter_table('calendar_published_shift', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_published_shift_party_end', ['party_id', 'end_at'], unique=False)
        batch_op.create_index('ix_calendar_published_shift_rota', ['rota_id'], unique=False)


def downgrade():
    with op.batch_alter_table('calendar_published_shift', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_published_shift_rota')
        batch_op.drop_index('ix_calendar_published_shift_party_end')

    op.drop_table('calendar_published_shift')
    with op.batch_alter_table('calendar_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_subscription_user_id'))

    op.drop_table('calendar_subscription')
