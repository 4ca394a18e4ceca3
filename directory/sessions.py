"""Browser sessions held by the server: ended everywhere at once, with idle and absolute limits.

The cookie carries only a random session secret (signed by Flask); the row holds the rest. Ending
a user's sessions is one UPDATE, so every worker and instance sees it on the next request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from common.auth import hash_secret, new_secret
from common.db import db, rowcount
from directory.models import User, UserSession

#: Last-seen is written at most this often: a page view need not always be a write.
TOUCH_EVERY = timedelta(seconds=60)
SESSION_PREFIX = "s_"
#: Sessions are deleted this long after they ended or expired (the audit keeps the sign-ins).
PURGE_AFTER = timedelta(days=30)
#: Rows deleted per pass of the purge, so that one pass stays short whatever the backlog.
PURGE_BATCH = 1000
#: The recent sign-ins lists show a user's latest sessions however old: those are never purged.
KEEP_LATEST = 10


@dataclass(frozen=True)
class Limits:
    """Idle and absolute session lifetimes (ASVS 3.3.2 level 2: 30 minutes, 12 hours)."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """The limits set by SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS."""
        return cls(
            idle=timedelta(minutes=config.get("SESSION_IDLE_MINUTES", 30)),
            absolute=timedelta(hours=config.get("SESSION_ABSOLUTE_HOURS", 12)),
        )


def start_session(
    user: User,
    now: datetime,
    *,
    address: str | None,
    browser: str | None,
    second_factor: str | None = None,
) -> str:
    """A new server session; returns its secret for the cookie (only its hash is kept)."""
    secret = new_secret(SESSION_PREFIX)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=hash_secret(secret),
            created_at=now,
            last_seen_at=now,
            address=(address or "")[:45] or None,
            browser=(browser or "")[:200] or None,
            second_factor=second_factor,
        )
    )
    db.session.flush()
    return secret


def end_reason(row: UserSession, now: datetime, limits: Limits) -> str | None:
    """Why this session no longer counts ('idle', 'expired', …), None while it is alive."""
    if row.ended_at is not None:
        return row.ended_reason or "ended"
    if now - row.created_at >= limits.absolute:
        return "expired"
    if now - row.last_seen_at >= limits.idle:
        return "idle"
    return None


@dataclass(frozen=True)
class Found:
    """The outcome of reading a session cookie."""

    user: User | None
    session_id: int | None = None
    ended: str | None = None


def find_session(secret: str, now: datetime, limits: Limits, *, activity: bool) -> Found:
    """The active user of a live session; `activity=False` reads without extending it."""
    if not secret.startswith(SESSION_PREFIX) or len(secret) > 100:
        return Found(None)
    row = db.session.scalar(
        sa.select(UserSession).where(UserSession.token_hash == hash_secret(secret))
    )
    if row is None:
        return Found(None, ended="unknown")
    reason = end_reason(row, now, limits)
    if reason is None:
        user = db.session.get(User, row.user_id)
        if user is None or not user.active:
            reason = "deactivated"
    if reason is not None:
        if row.ended_at is None:
            end_rows(sa.true(), now, reason, None, session_id=row.id)
            _commit_quietly()
        return Found(None, row.id, reason)
    if activity and now - row.last_seen_at >= TOUCH_EVERY:
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.id == row.id, UserSession.ended_at.is_(None))
            .values(last_seen_at=now)
        )
        _commit_quietly()
    return Found(user, row.id)


def _commit_quietly() -> None:
    try:
        db.session.commit()
    except sa.exc.OperationalError:
        # SQLite refuses the write while another process writes: a later request records it.
        db.session.rollback()


def end_rows(
    where: sa.ColumnElement[bool],
    now: datetime,
    reason: str,
    by: User | None,
    *,
    session_id: int | None = None,
    user_id: int | None = None,
) -> int:
    """End the matching live sessions in one statement; how many were ended."""
    query = sa.update(UserSession).where(where, UserSession.ended_at.is_(None))
    if session_id is not None:
        query = query.where(UserSession.id == session_id)
    if user_id is not None:
        query = query.where(UserSession.user_id == user_id)
    result = db.session.execute(
        query.values(ended_at=now, ended_reason=reason[:32], ended_by_id=by.id if by else None)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def end_session(session_id: int, now: datetime, reason: str, by: User | None) -> int:
    """End one session (sign-out)."""
    return end_rows(sa.true(), now, reason, by, session_id=session_id)


def end_user_sessions(
    user: User, now: datetime, reason: str, by: User | None, *, keep: int | None = None
) -> int:
    """End every live session of a user, except `keep` (the one that made the change)."""
    where = sa.true() if keep is None else UserSession.id != keep
    return end_rows(where, now, reason, by, user_id=user.id)


def recent_sessions(user: User, limit: int = KEEP_LATEST) -> list[UserSession]:
    """A user's latest sign-ins, newest first (time, address, browser)."""
    query = (
        sa.select(UserSession)
        .where(UserSession.user_id == user.id)
        .order_by(UserSession.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def purge_sessions(now: datetime, limits: Limits, batch: int = PURGE_BATCH) -> int:
    """Delete up to `batch` sessions that ended or expired more than PURGE_AFTER before `now`
    (aware UTC), except each user's KEEP_LATEST latest; how many were deleted.

    A session is over at the first of its end, its idle limit and its absolute limit (one never
    read again is never marked ended). Two workers purging at once delete each row once.
    """
    cutoff = now - PURGE_AFTER
    table = UserSession.__table__
    ranked = sa.select(
        table.c.id,
        table.c.ended_at,
        table.c.created_at,
        table.c.last_seen_at,
        sa.func.row_number()
        .over(partition_by=table.c.user_id, order_by=table.c.id.desc())
        .label("rank"),
    ).subquery()
    over = (
        sa.select(ranked.c.id)
        .where(
            ranked.c.rank > KEEP_LATEST,
            sa.or_(
                ranked.c.ended_at < cutoff,
                ranked.c.created_at < cutoff - limits.absolute,
                ranked.c.last_seen_at < cutoff - limits.idle,
            ),
        )
        .order_by(ranked.c.id)
        .limit(batch)
    )
    return rowcount(db.session.execute(sa.delete(table).where(table.c.id.in_(over))))


def run_session_purge(now: datetime, config: Mapping[str, Any]) -> str | None:
    """The worker's periodic job: one batch of the purge; a summary when it deleted any."""
    count = purge_sessions(now, Limits.from_config(config))
    return f"sessions: {count} deleted, over for {PURGE_AFTER.days} days" if count else None
