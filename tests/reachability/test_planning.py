"""The pure campaign core, without app or database: when each Party is called, what comes next,
which result is best, which language the message is in."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reachability.planning import (
    OUTCOMES,
    NextStep,
    OfficeWindow,
    PartyHours,
    Step,
    allowed_intervals,
    best_outcome,
    message_language,
    next_month,
    next_step,
    pack_slots,
    parse_month,
    plan_slots,
)

WEEKDAYS_9_TO_17 = OfficeWindow(frozenset(range(5)), time(9), time(17))
START = datetime(2026, 11, 20, tzinfo=UTC)
ZONES = ("Europe/Paris", "America/Santiago", "Asia/Tokyo", "Pacific/Auckland", "UTC")


def parties(count: int, *, tz: str = "Europe/Paris", windows=(WEEKDAYS_9_TO_17,)):
    return [PartyHours(f"P{index:03d}", tz, tuple(windows)) for index in range(count)]


# --- when ------------------------------------------------------------------------------------


def test_office_hours_slots_fall_inside_local_office_hours_of_the_month():
    planned = plan_slots(
        [
            PartyHours("FR", "Europe/Paris", (WEEKDAYS_9_TO_17,)),
            PartyHours("JP", "Asia/Tokyo", (WEEKDAYS_9_TO_17,)),
            PartyHours("CL", "America/Santiago", (WEEKDAYS_9_TO_17,)),
        ],
        "2026-12",
        "office-hours",
        calls_per_second=1,
        not_before=START,
        tail=timedelta(minutes=20),
    )

    for key, zone in (("FR", "Europe/Paris"), ("JP", "Asia/Tokyo"), ("CL", "America/Santiago")):
        local = planned[key].astimezone(ZoneInfo(zone))
        assert (local.year, local.month) == (2026, 12), key
        assert local.weekday() < 5, key
        assert time(9) <= local.time() < time(16, 40), key  # room left for two retries
        assert planned[key].tzinfo == UTC and planned[key].microsecond == 0


def test_any_time_spreads_over_the_whole_month():
    planned = plan_slots(
        parties(60, windows=()), "2026-12", "any-time", calls_per_second=1, not_before=START
    )

    local = [at.astimezone(ZoneInfo("Europe/Paris")) for at in planned.values()]
    assert all((at.year, at.month) == (2026, 12) for at in local)
    assert len({at.day for at in local}) > 20  # spread, not bunched
    assert len({at.hour for at in local}) > 12  # night hours too: the obligation is 24/7


def test_planning_is_deterministic_and_month_dependent():
    group = parties(30)
    kwargs = {"calls_per_second": 1, "not_before": START}

    first = plan_slots(group, "2026-12", "office-hours", **kwargs)
    again = plan_slots(list(reversed(group)), "2026-12", "office-hours", **kwargs)
    january = plan_slots(group, "2027-01", "office-hours", **kwargs)

    assert first == again
    assert set(first.values()).isdisjoint(january.values())


@pytest.mark.parametrize("cps", [1, 2, 3])
def test_never_more_calls_in_a_second_than_allowed(cps):
    # Everyone's office hours are one minute long: collisions are certain.
    window = OfficeWindow(frozenset({0}), time(9), time(9, 1))
    group = [PartyHours(f"P{i:03d}", "UTC", (window,)) for i in range(40 * cps)]

    planned = plan_slots(group, "2026-12", "office-hours", calls_per_second=cps, not_before=START)

    per_second = Counter(int(at.timestamp()) for at in planned.values())
    assert max(per_second.values()) == cps
    assert all(at.weekday() == 0 and at.hour == 9 for at in planned.values())


def test_more_calls_than_seconds_is_refused():
    window = OfficeWindow(frozenset({0}), time(9), time(9, 0, 10))
    group = [PartyHours(f"P{i:03d}", "UTC", (window,)) for i in range(50)]  # 5 Mondays × 10 s

    with pytest.raises(ValueError, match="no free second"):
        plan_slots(group, "2026-11", "office-hours", calls_per_second=1, not_before=START)


def test_mid_month_plans_only_the_rest_of_the_month_and_a_past_month_is_refused():
    now = datetime(2026, 12, 15, 10, 30, 0, 500_000, tzinfo=UTC)

    planned = plan_slots(parties(20), "2026-12", "office-hours", calls_per_second=1, not_before=now)

    assert min(planned.values()) >= now
    with pytest.raises(ValueError, match="2026-11 is over"):
        plan_slots(parties(1), "2026-11", "any-time", calls_per_second=1, not_before=now)


def test_without_office_hours_any_hour_is_allowed():
    no_hours = PartyHours("XX", "Pacific/Auckland")

    intervals = allowed_intervals(no_hours, "2026-12", "office-hours", START)

    assert intervals == [
        (datetime(2026, 11, 30, 11, tzinfo=UTC), datetime(2026, 12, 31, 11, tzinfo=UTC))
    ]  # December in Auckland (UTC+13)


def test_night_window_runs_past_midnight_and_dst_keeps_local_hours():
    night = OfficeWindow(frozenset({5}), time(22), time(6))  # Saturday night
    party = PartyHours("FR", "Europe/Paris", (night,))

    march = allowed_intervals(party, "2026-03", "office-hours", datetime(2026, 3, 1, tzinfo=UTC))

    # The night of 28→29 March loses an hour to summer time: 22:00 CET → 06:00 CEST is 7 h.
    assert (datetime(2026, 3, 28, 21, tzinfo=UTC), datetime(2026, 3, 29, 4, tzinfo=UTC)) in march
    assert (datetime(2026, 3, 21, 21, tzinfo=UTC), datetime(2026, 3, 22, 5, tzinfo=UTC)) in march


def test_pack_slots_as_soon_as_possible():
    start = datetime(2026, 12, 1, 8, 0, 0, 250_000, tzinfo=UTC)

    packed = pack_slots(["DE", "AT", "FR", "BE", "AT"], start, calls_per_second=2)

    first = datetime(2026, 12, 1, 8, 0, 1, tzinfo=UTC)
    assert packed == {
        "AT": first,
        "BE": first,
        "DE": first + timedelta(seconds=1),
        "FR": first + timedelta(seconds=1),
    }


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(1, 60),
    cps=st.integers(1, 3),
    zone=st.sampled_from(ZONES),
    start_hour=st.integers(0, 22),
    length_h=st.integers(1, 12),
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    month=st.sampled_from(["2026-03", "2026-10", "2026-12", "2027-02"]),
)
def test_every_plan_respects_windows_and_the_rate(
    count, cps, zone, start_hour, length_h, weekdays, month
):
    end = time((start_hour + length_h) % 24)
    window = OfficeWindow(weekdays, time(start_hour), end)
    group = [PartyHours(f"P{i:03d}", zone, (window,)) for i in range(count)]
    not_before = datetime(2026, 1, 1, tzinfo=UTC)

    planned = plan_slots(group, month, "office-hours", calls_per_second=cps, not_before=not_before)

    assert set(planned) == {p.key for p in group}
    assert max(Counter(int(at.timestamp()) for at in planned.values()).values()) <= cps
    intervals = allowed_intervals(group[0], month, "office-hours", not_before)
    for at in planned.values():
        assert any(start <= at < stop for start, stop in intervals)


# --- what next -------------------------------------------------------------------------------

T1, T2, DESK = "tier1", "tier2", "desk"
CASES = {
    "first-call-is-tier-1": ([], NextStep(T1, False)),
    "retry-after-no-answer": ([Step(T1, "no-answer")], NextStep(T1, True)),
    "retry-after-voicemail": ([Step(T1, "voicemail")], NextStep(T1, True)),
    "retry-after-answered-without-1": ([Step(T1, "answered")], NextStep(T1, True)),
    "second-retry": ([Step(T1, "busy"), Step(T1, "busy")], NextStep(T1, True)),
    "retries-spent-escalate-to-tier-2": (
        [Step(T1, "busy"), Step(T1, "no-answer"), Step(T1, "voicemail")],
        NextStep(T2, False),
    ),
    "gap-escalates-at-once": ([Step(T1, "not-tested")], NextStep(T2, False)),
    "invalid-number-escalates-at-once": ([Step(T1, "failed", False)], NextStep(T2, False)),
    "transient-failure-is-retried": ([Step(T1, "failed")], NextStep(T1, True)),
    "tier-2-then-desk": ([Step(T1, "not-tested"), Step(T2, "busy")], NextStep(DESK, False)),
    "desk-is-the-last-resort": (
        [Step(T1, "not-tested"), Step(T2, "not-tested"), Step(DESK, "no-answer")],
        None,
    ),
    "confirmation-ends-the-path": ([Step(T1, "no-answer"), Step(T1, "confirmed")], None),
}


@pytest.mark.parametrize(("path", "expected"), list(CASES.values()), ids=list(CASES))
def test_next_step(path, expected):
    assert next_step(path, retries=2) == expected


def test_no_retries_configured_escalates_at_once():
    assert next_step([Step(T1, "no-answer")], retries=0) == NextStep(T2, False)


def test_best_outcome_order():
    assert best_outcome(["no-answer", "voicemail", "busy"]) == "voicemail"
    assert best_outcome(["not-tested", "answered", "confirmed"]) == "confirmed"
    assert best_outcome([None, "failed"]) == "failed"
    assert best_outcome([]) is None
    assert OUTCOMES[0] == "confirmed" and OUTCOMES[-1] == "not-tested"


@pytest.mark.parametrize(
    ("tags", "language"),
    [
        (["fr", "en"], "fr"),
        (["hu", "en"], "en"),
        (["hu", "de"], "de"),
        (["pt-BR"], "pt"),
        (["es-419", "fr"], "es"),
        (["IT"], "it"),
        (["hu"], "en"),
        ([], "en"),
    ],
)
def test_message_language(tags, language):
    assert message_language(tags) == language


def test_months():
    assert parse_month(" 2026-12 ") == "2026-12"
    assert next_month(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "2027-01"
    assert next_month(datetime(2026, 1, 31, tzinfo=UTC)) == "2026-02"
    for bad in ("2026-13", "2026-1", "26-12", "2026/12", "1999-12"):
        with pytest.raises(ValueError):
            parse_month(bad)
