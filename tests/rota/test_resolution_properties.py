"""Property tests for rota.resolution against a brute-force reference over real zone rules.

The reference below places every handoff independently (``rfc_instant``, which never
uses ``fold``), finds the duty at an instant as "the largest handoff number already
placed at or before it" by scanning all handoffs, and checks windows and overrides by
linear scans.  The production code instead estimates handoff numbers arithmetically,
bisects and paints intervals; the two must agree everywhere.

Anchors are every UTC offset transition of the zones below from 2025 to 2035 (found by a
daily scan, then bisected to the second), plus random instants in zones without DST.
"""

from bisect import bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rota.resolution import (
    MemberChange,
    Override,
    Rota,
    Rotation,
    Shift,
    Window,
    handoff_index,
    next_change,
    on_call_at,
    timeline,
    to_utc,
)

ZONE_NAMES = (
    "Europe/Paris",
    "America/New_York",
    "America/Santiago",
    "America/Havana",
    "Australia/Lord_Howe",
    "Africa/Casablanca",
    "Pacific/Apia",
    "Asia/Kolkata",
    "UTC",
)
ZONES = {name: ZoneInfo(name) for name in ZONE_NAMES}
FIRST = datetime(2025, 1, 1, tzinfo=UTC)
LAST = datetime(2036, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MICRO = timedelta(microseconds=1)
HORIZON = timedelta(days=5)

PROPERTY_SETTINGS = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------- zone facts


def offset_at(tz: ZoneInfo, instant: datetime) -> timedelta:
    """UTC offset in force at an aware instant (unambiguous, no fold involved)."""
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None
    return offset


def wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """Naive local wall-clock reading at an aware instant."""
    return instant.astimezone(tz).replace(tzinfo=None)


def find_transitions(tz: ZoneInfo) -> list[datetime]:
    """Every UTC instant in 2025-2035 where the zone's offset changes."""
    found: list[datetime] = []
    day = FIRST
    previous = offset_at(tz, day)
    while day < LAST:
        following = day + DAY
        current = offset_at(tz, following)
        if current != previous:
            lo, hi = 0, 86_400  # offset(day + lo) == previous, offset(day + hi) == current
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset_at(tz, day + timedelta(seconds=mid)) == previous:
                    lo = mid
                else:
                    hi = mid
            found.append(day + timedelta(seconds=hi))
            previous = current
        day = following
    return found


TRANSITIONS: dict[str, list[datetime]] = {
    name: find_transitions(ZONES[name]) for name in ZONE_NAMES
}
ALL_TRANSITIONS = [(name, at) for name in ZONE_NAMES for at in TRANSITIONS[name]]
NO_DST = [name for name in ZONE_NAMES if not TRANSITIONS[name]]


def rfc_instant(local: datetime, tz: ZoneInfo) -> datetime:
    """Independent RFC 5545 placement: first instant showing ``local``; in a gap, offset before."""
    base = local.replace(tzinfo=UTC)
    # Offsets on both sides of any transition that can affect ``local`` (they are months apart).
    offsets = {offset_at(tz, base - 30 * HOUR), offset_at(tz, base + 30 * HOUR)}
    showing = [base - off for off in offsets if wall(base - off, tz) == local]
    if showing:
        return min(showing)
    # Skipped: the earliest candidate lies before the transition, so its offset is "before".
    return base - offset_at(tz, base - max(offsets))


# --------------------------------------------------------------------------- reference

Key = tuple[int | None, str, int | None]


def key(shift: Shift) -> Key:
    """What a duty is, independent of its bounds."""
    return (shift.person_id, shift.source, shift.override_id)


class Reference:
    """Brute-force resolver for one rota over [since, until): every handoff placed one by one."""

    def __init__(self, rota: Rota, since: datetime, until: datetime) -> None:
        """Place all handoffs and window instances that can matter for [since, until)."""
        self.rota = rota
        self.tz = rota.tz
        self.handoffs: dict[int, list[tuple[datetime, int]]] = {}
        self.latest: dict[int, tuple[list[datetime], list[int]]] = {}
        self.windows: dict[int, list[tuple[datetime, datetime]]] = {}
        self.critical: set[datetime] = set()
        last_local = wall(until, self.tz) + 2 * DAY
        for rotation in rota.rotations:
            count = (last_local - rotation.start_local) // rotation.shift_length + 1
            placed = [
                (rfc_instant(rotation.start_local + j * rotation.shift_length, self.tz), j)
                for j in range(max(count, 0))
            ]
            self.handoffs[rotation.id] = placed
            # "largest j placed at or before t" for every t: sort by instant, running max of j.
            ordered = sorted(placed)
            best: list[int] = []
            for _, j in ordered:
                best.append(max(j, best[-1]) if best else j)
            self.latest[rotation.id] = ([instant for instant, _ in ordered], best)
            self.critical.update(instant for instant, _ in placed)
            instances: list[tuple[datetime, datetime]] = []
            day = wall(since, self.tz).date() - 3 * DAY
            while day <= wall(until, self.tz).date() + 2 * DAY:
                for window in rotation.windows:
                    if day.weekday() in window.weekdays:
                        start = rfc_instant(datetime.combine(day, window.from_local), self.tz)
                        end_day = day if window.to_local > window.from_local else day + DAY
                        end = rfc_instant(datetime.combine(end_day, window.to_local), self.tz)
                        instances.append((start, end))
                        self.critical.update((start, end))
                day += DAY
            self.windows[rotation.id] = instances
        for override in rota.overrides:
            self.critical.update((override.start, override.end))
        self.critical = {c for c in self.critical if since < c < until}

    def handoff(self, rotation: Rotation, at: datetime) -> int | None:
        """Largest handoff number whose instant is at or before ``at`` (None if none)."""
        instants, best = self.latest[rotation.id]
        i = bisect_right(instants, at)
        return best[i - 1] if i else None

    def person(self, rotation: Rotation, k: int) -> int:
        """Member of handoff k from the list in force at its instant (linear scan)."""
        instant = rfc_instant(rotation.start_local + k * rotation.shift_length, self.tz)
        members = rotation.members
        for change in rotation.member_changes:
            if change.effective_at <= instant:
                members = change.members
        return members[k % len(members)]

    def at(self, instant: datetime) -> Key:
        """Duty at an instant: override, else the last active rotation, else a gap."""
        for override in self.rota.overrides:
            if override.start <= instant < override.end:
                return (override.person_id, "override", override.id)
        for rotation in reversed(self.rota.rotations):
            k = self.handoff(rotation, instant)
            if k is None:
                continue
            if rotation.windows and not any(
                start <= instant < end for start, end in self.windows[rotation.id]
            ):
                continue
            return (self.person(rotation, k), "rotation", None)
        return (None, "gap", None)


# --------------------------------------------------------------------------- strategies

LENGTHS = [
    timedelta(minutes=m)
    for m in (20, 30, 45, 60, 90, 120, 8 * 60, 12 * 60, 13 * 60, 1440, 2880, 7 * 1440, 14 * 1440)
]
TIMES = [
    time(h, m)
    for h, m in (
        (0, 0),
        (0, 30),
        (1, 0),
        (1, 30),
        (2, 0),
        (2, 30),
        (3, 0),
        (8, 0),
        (20, 0),
        (23, 0),
    )
]


@st.composite
def anchors(draw: st.DrawFn) -> tuple[ZoneInfo, datetime]:
    """A zone and a minute near one of its transitions (or anywhere, for zones without DST)."""
    if draw(st.integers(0, 9)) == 0:
        name = draw(st.sampled_from(NO_DST))
        instant = FIRST + draw(st.integers(0, 11 * 365 * 1440)) * MINUTE
    else:
        name, instant = draw(st.sampled_from(ALL_TRANSITIONS))
    nudge = draw(st.one_of(st.integers(-180, 180), st.integers(-2 * 1440, 2 * 1440)))
    return ZONES[name], instant + nudge * MINUTE


def local_times() -> st.SearchStrategy[time]:
    """Window times, biased to the hours where transitions happen."""
    return st.one_of(
        st.sampled_from(TIMES),
        st.builds(time, st.integers(0, 23), st.sampled_from((0, 15, 30, 45))),
    )


@st.composite
def restriction_windows(draw: st.DrawFn) -> Window:
    """A restriction window; often crossing midnight, sometimes 24 h (from == to)."""
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    opening = draw(local_times())
    closing = opening if draw(st.integers(0, 4)) == 0 else draw(local_times())
    return Window(days, opening, closing)


@st.composite
def rotations(draw: st.DrawFn, tz: ZoneInfo, anchor: datetime, rid: int) -> Rotation:
    """A rotation whose handoffs fall around the anchor, often inside gaps and folds."""
    length = draw(st.sampled_from(LENGTHS))
    before = draw(st.integers(-3, 40))
    nudge = draw(
        st.one_of(
            st.just(0),
            st.integers(-90, 90),
            st.integers(0, length // MINUTE - 1),
        )
    )
    start_local = wall(anchor, tz) - before * length + nudge * MINUTE
    members = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4)))
    # Member changes effective at a random minute or exactly at a handoff instant.
    effective = st.one_of(
        st.integers(-2 * 1440, 2 * 1440).map(lambda m: anchor + m * MINUTE),
        st.integers(-4, 4).map(
            lambda j: rfc_instant(start_local + max(before + j, 0) * length, tz)
        ),
    )
    changes = sorted(
        draw(
            st.lists(
                st.tuples(effective, st.lists(st.integers(1, 5), min_size=1, max_size=3)),
                max_size=2,
            )
        )
    )
    windows = draw(
        st.one_of(
            st.just([]),
            st.lists(restriction_windows(), min_size=1, max_size=2),
        )
    )
    return Rotation(
        rid,
        start_local,
        length,
        members,
        tuple(MemberChange(instant, tuple(people)) for instant, people in changes),
        tuple(windows),
    )


@st.composite
def overrides(draw: st.DrawFn, anchor: datetime) -> tuple[Override, ...]:
    """Sorted non-overlapping overrides around the anchor (sometimes back to back)."""
    points = sorted(draw(st.sets(st.integers(-2 * 1440, 2 * 1440), max_size=6)))
    if len(points) % 2:
        points.pop()
    out = [
        Override(100 + i, draw(st.integers(1, 6)), anchor + a * MINUTE, anchor + b * MINUTE)
        for i, (a, b) in enumerate(zip(points[::2], points[1::2], strict=True))
    ]
    if out and draw(st.booleans()):  # one back-to-back override
        last = out[-1]
        out.append(Override(99, draw(st.integers(1, 6)), last.end, last.end + 90 * MINUTE))
    return tuple(out)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Rota, datetime, datetime]:
    """A rota of 0-3 rotations plus overrides, and a window of up to 2.5 days around an anchor."""
    tz, anchor = draw(anchors())
    count = draw(st.integers(0, 3))
    rots = tuple(draw(rotations(tz, anchor, rid)) for rid in range(1, count + 1))
    rota = Rota(7, tz, rots, draw(overrides(anchor)))
    since = anchor - draw(st.integers(0, 36 * 60)) * MINUTE - draw(st.integers(0, 59)) * MICRO
    until = since + draw(st.integers(1, 60 * 60)) * MINUTE
    return rota, since, until


# --------------------------------------------------------------------------- checks


def assert_well_formed(shifts: Sequence[Shift], since: datetime, until: datetime) -> None:
    """Contiguous, ascending, positive, UTC, exactly covering [since, until), maximally merged."""
    assert shifts
    assert shifts[0].start == since
    assert shifts[-1].end == until
    for shift in shifts:
        assert shift.start < shift.end, shift
        assert shift.start.tzinfo is UTC
        assert shift.end.tzinfo is UTC
        assert shift.source in ("rotation", "override", "gap")
        assert (shift.person_id is None) == (shift.source == "gap")
        assert (shift.override_id is not None) == (shift.source == "override")
        assert (shift.rotation_id is not None) == (shift.source == "rotation")
    for a, b in pairwise(shifts):
        assert a.end == b.start
        assert key(a) != key(b), (a, b)


def containing(shifts: Sequence[Shift], at: datetime) -> Shift:
    """The shift of a timeline whose [start, end) holds ``at``."""
    found = [s for s in shifts if s.start <= at < s.end]
    assert len(found) == 1
    return found[0]


def check_against_reference(rota: Rota, since: datetime, until: datetime) -> list[Shift]:
    """timeline equals the reference at every instant where anything can change."""
    shifts = timeline(rota, since, until)
    assert_well_formed(shifts, since, until)
    ref = Reference(rota, since, until)
    critical = sorted(ref.critical)
    for shift in shifts:
        inside = critical[bisect_right(critical, shift.start) : bisect_right(critical, shift.end)]
        for instant in [shift.start, *[c for c in inside if c < shift.end], shift.end - MICRO]:
            assert ref.at(instant) == key(shift), (instant, shift)
    by_id = {rotation.id: rotation for rotation in rota.rotations}
    for shift in shifts:
        if shift.source == "rotation":
            assert shift.scheduled_start is not None
            assert shift.scheduled_start <= shift.start
            rotation = by_id[shift.rotation_id]  # type: ignore[index]
            assert shift.scheduled_start in {i for i, _ in ref.handoffs[rotation.id]}
            if shift.start == shift.scheduled_start:
                # A handoff boundary sits exactly at its local wall-clock time (RFC rule).
                k = handoff_index(rotation, rota.tz, shift.start)
                assert k is not None
                local = rotation.start_local + k * rotation.shift_length
                assert shift.start == rfc_instant(local, rota.tz)
        elif shift.source == "override":
            (override,) = [o for o in rota.overrides if o.id == shift.override_id]
            assert shift.scheduled_start == override.start
        else:
            assert shift.scheduled_start is None
    return shifts


# --------------------------------------------------------------------------- properties


def test_transition_table_covers_every_change_2025_to_2035() -> None:
    """The anchors really are the zones' transitions: two a year where DST exists, none else."""
    for name in ("Europe/Paris", "America/New_York", "America/Havana", "Australia/Lord_Howe"):
        assert len(TRANSITIONS[name]) == 22, name
    assert len(TRANSITIONS["America/Santiago"]) >= 20
    assert len(TRANSITIONS["Africa/Casablanca"]) >= 20
    assert TRANSITIONS["Pacific/Apia"] == []
    assert TRANSITIONS["Asia/Kolkata"] == []
    assert datetime(2025, 3, 30, 1, tzinfo=UTC) in TRANSITIONS["Europe/Paris"]


@given(anchors(), st.integers(-4 * 60, 4 * 60), st.integers(0, 59))
@PROPERTY_SETTINGS
def test_to_utc_matches_reference(
    anchor: tuple[ZoneInfo, datetime], minutes: int, seconds: int
) -> None:
    """to_utc places any local time like the independent RFC 5545 reference."""
    tz, instant = anchor
    local = wall(instant, tz) + minutes * MINUTE + timedelta(seconds=seconds)
    assert to_utc(local, tz) == rfc_instant(local, tz)


@given(anchors(), st.data())
@PROPERTY_SETTINGS
def test_handoff_index_matches_walk(anchor: tuple[ZoneInfo, datetime], data: st.DataObject) -> None:
    """handoff_index equals walking every handoff from 0 and keeping the last one placed <= at."""
    tz, instant = anchor
    rotation = data.draw(rotations(tz, instant, 1))
    at = instant + data.draw(st.integers(-3 * 1440 * 60, 3 * 1440 * 60)) * timedelta(seconds=1)
    expected = None
    j = 0
    while (local := rotation.start_local + j * rotation.shift_length) <= wall(at, tz) + 2 * DAY:
        if rfc_instant(local, tz) <= at:
            expected = j
        j += 1
    assert handoff_index(rotation, tz, at) == expected


@given(scenarios())
@PROPERTY_SETTINGS
def test_timeline_matches_brute_force(scenario: tuple[Rota, datetime, datetime]) -> None:
    """timeline is well formed and equals the brute-force reference everywhere."""
    check_against_reference(*scenario)


@given(scenarios(), st.data())
@PROPERTY_SETTINGS
def test_on_call_at_and_next_change_agree_with_timeline(
    scenario: tuple[Rota, datetime, datetime], data: st.DataObject
) -> None:
    """The duty at any instant is the timeline's shift there, with its true unclipped bounds."""
    rota, since, until = scenario
    shifts = timeline(rota, since, until)
    boundaries = [s.start for s in shifts[1:]]
    at = data.draw(
        st.one_of(
            st.integers(0, (until - since) // MICRO - 1).map(lambda n: since + n * MICRO),
            st.sampled_from([since, *boundaries, *(b - MICRO for b in boundaries)]),
        )
    )
    expected = containing(shifts, at)
    shift = on_call_at(rota, at, HORIZON)
    assert key(shift) == key(expected)
    assert shift.start <= at < shift.end
    # HORIZON reaches past [since, until), so only the window can clip the timeline's copy.
    assert max(shift.start, since) == expected.start
    assert min(shift.end, until) == expected.end
    if shift.start >= since:
        assert shift.scheduled_start == expected.scheduled_start
        assert shift.rotation_id == expected.rotation_id
    # Exactly the merged shift of a timeline spanning the whole look-around.
    assert shift == containing(timeline(rota, at - HORIZON, at + HORIZON), at)
    change = next_change(rota, at, HORIZON)
    ahead = timeline(rota, at, at + HORIZON + MICRO)[0]
    assert change == (ahead.end if ahead.end <= at + HORIZON else None)
    if shift.end < at + HORIZON:
        assert change == shift.end
    else:
        assert change is None or change == at + HORIZON
        assert (change is None) == (key(on_call_at(rota, at + HORIZON, HORIZON)) == key(shift))


@given(scenarios())
@PROPERTY_SETTINGS
def test_overrides_win_exactly_inside_their_interval(
    scenario: tuple[Rota, datetime, datetime],
) -> None:
    """Each override is one shift covering exactly its interval (clipped), nothing else."""
    rota, since, until = scenario
    shifts = timeline(rota, since, until)
    for override in rota.overrides:
        lo, hi = max(override.start, since), min(override.end, until)
        if lo >= hi:
            continue
        overlapping = [s for s in shifts if s.start < hi and s.end > lo]
        assert len(overlapping) == 1
        (shift,) = overlapping
        assert (shift.start, shift.end) == (lo, hi)
        assert (shift.source, shift.person_id, shift.override_id) == (
            "override",
            override.person_id,
            override.id,
        )


@pytest.mark.parametrize("name", [n for n in ZONE_NAMES if TRANSITIONS[n]])
def test_every_transition_with_hourly_and_night_rotations(name: str) -> None:
    """At every 2025-2035 transition, hourly handoffs and 20:00→08:00 nights match the reference."""
    tz = ZONES[name]
    for transition in TRANSITIONS[name]:
        midnight = wall(transition, tz).replace(hour=0, minute=0) - 2 * DAY
        hourly = Rotation(1, midnight, HOUR, (1, 2, 3))
        halves = Rotation(2, midnight + 15 * MINUTE, 30 * MINUTE, (4, 5))
        every_night = (Window(frozenset(range(7)), time(20), time(8)),)
        nights = Rotation(3, midnight, DAY, (6, 7), windows=every_night)
        one_watch = Rotation(4, midnight, DAY, (8,), windows=every_night)
        since, until = transition - DAY, transition + DAY
        thirds = Rotation(5, midnight, 20 * MINUTE, tuple(range(1, 8)))
        thirds_late = Rotation(6, midnight + 5 * MINUTE, 20 * MINUTE, tuple(range(1, 8)))
        for rots in ((hourly,), (halves,), (thirds,), (thirds_late,), (hourly, nights)):
            check_against_reference(Rota(1, tz, rots), since, until)
        shifts = timeline(Rota(1, tz, (one_watch,)), since, until)
        for shift in shifts:
            if shift.source == "rotation" and since < shift.start and shift.end < until:
                night = wall(shift.start, tz).date()
                assert shift.start == rfc_instant(datetime.combine(night, time(20)), tz)
                assert shift.end == rfc_instant(datetime.combine(night + DAY, time(8)), tz)
