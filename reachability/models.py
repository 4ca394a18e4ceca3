"""Reachability tables: test-call attempts, monthly campaigns, their per-Party slots, dial seconds.

An attempt moves `queued → dialing → placed → done`:

- `queued`: recorded, waiting for its `due_at` (and for a free dial second);
- `dialing`: claimed by one worker and committed *before* Twilio is asked, so a crash while asking
  leaves a trace that recovery resolves with `CallPlacer.find_calls` instead of calling again;
- `placed`: Twilio gave the call's SID;
- `done`: the outcome is final (`OUTCOMES`); a `not-tested` attempt goes straight to `done`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from common.db import UTCDateTime, db
from directory.models import Party, Person
from reachability.planning import OUTCOMES, WINDOWS

ATTEMPT_KINDS = ("on_demand", "campaign")
ATTEMPT_STATES = ("queued", "dialing", "placed", "done")
TARGETS = ("person", "desk")
#: A human picked up (pressed 1 or not); voicemail is not "reached".
REACHED = ("confirmed", "answered")
CAMPAIGN_STATUSES = ("planned", "running", "done")
SLOT_STATES = ("planned", "calling", "done")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class Campaign(db.Model):
    """A month's round of test calls to the Parties listed, one slot each."""

    __tablename__ = "reach_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), index=True)  # "2026-12"
    time_window: Mapped[str] = mapped_column(sa.String(16))  # "office-hours" | "any-time"
    parties: Mapped[list[str]] = mapped_column(sa.JSON)  # ISO2 codes, as asked
    status: Mapped[str] = mapped_column(sa.String(16), default="planned")
    #: "monthly:2026-12" for the campaign `flask reachability schedule --monthly` made: unique,
    #: so two schedulers racing create it once.
    schedule_key: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )
    created_by: Mapped[str] = mapped_column(sa.String(320))  # e-mail, or "system"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set when the secretariat cancelled it: its calls not yet placed are never placed.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by: Mapped[str | None] = mapped_column(sa.String(320))

    slots: Mapped[list[Slot]] = relationship(
        back_populates="campaign", order_by="Slot.planned_at", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(f"time_window IN {_in(WINDOWS)}", name="time_window"),
        sa.CheckConstraint(f"status IN {_in(CAMPAIGN_STATUSES)}", name="status"),
    )

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.month} {self.time_window} {self.status}>"


class Slot(db.Model):
    """One Party's turn in a campaign: when to call, the escalation path so far, the result.

    `next_step_at` is set while the slot waits to take its next step (its first call at
    `planned_at`, a retry, an escalation) and NULL while a call is in flight or once done;
    workers claim a due slot by clearing it (compare-and-set), so only one takes each step.
    """

    __tablename__ = "reach_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reach_campaign.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"), index=True)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(sa.String(64))  # the Party's, for local times
    state: Mapped[str] = mapped_column(sa.String(16), default="planned")
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    best_outcome: Mapped[str | None] = mapped_column(sa.String(16))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The campaign's month while the campaign stands, NULL once cancelled: unique per Party,
    #: so a month can be planned only once for each Party (the database holds it).
    plan_month: Mapped[str | None] = mapped_column(sa.String(7))

    campaign: Mapped[Campaign] = relationship(back_populates="slots")
    party: Mapped[Party] = relationship()
    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="slot", order_by="Attempt.step", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "party_id"),
        sa.UniqueConstraint("party_id", "plan_month"),
        sa.CheckConstraint(f"state IN {_in(SLOT_STATES)}", name="state"),
        sa.CheckConstraint(f"best_outcome IN {_in(OUTCOMES)}", name="best_outcome"),
    )

    def __repr__(self) -> str:
        return f"<Slot {self.id} campaign {self.campaign_id} party {self.party_id} {self.state}>"


class Attempt(db.Model):
    """One test call (or the record that it could not be made), on demand or in a campaign."""

    __tablename__ = "reach_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    party_id: Mapped[int] = mapped_column(sa.ForeignKey("party.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    person_name: Mapped[str | None] = mapped_column(sa.String(200))  # kept if the person goes
    slot_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("reach_slot.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[int] = mapped_column(default=0)  # position in the slot's escalation path
    target: Mapped[str] = mapped_column(sa.String(8))  # a person, or the contact point's desk
    tier: Mapped[int | None]
    phone: Mapped[str | None] = mapped_column(sa.String(20))  # E.164
    language: Mapped[str] = mapped_column(sa.String(8))  # of the message spoken
    state: Mapped[str] = mapped_column(sa.String(16), default="queued")
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.String(500))  # not-tested / failure detail
    error_code: Mapped[int | None]  # Twilio's, e.g. 21211
    twilio_sid: Mapped[str | None] = mapped_column(sa.String(34), unique=True)
    call_status: Mapped[str | None] = mapped_column(sa.String(16))  # last CallStatus seen
    answered_by: Mapped[str | None] = mapped_column(sa.String(32))
    last_sequence_number: Mapped[int | None]
    duration_s: Mapped[int | None]
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("app_user.id", ondelete="SET NULL")
    )
    requested_by: Mapped[str] = mapped_column(sa.String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seconds_to_answer: Mapped[float | None]
    seconds_to_confirm: Mapped[float | None]

    party: Mapped[Party] = relationship()
    person: Mapped[Person | None] = relationship()
    slot: Mapped[Slot | None] = relationship(back_populates="attempts")

    __table_args__ = (
        sa.Index("ix_reach_attempt_state_due", "state", "due_at"),
        sa.Index("ix_reach_attempt_phone_created", "phone", "created_at"),
        sa.CheckConstraint(f"kind IN {_in(ATTEMPT_KINDS)}", name="kind"),
        sa.CheckConstraint(f"state IN {_in(ATTEMPT_STATES)}", name="state"),
        sa.CheckConstraint(f"target IN {_in(TARGETS)}", name="target"),
        sa.CheckConstraint(f"outcome IN {_in(OUTCOMES)}", name="outcome"),
    )

    @property
    def final(self) -> bool:
        return self.state == "done"

    def __repr__(self) -> str:
        return f"<Attempt {self.id} {self.kind} {self.phone} {self.state} {self.outcome}>"


class DialSecond(db.Model):
    """A call started in this UTC second (epoch seconds), in one of CALLS_PER_SECOND lanes.

    Taking a lane is an INSERT that does nothing on conflict, so any number of workers and app
    instances on one database never start more calls in a second than there are lanes.
    """

    __tablename__ = "reach_dial_second"

    second: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    lane: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)

    def __repr__(self) -> str:
        return f"<DialSecond {self.second} lane {self.lane}>"


class CallQuota(db.Model):
    """A quota counter (e.g. "party:7:day") for its current window, raised by conditional UPDATE.

    One row per key: `UPDATE … SET count = count + 1 … WHERE count < :limit OR window_start <>
    :window` either takes a unit or matches nothing, so parallel requests never overshoot.
    """

    __tablename__ = "reach_call_quota"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<CallQuota {self.key} {self.count} since {self.window_start}>"


class NumberGuard(db.Model):
    """When a number was last test-called: at most one call per number per REACH_RATE_LIMIT_S."""

    __tablename__ = "reach_number_guard"

    phone: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    last_called_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<NumberGuard {self.phone} {self.last_called_at}>"
