"""The mail outbox's depth for /metrics, read from the database at scrape time."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily, Metric

from common.db import db
from mail.models import OUTBOX_STATES, OutboxMessage


def outbox_metrics() -> Iterable[Metric]:
    """Messages in the outbox by state (queued and sending are the depth still to send)."""
    depth = GaugeMetricFamily(
        "art35_mail_outbox_messages",
        "Messages in the mail outbox by state (queued + sending = still to send).",
        labels=["state"],
    )
    counts = dict(
        db.session.execute(
            sa.select(OutboxMessage.state, sa.func.count()).group_by(OutboxMessage.state)
        ).all()
    )
    for state in OUTBOX_STATES:
        depth.add_metric([state], counts.get(state, 0))
    yield depth
