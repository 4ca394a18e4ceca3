"""The pure core of campaigns: when each Party is called, what to do next, which result is best.

Standard library only: frozen values in, values out; no Flask, no database, no clock. Instants
are aware UTC; local wall-clock times are read in the Party's IANA zone with `zoneinfo` (a time
in a skipped hour takes the offset from before the gap, a repeated one its first occurrence).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: Best first: a Party's result is the best outcome among its attempts.
OUTCOMES = (
    "confirmed",
    "answered",
    "voicemail",
    "busy",
    "no-answer",
    "failed",
    "canceled",
    "not-tested",
)
#: Outcomes worth calling the same target again for (after the retry delay).
RETRYABLE = frozenset({"answered", "voicemail", "busy", "no-answer", "failed", "canceled"})
WINDOWS = ("office-hours", "any-time")
TARGETS = ("tier1", "tier2", "desk")  # the escalation order
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_SECOND = timedelta(seconds=1)


# --- months ---------------------------------------------------------------------------------


def parse_month(text: str) -> str:
    """'2026-12' → '2026-12'; ValueError with the reason otherwise."""
    match = _MONTH.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError("must be a month such as 2026-12")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValueError("the month must be between 01 and 12")
    if not 2000 <= year <= 2200:
        raise ValueError("the year must be between 2000 and 2200")
    return f"{year:04d}-{month:02d}"


def month_days(month: str) -> tuple[date, date]:
    """The first day of the month and the first day of the next."""
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, following


def next_month(at: datetime) -> str:
    """The month after the one `at` (aware) falls in, in UTC."""
    at = at.astimezone(UTC)
    return f"{at.year + at.month // 12:04d}-{at.month % 12 + 1:02d}"


# --- when to call ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeWindow:
    """Local office hours on some weekdays (0 = Monday); `end <= start` runs past midnight."""

    weekdays: frozenset[int]
    start: time
    end: time

    @classmethod
    def from_json(cls, raw: dict) -> OfficeWindow:
        """From a contact point's stored window: weekdays ("mon", …), from_local, to_local."""
        names = raw.get("weekdays") or WEEKDAYS
        return cls(
            weekdays=frozenset(WEEKDAYS.index(name) for name in names),
            start=time.fromisoformat(raw["from_local"]),
            end=time.fromisoformat(raw["to_local"]),
        )


@dataclass(frozen=True)
class PartyHours:
    """What planning needs of a Party: a key (its ISO2), its zone and its office hours."""

    key: str
    tz: str
    windows: tuple[OfficeWindow, ...] = ()


Interval = tuple[datetime, datetime]  # aware UTC, half-open


def _ceil_second(at: datetime) -> datetime:
    return at if at.microsecond == 0 else at.replace(microsecond=0) + _SECOND


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def allowed_intervals(
    party: PartyHours,
    month: str,
    window: str,
    not_before: datetime,
    tail: timedelta = timedelta(0),
) -> list[Interval]:
    """When in `month` (Party-local) a first call may start: UTC intervals, from `not_before`.

    With "office-hours" (and office hours known), each window loses `tail` at its end when long
    enough, so that retries after the first call still fall inside it.
    """
    tz = ZoneInfo(party.tz)
    first, following = month_days(month)
    if window == "office-hours" and party.windows:
        intervals = []
        day = first
        while day < following:
            for office in party.windows:
                if day.weekday() not in office.weekdays:
                    continue
                end_day = day if office.end > office.start else day + timedelta(days=1)
                start, end = _local(day, office.start, tz), _local(end_day, office.end, tz)
                if end - start > 2 * tail:
                    end -= tail
                intervals.append((start, end))
            day += timedelta(days=1)
    else:
        intervals = [(_local(first, time(0), tz), _local(following, time(0), tz))]
    clipped = []
    for start, end in _merge(intervals):
        start = _ceil_second(max(start, not_before))
        if start < end:
            clipped.append((start, end))
    return clipped


def _fraction(seed: str) -> float:
    """A stable number in [0, 1) from a text: the same plan every time, spread like random."""
    digest = hashlib.sha256(seed.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _walk(intervals: list[Interval], offset_s: int) -> datetime:
    for start, end in intervals:
        length = math.ceil((end - start).total_seconds())
        if offset_s < length:
            return start + timedelta(seconds=offset_s)
        offset_s -= length
    return intervals[-1][0]


def _following_second(intervals: list[Interval], at: datetime) -> datetime:
    """The next whole second after `at` inside the intervals, wrapping around to the first."""
    candidate = at + _SECOND
    for start, end in intervals:
        if candidate < start:
            return start
        if candidate < end:
            return candidate
    return intervals[0][0]


def plan_slots(
    parties: Sequence[PartyHours],
    month: str,
    window: str,
    *,
    calls_per_second: int,
    not_before: datetime,
    tail: timedelta = timedelta(0),
) -> dict[str, datetime]:
    """One first-call instant (aware UTC, whole second) per Party, inside `month` local time.

    Each Party gets a stable pseudo-random point of its allowed time (office hours, or any hour),
    so calls spread over the month; then, earliest first, each takes the first second that still
    has room, so that no more than `calls_per_second` planned calls ever start in one second.
    A Party without office hours (or none left this month) may be called at any hour. Raises
    ValueError when no time is left in the month.
    """
    if calls_per_second < 1:
        raise ValueError("calls_per_second must be at least 1")
    if window not in WINDOWS:
        raise ValueError(f"window must be one of {', '.join(WINDOWS)}")
    candidates = []
    for party in sorted(parties, key=lambda p: p.key):
        intervals = allowed_intervals(party, month, window, not_before, tail)
        if not intervals:
            intervals = allowed_intervals(party, month, "any-time", not_before)
        if not intervals:
            raise ValueError(f"{month} is over: no time is left to call {party.key}")
        total = sum(math.ceil((end - start).total_seconds()) for start, end in intervals)
        offset = int(_fraction(f"art35-campaign:{month}:{party.key}") * total)
        candidates.append((_walk(intervals, offset), party.key, intervals, total))
    used: Counter[int] = Counter()
    planned: dict[str, datetime] = {}
    for at, key, intervals, total in sorted(candidates, key=lambda c: (c[0], c[1])):
        tries = 0
        while used[int(at.timestamp())] >= calls_per_second:
            at = _following_second(intervals, at)
            tries += 1
            if tries > total:
                raise ValueError(f"no free second left in {month} to call {key}")
        used[int(at.timestamp())] += 1
        planned[key] = at
    return planned


def pack_slots(keys: Iterable[str], start: datetime, calls_per_second: int) -> dict[str, datetime]:
    """As soon as possible: from `start` (aware), `calls_per_second` Parties per second."""
    if calls_per_second < 1:
        raise ValueError("calls_per_second must be at least 1")
    first = _ceil_second(start.astimezone(UTC))
    return {
        key: first + timedelta(seconds=index // calls_per_second)
        for index, key in enumerate(sorted(set(keys)))
    }


# --- what next ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One finished attempt of a slot's escalation path."""

    target: str  # "tier1" | "tier2" | "desk"
    outcome: str
    retryable: bool = True  # False when calling the same number again cannot help


@dataclass(frozen=True)
class NextStep:
    target: str
    after_delay: bool  # a retry waits for the configured delay; an escalation does not


def next_step(path: Sequence[Step], retries: int) -> NextStep | None:
    """What a slot does after `path`: tier 1 (retried up to `retries` times), tier 2, the desk.

    Stops at the first confirmation and after the desk line. A `not-tested` step (gap, no number)
    and a permanent failure escalate at once, without retrying.
    """
    if not path:
        return NextStep("tier1", after_delay=False)
    if any(step.outcome == "confirmed" for step in path):
        return None
    last = path[-1]
    if last.target == "tier1":
        tries = sum(1 for step in path if step.target == "tier1")
        if last.retryable and last.outcome in RETRYABLE and tries <= retries:
            return NextStep("tier1", after_delay=True)
        return NextStep("tier2", after_delay=False)
    if last.target == "tier2":
        return NextStep("desk", after_delay=False)
    return None


def best_outcome(outcomes: Iterable[str | None]) -> str | None:
    """The best of these outcomes (OUTCOMES order); None when there is none yet."""
    known = [outcome for outcome in outcomes if outcome in OUTCOMES]
    return min(known, key=OUTCOMES.index) if known else None


# --- what the callee hears ------------------------------------------------------------------

#: Languages the message exists in, with Twilio's <Say> language and a matching Polly voice.
SAY_VOICES = {
    "en": ("en-GB", "Polly.Amy"),
    "fr": ("fr-FR", "Polly.Lea"),
    "es": ("es-ES", "Polly.Lucia"),
    "de": ("de-DE", "Polly.Vicki"),
    "pt": ("pt-PT", "Polly.Ines"),
    "it": ("it-IT", "Polly.Bianca"),
}


def message_language(tags: Iterable[str]) -> str:
    """The first of a person's languages (BCP 47, in their order) the message exists in, else en."""
    for tag in tags:
        primary = tag.split("-")[0].lower()
        if primary in SAY_VOICES:
            return primary
    return "en"
