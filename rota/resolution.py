"""Pure rota resolution: rotations, restriction windows and overrides in, UTC shifts out.

Everything here is standard library only and free of clocks, I/O and frameworks, so the
same inputs always give the same shifts.  Wall-clock quantities (``start_local``,
``shift_length``, window times) live in the rota's zone; every instant handed back is an
aware ``datetime`` in UTC.

Placement rule (RFC 5545 §3.3.5): a local time inside a skipped hour is read with the UTC
offset from before the gap, a repeated local time means its first occurrence.  This is
``local.replace(tzinfo=tz, fold=0)`` with :mod:`zoneinfo`, see :func:`to_utc`.

Because of that rule, handoff instants ``h(k) = to_utc(start_local + k * shift_length)``
are not always increasing: inside a DST gap a later local time can land *earlier* in UTC
(PT30M shifts: 02:30 -> 01:30Z but 03:00 -> 01:00Z in Paris).  Shift ``k`` therefore
really starts at ``E(k) = min(h(j) for j >= k)``: the person on duty at an instant is the
one of the latest-numbered handoff already placed at or before it.  ``E`` never decreases,
so shifts are never negative; a handoff overtaken this way yields a zero-length shift, which
is dropped.  A non-empty shift always starts exactly at its own ``h(k)``.
"""

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from operator import attrgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

__all__ = [
    "SOURCE_GAP",
    "SOURCE_OVERRIDE",
    "SOURCE_ROTATION",
    "WEEKDAYS",
    "MemberChange",
    "Override",
    "Rota",
    "Rotation",
    "Shift",
    "Window",
    "format_duration",
    "format_weekdays",
    "handoff_index",
    "handoff_instant",
    "next_change",
    "on_call_at",
    "parse_duration",
    "parse_weekdays",
    "timeline",
    "to_utc",
    "weekday_number",
]

SOURCE_ROTATION = "rotation"
SOURCE_OVERRIDE = "override"
SOURCE_GAP = "gap"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_ONE_DAY = timedelta(days=1)
_ONE_MICROSECOND = timedelta(microseconds=1)
_DEFAULT_HORIZON = timedelta(days=35)


def _is_aware(value: datetime) -> bool:
    """Tell whether a datetime pins an instant (has a usable UTC offset)."""
    return value.tzinfo is not None and value.utcoffset() is not None


def _aware_utc(name: str, value: datetime) -> datetime:
    """Reject naive instants (their zone would be a guess) and normalise to UTC."""
    if not isinstance(value, datetime) or not _is_aware(value):
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


# --------------------------------------------------------------------------- data model


@dataclass(frozen=True)
class Window:
    """A weekly restriction window in the rota's local wall-clock time."""

    weekdays: frozenset[int]  # 0=Monday … 6=Sunday: local day on which the window STARTS
    from_local: time  # local wall-clock opening time
    to_local: time  # <= from_local: ends next day; equal: 24 h

    def __post_init__(self) -> None:
        """Coerce weekdays to a frozenset and reject values that cannot be a week day."""
        days = frozenset(self.weekdays)
        if not days:
            raise ValueError("a window needs at least one weekday")
        if any(not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in days):
            raise ValueError(f"weekdays must be integers 0 (Monday) to 6 (Sunday), got {days!r}")
        if self.from_local.tzinfo is not None or self.to_local.tzinfo is not None:
            raise ValueError("window times are local wall-clock times and must be naive")
        object.__setattr__(self, "weekdays", days)


@dataclass(frozen=True)
class MemberChange:
    """A new member list for shifts whose handoff instant is at or after ``effective_at``."""

    effective_at: datetime  # aware
    members: tuple[int, ...]

    def __post_init__(self) -> None:
        """Coerce members to a tuple; refuse naive instants and empty lists."""
        object.__setattr__(self, "members", tuple(self.members))
        if not _is_aware(self.effective_at):
            raise ValueError("MemberChange.effective_at must be timezone-aware")
        if not self.members:
            raise ValueError("MemberChange.members must not be empty")


@dataclass(frozen=True)
class Rotation:
    """People taking turns, handing off every ``shift_length`` of local wall-clock time."""

    id: int
    start_local: datetime  # naive local wall-clock date-time of handoff number 0
    shift_length: timedelta  # wall-clock length, > 0
    members: tuple[int, ...]
    member_changes: tuple[MemberChange, ...] = ()  # sorted by effective_at
    windows: tuple[Window, ...] = ()  # empty = always active

    def __post_init__(self) -> None:
        """Coerce sequences to tuples and reject rotations that cannot be resolved."""
        object.__setattr__(self, "members", tuple(self.members))
        object.__setattr__(self, "member_changes", tuple(self.member_changes))
        object.__setattr__(self, "windows", tuple(self.windows))
        if self.start_local.tzinfo is not None:
            raise ValueError("Rotation.start_local is a local wall-clock time and must be naive")
        if self.shift_length <= timedelta(0):
            raise ValueError("Rotation.shift_length must be longer than zero")
        if not self.members:
            raise ValueError("Rotation.members must not be empty")
        changes = self.member_changes
        if any(a.effective_at > b.effective_at for a, b in pairwise(changes)):
            raise ValueError("Rotation.member_changes must be sorted by effective_at")


@dataclass(frozen=True)
class Override:
    """A person replacing every rotation during the aware interval [start, end)."""

    id: int
    person_id: int
    start: datetime  # aware
    end: datetime  # aware, > start

    def __post_init__(self) -> None:
        """Refuse naive or empty intervals."""
        if not _is_aware(self.start) or not _is_aware(self.end):
            raise ValueError("Override.start and Override.end must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("Override.end must be after Override.start")


@dataclass(frozen=True)
class Rota:
    """Rotations of one rota plus its overrides, resolved in the zone ``tz``."""

    id: int
    tz: ZoneInfo
    rotations: tuple[Rotation, ...]  # in rota order: the LATER active one wins
    overrides: tuple[Override, ...] = ()  # sorted by start, non-overlapping

    def __post_init__(self) -> None:
        """Coerce sequences to tuples; check overrides are sorted so bisect is valid."""
        object.__setattr__(self, "rotations", tuple(self.rotations))
        object.__setattr__(self, "overrides", tuple(self.overrides))
        ovr = self.overrides
        if any(a.end > b.start for a, b in pairwise(ovr)):
            raise ValueError("Rota.overrides must be sorted by start and must not overlap")


@dataclass(frozen=True)
class Shift:
    """One resolved duty (or gap) on the UTC timeline, half-open [start, end)."""

    start: datetime  # aware UTC
    end: datetime  # aware UTC
    person_id: int | None  # None = a gap
    source: str  # "rotation" | "override" | "gap"
    rotation_id: int | None = None
    override_id: int | None = None
    scheduled_start: datetime | None = None  # UTC handoff (or override start) that began it


class _Seg(NamedTuple):
    """Internal light-weight shift piece (tuples are much cheaper than frozen dataclasses)."""

    start: datetime
    end: datetime
    person_id: int | None
    source: str
    rotation_id: int | None
    override_id: int | None
    scheduled_start: datetime | None


# --------------------------------------------------------------------------- wall clock


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """Naive tz wall clock -> UTC per RFC 5545 §3.3.5: gap uses offset before, repeat is first."""
    if local.tzinfo is not None:
        raise ValueError(f"to_utc expects a naive local wall-clock time, got {local!r}")
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _wall(at: datetime, tz: ZoneInfo) -> datetime:
    """Naive wall-clock reading in ``tz`` at the aware instant ``at``."""
    return at.astimezone(tz).replace(tzinfo=None)


def _in_gap(local: datetime, tz: ZoneInfo) -> bool:
    """Tell whether the naive local time was skipped in ``tz`` (a spring-forward gap)."""
    before = local.replace(tzinfo=tz, fold=0).utcoffset()
    after = local.replace(tzinfo=tz, fold=1).utcoffset()
    return before is not None and after is not None and before < after


# --------------------------------------------------------------------------- handoffs


def _local_handoff(rotation: Rotation, k: int) -> datetime:
    """Naive local wall-clock time of handoff ``k`` (wall-clock arithmetic, no zone)."""
    return rotation.start_local + rotation.shift_length * k


def handoff_instant(rotation: Rotation, tz: ZoneInfo, k: int) -> datetime:
    """UTC instant h(k) of handoff ``k`` by the RFC 5545 rule (may be overtaken in a DST gap)."""
    return to_utc(_local_handoff(rotation, k), tz)


def _effective_start(rotation: Rotation, tz: ZoneInfo, k: int) -> datetime:
    """UTC start of shift ``k``: ``min(h(j) for j >= k)``, found with O(log) look-ahead in a gap."""
    local = _local_handoff(rotation, k)
    aware = local.replace(tzinfo=tz, fold=0)
    instant = to_utc(local, tz)
    before = aware.utcoffset()
    after = local.replace(tzinfo=tz, fold=1).utcoffset()
    if before is None or after is None or before >= after:
        # Not in a gap: no later local time can be placed earlier (transitions are sparse).
        return instant
    # In a gap of size (after - before): later handoffs still inside the gap land later
    # than this one, but the first handoff past the gap may land earlier.  It is at most
    # ceil(gap / shift_length) handoffs ahead: bisect for it.
    lo = k
    hi = k - (-(after - before) // rotation.shift_length)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _in_gap(_local_handoff(rotation, mid), tz):
            lo = mid
        else:
            hi = mid
    return min(instant, to_utc(_local_handoff(rotation, hi), tz))


def _last_started(started: Callable[[int], bool], guess: int) -> int | None:
    """Largest k >= 0 with ``started(k)`` (monotone True…False), galloping out from ``guess``."""
    guess = max(guess, 0)
    if started(guess):
        lo, step = guess, 1
        while started(lo + step):
            lo += step
            step *= 2
        hi = lo + step
    else:
        hi, step = guess, 1
        while True:
            if hi == 0:
                return None
            candidate = max(hi - step, 0)
            if started(candidate):
                lo = candidate
                break
            hi = candidate
            step *= 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if started(mid):
            lo = mid
        else:
            hi = mid
    return lo


def _index_at(rotation: Rotation, tz: ZoneInfo, at: datetime) -> int | None:
    """Handoff index at a UTC instant: wall-clock estimate, then a bounded correction."""
    estimate = (_wall(at, tz) - rotation.start_local) // rotation.shift_length
    return _last_started(lambda k: _effective_start(rotation, tz, k) <= at, estimate)


def handoff_index(rotation: Rotation, tz: ZoneInfo, at: datetime) -> int | None:
    """Index k of the shift [E(k), E(k+1)) containing aware ``at``; None before the first."""
    return _index_at(rotation, tz, _aware_utc("at", at))


def _person(rotation: Rotation, k: int, instant: datetime) -> int:
    """Person of handoff ``k``: member list in force at its UTC instant, index k mod length."""
    changes = rotation.member_changes
    i = bisect_right(changes, instant, key=attrgetter("effective_at"))
    members = changes[i - 1].members if i else rotation.members
    return members[k % len(members)]


# --------------------------------------------------------------------------- pieces


def _rotation_segments(
    rotation: Rotation, tz: ZoneInfo, since: datetime, until: datetime
) -> list[_Seg]:
    """Non-empty shifts of one rotation clipped to [since, until), ignoring its windows."""
    k = _index_at(rotation, tz, since)
    if k is None:
        k = 0
    start = _effective_start(rotation, tz, k)
    segments: list[_Seg] = []
    while start < until:
        end = _effective_start(rotation, tz, k + 1)
        if end > start and end > since:
            segments.append(
                _Seg(
                    max(start, since),
                    min(end, until),
                    _person(rotation, k, start),
                    SOURCE_ROTATION,
                    rotation.id,
                    None,
                    start,
                )
            )
        k += 1
        start = end
    return segments


def _window_intervals(
    windows: Sequence[Window], tz: ZoneInfo, since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """Union of window instances (UTC, unclipped) that overlap [since, until), sorted."""
    day = _wall(since, tz).date() - 2 * _ONE_DAY
    last = _wall(until, tz).date() + _ONE_DAY
    raw: list[tuple[datetime, datetime]] = []
    while day <= last:
        weekday = day.weekday()
        for window in windows:
            if weekday not in window.weekdays:
                continue
            start = to_utc(datetime.combine(day, window.from_local), tz)
            end_day = day if window.to_local > window.from_local else day + _ONE_DAY
            end = to_utc(datetime.combine(end_day, window.to_local), tz)
            if start < end and end > since and start < until:
                raw.append((start, end))
        day += _ONE_DAY
    raw.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in raw:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _restrict(segments: list[_Seg], intervals: list[tuple[datetime, datetime]]) -> list[_Seg]:
    """Keep only the parts of sorted ``segments`` inside the sorted disjoint ``intervals``."""
    out: list[_Seg] = []
    j = 0
    for seg in segments:
        while j < len(intervals) and intervals[j][1] <= seg.start:
            j += 1
        i = j
        while i < len(intervals) and intervals[i][0] < seg.end:
            start = max(seg.start, intervals[i][0])
            end = min(seg.end, intervals[i][1])
            if start < end:
                out.append(seg._replace(start=start, end=end))
            i += 1
    return out


def _paint(base: list[_Seg], top: list[_Seg]) -> list[_Seg]:
    """Lay sorted disjoint ``top`` over sorted disjoint ``base``: top wins where both exist."""
    if not top:
        return base
    if not base:
        return top
    out: list[_Seg] = []
    j = 0
    for seg in base:
        while j < len(top) and top[j].end <= seg.start:
            j += 1
        cursor = seg.start
        i = j
        while i < len(top) and top[i].start < seg.end:
            if top[i].start > cursor:
                out.append(seg._replace(start=cursor, end=top[i].start))
            cursor = max(cursor, top[i].end)
            i += 1
        if cursor < seg.end:
            out.append(seg._replace(start=cursor, end=seg.end))
    out.extend(top)
    out.sort(key=attrgetter("start"))
    return out


def _override_segments(
    overrides: Sequence[Override], since: datetime, until: datetime
) -> list[_Seg]:
    """Overrides clipped to [since, until), found by bisect so cost ignores far-away ones."""
    i = max(bisect_right(overrides, since, key=attrgetter("start")) - 1, 0)
    segments: list[_Seg] = []
    count = len(overrides)
    while i < count:
        override = overrides[i]
        if override.start >= until:
            break
        if override.end > since:
            segments.append(
                _Seg(
                    max(override.start.astimezone(UTC), since),
                    min(override.end.astimezone(UTC), until),
                    override.person_id,
                    SOURCE_OVERRIDE,
                    None,
                    override.id,
                    override.start.astimezone(UTC),
                )
            )
        i += 1
    return segments


def _same_duty(a: _Seg, b: _Seg) -> bool:
    """Adjacent pieces merge when person, source and override agree."""
    return (
        a.end == b.start
        and a.person_id == b.person_id
        and a.source == b.source
        and a.override_id == b.override_id
    )


def _gap(start: datetime, end: datetime) -> _Seg:
    """An explicit nobody-on-duty piece."""
    return _Seg(start, end, None, SOURCE_GAP, None, None, None)


def _finish(segments: list[_Seg], since: datetime, until: datetime) -> list[Shift]:
    """Fill holes with gaps, merge same-duty neighbours and build public Shifts."""
    merged: list[_Seg] = []

    def emit(seg: _Seg) -> None:
        """Append, or extend the previous piece if it is the same duty."""
        if merged and _same_duty(merged[-1], seg):
            merged[-1] = merged[-1]._replace(end=seg.end)
        else:
            merged.append(seg)

    cursor = since
    for seg in segments:
        if seg.start > cursor:
            emit(_gap(cursor, seg.start))
        emit(seg)
        cursor = seg.end
    if cursor < until:
        emit(_gap(cursor, until))
    return [Shift(*seg) for seg in merged]


def _timeline(rota: Rota, since: datetime, until: datetime) -> list[Shift]:
    """Resolve [since, until) given UTC bounds (validated by the caller)."""
    if until <= since:
        return []
    painted: list[_Seg] = []
    for rotation in rota.rotations:
        segments = _rotation_segments(rotation, rota.tz, since, until)
        if rotation.windows and segments:
            intervals = _window_intervals(rotation.windows, rota.tz, since, until)
            segments = _restrict(segments, intervals)
        painted = _paint(painted, segments)
    painted = _paint(painted, _override_segments(rota.overrides, since, until))
    return _finish(painted, since, until)


def timeline(rota: Rota, since: datetime, until: datetime) -> list[Shift]:
    """Contiguous merged shifts and gaps covering exactly [since, until), in UTC order."""
    since = _aware_utc("since", since)
    until = _aware_utc("until", until)
    if until < since:
        raise ValueError("until must not be before since")
    return _timeline(rota, since, until)


# --------------------------------------------------------------------------- instants


def _containing(rota: Rota, at: datetime, lo_limit: datetime, hi_limit: datetime) -> Shift:
    """Merged duty containing ``at`` within [lo_limit, hi_limit), widening the look-around by 4x."""
    longest = max((r.shift_length for r in rota.rotations), default=_ONE_DAY)
    back = forward = max(longest, _ONE_DAY)
    while True:
        lo = at - min(back, at - lo_limit)
        hi = at + min(forward, hi_limit - at)
        shifts = _timeline(rota, lo, hi)
        shift = shifts[bisect_right(shifts, at, key=attrgetter("start")) - 1]
        widen_back = shift.start == lo and lo > lo_limit
        widen_forward = shift.end == hi and hi < hi_limit
        if not widen_back and not widen_forward:
            return shift
        if widen_back:
            back *= 4
        if widen_forward:
            forward *= 4


def _check_horizon(horizon: timedelta) -> None:
    """A look-around must be positive to contain anything."""
    if horizon <= timedelta(0):
        raise ValueError("horizon must be longer than zero")


def on_call_at(rota: Rota, at: datetime, horizon: timedelta = _DEFAULT_HORIZON) -> Shift:
    """Merged duty (or gap) containing ``at``, its true bounds clipped to ``at`` ± ``horizon``."""
    at = _aware_utc("at", at)
    _check_horizon(horizon)
    return _containing(rota, at, at - horizon, at + horizon)


def next_change(rota: Rota, at: datetime, horizon: timedelta = _DEFAULT_HORIZON) -> datetime | None:
    """First instant after ``at`` where the merged duty ends (UTC); None past ``at + horizon``."""
    at = _aware_utc("at", at)
    _check_horizon(horizon)
    limit = at + horizon
    # One microsecond past the horizon tells a real boundary at the horizon from a clip.
    shift = _containing(rota, at, at, limit + _ONE_MICROSECOND)
    return shift.end if shift.end <= limit else None


# --------------------------------------------------------------------------- text forms

_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
_CALENDAR_DURATION = re.compile(r"P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T.*)?")


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration in wall-clock units (W, D, H, M, S) into a positive timedelta."""
    if not isinstance(text, str):
        raise ValueError(f"duration must be a string such as PT12H or P7D, got {text!r}")
    normal = text.strip().upper()
    match = _DURATION.fullmatch(normal)
    if match is None or normal == "P":
        date_part = normal.split("T", 1)[0]
        if _CALENDAR_DURATION.fullmatch(normal) and ("Y" in date_part or "M" in date_part):
            raise ValueError(
                f"invalid duration {text!r}: months and years are not supported: use days"
            )
        raise ValueError(
            f"invalid duration {text!r}: expected ISO 8601 such as PT12H, P1D, P7D, P2W, "
            "P1DT12H or PT30M"
        )
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    try:
        duration = timedelta(**parts)
    except OverflowError:
        raise ValueError(f"invalid duration {text!r}: too long") from None
    if duration <= timedelta(0):
        raise ValueError(f"invalid duration {text!r}: must be longer than zero")
    return duration


def format_duration(duration: timedelta) -> str:
    """Canonical ISO 8601 form of a positive whole-second duration (weeks as days: P14D)."""
    if duration <= timedelta(0):
        raise ValueError("duration must be longer than zero")
    if duration.microseconds:
        raise ValueError("duration must be a whole number of seconds")
    hours, rest = divmod(duration.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"P{duration.days}D" if duration.days else "P"
    clock = "".join(
        f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if value
    )
    return f"{text}T{clock}" if clock else text


def weekday_number(name: str) -> int:
    """Week day number (0=Monday) of a three-letter English name, case-insensitive."""
    key = name.strip().lower()
    if key not in WEEKDAYS:
        raise ValueError(f"unknown weekday {name!r}: use one of {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(key)


def parse_weekdays(text: str | Iterable[str | int]) -> frozenset[int]:
    """Parse 'mon,wed,fri', 'mon-fri', 'fri-mon' (wrapping) or names/numbers into 0=Monday…6."""
    tokens = re.split(r"[\s,]+", text.strip()) if isinstance(text, str) else list(text)
    days: set[int] = set()
    for token in tokens:
        if isinstance(token, int) and not isinstance(token, bool):
            if not 0 <= token <= 6:
                raise ValueError(f"weekday number {token} is not 0 (Monday) to 6 (Sunday)")
            days.add(token)
            continue
        if not isinstance(token, str):
            raise ValueError(f"weekday must be a name such as 'mon', got {token!r}")
        if not token:
            continue
        if "-" in token:
            first_name, _, last_name = token.partition("-")
            first, last = weekday_number(first_name), weekday_number(last_name)
            days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
        else:
            days.add(weekday_number(token))
    if not days:
        raise ValueError("at least one weekday is required (mon … sun)")
    return frozenset(days)


def format_weekdays(days: Iterable[int]) -> str:
    """Comma-separated three-letter names in week order, the inverse of parse_weekdays."""
    return ",".join(WEEKDAYS[d] for d in sorted(set(days)))
