"""reachability: test-call attempts, campaigns, slots, dial seconds

Revision ID: a35reach0001
Revises: c1c88ca90ab9
Create Date: 2026-11-29 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import common.db


# revision identifiers, used by Alembic.
revision = 'a35reach0001'
down_revision = 'c1c88ca90ab9'
branch_labels = None
depends_on = None

OUTCOMES = "('confirmed', 'answered', 'voicemail', 'busy', 'no-answer', 'failed', 'canceled', 'not-tested')"


def upgrade():
    op.create_table('reach_dial_second',
    sa.Column('second', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('lane', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('second', 'lane', name=op.f('pk_reach_dial_second'))
    )
    op.create_table('reach_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('time_window', sa.String(length=16), nullable=False),
    sa.Column('parties', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('schedule_key', sa.String(length=32), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('planned', 'running', 'done')", name=op.f('ck_reach_campaign_status')),
    sa.CheckConstraint("time_window IN ('office-hours', 'any-time')", name=op.f('ck_reach_campaign_time_window')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_reach_campaign_created_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reach_campaign')),
    sa.UniqueConstraint('schedule_key', name=op.f('uq_reach_campaign_schedule_key'))
    )
    with op.batch_alter_table('reach_campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reach_campaign_month'), ['month'], unique=False)

    op.create_table('reach_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('planned_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('next_step_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('best_outcome', sa.String(length=16), nullable=True),
    sa.Column('started_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint(f"best_outcome IN {OUTCOMES}", name=op.f('ck_reach_slot_best_outcome')),
    sa.CheckConstraint("state IN ('planned', 'calling', 'done')", name=op.f('ck_reach_slot_state')),
    sa.ForeignKeyConstraint(['campaign_id'], ['reach_campaign.id'], name=op.f('fk_reach_slot_campaign_id_reach_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_reach_slot_party_id_party'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reach_slot')),
    sa.UniqueConstraint('campaign_id', 'party_id', name=op.f('uq_reach_slot_campaign_id_party_id'))
    )
    with op.batch_alter_table('reach_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reach_slot_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reach_slot_next_step_at'), ['next_step_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reach_slot_party_id'), ['party_id'], unique=False)

    op.create_table('reach_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('person_name', sa.String(length=200), nullable=True),
    sa.Column('slot_id', sa.Integer(), nullable=True),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=8), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('twilio_sid', sa.String(length=34), nullable=True),
    sa.Column('call_status', sa.String(length=16), nullable=True),
    sa.Column('answered_by', sa.String(length=32), nullable=True),
    sa.Column('last_sequence_number', sa.Integer(), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sa.String(length=320), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('placed_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seconds_to_answer', sa.Double(), nullable=True),
    sa.Column('seconds_to_confirm', sa.Double(), nullable=True),
    sa.CheckConstraint("kind IN ('on_demand', 'campaign')", name=op.f('ck_reach_attempt_kind')),
    sa.CheckConstraint(f"outcome IN {OUTCOMES}", name=op.f('ck_reach_attempt_outcome')),
    sa.CheckConstraint("state IN ('queued', 'dialing', 'placed', 'done')", name=op.f('ck_reach_attempt_state')),
    sa.CheckConstraint("target IN ('person', 'desk')", name=op.f('ck_reach_attempt_target')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_reach_attempt_party_id_party'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_reach_attempt_person_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['app_user.id'], name=op.f('fk_reach_attempt_requested_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['slot_id'], ['reach_slot.id'], name=op.f('fk_reach_attempt_slot_id_reach_slot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reach_attempt')),
    sa.UniqueConstraint('twilio_sid', name=op.f('uq_reach_attempt_twilio_sid'))
    )
    with op.batch_alter_table('reach_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reach_attempt_party_id'), ['party_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reach_attempt_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_reach_attempt_phone_created', ['phone', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reach_attempt_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index('ix_reach_attempt_state_due', ['state', 'due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('reach_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_reach_attempt_state_due')
        batch_op.drop_index(batch_op.f('ix_reach_attempt_slot_id'))
        batch_op.drop_index('ix_reach_attempt_phone_created')
        batch_op.drop_index(batch_op.f('ix_reach_attempt_person_id'))
        batch_op.drop_index(batch_op.f('ix_reach_attempt_party_id'))

    op.drop_table('reach_attempt')
    with op.batch_alter_table('reach_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reach_slot_party_id'))
        batch_op.drop_index(batch_op.f('ix_reach_slot_next_step_at'))
        batch_op.drop_index(batch_op.f('ix_reach_slot_campaign_id'))

    op.drop_table('reach_slot')
    with op.batch_alter_table('reach_campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reach_campaign_month'))

    op.drop_table('reach_campaign')
    op.drop_table('reach_dial_second')
