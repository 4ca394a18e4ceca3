"""The durable outbox: every e-mail is a row first, committed with the change that asks for it.

Callers enqueue inside their own transaction (services flush, never commit); a worker sends it
later (`mail.sender`). A `dedupe_key` makes the database refuse a second row for the same
reminder period, so "never the same reminder twice" holds across workers and restarts.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, has_app_context

from common.db import db
from mail.models import OutboxMessage

#: Longest address RFC 5321 allows; longer is refused before any row is written.
MAX_ADDRESS = 320


class MailError(ValueError):
    """The message cannot be queued as asked (e.g. an empty or malformed address)."""


def _config() -> Mapping[str, Any]:
    return current_app.config if has_app_context() else {}


def message_domain(config: Mapping[str, Any]) -> str:
    """The right-hand side of our Message-IDs: the sender's domain, else the public host."""
    sender = str(config.get("MAIL_DEFAULT_SENDER") or "")
    if "@" in sender:
        return sender.rsplit("@", 1)[1].strip(" >")
    return (
        urlsplit(str(config.get("PUBLIC_BASE_URL") or "http://art35.invalid")).hostname or "art35"
    )


def new_message_id(config: Mapping[str, Any]) -> str:
    """A globally unique Message-ID: a resend of the same row carries the same one."""
    return f"<{uuid.uuid4().hex}@{message_domain(config)}>"


def _check_address(to: str) -> str:
    to = (to or "").strip()
    if not to or "@" not in to or len(to) > MAX_ADDRESS or any(c in to for c in "\r\n,;<> "):
        raise MailError(f"not a single e-mail address: {to!r}")
    return to


def enqueue(
    *,
    to: str,
    subject: str,
    text: str,
    now: datetime,
    kind: str,
    html: str | None = None,
    locale: str = "en",
    party_id: int | None = None,
    dedupe_key: str | None = None,
    headers: Mapping[str, str] | None = None,
    config: Mapping[str, Any] | None = None,
) -> OutboxMessage | None:
    """Queue one e-mail in the caller's transaction; None when `dedupe_key` was queued before.

    Sent by `flask worker` after the caller commits (never before: a rolled-back change sends
    nothing). `now` is aware UTC. Example for a one-time link::

        enqueue(to=user.email, subject="Set your password", text=body, now=now, kind="password")
    """
    config = _config() if config is None else config
    message = OutboxMessage(
        kind=kind[:32],
        dedupe_key=dedupe_key,
        message_id=new_message_id(config),
        to_addr=_check_address(to),
        from_addr=config.get("MAIL_DEFAULT_SENDER") or None,
        subject=subject.replace("\r", " ").replace("\n", " ")[:300],
        body_text=text,
        body_html=html,
        headers=dict(headers or {}),
        locale=locale,
        party_id=party_id,
        state="queued",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    if dedupe_key is None:
        db.session.add(message)
        db.session.flush()
        return message
    if db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    # A concurrent worker may queue the same key between our read and our insert: the unique
    # constraint decides, inside a savepoint so the caller's transaction survives the refusal.
    try:
        with db.session.begin_nested():
            db.session.add(message)
            db.session.flush()
    except sa.exc.IntegrityError:
        return None
    return message


def outbox_depth() -> int:
    """Messages waiting to be sent (queued or being sent): the gauge ops exports."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.state.in_(("queued", "sending"))
            )
        )
        or 0
    )


def list_messages(limit: int = 200, before_id: int | None = None) -> list[OutboxMessage]:
    """Newest first, for the secretariat's outbox page."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if before_id:
        query = query.where(OutboxMessage.id < before_id)
    return list(db.session.scalars(query))
