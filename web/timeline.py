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


@dataclass
class Lane:
    tier: int
    name: str
    rota_id: int | None
    bars: list[Bar]


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
                label = _("Nobody on duty")
            else:
                fill, text = colours.setdefault(person.id, PALETTE[len(colours) % len(PALETTE)])
                label = person.full_name
            extra = " (" + _("override") + ")" if shift.source == r.SOURCE_OVERRIDE else ""
            bars.append(
                Bar(
                    x=_x(start, since, span),
                    width=max(_x(end, since, span) - _x(start, since, span), 0.5),
                    label=label,
                    title=f"{label}{extra}: {period}",
                    gap=person is None,
                    source=shift.source,
                    fill=fill,
                    text=text,
                    person_id=person.id if person else None,
                    href=gap_href(rota, shift) if (person is None and gap_href) else None,
                )
            )
        picture.lanes.append(
            Lane(
                tier=rota.tier,
                name=rota.name,
                rota_id=getattr(rota, "id", None),
                bars=bars,
            )
        )
    return picture
