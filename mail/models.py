"""Mail tables: the outbox, one-time tokens, verified addresses, preferences, e-mail acks.

An outbox row moves `queued → sending → sent` (or `failed` after the last retry):

- `queued`: waiting for `next_attempt_at`;
- `sending`: claimed by one worker, committed (attempt counted) *before* the SMTP conversation, so a
  worker killed mid-send leaves a trace; after MAIL_CLAIM_TIMEOUT_S any worker queues it again
  and it is sent with the same Message-ID (at least once; see docs/freshness.md);
- `sent`: the server accepted it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime, db

OUTBOX_STATES = ("queued", "sending", "sent", "failed")
TOKEN_PURPOSES = ("verify", "unsubscribe", "ack")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class OutboxMessage(db.Model):
    """One e-mail to one address, kept until sent (and after, as the record of what was sent)."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))  # "reminder-due", "digest", "verify", …
    #: A reminder's period ("confirm-due:FR:2027-06-07"): unique, so it is queued once, ever.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    message_id: Mapped[str] = mapped_column(sa.String(250), unique=True)
    to_addr: Mapped[str] = mapped_column(sa.String(320))
    from_addr: Mapped[str | None] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    headers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    locale: Mapped[str] = mapped_column(sa.String(8), default="en")
    party_id: Mapped[int | None] = mapped_column(sa.ForeignKey("party.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(sa.String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    last_error: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.Index("ix_mail_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        sa.CheckConstraint(f"state IN {_in(OUTBOX_STATES)}", name="state"),
    )

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} to {self.to_addr} {self.state}>"


class MailToken(db.Model):
    """A one-time link's secret, stored hashed: verify an address, unsubscribe, acknowledge."""

    __tablename__ = "mail_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    address: Mapped[str] = mapped_column(sa.String(320))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    party_id: Mapped[int | None] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"))
    ack_id: Mapped[int | None] = mapped_column(sa.ForeignKey("email_ack.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.CheckConstraint(f"purpose IN {_in(TOKEN_PURPOSES)}", name="purpose"),)

    def __repr__(self) -> str:
        return f"<MailToken {self.id} {self.purpose} {self.address}>"


class VerifiedEmail(db.Model):
    """An address proven to receive mail; an address changed to another is not in here yet."""

    __tablename__ = "verified_email"

    address: Mapped[str] = mapped_column(sa.String(320), primary_key=True)  # lower-cased
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<VerifiedEmail {self.address}>"


class MailPreference(db.Model):
    """A person's opt-in to "your duty starts in N hours" reminders."""

    __tablename__ = "mail_preference"

    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    duty_reminder_hours: Mapped[int | None]  # None: no duty reminders
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<MailPreference person {self.person_id} {self.duty_reminder_hours} h>"


class EmailAck(db.Model):
    """An e-mail test of a contact point: sent, and when (if) the reader clicked "received"."""

    __tablename__ = "email_ack"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("reach_campaign.id", ondelete="SET NULL")
    )
    address: Mapped[str] = mapped_column(sa.String(320))
    outbox_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mail_outbox.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seconds_to_ack: Mapped[float | None]

    __table_args__ = (sa.UniqueConstraint("campaign_id", "party_id"),)

    def __repr__(self) -> str:
        return f"<EmailAck {self.id} party {self.party_id} {self.acknowledged_at}>"
