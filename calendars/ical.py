"""iCalendar (RFC 5545) feeds of rota shifts, and imports of fixed shifts from .ics files.

This module is pure: data in, bytes out.  It never reads the clock, the database or the
request; callers pass the stamp, the events and the import window explicitly.

Why feeds are written in UTC (``DTSTART:20261201T190000Z``) rather than with
``TZID=Europe/Paris`` plus a ``VTIMEZONE`` block: the instants in the feed are then exactly
the instants the API stores and serves, byte for byte, with no dependency on each client's
time-zone database being current or on our ``VTIMEZONE`` generation covering every rule
change in the rota's horizon (a stale or truncated ``VTIMEZONE`` silently shifts shifts by an
hour around DST changes).  Nothing is lost: feed events never recur, and calendar clients
display UTC events in the viewer's own zone anyway, which is what a network spanning many
zones wants.

Why the feed lines are written directly instead of through ``icalendar``'s object model:
a network-wide feed of ~30 000 events must render well under a second, and building one
``icalendar.Event`` per shift is several times slower.  The writer below still follows
RFC 5545 to the letter: TEXT values escape backslash, semicolon, comma and newlines (control
characters other than TAB, which TEXT cannot carry, are dropped); every line ends in CRLF;
lines longer than 75 octets are folded at 75 octets (continuation lines: one space plus at
most 74 octets) without ever splitting a UTF-8 multi-byte sequence, and without separating a
backslash from the character it escapes (RFC-wise harmless, but some clients mis-read it).
``icalendar`` 7 folds by octets too, so the tests use it as an independent parser.

Why imports resolve time zones themselves: ``icalendar`` caches every ``VTIMEZONE`` whose
TZID is not an IANA name in a process-wide cache, first definition wins, so in a long-running
server one uploaded file's "Customized Time Zone" (or a bogus ``W. Europe Standard Time``
block) would be applied to every later file.  ``parse_shifts_ics`` therefore re-localises
every ``DTSTART``/``DTEND``/``RDATE``/``EXDATE``/``RECURRENCE-ID`` wall-clock time with a zone
resolved per file: an IANA name, else a Windows zone name mapped through the CLDR
windowsZones table that ``icalendar`` ships (139 names, e.g. ``W. Europe Standard Time`` ->
``Europe/Berlin``), else the file's own ``VTIMEZONE`` (built uncached), else a problem.
Recurrences are then expanded with ``recurring_ical_events``.
"""

from __future__ import annotations

import re
import warnings
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache, lru_cache
from typing import Any, NamedTuple

import icalendar
import recurring_ical_events
from icalendar.error import GloballyUniqueTZIDGuessed
from icalendar.prop import vDDDLists, vDDDTypes
from icalendar.timezone import tzp
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from common.budget import (
    DEFAULT_ICAL_OCCURRENCES,
    DEFAULT_ICAL_STEPS,
    BudgetExceededError,
    WorkBudget,
)

__all__ = [
    "FeedCalendar",
    "FeedEvent",
    "ImportProblem",
    "ImportedEvent",
    "parse_shifts_ics",
    "render_feed",
    "shift_uid",
]

# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

_FOLD_LIMIT = 75  # octets per physical line, excluding CRLF (RFC 5545 section 3.1)
_CRLF = b"\r\n"
_FOLD = b"\r\n "
_BACKSLASH = 0x5C
# TEXT cannot carry C0 controls other than HTAB, nor DEL; CR/LF are escaped before this runs.
# Lone surrogates cannot be encoded as UTF-8 at all.
_UNREPRESENTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


class FeedEvent(NamedTuple):
    """One shift as published in a subscription feed (a tuple: a network feed makes ~50 000)."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str
    sequence: int = 0
    last_modified: datetime | None = None
    cancelled: bool = False


@dataclass(frozen=True)
class FeedCalendar:
    """Calendar-level properties of a subscription feed."""

    name: str
    refresh: timedelta
    prodid: str = "-//Art35//24-7 Network rotas//EN"


def _utc(value: datetime, what: str) -> str:
    """Format an aware datetime as an RFC 5545 UTC DATE-TIME, so naive input cannot slip in."""
    zone = value.tzinfo
    if zone is not UTC and (zone is None or value.utcoffset() is None):
        raise ValueError(f"{what} must be timezone-aware, got naive {value!r}")
    return _utc_text(value)


@lru_cache(maxsize=16384)
def _utc_text(value: datetime) -> str:
    """The UTC text of an aware instant; cached, as a feed names each handoff two or three times.

    Equal instants in different zones hash and compare equal, and have the same UTC text.
    """
    u = value.astimezone(UTC)
    return f"{u.year:04d}{u.month:02d}{u.day:02d}T{u.hour:02d}{u.minute:02d}{u.second:02d}Z"


def _duration(value: timedelta) -> str:
    """Format a positive whole-second timedelta as an RFC 5545 DURATION, e.g. PT1H or P1DT12H."""
    if value <= timedelta(0) or value.microseconds:
        raise ValueError(f"refresh interval must be a positive whole number of seconds: {value}")
    days, rest = value.days, value.seconds
    out = f"P{days}D" if days else "P"
    if rest:
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        out += "T"
        if hours:
            out += f"{hours}H"
        if minutes:
            out += f"{minutes}M"
        if seconds:
            out += f"{seconds}S"
    return out


def _escape_text(value: str) -> str:
    """Escape a TEXT value per RFC 5545 3.3.11, so names with , ; \\ or newlines survive."""
    value = (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )
    if _UNREPRESENTABLE.search(value):
        value = _UNREPRESENTABLE.sub("", value)
    return value


def _fold(line: str) -> bytes:
    """Encode one content line, folded at 75 octets on UTF-8 character boundaries, with CRLF."""
    raw = line.encode("utf-8")
    size = len(raw)
    if size <= _FOLD_LIMIT:
        return raw + _CRLF
    parts: list[bytes] = []
    begin, limit = 0, _FOLD_LIMIT
    while size - begin > limit:
        cut = begin + limit
        while raw[cut] & 0xC0 == 0x80:  # raw[cut] continues a multi-byte character
            cut -= 1
        backslashes = cut
        while backslashes > begin and raw[backslashes - 1] == _BACKSLASH:
            backslashes -= 1
        if (cut - backslashes) % 2:  # an escape's backslash would end this line
            cut -= 1
        parts.append(raw[begin:cut])
        begin, limit = cut, _FOLD_LIMIT - 1  # the continuation's leading space is an octet
    parts.append(raw[begin:])
    return _FOLD.join(parts) + _CRLF


def shift_uid(
    rota_id: int,
    person_id: int | None,
    scheduled_start: datetime,
    domain: str = "art35",
    *,
    piece_start: datetime | None = None,
) -> str:
    """Build the feed UID of a shift, stable across renders so clients update, not duplicate.

    ``piece_start`` (UTC) tells apart the pieces of one handoff's duty that a restriction
    window, a later rotation or an override cut out: they share ``scheduled_start``.
    """
    person = "vacant" if person_id is None else str(person_id)
    scheduled = _utc(scheduled_start, "scheduled_start")
    piece = "" if piece_start is None else f"-from-{_utc(piece_start, 'piece_start')}"
    return f"rota-{rota_id}-person-{person}-{scheduled}{piece}@{domain}"


def render_feed(calendar: FeedCalendar, events: Iterable[FeedEvent], *, stamp: datetime) -> bytes:
    """Serialise a subscription feed to RFC 5545 bytes, without querying anything."""
    dtstamp = _utc(stamp, "stamp")
    refresh = _duration(calendar.refresh)
    name = _escape_text(calendar.name)
    # Built as text and encoded once: folded lines never split a character, so they decode.
    out: list[str] = [
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",
        _folded("PRODID:" + _escape_text(calendar.prodid)),
        "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n",
        _folded("X-WR-CALNAME:" + name),
        _folded("NAME:" + name),
        f"REFRESH-INTERVAL;VALUE=DURATION:{refresh}\r\nX-PUBLISHED-TTL:{refresh}\r\n",
    ]
    seen: set[str] = set()
    append = out.append
    # Summaries and descriptions repeat (one per rota and person): escape and fold each once.
    summaries: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    for event in events:
        uid = event.uid
        if uid in seen:
            raise ValueError(f"duplicate UID in feed: {uid!r}")
        seen.add(uid)
        start = _utc(event.start, "start")
        end = _utc(event.end, "end")
        if end <= start:  # same fixed-width format, so string order is time order
            raise ValueError(f"event {uid!r} does not end after it starts")
        if event.sequence < 0:
            raise ValueError(f"event {uid!r} has a negative SEQUENCE")
        modified = (
            ""
            if event.last_modified is None
            else f"LAST-MODIFIED:{_utc(event.last_modified, 'last_modified')}\r\n"
        )
        summary = summaries.get(event.summary)
        if summary is None:
            summary = summaries[event.summary] = _folded("SUMMARY:" + _escape_text(event.summary))
        description = descriptions.get(event.description)
        if description is None:
            description = descriptions[event.description] = _folded(
                "DESCRIPTION:" + _escape_text(event.description)
            )
        uid_line = (
            f"UID:{uid}\r\n" if _PLAIN_UID.fullmatch(uid) else _folded("UID:" + _escape_text(uid))
        )
        append(
            f"BEGIN:VEVENT\r\n{uid_line}DTSTAMP:{dtstamp}\r\nDTSTART:{start}\r\n"
            f"DTEND:{end}\r\nSEQUENCE:{int(event.sequence)}\r\n{modified}"
            f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}\r\n{summary}{description}"
            "TRANSP:TRANSPARENT\r\nX-MICROSOFT-CDO-BUSYSTATUS:FREE\r\nEND:VEVENT\r\n"
        )
    append("END:VCALENDAR\r\n")
    return "".join(out).encode("utf-8")


def _folded(line: str) -> str:
    """`_fold` as text (its cuts fall between characters, so the bytes decode back)."""
    return _fold(line).decode("utf-8")


# Our own UIDs: short plain ASCII, so they need neither escaping nor folding.
_PLAIN_UID = re.compile(r"[A-Za-z0-9@._+=/-]{1,71}")


# --------------------------------------------------------------------------------------------
# Importing
# --------------------------------------------------------------------------------------------

# Bounds that keep a hostile or absurd recurrence rule from stalling a request: occurrences of
# one series inside the window, and (estimated) candidate instants dateutil has to walk from
# DTSTART to the end of the window (2-3 microseconds each, so at most about a second).
MAX_OCCURRENCES_PER_SERIES = 5000
MAX_EXPANSION_STEPS = 250_000
_CANDIDATES_PER_DAY = {
    "SECONDLY": 86400.0,
    "MINUTELY": 1440.0,
    "HOURLY": 24.0,
    "DAILY": 1.0,
    "WEEKLY": 1 / 7,
    "MONTHLY": 1 / 28,
    "YEARLY": 1 / 365,
}
_EXPANDING_PARTS = ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY")
_TIME_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "RDATE", "EXDATE")
_SCHEDULE_PROPERTIES = frozenset((*_TIME_PROPERTIES, "DURATION", "RRULE", "EXRULE", "STATUS"))


@dataclass(frozen=True)
class ImportedEvent:
    """One occurrence of a fixed shift read from an imported calendar, in UTC."""

    uid: str | None
    summary: str
    start: datetime
    end: datetime
    attendee_emails: tuple[str, ...]
    names: tuple[str, ...]
    line: str | None


@dataclass(frozen=True)
class ImportProblem:
    """Something in an imported calendar we skipped, said so a person can find and fix it."""

    where: str
    reason: str


class _RejectedError(Exception):
    """A component we cannot import; carries the reason for the ImportProblem."""


@cache
def _iana_zones() -> frozenset[str]:
    """List IANA zone names once, so user-supplied TZIDs never probe the filesystem."""
    return frozenset(zoneinfo.available_timezones())


@cache
def _windows_zones() -> dict[str, str]:
    """Index CLDR's Windows->IANA mapping case-insensitively, as exporters vary the case."""
    return {name.casefold(): iana for name, iana in WINDOWS_TO_OLSON.items()}


def _known_zone(tzid: str) -> tzinfo | None:
    """Resolve an IANA or Windows zone name to a ZoneInfo, or None if it is neither."""
    name = tzid.strip().strip('"').strip()
    if name in _iana_zones():
        return zoneinfo.ZoneInfo(name)
    iana = _windows_zones().get(name.casefold())
    if iana is not None and iana in _iana_zones():
        return zoneinfo.ZoneInfo(iana)
    return None


class _ZoneResolver:
    """Resolve TZIDs for one file: IANA, Windows name, this file's VTIMEZONE, vendor prefix."""

    def __init__(self, calendar: icalendar.Component) -> None:
        """Index this file's VTIMEZONE blocks by TZID (built lazily, never cached globally)."""
        self._blocks = {str(tz.get("TZID", "")).strip(): tz for tz in calendar.walk("VTIMEZONE")}
        self._resolved: dict[str, tzinfo | None] = {}

    def __call__(self, tzid: str) -> tzinfo | None:
        """Return the zone for a TZID, or None when neither we nor the file define it."""
        if tzid not in self._resolved:
            self._resolved[tzid] = self._resolve(tzid)
        return self._resolved[tzid]

    def _resolve(self, tzid: str) -> tzinfo | None:
        """Try the resolution steps in order of reliability."""
        zone = _known_zone(tzid)
        if zone is not None:
            return zone
        block = self._blocks.get(tzid.strip())
        if block is not None:
            try:
                found: tzinfo = block.to_tz(tzp, lookup_tzid=False)  # type: ignore[attr-defined]
                return found
            except Exception:  # a malformed VTIMEZONE is reported as an unknown zone
                return None
        if tzid.startswith("/"):  # RFC 5545 3.2.19 "globally unique" IDs: /vendor/Europe/Paris
            parts = tzid.strip("/").split("/")
            for first in range(1, len(parts)):
                zone = _known_zone("/".join(parts[first:]))
                if zone is not None:
                    return zone
        return None


def _text(component: icalendar.Component, name: str) -> str:
    """Read a TEXT property as a plain string ('' when absent)."""
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()


def _when(value: Any) -> str:
    """Format a raw date or datetime as people see it in their calendar."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "an unreadable date"


def _describe(component: icalendar.Component) -> str:
    """Point at a component for error messages: 'event "Night duty" starting 2026-12-01 20:00'."""
    summary = _text(component, "SUMMARY") or "(untitled)"
    start = component.get("DTSTART")
    when = f" starting {_when(start.dt)}" if isinstance(start, vDDDTypes) else ""
    recurrence = component.get("RECURRENCE-ID")
    if isinstance(recurrence, vDDDTypes):
        when += f" (changed occurrence of {_when(recurrence.dt)})"
    return f'event "{summary}"{when}'


def _values(prop: Any) -> list[Any]:
    """Flatten a property that may occur several times (EXDATE, RDATE) into a list."""
    return prop if isinstance(prop, list) else [prop]


def _localize(value: Any, zone: tzinfo) -> Any:
    """Attach a zone to a wall-clock datetime (or both ends of a PERIOD), leaving dates alone."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=zone)
    if isinstance(value, tuple):
        return tuple(_localize(part, zone) for part in value)
    return value


def _is_floating(value: Any) -> bool:
    """Tell whether a value is a wall-clock time with no zone at all."""
    if isinstance(value, tuple):
        return any(_is_floating(part) for part in value)
    return isinstance(value, datetime) and value.tzinfo is None


def _prepare(
    component: icalendar.Component, resolve: _ZoneResolver, default_zone: tzinfo | None
) -> None:
    """Re-localise all times of one VEVENT with per-file zones and reject what we cannot use."""
    for name, message in component.errors:
        if (name or "").upper() in _SCHEDULE_PROPERTIES:
            raise _RejectedError(f"unreadable {name}: {message}")
    start = component.get("DTSTART")
    if not isinstance(start, vDDDTypes):
        raise _RejectedError("it has no start (DTSTART)")
    if not isinstance(start.dt, datetime):
        raise _RejectedError(
            "it is an all-day event; shifts need start and end times, please export it with times"
        )
    for name in _TIME_PROPERTIES:
        for prop in _values(component.get(name, [])):
            items = prop.dts if isinstance(prop, vDDDLists) else [prop]
            tzid = prop.params.get("TZID")
            if tzid:
                zone = resolve(str(tzid))
                if zone is None:
                    raise _RejectedError(
                        f"unknown time zone {str(tzid)!r} in {name} (not an IANA or Windows "
                        "zone name, and the file has no usable VTIMEZONE for it)"
                    )
            elif any(_is_floating(item.dt) for item in items):
                if default_zone is None:
                    raise _RejectedError(
                        f"{name} has no time zone (a 'floating' time), so we cannot tell "
                        "which instant it means; export with time zones or in UTC"
                    )
                zone = default_zone
            else:
                continue
            for item in items:
                item.dt = _localize(item.dt, zone)
    end = component.get("DTEND")
    duration = component.get("DURATION")
    if end is None and duration is None:
        raise _RejectedError("it has neither an end (DTEND) nor a DURATION")
    if end is not None:
        if not isinstance(end, vDDDTypes) or not isinstance(end.dt, datetime):
            raise _RejectedError("its end (DTEND) is not a date with a time")
        if end.dt <= start.dt:
            raise _RejectedError("it ends before or when it starts")
    elif not isinstance(duration, vDDDTypes) or not isinstance(duration.dt, timedelta):
        raise _RejectedError("its DURATION is unreadable")
    elif duration.dt <= timedelta(0):
        raise _RejectedError("its DURATION is not positive")


def _attendees(component: icalendar.Component) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Collect attendee e-mail addresses (lowercased) and display names (CN)."""
    emails: list[str] = []
    names: list[str] = []
    for attendee in _values(component.get("ATTENDEE", [])):
        address = str(attendee).strip()
        if address.lower().startswith("mailto:"):
            address = address[len("mailto:") :].strip()
        else:
            address = str(attendee.params.get("EMAIL", "")).strip()
        if "@" in address and address.lower() not in emails:
            emails.append(address.lower())
        cn = str(attendee.params.get("CN", "")).strip()
        if cn and cn not in names and cn.lower() != address.lower():  # Google: CN=address
            names.append(cn)
    return tuple(emails), tuple(names)


def _occurrences(
    calendar: icalendar.Calendar,
    since: datetime,
    until: datetime,
    budget: WorkBudget | None = None,
) -> list[icalendar.Component]:
    """Expand one series to its occurrences starting in [since, until), in start order."""
    found = [
        occurrence
        for occurrence in recurring_ical_events.of(calendar).between(since, until)
        if since <= occurrence["DTSTART"].dt < until
    ]
    if budget is not None:
        budget.spend(len(found))  # the whole file's occurrences, not this series' alone
    if len(found) > MAX_OCCURRENCES_PER_SERIES:
        raise _RejectedError(
            f"it repeats more than {MAX_OCCURRENCES_PER_SERIES} times in the period"
        )
    found.sort(key=lambda occurrence: occurrence["DTSTART"].dt)
    return found


def _datetime(component: icalendar.Component, name: str) -> datetime:
    """A date-time property's value (`_prepare` has made every schedule time an aware datetime)."""
    value: Any = component[name]
    return value.dt


def _check_expansion_cost(
    component: icalendar.Component, since: datetime, until: datetime
) -> tuple[float, float]:
    """Refuse rules whose expansion would take seconds (dateutil walks from DTSTART on).

    Returns the estimated candidate instants and the estimated occurrences in the window (at
    least the true count), so the whole file's totals are bounded before anything expands.
    """
    start = _datetime(component, "DTSTART")
    days = max((until - start).total_seconds() / 86400, 1.0)
    dates = sum(len(getattr(p, "dts", [p])) for p in _values(component.get("RDATE", [])))
    total = occurrences = 1.0 + dates
    for name in ("RRULE", "EXRULE"):
        for rule in _values(component.get(name, [])):
            if not isinstance(rule, icalendar.vRecur):
                raise _RejectedError(f"unreadable {name}")
            freq = str((rule.get("FREQ") or ["?"])[0]).upper()
            if freq not in _CANDIDATES_PER_DAY:
                raise _RejectedError(f"unreadable {name}: no valid FREQ")
            interval = max(int((rule.get("INTERVAL") or [1])[0]), 1)
            per_day = _CANDIDATES_PER_DAY[freq] / interval
            for part in _EXPANDING_PARTS:
                per_day *= max(len(rule.get(part) or ()), 1)
            steps = per_day * days
            if steps > MAX_EXPANSION_STEPS:
                raise _RejectedError(
                    f"its {name} is too frequent or starts too long ago to expand "
                    f"(FREQ={freq} from {_when(start)}); list the shifts individually"
                )
            total += steps
            if name == "RRULE":
                occurrences += _in_window(rule, per_day, start, since, until)
    return total, occurrences


def _in_window(
    rule: icalendar.vRecur, per_day: float, start: datetime, since: datetime, until: datetime
) -> float:
    """At most how many times a rule fires in [since, until) (its COUNT and UNTIL respected)."""
    end = until
    rule_until = (rule.get("UNTIL") or [None])[0]
    if isinstance(rule_until, datetime):
        aware = rule_until if rule_until.tzinfo else rule_until.replace(tzinfo=start.tzinfo)
        end = min(end, aware.astimezone(UTC))
    begin = max(since, start.astimezone(UTC))
    estimate = max((end - begin).total_seconds() / 86400, 0.0) * per_day + 1
    count = (rule.get("COUNT") or [None])[0]
    return min(estimate, float(count)) if isinstance(count, int) else estimate


def expansion_budgets(
    max_occurrences: int = DEFAULT_ICAL_OCCURRENCES, max_steps: int = DEFAULT_ICAL_STEPS
) -> tuple[WorkBudget, WorkBudget]:
    """The whole file's budgets: estimated recurrence steps, then occurrences expanded."""
    hint = "split the file or shorten the period (since/until)"
    return (
        WorkBudget(max_steps, "recurrence steps to expand", "file", hint),
        WorkBudget(max_occurrences, "occurrences in the period", "file", hint),
    )


def parse_shifts_ics(
    data: bytes,
    *,
    since: datetime,
    until: datetime,
    budgets: tuple[WorkBudget, WorkBudget] | None = None,
) -> tuple[list[ImportedEvent], list[ImportProblem]]:
    """Read fixed shifts from an Outlook/Google export: occurrences in [since, until), in UTC.

    An occurrence belongs to the window when it starts in it.  Recurring events are
    expanded (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides); cancelled events and
    cancelled occurrences are skipped silently.  Floating times are read in the file's
    X-WR-TIMEZONE when it declares one (as Google and recurring_ical_events do).  Everything
    else that cannot be imported (all-day events, floating or unknown-zone times, missing or
    non-positive end, broken or runaway recurrence rules) becomes an ImportProblem for its
    whole series; only a file that is not an iCalendar at all raises ValueError.  The whole
    file's expansion is bounded by `budgets` (BudgetExceededError, a 422 on `file`): the
    estimated steps of every series are charged before any is expanded, and occurrences are
    counted as each series expands.
    """
    steps_budget, occurrence_budget = budgets or expansion_budgets()
    for bound, label in ((since, "since"), (until, "until")):
        if bound.tzinfo is None or bound.utcoffset() is None:
            raise ValueError(f"{label} must be timezone-aware")
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    if until <= since:
        raise ValueError("until must be after since")
    calendar = _load(data)

    resolve = _ZoneResolver(calendar)
    wr_name = _text(calendar, "X-WR-TIMEZONE")
    default_zone = _known_zone(wr_name) if wr_name else None
    problems: list[ImportProblem] = []
    if wr_name and default_zone is None:
        problems.append(
            ImportProblem("calendar", f"unknown X-WR-TIMEZONE {wr_name!r}; it was ignored")
        )

    series: dict[str, list[icalendar.Component]] = {}
    for index, component in enumerate(calendar.walk("VEVENT")):
        series_uid = _text(component, "UID")
        series.setdefault(series_uid or f"\0no-uid-{index}", []).append(component)

    ready: list[tuple[str | None, list[icalendar.Component]]] = []
    estimated = 0
    for key, components in series.items():
        uid = None if key.startswith("\0") else key
        rejected = False
        for component in components:
            try:
                _prepare(component, resolve, default_zone)
            except _RejectedError as exc:
                problems.append(ImportProblem(_describe(component), str(exc)))
                rejected = True
            except Exception as exc:  # odd shapes icalendar lets through: duplicated props...
                problems.append(ImportProblem(_describe(component), f"it is unreadable: {exc}"))
                rejected = True
        if not rejected:
            try:
                costs = [_check_expansion_cost(c, since, until) for c in components]
            except (_RejectedError, TypeError, ValueError) as exc:
                problems.append(ImportProblem(_describe(component), str(exc)))
                rejected = True
        if rejected:
            continue
        steps_budget.spend(int(sum(steps for steps, _ in costs)))  # before anything expands
        estimated += int(sum(found for _, found in costs))
        ready.append((uid, components))
    # The whole file's occurrences, estimated before any series expands, then counted as each does.
    occurrence_budget.check(estimated)

    events: list[ImportedEvent] = []
    for uid, components in ready:
        single = icalendar.Calendar()
        if default_zone is not None:
            single.add("X-WR-TIMEZONE", str(default_zone))
        for component in components:
            single.add_component(component)
        try:
            events.extend(_imported(uid, single, since, until, occurrence_budget))
        except BudgetExceededError:
            raise
        except _RejectedError as exc:
            problems.append(ImportProblem(_describe(components[0]), str(exc)))
        except Exception as exc:  # recurring_ical_events / dateutil on a malformed series
            problems.append(
                ImportProblem(_describe(components[0]), f"its recurrence is unreadable: {exc}")
            )
    events.sort(key=lambda event: (event.start, event.end, event.uid or "", event.summary))
    return events, problems


def _load(data: bytes) -> icalendar.Component:
    """Parse the bytes into exactly one VCALENDAR, or raise ValueError saying why not."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not an iCalendar file: it is not UTF-8 encoded (byte {exc.start})"
        ) from exc
    try:
        with warnings.catch_warnings():
            # icalendar warns while guessing "/vendor/Europe/Paris" TZIDs; _ZoneResolver makes
            # the same guess itself.  (catch_warnings is process-wide before Python 3.14; the
            # worst a race can do is leave this one harmless "ignore" filter installed.)
            warnings.simplefilter("ignore", GloballyUniqueTZIDGuessed)
            calendar = icalendar.Calendar.from_ical(text)
    except Exception as exc:  # icalendar raises assorted types on garbage
        raise ValueError(f"not a readable iCalendar file: {exc}") from exc
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise ValueError("not an iCalendar file: it does not contain a VCALENDAR")
    return calendar


def _imported(
    uid: str | None,
    calendar: icalendar.Calendar,
    since: datetime,
    until: datetime,
    budget: WorkBudget | None = None,
) -> list[ImportedEvent]:
    """Expand one series and convert its live occurrences to ImportedEvents."""
    result: list[ImportedEvent] = []
    for occurrence in _occurrences(calendar, since, until, budget):
        if _text(occurrence, "STATUS").upper() == "CANCELLED":
            continue
        local_start = _datetime(occurrence, "DTSTART")
        start = local_start.astimezone(UTC)
        end = _datetime(occurrence, "DTEND").astimezone(UTC)
        summary = _text(occurrence, "SUMMARY")
        if end <= start:
            raise _RejectedError("an occurrence ends before or when it starts")
        emails, names = _attendees(occurrence)
        if summary and summary not in names:
            names = (*names, summary)
        zone = occurrence["DTSTART"].params.get("TZID") or (
            "UTC" if local_start.utcoffset() == timedelta(0) else str(local_start.tzinfo)
        )
        result.append(
            ImportedEvent(
                uid=uid,
                summary=summary,
                start=start,
                end=end,
                attendee_emails=emails,
                names=names,
                line=f'event "{summary or "(untitled)"}" on {_when(local_start)} ({zone})',
            )
        )
    return result
