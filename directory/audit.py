"""The audit trail: every write records who, when, what, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context

from common.db import db
from directory.models import AuditEntry, Party, User


def record_change(
    actor: User | None,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    party_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction, so it commits (or not) with the change."""
    entry = AuditEntry(
        at=now,
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else "system",
        action=action,
        entity=entity,
        entity_id=entity_id,
        party_id=party_id,
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


def list_changes(
    *,
    party: Party | None = None,
    entity: str | None = None,
    limit: int = 100,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """Newest first, paged by id."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if party is not None:
        query = query.where(AuditEntry.party_id == party.id)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return list(db.session.scalars(query))


def request_data_version() -> int:
    """The data version as this request's token check read it (else read now)."""
    version = g.get("data_version") if has_request_context() else None
    return version if version is not None else latest_change_id()


def latest_change_id() -> int:
    """The newest audit entry's id: a version number of everything the services write."""
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0


#: Past this many new audit ids, callers treat everything as changed rather than read them all.
MAX_CHANGES_READ = 1000


#: Audit entities that no who-to-call answer shows (sign-ins and other security events, accounts,
#: calendar subscriptions, campaigns and test-call requests): their entries change no Party.
ANSWER_NEUTRAL_ENTITIES = frozenset(
    {"security", "user", "calendar_subscription", "reach_campaign", "test_call"}
)
#: The "Party" of an answer-neutral entry: matches no cached answer, not even network-wide ones.
NO_PARTY = -1


def parties_changed(
    after_id: int, upto_id: int, also: frozenset[int] = frozenset()
) -> dict[int, int | None] | None:
    """Audit ids in (after_id, upto_id], and `also`, with their Party (None: network-wide;
    NO_PARTY: an entry no answer shows, so that a flood of failed sign-ins empties no cache).

    None when the range is too long to be worth reading: the caller assumes everything changed.
    """
    if upto_id - after_id > MAX_CHANGES_READ or len(also) > MAX_CHANGES_READ:
        return None
    span = sa.and_(AuditEntry.id > after_id, AuditEntry.id <= upto_id)
    where = sa.or_(span, AuditEntry.id.in_(sorted(also))) if also else span
    rows = db.session.execute(
        sa.select(AuditEntry.id, AuditEntry.party_id, AuditEntry.entity).where(where)
    )
    return {
        audit_id: NO_PARTY if entity in ANSWER_NEUTRAL_ENTITIES else party_id
        for audit_id, party_id, entity in rows
    }
