"""The freshness state at each boundary, and the graded state of numbers (pure, no app)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from directory.freshness import Policy, add_months, freshness_state, state_changes_at
from directory.numbers import grade, next_failures

UNTIL = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
POLICY = Policy(validity_months=6, due_soon=timedelta(days=30), grace=timedelta(days=30))
S = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("name", "now", "valid_until", "expected"),
    [
        ("never-confirmed", UNTIL, None, "expired"),
        ("long-before", UNTIL - timedelta(days=180), UNTIL, "current"),
        ("just-before-due-soon", UNTIL - timedelta(days=30) - S, UNTIL, "current"),
        ("due-soon-starts-30-days-before", UNTIL - timedelta(days=30), UNTIL, "due_soon"),
        ("last-instant-before-valid-until", UNTIL - S, UNTIL, "due_soon"),
        ("overdue-at-valid-until", UNTIL, UNTIL, "overdue"),
        ("last-instant-of-grace", UNTIL + timedelta(days=30) - S, UNTIL, "overdue"),
        ("expired-when-grace-ends", UNTIL + timedelta(days=30), UNTIL, "expired"),
        ("expired-long-after", UNTIL + timedelta(days=400), UNTIL, "expired"),
    ],
)
def test_state_at_each_boundary(name, now, valid_until, expected):
    assert freshness_state(now, valid_until, POLICY) == expected, name


def test_no_grace_goes_straight_from_overdue_to_expired():
    policy = Policy(grace=timedelta(0))
    assert freshness_state(UNTIL - S, UNTIL, policy) == "due_soon"
    assert freshness_state(UNTIL, UNTIL, policy) == "expired"


def test_state_changes_are_the_boundaries():
    changes = state_changes_at(UNTIL, POLICY)
    states = [freshness_state(at, UNTIL, POLICY) for at in changes]
    assert states == ["due_soon", "overdue", "expired"]
    assert [freshness_state(at - S, UNTIL, POLICY) for at in changes] == [
        "current",
        "due_soon",
        "overdue",
    ]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2026, 12, 7, 9, 30, tzinfo=UTC), 6, datetime(2027, 6, 7, 9, 30, tzinfo=UTC)),
        (datetime(2026, 8, 31, tzinfo=UTC), 6, datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2027, 8, 31, tzinfo=UTC), 6, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 12, 1, tzinfo=UTC), 12, datetime(2027, 12, 1, tzinfo=UTC)),
        (datetime(2026, 7, 15, tzinfo=UTC), 6, datetime(2027, 1, 15, tzinfo=UTC)),
    ],
)
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("name", "outcomes", "expected"),
    [
        ("never-tested", [], "unknown"),
        ("not-tested-proves-nothing", ["not-tested"], "unknown"),
        ("confirmed", ["confirmed"], "confirmed"),
        ("answered-counts-as-reached", ["answered"], "confirmed"),
        ("failed-once", ["confirmed", "no-answer"], "failed_once"),
        ("failed-twice-unreachable", ["busy", "failed"], "unreachable"),
        ("voicemail-is-not-reached", ["voicemail", "voicemail"], "unreachable"),
        ("success-resets", ["failed", "failed", "confirmed"], "confirmed"),
        ("neutral-keeps-the-count", ["failed", "not-tested", "canceled"], "failed_once"),
        ("three-in-a-row", ["failed", "failed", "failed"], "unreachable"),
    ],
)
def test_number_state_after_results(name, outcomes, expected):
    count = None
    for outcome in outcomes:
        count = next_failures(count, outcome)
    assert grade(count) == expected, name
