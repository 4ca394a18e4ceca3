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
    op.create_table('network_setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=320), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_network_setting'))
    )
    op.create_table('number_state',
    sa.Column('e164', sa.String(length=20), nullable=False),
    sa.Column('failures_in_row', sa.Integer(), nullable=False),
    sa.Column('last_outcome', sa.String(length=16), nullable=False),
    sa.Column('last_result_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_ok_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('e164', name=op.f('pk_number_state'))
    )
    op.create_table('verified_email',
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('verified_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('address', name=op.f('pk_verified_email'))
    )
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('message_id', sa.String(length=250), nullable=False),
    sa.Column('to_addr', sa.String(length=320), nullable=False),
    sa.Column('from_addr', sa.String(length=320), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'sending', 'sent', 'failed')", name=op.f('ck_mail_outbox_state')),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_mail_outbox_party_id_party'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_mail_outbox_dedupe_key')),
    sa.UniqueConstraint('message_id', name=op.f('uq_mail_outbox_message_id'))
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_state_next_attempt_at', ['state', 'next_attempt_at'], unique=False)

    op.create_table('mail_preference',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('duty_reminder_hours', sa.Integer(), nullable=True),
    sa.Column('updated_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_mail_preference_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_mail_preference'))
    )
    op.create_table('party_confirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_by', sa.String(length=320), nullable=False),
    sa.Column('valid_until', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['app_user.id'], name=op.f('fk_party_confirmation_confirmed_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_party_confirmation_party_id_party'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_confirmation'))
    )
    with op.batch_alter_table('party_confirmation', schema=None) as batch_op:
        batch_op.create_index('ix_party_confirmation_party_id_id', ['party_id', 'id'], unique=False)

    op.create_table('email_ack',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seconds_to_ack', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['reach_campaign.id'], name=op.f('fk_email_ack_campaign_id_reach_campaign'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['outbox_id'], ['mail_outbox.id'], name=op.f('fk_email_ack_outbox_id_mail_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_email_ack_party_id_party'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_ack')),
    sa.UniqueConstraint('campaign_id', 'party_id', name=op.f('uq_email_ack_campaign_id_party_id'))
    )
    with op.batch_alter_table('email_ack', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_ack_party_id'), ['party_id'], unique=False)

    op.create_table('mail_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('ack_id', sa.Integer(), nullable=True),
    sa.Column('created_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', common.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', common.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("purpose IN ('verify', 'unsubscribe', 'ack')", name=op.f('ck_mail_token_purpose')),
    sa.ForeignKeyConstraint(['ack_id'], ['email_ack.id'], name=op.f('fk_mail_token_ack_id_email_ack'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['party_id'], ['party.id'], name=op.f('fk_mail_token_party_id_party'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_mail_token_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_mail_token_token_hash'))
    )
    # A plain ALTER (no batch copy): contact_point keeps its partial unique index untouched.
    op.add_column('contact_point', sa.Column('effective_at', common.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('contact_point', 'effective_at')
    op.drop_table('mail_token')
    op.drop_table('email_ack')
    op.drop_table('party_confirmation')
    op.drop_table('mail_preference')
    op.drop_table('mail_outbox')
    op.drop_table('verified_email')
    op.drop_table('number_state')
    op.drop_table('network_setting')
