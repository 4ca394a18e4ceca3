"""Resolved shifts to the geometry of a timeline picture (drawn as inline SVG by a template).

Everything is in picture units: the lane is `WIDTH` wide and covers [since, until). Day lines
fall on local midnights of the zone the picture is shown in, so a day after a DST change is
23 or 25 hours wide, as it is on the wall.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from directory.models import Person
from rota import resolution as r
from web import formatting as fmt

WIDTH = 1000
#: Label size in picture units: the picture is never drawn under 43rem (688 px) wide (CSS), so
#: a label is at least 20 × 0.688 = 13.8 px on screen (day names, at 18, 12.4 px).
FONT = 20
CHAR = 11.5  # the average width of a character at FONT, for deciding what fits
#: Fill and text colours, all at least 4.5:1; a gap is always red and labelled, not only coloured.
PALETTE = (
    ("#cfe3ff", "#0b2a55"),
    ("#d7f0d2", "#123d12"),
    ("#ffe3b8", "#4a2a00"),
    ("#e8d9ff", "#2e1457"),
    ("#cdeff0", "#0b3b3d"),
    ("#ffd6e7", "#5a0f30"),
    ("#eee8b0", "#3a3500"),
    ("#e0e0e0", "#202020"),
)
GAP_FILL, GAP_TEXT = "#b3261e", "#ffffff"


@dataclass
class Bar:
    x: float
    width: float
    label: str
    title: str
    gap: bool
    source: str
    fill: str
    text: str
    person_id: int | None
    href: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    shown: str = ""  # what fits in the bar: the name, its initials, or nothing
    now: bool = False


@dataclass
class Entry:
    """One shift or gap within one local day, for the day-by-day list shown on phones."""

    start: str
    end: str
    label: str
    gap: bool
    now: bool
    href: str | None


@dataclass
class Day:
    label: str
    entries: list[Entry]


@dataclass
class Lane:
    tier: int
    name: str
    rota_id: int | None
    bars: list[Bar]
    legend: list[tuple[str, str]] = field(default_factory=list)  # (initials, full name)
    days: list[Day] = field(default_factory=list)


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Picture:
    since: datetime
    until: datetime
    tz: str
    ticks: list[Tick]
    now_x: float | None
    lanes: list[Lane] = field(default_factory=list)


def _x(at: datetime, since: datetime, span: float) -> float:
    return round((at - since).total_seconds() / span * WIDTH, 2)


def local_midnights(since: datetime, until: datetime, tz: ZoneInfo) -> list[datetime]:
    """Every local midnight in [since, until) in zone `tz` (aware)."""
    first: date = since.astimezone(tz).date()
    out = []
    for i in range((until - since).days + 2):
        midnight = datetime.combine(first + timedelta(days=i), time(0), tzinfo=tz)
        if since <= midnight < until:
            out.append(midnight)
    return out


def initials(name: str) -> str:
    """'Anne Dupont' → 'AD'; a name in brackets (a transliteration) is left out."""
    words = [w for w in name.split("(")[0].split() if w[:1].isalpha()]
    # Upper-casing is for Latin letters only (Georgian would turn into another script).
    return "".join(w[0].upper() if w[0].isascii() else w[0] for w in words[:3]) or name[:2]


def fitted(label: str, short: str, width: float) -> str:
    """The longest of the name or its initials that fits a bar `width` units wide."""
    room = width - 8
    if len(label) * CHAR <= room:
        return label
    if len(short) * CHAR <= room:
        return short
    return ""


def _day_end(end: datetime, tz: ZoneInfo) -> str:
    """'18:00', or '24:00' for a piece that runs to the end of its day (local midnight)."""
    local = end.astimezone(tz)
    return "24:00" if local.time() == time(0) else fmt.clock(end, tz)


def day_list(
    bars: list[Bar], since: datetime, until: datetime, tz: ZoneInfo, now: datetime
) -> list[Day]:
    """The lane's shifts cut at local midnights: a list to read on a narrow screen."""
    days = []
    starts = [since, *local_midnights(since + timedelta(seconds=1), until, tz)]
    for index, first in enumerate(starts):
        last = starts[index + 1] if index + 1 < len(starts) else until
        entries = []
        for bar in bars:
            if bar.start is None or bar.end is None or bar.end <= first or bar.start >= last:
                continue
            start, end = max(bar.start, first), min(bar.end, last)
            entries.append(
                Entry(
                    start=fmt.clock(start, tz),
                    end=_day_end(end, tz),
                    label=bar.label,
                    gap=bar.gap,
                    now=start <= now < end,
                    href=bar.href,
                )
            )
        if entries:
            days.append(Day(fmt.day(first, tz, "MMMMEEEEd"), entries))
    return days


def day_start(at: datetime, tz: ZoneInfo) -> datetime:
    """The local midnight (in `tz`) that starts the day containing `at`."""
    return datetime.combine(at.astimezone(tz).date(), time(0), tzinfo=tz)


def build_picture(
    timelines: list[tuple[Any, list[r.Shift]]],
    people: dict[int, Person],
    since: datetime,
    until: datetime,
    tz_name: str,
    now: datetime,
    *,
    gap_href: Any = None,
) -> Picture:
    """Lanes of bars for each (rota, shifts); `gap_href(rota, shift)` may link gaps to a fix."""
    tz = ZoneInfo(tz_name)
    span = (until - since).total_seconds()
    ticks = [
        Tick(_x(m, since, span), fmt.day(m, tz, "Ed")) for m in local_midnights(since, until, tz)
    ]
    now_x = _x(now, since, span) if since <= now < until else None
    colours: dict[int, tuple[str, str]] = {}
    picture = Picture(since=since, until=until, tz=tz_name, ticks=ticks, now_x=now_x)
    for rota, shifts in timelines:
        bars = []
        for shift in shifts:
            start, end = max(shift.start, since), min(shift.end, until)
            if end <= start:
                continue
            person = people.get(shift.person_id or 0)
            period = f"{fmt.when(start, tz)} – {fmt.when(end, tz)}"
            if person is None:
                fill, text = GAP_FILL, GAP_TEXT
                label, short = _("Nobody on duty"), "✗"
            else:
                fill, text = colours.setdefault(person.id, PALETTE[len(colours) % len(PALETTE)])
                label, short = person.full_name, initials(person.full_name)
            extra = " (" + _("override") + ")" if shift.source == r.SOURCE_OVERRIDE else ""
            width = max(_x(end, since, span) - _x(start, since, span), 0.5)
            # Only a gap still to come can be covered: past ones are history.
            fixable = person is None and gap_href is not None and end > now
            bars.append(
                Bar(
                    x=_x(start, since, span),
                    width=width,
                    label=label,
                    title=f"{label}{extra}: {period}",
                    gap=person is None,
                    source=shift.source,
                    fill=fill,
                    text=text,
                    person_id=person.id if person else None,
                    href=gap_href(rota, shift) if fixable else None,
                    start=start,
                    end=end,
                    shown=fitted(label, short, width),
                    now=start <= now < end,
                )
            )
        legend = sorted(
            {(initials(b.label) if not b.gap else "✗", b.label) for b in bars if b.shown != b.label}
        )
        picture.lanes.append(
            Lane(
                tier=rota.tier,
                name=rota.name,
                rota_id=getattr(rota, "id", None),
                bars=bars,
                legend=legend,
                days=day_list(bars, since, until, tz, now),
            )
        )
    return picture
