"""Table tests for rota.resolution: exact UTC instants worked out by hand from the tz rules."""

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from rota import resolution
from rota.resolution import (
    WEEKDAYS,
    MemberChange,
    Override,
    Rota,
    Rotation,
    Shift,
    Window,
    format_duration,
    format_weekdays,
    handoff_index,
    next_change,
    on_call_at,
    parse_duration,
    parse_weekdays,
    timeline,
    to_utc,
    weekday_number,
)

PARIS = ZoneInfo("Europe/Paris")
HAVANA = ZoneInfo("America/Havana")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
UTC_ZONE = ZoneInfo("UTC")

H = timedelta(hours=1)
D = timedelta(days=1)
MICRO = timedelta(microseconds=1)


def u(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Shorthand for an aware UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def loc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Shorthand for a naive local wall-clock time."""
    return datetime(year, month, day, hour, minute)  # noqa: DTZ001 - local wall clock on purpose


def rot(
    start_local: datetime,
    length: timedelta,
    members: Sequence[int],
    *,
    rid: int = 1,
    changes: Sequence[MemberChange] = (),
    windows: Sequence[Window] = (),
) -> Rotation:
    """Build a Rotation with defaults that keep the tables short."""
    return Rotation(rid, start_local, length, tuple(members), tuple(changes), tuple(windows))


def rota(tz: ZoneInfo, *rotations: Rotation, overrides: Sequence[Override] = ()) -> Rota:
    """Build a Rota with id 1."""
    return Rota(1, tz, rotations, tuple(overrides))


Row = tuple[datetime, datetime, int | None, str]


def rows(shifts: list[Shift]) -> list[Row]:
    """Reduce shifts to (start, end, person, source) for comparison with the tables."""
    return [(s.start, s.end, s.person_id, s.source) for s in shifts]


# --------------------------------------------------------------------------- placement


@pytest.mark.parametrize(
    ("tz", "local", "expected"),
    [
        (PARIS, loc(2025, 1, 15, 12), u(2025, 1, 15, 11)),
        (PARIS, loc(2025, 7, 15, 12), u(2025, 7, 15, 10)),
        (PARIS, loc(2025, 3, 30, 2, 30), u(2025, 3, 30, 1, 30)),
        (PARIS, loc(2025, 3, 30, 2, 0), u(2025, 3, 30, 1, 0)),
        (PARIS, loc(2025, 3, 30, 3, 0), u(2025, 3, 30, 1, 0)),
        (PARIS, loc(2025, 10, 26, 2, 30), u(2025, 10, 26, 0, 30)),
        (PARIS, loc(2025, 10, 26, 3, 0), u(2025, 10, 26, 2, 0)),
        (HAVANA, loc(2025, 3, 9, 0, 0), u(2025, 3, 9, 5)),
        (HAVANA, loc(2025, 11, 2, 0, 30), u(2025, 11, 2, 4, 30)),
        (LORD_HOWE, loc(2025, 10, 5, 2, 15), u(2025, 10, 4, 15, 45)),
        (LORD_HOWE, loc(2025, 4, 6, 1, 45), u(2025, 4, 5, 14, 45)),
    ],
    ids=[
        "paris-winter-is-plus-1",
        "paris-summer-is-plus-2",
        "skipped-0230-uses-offset-before-gap",
        "skipped-0200-gap-start-uses-offset-before",
        "gap-end-0300-is-new-offset",
        "repeated-0230-is-first-occurrence",
        "after-fold-0300-is-new-offset",
        "havana-skipped-midnight",
        "havana-repeated-0030-first",
        "lord-howe-skipped-0215-uses-plus-1030",
        "lord-howe-repeated-0145-first-is-plus-11",
    ],
)
def test_to_utc_follows_rfc5545(tz: ZoneInfo, local: datetime, expected: datetime) -> None:
    """to_utc places gap times with the offset before and repeated times at the first one."""
    got = to_utc(local, tz)
    assert got == expected
    assert got.tzinfo is UTC


def test_to_utc_rejects_aware_input() -> None:
    """A local wall-clock time must be naive: an aware one would be silently re-read."""
    with pytest.raises(ValueError, match="naive"):
        to_utc(u(2025, 1, 1), PARIS)


# --------------------------------------------------------------------------- timelines

TIMELINE_CASES: list[tuple[str, Rota, datetime, datetime, list[Row]]] = [
    (
        "spring-forward-night-shift",
        rota(PARIS, rot(loc(2025, 3, 29, 8), 12 * H, (1, 2))),
        u(2025, 3, 29, 7),
        u(2025, 3, 30, 18),
        [
            (u(2025, 3, 29, 7), u(2025, 3, 29, 19), 1, "rotation"),
            (u(2025, 3, 29, 19), u(2025, 3, 30, 6), 2, "rotation"),  # 20:00 CET -> 08:00 CEST
            (u(2025, 3, 30, 6), u(2025, 3, 30, 18), 1, "rotation"),
        ],
    ),
    (
        "fall-back-night-shift",
        rota(PARIS, rot(loc(2025, 10, 25, 8), 12 * H, (1, 2))),
        u(2025, 10, 25, 6),
        u(2025, 10, 26, 19),
        [
            (u(2025, 10, 25, 6), u(2025, 10, 25, 18), 1, "rotation"),
            (u(2025, 10, 25, 18), u(2025, 10, 26, 7), 2, "rotation"),  # 20:00 CEST -> 08:00 CET
            (u(2025, 10, 26, 7), u(2025, 10, 26, 19), 1, "rotation"),
        ],
    ),
    (
        "handoff-in-skipped-hour-uses-offset-before-gap",
        rota(PARIS, rot(loc(2025, 3, 28, 2, 30), D, (1, 2, 3))),
        u(2025, 3, 29),
        u(2025, 3, 31, 12),
        [
            (u(2025, 3, 29), u(2025, 3, 29, 1, 30), 1, "rotation"),
            (u(2025, 3, 29, 1, 30), u(2025, 3, 30, 1, 30), 2, "rotation"),
            (u(2025, 3, 30, 1, 30), u(2025, 3, 31, 0, 30), 3, "rotation"),  # 23 h
            (u(2025, 3, 31, 0, 30), u(2025, 3, 31, 12), 1, "rotation"),
        ],
    ),
    (
        "handoff-in-repeated-hour-is-first-occurrence",
        rota(PARIS, rot(loc(2025, 10, 25, 2, 30), D, (1, 2, 3))),
        u(2025, 10, 25, 0, 30),
        u(2025, 10, 27, 1, 30),
        [
            (u(2025, 10, 25, 0, 30), u(2025, 10, 26, 0, 30), 1, "rotation"),
            (u(2025, 10, 26, 0, 30), u(2025, 10, 27, 1, 30), 2, "rotation"),  # 25 h
        ],
    ),
    (
        "havana-midnight-transition",
        rota(HAVANA, rot(loc(2025, 3, 7), D, (1, 2, 3))),
        u(2025, 3, 8, 5),
        u(2025, 3, 10, 4),
        [
            (u(2025, 3, 8, 5), u(2025, 3, 9, 5), 2, "rotation"),  # 00:00 CST both ends
            (u(2025, 3, 9, 5), u(2025, 3, 10, 4), 3, "rotation"),  # skipped midnight, 23 h
        ],
    ),
    (
        "havana-fall-back-midnight-is-first-occurrence",
        rota(HAVANA, rot(loc(2025, 10, 31), D, (1, 2, 3))),
        u(2025, 11, 1, 4),
        u(2025, 11, 3, 5),
        [
            (u(2025, 11, 1, 4), u(2025, 11, 2, 4), 2, "rotation"),
            (u(2025, 11, 2, 4), u(2025, 11, 3, 5), 3, "rotation"),  # 25 h
        ],
    ),
    (
        "lord-howe-30-minute-change",
        rota(LORD_HOWE, rot(loc(2025, 10, 3, 2), D, (1, 2, 3))),
        u(2025, 10, 3, 15, 30),
        u(2025, 10, 5, 15),
        [
            (u(2025, 10, 3, 15, 30), u(2025, 10, 4, 15, 30), 2, "rotation"),
            (u(2025, 10, 4, 15, 30), u(2025, 10, 5, 15), 3, "rotation"),  # 23.5 h
        ],
    ),
    (
        "lord-howe-repeated-half-hour-is-first-occurrence",
        rota(LORD_HOWE, rot(loc(2025, 4, 5, 1, 45), D, (1, 2))),
        u(2025, 4, 4, 14, 45),
        u(2025, 4, 6, 15, 15),
        [
            (u(2025, 4, 4, 14, 45), u(2025, 4, 5, 14, 45), 1, "rotation"),
            (u(2025, 4, 5, 14, 45), u(2025, 4, 6, 15, 15), 2, "rotation"),  # 24.5 h
        ],
    ),
    (
        "weekly-monday-0900-handoff",
        rota(PARIS, rot(loc(2025, 3, 17, 9), 7 * D, (1, 2))),
        u(2025, 3, 24, 8),
        u(2025, 4, 7, 7),
        [
            (u(2025, 3, 24, 8), u(2025, 3, 31, 7), 2, "rotation"),  # 167 h
            (u(2025, 3, 31, 7), u(2025, 4, 7, 7), 1, "rotation"),
        ],
    ),
    (
        "restriction-window-crossing-midnight",
        rota(
            PARIS,
            rot(loc(2025, 3, 1), 7 * D, (1,), rid=1),
            rot(
                loc(2025, 3, 1),
                D,
                (2,),
                rid=2,
                windows=[Window(frozenset({4}), time(18), time(8))],
            ),
        ),
        u(2025, 3, 20, 12),
        u(2025, 3, 23, 12),
        [
            (u(2025, 3, 20, 12), u(2025, 3, 21, 17), 1, "rotation"),
            (u(2025, 3, 21, 17), u(2025, 3, 22, 7), 2, "rotation"),  # Fri 18:00 -> Sat 08:00
            (u(2025, 3, 22, 7), u(2025, 3, 23, 12), 1, "rotation"),
        ],
    ),
    (
        "window-opened-yesterday-covers-start-of-today",
        rota(
            PARIS,
            rot(loc(2025, 3, 1), D, (2,), windows=[Window(frozenset({4}), time(18), time(8))]),
        ),
        u(2025, 3, 22, 2),
        u(2025, 3, 22, 12),
        [
            (u(2025, 3, 22, 2), u(2025, 3, 22, 7), 2, "rotation"),  # Fri 18:00 -> Sat 08:00
            (u(2025, 3, 22, 7), u(2025, 3, 22, 12), None, "gap"),
        ],
    ),
    (
        "restriction-window-over-spring-forward-is-11h",
        rota(
            PARIS,
            rot(loc(2025, 3, 1), D, (2,), windows=[Window(frozenset({5}), time(20), time(8))]),
        ),
        u(2025, 3, 29, 12),
        u(2025, 3, 30, 12),
        [
            (u(2025, 3, 29, 12), u(2025, 3, 29, 19), None, "gap"),
            (u(2025, 3, 29, 19), u(2025, 3, 30, 6), 2, "rotation"),
            (u(2025, 3, 30, 6), u(2025, 3, 30, 12), None, "gap"),
        ],
    ),
    (
        "window-from-equals-to-is-24h",
        rota(
            PARIS,
            rot(loc(2025, 3, 1), D, (3,), windows=[Window(frozenset({2}), time(9), time(9))]),
        ),
        u(2025, 3, 25),
        u(2025, 3, 28),
        [
            (u(2025, 3, 25), u(2025, 3, 26, 8), None, "gap"),
            (u(2025, 3, 26, 8), u(2025, 3, 27, 8), 3, "rotation"),  # Wed 09:00 -> Thu 09:00
            (u(2025, 3, 27, 8), u(2025, 3, 28), None, "gap"),
        ],
    ),
    (
        "overlapping-windows-are-a-union",
        rota(
            UTC_ZONE,
            rot(
                loc(2025, 3, 1),
                D,
                (4,),
                windows=[
                    Window(frozenset({0}), time(8), time(12)),
                    Window(frozenset({0}), time(10), time(14)),
                ],
            ),
        ),
        u(2025, 3, 3),
        u(2025, 3, 4),
        [
            (u(2025, 3, 3), u(2025, 3, 3, 8), None, "gap"),
            (u(2025, 3, 3, 8), u(2025, 3, 3, 14), 4, "rotation"),
            (u(2025, 3, 3, 14), u(2025, 3, 4), None, "gap"),
        ],
    ),
    (
        "later-rotation-wins",
        rota(
            PARIS,
            rot(loc(2025, 1, 1), D, (1,), rid=1),
            rot(loc(2025, 3, 10, 12), D, (2,), rid=2),
        ),
        u(2025, 3, 10),
        u(2025, 3, 11),
        [
            (u(2025, 3, 10), u(2025, 3, 10, 11), 1, "rotation"),
            (u(2025, 3, 10, 11), u(2025, 3, 11), 2, "rotation"),
        ],
    ),
    (
        "rota-order-not-start-date-decides",
        rota(
            PARIS,
            rot(loc(2025, 3, 10, 12), D, (2,), rid=2),
            rot(loc(2025, 1, 1), D, (1,), rid=1),
        ),
        u(2025, 3, 10),
        u(2025, 3, 11),
        [(u(2025, 3, 10), u(2025, 3, 11), 1, "rotation")],
    ),
    (
        "override-wins-exactly-inside-interval",
        rota(
            PARIS,
            rot(loc(2025, 1, 1), D, (1,)),
            overrides=[Override(7, 9, u(2025, 3, 10, 10), u(2025, 3, 10, 14))],
        ),
        u(2025, 3, 10),
        u(2025, 3, 11),
        [
            (u(2025, 3, 10), u(2025, 3, 10, 10), 1, "rotation"),
            (u(2025, 3, 10, 10), u(2025, 3, 10, 14), 9, "override"),
            (u(2025, 3, 10, 14), u(2025, 3, 11), 1, "rotation"),
        ],
    ),
    (
        "override-by-the-rostered-person-stays-a-separate-duty",
        rota(
            UTC_ZONE,
            rot(loc(2025, 1, 1), D, (1,)),
            overrides=[Override(7, 1, u(2025, 3, 10, 10), u(2025, 3, 10, 14))],
        ),
        u(2025, 3, 10),
        u(2025, 3, 11),
        [
            (u(2025, 3, 10), u(2025, 3, 10, 10), 1, "rotation"),
            (u(2025, 3, 10, 10), u(2025, 3, 10, 14), 1, "override"),
            (u(2025, 3, 10, 14), u(2025, 3, 11), 1, "rotation"),
        ],
    ),
    (
        "override-fills-a-gap-and-back-to-back-overrides-stay-apart",
        rota(
            UTC_ZONE,
            overrides=[
                Override(1, 5, u(2025, 3, 10, 2), u(2025, 3, 10, 4)),
                Override(2, 5, u(2025, 3, 10, 4), u(2025, 3, 10, 6)),
            ],
        ),
        u(2025, 3, 10),
        u(2025, 3, 10, 8),
        [
            (u(2025, 3, 10), u(2025, 3, 10, 2), None, "gap"),
            (u(2025, 3, 10, 2), u(2025, 3, 10, 4), 5, "override"),
            (u(2025, 3, 10, 4), u(2025, 3, 10, 6), 5, "override"),
            (u(2025, 3, 10, 6), u(2025, 3, 10, 8), None, "gap"),
        ],
    ),
    (
        "member-change-applies-from-effective-date-without-rewriting-past",
        rota(
            UTC_ZONE,
            rot(
                loc(2025, 3, 1),
                D,
                (1, 2, 3),
                changes=[MemberChange(u(2025, 3, 5), (7, 8))],
            ),
        ),
        u(2025, 3, 3),
        u(2025, 3, 8),
        [
            (u(2025, 3, 3), u(2025, 3, 4), 3, "rotation"),  # k=2 under (1, 2, 3)
            (u(2025, 3, 4), u(2025, 3, 5), 1, "rotation"),  # k=3
            (u(2025, 3, 5), u(2025, 3, 6), 7, "rotation"),  # k=4 -> (7, 8)[0]
            (u(2025, 3, 6), u(2025, 3, 7), 8, "rotation"),
            (u(2025, 3, 7), u(2025, 3, 8), 7, "rotation"),
        ],
    ),
    (
        "member-change-mid-shift-waits-for-next-handoff",
        rota(
            UTC_ZONE,
            rot(
                loc(2025, 3, 1),
                D,
                (1, 2, 3),
                changes=[MemberChange(u(2025, 3, 5, 12), (7, 8))],
            ),
        ),
        u(2025, 3, 5),
        u(2025, 3, 7),
        [
            (u(2025, 3, 5), u(2025, 3, 6), 2, "rotation"),  # k=4 still (1, 2, 3)
            (u(2025, 3, 6), u(2025, 3, 7), 8, "rotation"),  # k=5 -> (7, 8)[1]
        ],
    ),
    (
        "one-member-rotation-is-one-duty",
        rota(PARIS, rot(loc(2025, 3, 1), 12 * H, (5,))),
        u(2025, 3, 2),
        u(2025, 4, 2),
        [(u(2025, 3, 2), u(2025, 4, 2), 5, "rotation")],
    ),
    (
        "same-person-twice-in-a-row-is-one-duty",
        rota(UTC_ZONE, rot(loc(2025, 3, 1), D, (1, 1, 2))),
        u(2025, 3, 1),
        u(2025, 3, 5),
        [
            (u(2025, 3, 1), u(2025, 3, 3), 1, "rotation"),
            (u(2025, 3, 3), u(2025, 3, 4), 2, "rotation"),
            (u(2025, 3, 4), u(2025, 3, 5), 1, "rotation"),
        ],
    ),
    (
        "before-first-handoff-is-gap",
        rota(PARIS, rot(loc(2025, 3, 10, 12), D, (1, 2))),
        u(2025, 3, 10),
        u(2025, 3, 11),
        [
            (u(2025, 3, 10), u(2025, 3, 10, 11), None, "gap"),
            (u(2025, 3, 10, 11), u(2025, 3, 11), 1, "rotation"),
        ],
    ),
    (
        "empty-rota-is-one-gap",
        rota(PARIS),
        u(2025, 3, 10),
        u(2025, 3, 11),
        [(u(2025, 3, 10), u(2025, 3, 11), None, "gap")],
    ),
    (
        "zero-length-shifts-dropped",
        rota(PARIS, rot(loc(2025, 3, 30), H, (1, 2, 3))),
        u(2025, 3, 29, 23),
        u(2025, 3, 30, 3),
        [
            (u(2025, 3, 29, 23), u(2025, 3, 30, 0), 1, "rotation"),
            (u(2025, 3, 30, 0), u(2025, 3, 30, 1), 2, "rotation"),
            # 02:00 (person 3) and 03:00 (person 1) both land on 01:00Z: 3 never serves
            (u(2025, 3, 30, 1), u(2025, 3, 30, 2), 1, "rotation"),
            (u(2025, 3, 30, 2), u(2025, 3, 30, 3), 2, "rotation"),
        ],
    ),
    (
        "handoffs-overtaken-in-gap-never-negative",
        rota(PARIS, rot(loc(2025, 3, 30), 30 * timedelta(minutes=1), (1, 2, 3, 4, 5, 6, 7, 8))),
        u(2025, 3, 30, 0, 30),
        u(2025, 3, 30, 2, 30),
        [
            (u(2025, 3, 30, 0, 30), u(2025, 3, 30, 1), 4, "rotation"),
            # 02:00 -> 01:00Z, 02:30 -> 01:30Z, 03:00 -> 01:00Z, 03:30 -> 01:30Z
            (u(2025, 3, 30, 1), u(2025, 3, 30, 1, 30), 7, "rotation"),
            (u(2025, 3, 30, 1, 30), u(2025, 3, 30, 2), 8, "rotation"),
            (u(2025, 3, 30, 2), u(2025, 3, 30, 2, 30), 1, "rotation"),
        ],
    ),
    (
        "twenty-minute-handoffs-all-overtaken-by-0300",
        rota(PARIS, rot(loc(2025, 3, 30), 20 * timedelta(minutes=1), tuple(range(1, 10)))),
        u(2025, 3, 30, 0, 40),
        u(2025, 3, 30, 2, 20),
        [
            (u(2025, 3, 30, 0, 40), u(2025, 3, 30, 1), 6, "rotation"),  # k=5, 01:40 CET
            # 02:00, 02:20, 02:40 (k=6..8) land at 01:00/01:20/01:40Z, 03:00 (k=9) at 01:00Z
            (u(2025, 3, 30, 1), u(2025, 3, 30, 1, 20), 1, "rotation"),  # k=9
            (u(2025, 3, 30, 1, 20), u(2025, 3, 30, 1, 40), 2, "rotation"),  # k=10
            (u(2025, 3, 30, 1, 40), u(2025, 3, 30, 2), 3, "rotation"),  # k=11
            (u(2025, 3, 30, 2), u(2025, 3, 30, 2, 20), 4, "rotation"),  # k=12, 04:00 CEST
        ],
    ),
]


@pytest.mark.parametrize(
    ("the_rota", "since", "until", "expected"),
    [case[1:] for case in TIMELINE_CASES],
    ids=[case[0] for case in TIMELINE_CASES],
)
def test_timeline(the_rota: Rota, since: datetime, until: datetime, expected: list[Row]) -> None:
    """timeline gives exactly the hand-computed UTC shifts."""
    got = timeline(the_rota, since, until)
    assert rows(got) == expected
    assert all(s.start.tzinfo is UTC and s.end.tzinfo is UTC for s in got)


@pytest.mark.parametrize(
    ("the_rota", "since", "until", "expected"),
    [case[1:] for case in TIMELINE_CASES],
    ids=[case[0] for case in TIMELINE_CASES],
)
def test_on_call_at_agrees_with_timeline_tables(
    the_rota: Rota, since: datetime, until: datetime, expected: list[Row]
) -> None:
    """on_call_at at the first instant and just before the end of every row gives that row."""
    for start, end, person, source in expected:
        for instant in (start, end - MICRO):
            shift = on_call_at(the_rota, instant, horizon=timedelta(days=60))
            assert (shift.person_id, shift.source) == (person, source)
            assert shift.start <= start
            assert shift.end >= end
            if start > since:
                assert shift.start == start
            if end < until:
                assert shift.end == end


def test_override_ids_and_scheduled_starts() -> None:
    """Overrides carry their id and start; rotation pieces keep their handoff as identity."""
    the_rota = rota(
        PARIS,
        rot(loc(2025, 3, 9, 9), D, (1, 2), rid=4),
        overrides=[Override(7, 9, u(2025, 3, 10, 10), u(2025, 3, 10, 14))],
    )
    got = timeline(the_rota, u(2025, 3, 10, 11), u(2025, 3, 11, 12))
    assert got == [
        Shift(u(2025, 3, 10, 11), u(2025, 3, 10, 14), 9, "override", None, 7, u(2025, 3, 10, 10)),
        Shift(u(2025, 3, 10, 14), u(2025, 3, 11, 8), 2, "rotation", 4, None, u(2025, 3, 10, 8)),
        Shift(u(2025, 3, 11, 8), u(2025, 3, 11, 12), 1, "rotation", 4, None, u(2025, 3, 11, 8)),
    ]


def test_merged_duty_keeps_first_handoff_as_scheduled_start() -> None:
    """A one-member rotation is one duty whose identity is its first handoff."""
    the_rota = rota(PARIS, rot(loc(2025, 3, 1, 9), D, (5,), rid=3))
    shift = on_call_at(the_rota, u(2025, 3, 20), horizon=timedelta(days=60))
    assert shift == Shift(
        u(2025, 3, 1, 8), u(2025, 5, 19), 5, "rotation", 3, None, u(2025, 3, 1, 8)
    )


def test_timeline_of_empty_window_is_empty() -> None:
    """since == until covers nothing."""
    assert timeline(rota(PARIS), u(2025, 1, 1), u(2025, 1, 1)) == []


def test_timeline_converts_any_aware_zone_to_utc() -> None:
    """Bounds given in another zone still produce UTC shifts at the same instants."""
    since = datetime(2025, 3, 10, 12, tzinfo=PARIS)
    got = timeline(rota(PARIS), since, since + H)
    assert rows(got) == [(u(2025, 3, 10, 11), u(2025, 3, 10, 12), None, "gap")]


# --------------------------------------------------------------------------- instants


def test_half_open_at_handoff_instant_belongs_to_next() -> None:
    """At the exact handoff instant the next person is on duty; a microsecond before, not."""
    the_rota = rota(PARIS, rot(loc(2025, 3, 29, 8), 12 * H, (1, 2)))
    handoff = u(2025, 3, 29, 19)
    assert on_call_at(the_rota, handoff).person_id == 2
    assert on_call_at(the_rota, handoff - MICRO).person_id == 1
    assert next_change(the_rota, handoff - MICRO) == handoff
    assert next_change(the_rota, handoff) == u(2025, 3, 30, 6)
    assert handoff_index(the_rota.rotations[0], PARIS, handoff) == 1
    assert handoff_index(the_rota.rotations[0], PARIS, handoff - MICRO) == 0


@pytest.mark.parametrize(
    ("rotation", "tz", "at", "expected"),
    [
        (rot(loc(2025, 3, 10, 12), D, (1,)), PARIS, u(2025, 3, 10, 10, 59), None),
        (rot(loc(2025, 3, 10, 12), D, (1,)), PARIS, u(2025, 3, 10, 11), 0),
        (rot(loc(2025, 3, 30), 30 * timedelta(minutes=1), (1,)), PARIS, u(2025, 3, 30, 1, 10), 6),
        (rot(loc(2025, 3, 30), 30 * timedelta(minutes=1), (1,)), PARIS, u(2025, 3, 30, 1, 30), 7),
        (rot(loc(2025, 10, 26), H, (1,)), PARIS, u(2025, 10, 26, 0, 30), 2),
        (rot(loc(2025, 10, 26), H, (1,)), PARIS, u(2025, 10, 26, 1, 30), 2),
        (rot(loc(2025, 10, 26), H, (1,)), PARIS, u(2025, 10, 26, 2, 0), 3),
        (rot(loc(2015, 1, 5, 9), 7 * D, (1,)), PARIS, u(2025, 1, 6, 8), 522),
    ],
    ids=[
        "before-first-handoff-is-none",
        "first-handoff-instant-is-zero",
        "inside-gap-later-handoff-overtakes",
        "gap-handoffs-land-on-same-instant-later-wins",
        "first-pass-of-repeated-hour",
        "second-pass-of-repeated-hour-keeps-02h-shift",
        "after-repeated-hour",
        "ten-years-of-weekly-handoffs",
    ],
)
def test_handoff_index(
    rotation: Rotation, tz: ZoneInfo, at: datetime, expected: int | None
) -> None:
    """handoff_index returns the hand-computed k (largest handoff already placed at or before)."""
    assert handoff_index(rotation, tz, at) == expected


def test_on_call_at_clips_at_horizon_and_next_change_is_none() -> None:
    """A duty longer than the horizon is clipped there, and next_change cannot see its end."""
    the_rota = rota(PARIS, rot(loc(2025, 1, 1), D, (5,)))
    at = u(2025, 6, 1)
    shift = on_call_at(the_rota, at, horizon=timedelta(days=10))
    assert (shift.start, shift.end) == (at - 10 * D, at + 10 * D)
    assert next_change(the_rota, at, horizon=timedelta(days=10)) is None


def test_next_change_exactly_at_horizon_is_reported() -> None:
    """A real boundary exactly at at + horizon is a change, not a clip."""
    the_rota = rota(UTC_ZONE, rot(loc(2025, 1, 1), D, (1, 2)))
    at = u(2025, 1, 1, 6)
    assert next_change(the_rota, at, horizon=18 * H) == u(2025, 1, 2)
    assert next_change(the_rota, at, horizon=18 * H - MICRO) is None


def test_next_change_sees_window_closing() -> None:
    """Inside a restriction window the next change is the window's local closing time."""
    the_rota = rota(
        PARIS,
        rot(loc(2025, 3, 1), 7 * D, (2,), windows=[Window(frozenset({5}), time(20), time(8))]),
    )
    assert next_change(the_rota, u(2025, 3, 29, 22)) == u(2025, 3, 30, 6)
    assert on_call_at(the_rota, u(2025, 3, 30, 6)).source == "gap"
    assert next_change(the_rota, u(2025, 3, 30, 6)) == u(2025, 4, 5, 18)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "call",
    [
        lambda: timeline(rota(PARIS), datetime(2025, 1, 1), u(2025, 1, 2)),  # noqa: DTZ001
        lambda: timeline(rota(PARIS), u(2025, 1, 1), datetime(2025, 1, 2)),  # noqa: DTZ001
        lambda: on_call_at(rota(PARIS), datetime(2025, 1, 1)),  # noqa: DTZ001
        lambda: next_change(rota(PARIS), datetime(2025, 1, 1)),  # noqa: DTZ001
        lambda: handoff_index(rot(loc(2025, 1, 1), D, (1,)), PARIS, datetime(2025, 1, 1)),  # noqa: DTZ001
        lambda: timeline(rota(PARIS), u(2025, 1, 2), u(2025, 1, 1)),
        lambda: on_call_at(rota(PARIS), u(2025, 1, 1), horizon=timedelta(0)),
        lambda: rot(loc(2025, 1, 1), timedelta(0), (1,)),
        lambda: rot(loc(2025, 1, 1), D, ()),
        lambda: rot(u(2025, 1, 1), D, (1,)),
        lambda: rot(
            loc(2025, 1, 1),
            D,
            (1,),
            changes=[MemberChange(u(2025, 2, 1), (2,)), MemberChange(u(2025, 1, 1), (3,))],
        ),
        lambda: MemberChange(datetime(2025, 1, 1), (1,)),  # noqa: DTZ001
        lambda: Override(1, 1, u(2025, 1, 2), u(2025, 1, 1)),
        lambda: Rota(
            1,
            PARIS,
            (),
            (
                Override(1, 1, u(2025, 1, 1), u(2025, 1, 3)),
                Override(2, 1, u(2025, 1, 2), u(2025, 1, 4)),
            ),
        ),
        lambda: Window(frozenset({7}), time(8), time(9)),
        lambda: Window(frozenset(), time(8), time(9)),
    ],
    ids=[
        "naive-since",
        "naive-until",
        "naive-on-call-at",
        "naive-next-change",
        "naive-handoff-index",
        "until-before-since",
        "zero-horizon",
        "zero-shift-length",
        "no-members",
        "aware-start-local",
        "unsorted-member-changes",
        "naive-member-change",
        "override-ends-before-start",
        "overlapping-overrides",
        "weekday-out-of-range",
        "window-without-weekday",
    ],
)
def test_invalid_input_raises_value_error(call: object) -> None:
    """Bad input fails loudly instead of resolving to a wrong duty."""
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


# --------------------------------------------------------------------------- cost


@pytest.fixture
def count_to_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Count calls of resolution.to_utc (every handoff and window placement goes through it)."""
    calls = [0]
    real = resolution.to_utc

    def counting(local: datetime, tz: ZoneInfo) -> datetime:
        """Delegate and count."""
        calls[0] += 1
        return real(local, tz)

    monkeypatch.setattr(resolution, "to_utc", counting)
    yield calls


def test_handoff_index_ten_years_later_does_not_walk_history(count_to_utc: list[int]) -> None:
    """k ~ 100 000 hourly handoffs is found with a handful of placements, same as k ~ 100."""
    rotation = rot(loc(2025, 1, 1), H, (1, 2, 3))
    near = handoff_index(rotation, PARIS, u(2025, 1, 5, 12, 30))
    near_calls = count_to_utc[0]
    count_to_utc[0] = 0
    far = handoff_index(rotation, PARIS, u(2036, 6, 1, 12, 30))
    assert near == 24 * 4 + 13
    assert far is not None
    assert far > 100_000
    assert count_to_utc[0] <= 4
    assert count_to_utc[0] == near_calls
    assert to_utc(rotation.start_local + far * H, PARIS) <= u(2036, 6, 1, 12, 30)
    assert to_utc(rotation.start_local + (far + 1) * H, PARIS) > u(2036, 6, 1, 12, 30)


def test_timeline_cost_does_not_grow_with_history(count_to_utc: list[int]) -> None:
    """One day of hourly shifts costs the same placements 1 week or 10 years after start."""
    rotation = rot(loc(2025, 1, 1), H, (1, 2, 3))
    the_rota = rota(PARIS, rotation)
    timeline(the_rota, u(2025, 1, 8), u(2025, 1, 9))
    near_calls = count_to_utc[0]
    count_to_utc[0] = 0
    timeline(the_rota, u(2035, 1, 8), u(2035, 1, 9))
    assert count_to_utc[0] == near_calls
    assert near_calls <= 24 + 6


class CountingOverrides(Sequence[Override]):
    """A sequence that counts element reads, to prove overrides are found by bisect."""

    def __init__(self, items: tuple[Override, ...]) -> None:
        """Wrap the overrides."""
        self.items = items
        self.reads = 0

    def __len__(self) -> int:
        """Length without reading elements."""
        return len(self.items)

    def __getitem__(self, index: int) -> Override:  # type: ignore[override]
        """Count each element read."""
        self.reads += 1
        return self.items[index]


def test_overrides_outside_window_are_not_scanned() -> None:
    """With 100 000 overrides, resolving one day reads O(log n) of them, not all."""
    base = u(2020, 1, 1)
    many = tuple(
        Override(i, 100 + i % 7, base + i * 2 * H, base + i * 2 * H + H) for i in range(100_000)
    )
    counting = CountingOverrides(many)
    the_rota = rota(UTC_ZONE, rot(loc(2019, 1, 1), D, (1,)))
    object.__setattr__(the_rota, "overrides", counting)  # bypass tuple coercion to count reads
    got = timeline(the_rota, u(2025, 1, 1), u(2025, 1, 2))
    assert counting.reads <= 60
    assert sum(1 for s in got if s.source == "override") == 12
    counting.reads = 0
    on_call_at(the_rota, u(2025, 1, 1, 0, 30))
    assert counting.reads <= 200


# --------------------------------------------------------------------------- text forms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT12H", 12 * H),
        ("P1D", D),
        ("P7D", 7 * D),
        ("P14D", 14 * D),
        ("P2W", 14 * D),
        ("P1DT12H", 36 * H),
        ("PT30M", timedelta(minutes=30)),
        ("PT90S", timedelta(seconds=90)),
        ("  pt8h ", 8 * H),
        ("P1W2DT3H4M5S", timedelta(days=9, hours=3, minutes=4, seconds=5)),
    ],
    ids=[
        "twelve-hours",
        "one-day",
        "one-week-as-days",
        "two-weeks-as-days",
        "two-weeks",
        "day-and-a-half",
        "half-hour",
        "seconds",
        "lowercase-and-spaces",
        "every-unit",
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    """Wall-clock ISO 8601 units parse to the matching timedelta."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("P1M", "months and years are not supported: use days"),
        ("P1Y", "months and years are not supported: use days"),
        ("P1Y2M3D", "months and years are not supported: use days"),
        ("P1MT12H", "months and years are not supported: use days"),
        ("PT0S", "longer than zero"),
        ("P0D", "longer than zero"),
        ("", "expected ISO 8601"),
        ("P", "expected ISO 8601"),
        ("PT", "expected ISO 8601"),
        ("12H", "expected ISO 8601"),
        ("PT1.5H", "expected ISO 8601"),
        ("-P1D", "expected ISO 8601"),
        ("P1H", "expected ISO 8601"),
        ("one day", "expected ISO 8601"),
    ],
    ids=[
        "months",
        "years",
        "years-months-days",
        "months-with-time",
        "zero-seconds",
        "zero-days",
        "empty",
        "bare-p",
        "bare-pt",
        "missing-p",
        "fraction",
        "negative",
        "hours-without-t",
        "garbage",
    ],
)
def test_parse_duration_rejects(text: str, message: str) -> None:
    """Calendar units, zero and garbage are refused with a message saying why."""
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (12 * H, "PT12H"),
        (D, "P1D"),
        (7 * D, "P7D"),
        (14 * D, "P14D"),
        (36 * H, "P1DT12H"),
        (timedelta(minutes=30), "PT30M"),
        (timedelta(hours=1, minutes=2, seconds=3), "PT1H2M3S"),
    ],
    ids=["pt12h", "p1d", "p7d", "p14d", "p1dt12h", "pt30m", "pt1h2m3s"],
)
def test_format_duration_round_trips(duration: timedelta, text: str) -> None:
    """format_duration is canonical and parse_duration inverts it."""
    assert format_duration(duration) == text
    assert parse_duration(text) == duration


@pytest.mark.parametrize(
    "duration",
    [timedelta(0), -H, timedelta(milliseconds=1500)],
    ids=["zero", "negative", "sub-second"],
)
def test_format_duration_rejects(duration: timedelta) -> None:
    """Only positive whole-second durations have a form parse_duration accepts."""
    with pytest.raises(ValueError):
        format_duration(duration)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon", {0}),
        ("Mon, Wed ,FRI", {0, 2, 4}),
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("fri-mon", {4, 5, 6, 0}),
        ("sat sun", {5, 6}),
        ("sun-sun", {6}),
        (["sat", "Sun"], {5, 6}),
        ([0, 6], {0, 6}),
        (WEEKDAYS, set(range(7))),
    ],
    ids=[
        "single",
        "list-any-case",
        "range",
        "range-wraps-over-weekend",
        "spaces",
        "one-day-range",
        "list-of-names",
        "list-of-numbers",
        "all-names",
    ],
)
def test_parse_weekdays(text: str | Sequence[str | int], expected: set[int]) -> None:
    """Day names and ranges map to 0=Monday … 6=Sunday."""
    assert parse_weekdays(text) == frozenset(expected)


@pytest.mark.parametrize(
    "text",
    ["", "monday", "mon-funday", "xyz", [7], [None], []],
    ids=["empty", "long", "bad-range", "bad", "number-out-of-range", "not-a-name", "empty-list"],
)
def test_parse_weekdays_rejects(text: object) -> None:
    """Unknown names and empty lists are refused."""
    with pytest.raises(ValueError):
        parse_weekdays(text)  # type: ignore[arg-type]


def test_weekday_names_round_trip() -> None:
    """format_weekdays inverts parse_weekdays and names follow WEEKDAYS."""
    assert format_weekdays({4, 0, 2}) == "mon,wed,fri"
    assert parse_weekdays(format_weekdays(range(7))) == frozenset(range(7))
    assert [weekday_number(name) for name in WEEKDAYS] == list(range(7))
