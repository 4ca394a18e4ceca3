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
    op.create_table(
        "web_favourite",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("created_at", common.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_web_favourite_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["party.id"], name=op.f("fk_web_favourite_party_id_party"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "party_id", name=op.f("pk_web_favourite")),
    )
    op.create_index(op.f("ix_web_favourite_party_id"), "web_favourite", ["party_id"])
    with op.batch_alter_table("reach_campaign") as batch:
        batch.add_column(sa.Column("cancelled_at", common.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("cancelled_by", sa.String(length=320), nullable=True))
    with op.batch_alter_table("reach_slot") as batch:
        batch.add_column(sa.Column("plan_month", sa.String(length=7), nullable=True))
    # Existing plans keep their first slot per Party and month; later duplicates stay unguarded.
    op.execute(
        "UPDATE reach_slot SET plan_month = (SELECT c.month FROM reach_campaign c "
        "WHERE c.id = reach_slot.campaign_id) WHERE id IN (SELECT MIN(s.id) FROM reach_slot s "
        "JOIN reach_campaign c ON c.id = s.campaign_id GROUP BY s.party_id, c.month)"
    )
    with op.batch_alter_table("reach_slot") as batch:
        batch.create_unique_constraint(
            op.f("uq_reach_slot_party_id_plan_month"), ["party_id", "plan_month"]
        )


def downgrade():
    with op.batch_alter_table("reach_slot") as batch:
        batch.drop_constraint(op.f("uq_reach_slot_party_id_plan_month"), type_="unique")
        batch.drop_column("plan_month")
    with op.batch_alter_table("reach_campaign") as batch:
        batch.drop_column("cancelled_by")
        batch.drop_column("cancelled_at")
    op.drop_index(op.f("ix_web_favourite_party_id"), table_name="web_favourite")
    op.drop_table("web_favourite")
