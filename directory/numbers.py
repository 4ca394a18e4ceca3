"""Graded reachability of phone numbers, from the test calls' results.

    (no result)  unknown
    success      confirmed        (failures_in_row = 0)
    one failure  failed_once      (1)
    two or more  unreachable      (≥ 2 failures in a row: flagged, and campaigns try other numbers)

Kept per E.164 number, so replacing a person's phone list keeps what is known of each number.
Reachability records results here through `record_number_result`; directory never reads calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from common.db import db
from directory.models import NumberState, Person, Phone

NUMBER_STATES = ("unknown", "confirmed", "failed_once", "unreachable")
#: Test-call outcomes that prove nothing about the number (not a success, not a failure).
NEUTRAL_OUTCOMES = ("not-tested", "canceled")
#: A human picked up: the number works.
OK_OUTCOMES = ("confirmed", "answered")


def grade(failures_in_row: int | None) -> str:
    """The state for a count of failed test calls since the last success (None: never tested)."""
    if failures_in_row is None:
        return "unknown"
    if failures_in_row <= 0:
        return "confirmed"
    return "failed_once" if failures_in_row == 1 else "unreachable"


def next_failures(failures_in_row: int | None, outcome: str) -> int | None:
    """The count after one more result (pure: the table tests walk every transition)."""
    if outcome in NEUTRAL_OUTCOMES:
        return failures_in_row
    if outcome in OK_OUTCOMES:
        return 0
    return (failures_in_row or 0) + 1


def record_number_result(e164: str, outcome: str, now: datetime) -> str:
    """Fold one finished test call into its number's state (caller's transaction); the new state."""
    row = db.session.get(NumberState, e164, with_for_update=True)
    count = next_failures(row.failures_in_row if row else None, outcome)
    if count is None:
        return "unknown"
    if row is None:
        row = NumberState(
            e164=e164, failures_in_row=count, last_outcome=outcome, last_result_at=now
        )
        db.session.add(row)
    else:
        row.failures_in_row, row.last_outcome, row.last_result_at = count, outcome, now
    if outcome in OK_OUTCOMES:
        row.last_ok_at = now
    db.session.flush()
    return grade(count)


def number_states(e164s: Iterable[str] | None = None) -> dict[str, str]:
    """State per number (of these, or every known one); numbers never tested are absent."""
    query = sa.select(NumberState.e164, NumberState.failures_in_row)
    if e164s is not None:
        wanted = sorted(set(e164s))
        if not wanted:
            return {}
        query = query.where(NumberState.e164.in_(wanted))
    return {e164: grade(count) for e164, count in db.session.execute(query).all()}


def number_to_try(person: Person) -> Phone | None:
    """The number a campaign calls: the primary, unless it is unreachable and another is not."""
    phones = sorted(person.phones, key=lambda p: (not p.primary, p.position))
    if not phones:
        return None
    states = number_states(p.e164 for p in phones)
    for phone in phones:
        if states.get(phone.e164) != "unreachable":
            return phone
    return phones[0]
