"""Campaign progress and outcomes, and Twilio errors of the calls the workers placed, for /metrics:
read from the database at scrape time (workers are separate processes that serve no /metrics)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily, Metric

from common.clock import now
from common.db import db
from reachability.models import Attempt, Campaign, Slot

#: Campaigns of this many latest months are reported (older ones are history, not progress).
RECENT_CAMPAIGNS = 3


def campaign_metrics() -> Iterable[Metric]:
    """Slots per state and per best outcome of the latest campaigns that were not cancelled."""
    slots = GaugeMetricFamily(
        "art35_campaign_slots",
        "Parties of a campaign by slot state (planned, calling, done).",
        labels=["campaign", "month", "state"],
    )
    outcomes = GaugeMetricFamily(
        "art35_campaign_outcomes",
        "Finished Parties of a campaign by best outcome.",
        labels=["campaign", "month", "outcome"],
    )
    recent = (
        sa.select(Campaign.id)
        .where(Campaign.cancelled_at.is_(None))
        .order_by(Campaign.month.desc(), Campaign.id.desc())
        .limit(RECENT_CAMPAIGNS)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Campaign.id, Campaign.month, Slot.state, Slot.best_outcome, sa.func.count())
        .join(Slot, Slot.campaign_id == Campaign.id)
        .where(Campaign.id.in_(recent))
        .group_by(Campaign.id, Campaign.month, Slot.state, Slot.best_outcome)
    ).all()
    by_state: dict[tuple[str, str, str], int] = {}
    for campaign_id, month, state, outcome, count in rows:
        key = (str(campaign_id), month, state)
        by_state[key] = by_state.get(key, 0) + count
        if state == "done":
            outcomes.add_metric([str(campaign_id), month, outcome or "none"], count)
    for labels, count in by_state.items():
        slots.add_metric(list(labels), count)
    yield slots
    yield outcomes


#: Twilio errors recorded on attempts in this window are reported.
TWILIO_ERROR_WINDOW = timedelta(hours=24)


def twilio_error_metrics() -> Iterable[Metric]:
    """Attempts of the last 24 hours that Twilio refused or failed, by Twilio error code."""
    family = GaugeMetricFamily(
        "art35_twilio_call_errors_last_24h",
        "Test calls of the last 24 hours with a Twilio error code, by code (all workers).",
        labels=["code"],
    )
    rows = db.session.execute(
        sa.select(Attempt.error_code, sa.func.count())
        .where(Attempt.error_code.is_not(None), Attempt.created_at >= now() - TWILIO_ERROR_WINDOW)
        .group_by(Attempt.error_code)
    ).all()
    for code, count in rows:
        family.add_metric([str(code)], count)
    yield family
