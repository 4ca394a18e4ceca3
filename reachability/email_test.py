"""A campaign's e-mail test: each Party's contact point is asked to click "Received", and the
time it takes is measured against 8 hours (docs/freshness.md, "The 8-hour acknowledgement").

`POST /api/v1/campaigns/{id}/email-test` and the campaign page both call `send_campaign_email_test`
and read the results with `campaign_email_tests`, so the two can never tell different stories.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from common.db import db
from directory.access import require_secretariat
from directory.audit import record_change
from directory.models import User
from directory.service import get_party
from mail.acks import send_email_test
from mail.models import EmailAck, OutboxMessage
from reachability.health import ACK_TARGET_S
from reachability.service import desk_language, get_campaign


@dataclass(frozen=True)
class QueuedTest:
    """A test e-mail queued now: to which Party's contact point, at which address."""

    iso2: str
    address: str


@dataclass(frozen=True)
class EmailTest:
    """A Party's e-mail test in a campaign and where it stands (instants aware UTC)."""

    party_id: int
    address: str
    queued_at: datetime
    sent_at: datetime | None  # when the mail server took it (None: not yet)
    acknowledged_at: datetime | None
    seconds_to_ack: float | None

    @property
    def within_target(self) -> bool | None:
        """Acknowledged within 8 hours (None: not acknowledged yet)."""
        if self.seconds_to_ack is None:
            return None
        return self.seconds_to_ack <= ACK_TARGET_S

    def waited_s(self, now: datetime) -> float:
        """Seconds waited so far without an answer, counted as `mail.links.record_ack` counts."""
        return max(0.0, (now - (self.sent_at or self.queued_at)).total_seconds())

    def overdue(self, now: datetime) -> bool:
        """Not acknowledged, and 8 hours have passed."""
        return self.acknowledged_at is None and self.waited_s(now) > ACK_TARGET_S


def send_campaign_email_test(
    actor: User, campaign_id: int, now: datetime, config: Mapping[str, Any]
) -> list[QueuedTest]:
    """Queue the test to the contact point of every Party of the campaign (secretariat), in the
    desk's language. Once per campaign and Party: asking again queues only for Parties not tested
    in it yet (e.g. whose contact point has an address since). Audited when something was
    queued: who, the campaign, how many and to which Parties (never the links). The caller
    commits."""
    require_secretariat(actor)
    campaign = get_campaign(campaign_id)
    queued = []
    for iso2 in campaign.parties:
        lang = "fr" if desk_language(iso2).startswith("fr") else "en"
        test = send_email_test(get_party(iso2), now, config, campaign_id=campaign.id, lang=lang)
        if test is not None:
            queued.append(QueuedTest(iso2=iso2, address=test.address))
    if queued:
        record_change(
            actor,
            "email_test",
            "reach_campaign",
            campaign.id,
            party_id=None,
            before=None,
            after={
                "month": campaign.month,
                "queued": len(queued),
                "parties": [q.iso2 for q in queued],
            },
            now=now,
        )
    return queued


def campaign_email_tests(campaign_id: int) -> dict[int, EmailTest]:
    """The campaign's e-mail tests by Party id, in one query."""
    rows = db.session.execute(
        sa.select(EmailAck, OutboxMessage.sent_at)
        .outerjoin(OutboxMessage, OutboxMessage.id == EmailAck.outbox_id)
        .where(EmailAck.campaign_id == campaign_id)
    ).all()
    return {
        ack.party_id: EmailTest(
            party_id=ack.party_id,
            address=ack.address,
            queued_at=ack.created_at,
            sent_at=sent_at,
            acknowledged_at=ack.acknowledged_at,
            seconds_to_ack=ack.seconds_to_ack,
        )
        for ack, sent_at in rows
    }
