"""Calendar tables: feed subscriptions (secret URL, stored hashed) and published-shift versions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime, db

SCOPES = ("party", "person", "network")


class CalendarSubscription(db.Model):
    """A calendar feed one user subscribed to; the URL's secret is kept only as a hash."""

    __tablename__ = "calendar_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(16))
    party_id: Mapped[int | None] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    tiers: Mapped[list[int] | None] = mapped_column(sa.JSON)  # None = every tier
    include_contacts: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint(f"scope IN {SCOPES!r}", name="scope"),
        sa.CheckConstraint(
            "(scope = 'party' AND party_id IS NOT NULL) "
            "OR (scope = 'person' AND person_id IS NOT NULL) "
            "OR scope = 'network'",
            name="target",
        ),
    )

    def __repr__(self) -> str:
        return f"<CalendarSubscription {self.id} {self.scope} of user {self.user_id}>"


class PublishedShift(db.Model):
    """What feeds told clients about one shift UID once it changed: its version, or cancellation.

    Shifts never changed since they were first computed have no row (SEQUENCE 0). Rows are
    keyed by UID, not by rota: a deleted rota's shifts must still be sent as cancelled.
    """

    __tablename__ = "calendar_published_shift"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(200), unique=True)
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"))
    rota_id: Mapped[int]
    tier: Mapped[int]
    person_id: Mapped[int | None]
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sequence: Mapped[int] = mapped_column(default=0)
    last_modified_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    summary: Mapped[str] = mapped_column(sa.String(600))
    description: Mapped[str] = mapped_column(sa.String(2000))

    __table_args__ = (
        sa.Index("ix_calendar_published_shift_party_end", "party_id", "end_at"),
        sa.Index("ix_calendar_published_shift_rota", "rota_id"),
    )

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled_at else f"seq {self.sequence}"
        return f"<PublishedShift {self.uid} {state}>"
