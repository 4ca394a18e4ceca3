"""Sign-in throttling by source: an address, and an account tried from an address.

Every attempt adds one to its sources' counters in a single atomic statement
(`INSERT … ON CONFLICT DO UPDATE SET count = count + 1 … RETURNING`), so parallel attempts in any
number of workers are each counted. The account itself is never locked: attempts from other
addresses have their own counters, and its owner signs in from theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from common.db import db
from directory.models import LoginThrottle

WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Policy:
    """Free attempts in a window, then a doubling wait, then a block to the window's end."""

    free: int
    blocked_after: int
    first_wait: timedelta


#: One account from one address: 5 tries, then 30 s, 1 min, 2 min, 4 min …, blocked after 10.
ACCOUNT_AND_ADDRESS = Policy(free=5, blocked_after=10, first_wait=timedelta(seconds=30))
#: One address over every account (an office behind one NAT has many people): looser.
ADDRESS = Policy(free=30, blocked_after=100, first_wait=timedelta(seconds=10))


@dataclass(frozen=True)
class Verdict:
    """Whether this attempt may be checked, and when the source may try again."""

    allowed: bool
    retry_after: int = 0
    blocked: bool = False


def wait_before(policy: Policy, count: int) -> timedelta | None:
    """How long after the window's start attempt number `count` may be made (None: blocked)."""
    if count <= policy.free:
        return timedelta(0)
    if count > policy.blocked_after:
        return None
    return policy.first_wait * 2 ** (count - policy.free - 1)


def _count(key: str, now: datetime) -> tuple[int, datetime]:
    """Add one attempt to `key` atomically; (attempts in the window, the window's start)."""
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    table = LoginThrottle.__table__
    stale = table.c.window_start < now - WINDOW
    statement = (
        insert(table)
        .values(key=key, count=1, window_start=now)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": sa.case((stale, 1), else_=table.c.count + 1),
                "window_start": sa.case((stale, now), else_=table.c.window_start),
            },
        )
        .returning(table.c.count, table.c.window_start)
    )
    count, start = db.session.execute(statement).one()
    return count, start


def keys_for(email: str, address: str) -> tuple[str, str]:
    """The two sources of one attempt."""
    return f"addr:{address}"[:200], f"acct:{address}:{email.strip().casefold()}"[:200]


def record_attempt(email: str, address: str, now: datetime) -> Verdict:
    """Count this attempt on both its sources; refuse it when either must wait or is blocked."""
    worst = Verdict(allowed=True)
    for key, policy in zip(keys_for(email, address), (ADDRESS, ACCOUNT_AND_ADDRESS), strict=True):
        count, start = _count(key, now)
        wait = wait_before(policy, count)
        if wait is None:
            verdict = Verdict(False, max(1, int((start + WINDOW - now).total_seconds())), True)
        elif start + wait > now:
            verdict = Verdict(False, max(1, int((start + wait - now).total_seconds())))
        else:
            continue
        if worst.allowed or verdict.retry_after > worst.retry_after:
            worst = verdict
    return worst


def forget_success(email: str, address: str) -> None:
    """A right password clears the account-and-address counter and takes one off the address's."""
    by_address, by_account = keys_for(email, address)
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == by_account))
    db.session.execute(
        sa.update(LoginThrottle)
        .where(LoginThrottle.key == by_address, LoginThrottle.count > 0)
        .values(count=LoginThrottle.count - 1)
    )


def attempts(key: str) -> int:
    """The attempts counted for a source in its current window (for tests and the audit page)."""
    return db.session.scalar(sa.select(LoginThrottle.count).where(LoginThrottle.key == key)) or 0
