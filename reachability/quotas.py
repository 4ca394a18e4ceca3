"""Call quotas and the one-call-per-number rule, held by the database under parallel requests.

Each quota is one `reach_call_quota` row per key ("user:3:hour", "party:7:day", "service:hour"…)
raised by a single conditional UPDATE: it takes a unit only while the window's count is under
the limit (or starts a new window), and matches nothing otherwise. On PostgreSQL a second
UPDATE of the same row waits for the first transaction and re-checks its WHERE on the committed
row, so N parallel requests never get more than the limit through; SQLite serialises writers.
The counters roll back with the request when anything later refuses it.

Settings (calls; 0 = no limit): REACH_QUOTA_USER_HOUR, REACH_QUOTA_USER_DAY,
REACH_QUOTA_PARTY_HOUR, REACH_QUOTA_PARTY_DAY, REACH_QUOTA_SERVICE_HOUR, REACH_QUOTA_SERVICE_DAY.
A refusal's detail is English (the API's language); its first part is a template marked for the
catalogue (`SPENT`), which the test-call page translates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from common.db import db
from common.errors import Problem
from common.i18n import N_
from reachability.models import CallQuota, NumberGuard
from reachability.settings import setting as setting_of

_SPANS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
#: What a spent quota says, by whose quota and its window; `limit` is the number of calls.
SPENT = {
    ("user", "hour"): N_("your test calls for this hour are used up (%(limit)s)"),
    ("user", "day"): N_("your test calls for this day are used up (%(limit)s)"),
    ("party", "hour"): N_("this Party's test calls for this hour are used up (%(limit)s)"),
    ("party", "day"): N_("this Party's test calls for this day are used up (%(limit)s)"),
    ("service", "hour"): N_("the service's test calls for this hour are used up (%(limit)s)"),
    ("service", "day"): N_("the service's test calls for this day are used up (%(limit)s)"),
}


def _insert() -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    return insert


def window_start(now: datetime, span: str) -> datetime:
    """The start (UTC) of the hour or day `now` falls in."""
    now = now.astimezone(UTC)
    if span == "hour":
        return now.replace(minute=0, second=0, microsecond=0)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def take_unit(key: str, limit: int, span: str, now: datetime) -> int | None:
    """Take one call from quota `key` for `now`'s window; the seconds to wait when it is spent."""
    if limit <= 0:
        return None
    start = window_start(now, span)
    db.session.execute(
        _insert()(CallQuota)
        .values(key=key, window_start=start, count=0)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    taken = db.session.scalar(
        sa.update(CallQuota)
        .where(
            CallQuota.key == key,
            sa.or_(CallQuota.window_start != start, CallQuota.count < limit),
        )
        .values(
            count=sa.case((CallQuota.window_start == start, CallQuota.count + 1), else_=1),
            window_start=start,
        )
        .returning(CallQuota.count)
    )
    if taken is not None:
        return None
    return max(1, math.ceil((start + _SPANS[span] - now).total_seconds()))


def charge_call(
    config: Mapping[str, Any], now: datetime, *, user_id: int | None, party_id: int
) -> None:
    """Count one call against the user's, the Party's and the service's hour and day quotas.

    429 with Retry-After (the end of the spent window) when any is spent; the caller's
    rollback returns the units already taken.
    """
    scopes = [("party", f"party:{party_id}"), ("service", "service")]
    if user_id is not None:
        scopes.insert(0, ("user", f"user:{user_id}"))
    for who, key in scopes:  # always this order: parallel requests lock rows alike
        for span in ("hour", "day"):
            name = f"REACH_QUOTA_{who.upper()}_{span.upper()}"
            limit = setting_of(config, name)
            wait = take_unit(f"{key}:{span}", limit, span, now)
            if wait is not None:
                spent = SPENT[who, span] % {"limit": limit}
                raise Problem(
                    429,
                    f"{spent}; try again in {wait} seconds",
                    headers={"Retry-After": str(wait)},
                    extra={"retry_after": wait, "quota": name},
                )


def claim_number(phone: str, now: datetime, window_s: int) -> int | None:
    """Mark `phone` as called now unless it was in the last `window_s` s; else seconds to wait.

    A conditional UPDATE (or the INSERT of a first call) decides, so of parallel requests to
    one number exactly one wins.
    """
    if window_s <= 0:
        return None
    if db.session.scalar(
        _insert()(NumberGuard)
        .values(phone=phone, last_called_at=now)
        .on_conflict_do_nothing(index_elements=["phone"])
        .returning(NumberGuard.phone)
    ):
        return None
    cutoff = now - timedelta(seconds=window_s)
    if db.session.scalar(
        sa.update(NumberGuard)
        .where(NumberGuard.phone == phone, NumberGuard.last_called_at <= cutoff)
        .values(last_called_at=now)
        .returning(NumberGuard.phone)
    ):
        return None
    last = db.session.scalar(
        sa.select(NumberGuard.last_called_at).where(NumberGuard.phone == phone)
    )
    if last is None:  # pragma: no cover -- rows are never deleted
        return window_s
    # A parallel request may have stamped an instant a little after this one's `now`.
    wait = math.ceil((last + timedelta(seconds=window_s) - now).total_seconds())
    return min(window_s, max(1, wait))
