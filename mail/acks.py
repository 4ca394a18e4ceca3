"""E-mail tests of the 24/7 contact points: "please click Received" (the 8-hour answer).

Each test is an `email_ack` row (one per campaign and Party), a one-time "ack" token and one
outbox message to the contact point's address. The message carries only the reader's own Party's
name: nothing of any other Party.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from common.db import db
from directory.models import Party
from directory.values import country_name
from mail.models import EmailAck
from mail.outbox import enqueue
from mail.render import Content, render_html, render_text
from mail.texts import t
from mail.tokens import issue_token


def send_email_test(
    party: Party,
    now: datetime,
    config: Mapping[str, Any],
    *,
    campaign_id: int | None = None,
    lang: str = "en",
) -> EmailAck | None:
    """Queue the test to the Party's contact point (None: no address, or already tested in this
    campaign). The caller commits."""
    cp = party.contact_point_at(now)
    if cp is None or not cp.email:
        return None
    if campaign_id is not None and db.session.scalar(
        sa.select(EmailAck.id).where(
            EmailAck.campaign_id == campaign_id, EmailAck.party_id == party.id
        )
    ):
        return None
    test = EmailAck(party_id=party.id, campaign_id=campaign_id, address=cp.email, created_at=now)
    db.session.add(test)
    db.session.flush()
    secret = issue_token("ack", cp.email, now, party_id=party.id, ack_id=test.id)
    base = str(config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    name = country_name(party.iso2, lang, party.name)
    content = Content(
        subject=t(lang, "ack.subject", party=name),
        greeting=t(lang, "hello"),
        paragraphs=[t(lang, "ack.body", party=name)],
        link=(t(lang, "ack.link"), f"{base}/mail/ack/{secret}"),
        footer=[t(lang, "signature")],
    )
    message = enqueue(
        to=cp.email,
        subject=content.subject,
        text=render_text(content),
        html=render_html(content),
        now=now,
        kind="ack-test",
        locale=lang,
        party_id=party.id,
        dedupe_key=f"ack:{campaign_id}:{party.iso2}" if campaign_id is not None else None,
        config=config,
    )
    test.outbox_id = message.id if message is not None else None
    return test
