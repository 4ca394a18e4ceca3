"""Demo rotas that look real for every demo Party, with a few overrides and deliberate gaps.

`plan_party_rotas` is pure: from a Party's zone, its people and `now` it decides the rotas, their
rotations and overrides. `load_demo_rotas` creates them through `rota.service`, so they are
validated and audited like any other change.

Rotations start at a fixed anchor (Monday 1 January 2024, local wall-clock time), so their
definitions are the same whenever the demo is loaded and someone is on duty now. Overrides are
placed relative to the week of `now` (Monday, in the Party's zone), so they always show in the
coming days. What a Party gets:

- tier 1 "Duty officer": a weekly duty officer handing off Monday 09:00, under an "After hours"
  layer (a different person every weeknight, Monday to Friday 18:00 → 08:00);
- tier 2 "Duty prosecutor": daily (08:00) or weekly (Monday 09:00), by Party;
- tier 3 "Head of unit" for some Parties: the head and a deputy, a fortnight each (the head
  then leaves the duty officer roster when the unit has four people or more);
- overrides: "covers Tuesday night" next week (tier 1, most Parties), a whole-week swap that
  covers now (tier 1, a few), "covers the weekend" next week (tier 2, some);
- where a demo person has left the unit, the rotations drop them from four weeks before `now`
  (a member change: past shifts keep them).

Deliberate gaps, for the coverage view: Andorra, Liechtenstein and San Marino staff their duty
officer only on weekdays (Friday 18:00 → Monday 08:00 is uncovered), Tonga has no tier-1 rota at
all, and Kiribati's prosecutor works office hours only (a tier-2 gap).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from directory import service as directory
from directory.models import Party, User
from rota import service
from rota.resolution import to_utc

#: Monday: the first handoff of every demo rotation (local wall-clock time of its rota).
ANCHOR = date(2024, 1, 1)
#: Duty officer only on weekdays: Friday 18:00 → Monday 08:00 local is a gap every week.
WEEKEND_GAP_PARTIES = ("AD", "LI", "SM")
#: No tier-1 rota at all (only a prosecutor): the whole period is a tier-1 gap.
NO_TIER_1_PARTIES = ("TO",)
#: The prosecutor (tier 2) works office hours only: gaps on tier 2.
OFFICE_HOURS_PROSECUTOR_PARTIES = ("KI",)
#: Parties used in examples: they show every layer (three tiers and the Tuesday-night override).
SHOWCASE_PARTIES = ("FR", "DE", "US")

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)


@dataclass(frozen=True)
class PlannedRotation:
    name: str
    members: list[int]
    start_local: datetime  # naive, the rota's zone
    shift_length: str  # canonical ISO 8601 duration
    restrictions: list[dict[str, Any]] = field(default_factory=list)
    #: (effective_at, members): a later member change, e.g. someone left the unit.
    member_change: tuple[datetime, list[int]] | None = None


@dataclass(frozen=True)
class PlannedOverride:
    person_id: int
    start: datetime  # aware UTC
    end: datetime  # aware UTC
    note: str


@dataclass(frozen=True)
class PlannedRota:
    tier: int
    name: str
    rotations: list[PlannedRotation]
    overrides: list[PlannedOverride] = field(default_factory=list)


@dataclass
class DemoRotasReport:
    rotas: int = 0
    rotations: int = 0
    member_changes: int = 0
    overrides: int = 0
    parties: int = 0
    deliberate_gaps: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.rotas} rotas, {self.rotations} rotations, {self.member_changes} member "
            f"changes, {self.overrides} overrides for {self.parties} Parties"
        )


def _window(days: list[str], from_local: time, to_local: time) -> dict[str, Any]:
    return {"weekdays": list(days), "from_local": from_local, "to_local": to_local}


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock)


def _rotated(members: list[int], by: int) -> list[int]:
    by %= len(members)
    return members[by:] + members[:by]


def plan_party_rotas(
    iso2: str, zone_name: str, active: list[int], former: list[int], now: datetime
) -> list[PlannedRota]:
    """The demo rotas of one Party (pure): `active` and `former` are person ids, `now` aware."""
    if len(active) < 2:
        return []
    rng = random.Random(f"art35-demo-rota-{iso2}")  # noqa: S311 -- demo data, not security
    tz = ZoneInfo(zone_name)
    monday = now.astimezone(tz).date()
    monday -= timedelta(days=monday.weekday())
    next_monday = monday + _WEEK
    # Someone who left the unit was on the rotations until four weeks ago.
    left_at = to_utc(_at(monday - 4 * _WEEK, time(9)), tz) if former else None

    def rotation(
        name: str,
        members: list[int],
        start: time,
        length: str,
        restrictions: list[dict[str, Any]] | None = None,
    ) -> PlannedRotation:
        change = None
        if left_at is not None:
            # Before the departure the former colleague took turns too (they were last in line).
            change = (left_at, members)
            members = members + former
        return PlannedRotation(
            name=name,
            members=members,
            start_local=_at(ANCHOR, start),
            shift_length=length,
            restrictions=restrictions or [],
            member_change=change,
        )

    def on_duty(members: list[int], first: datetime, length: timedelta, local: datetime) -> int:
        """Who of `members` a rotation starting at `first` puts on duty at a local time."""
        return members[((local - first) // length) % len(members)]

    rotas: list[PlannedRota] = []
    showcase = iso2 in SHOWCASE_PARTIES
    head_on_call = showcase or rng.random() < 0.3

    if iso2 not in NO_TIER_1_PARTIES:
        # Where the head of unit has a tier of their own and the unit is big enough, they
        # leave the duty officer roster to the others.
        officers = active[1:] if head_on_call and len(active) >= 4 else list(active)
        nights = _rotated(officers, 1)
        if iso2 in WEEKEND_GAP_PARTIES:
            layers = [
                rotation(
                    "Office hours",
                    officers,
                    time(8),
                    "P7D",
                    [_window(WEEKDAYS, time(8), time(18))],
                ),
                rotation(
                    "Weeknights",
                    nights,
                    time(18),
                    "P1D",
                    [_window(WEEKDAYS[:4], time(18), time(8))],
                ),
            ]
        else:
            layers = [
                rotation("Weekly duty officer", officers, time(9), "P7D"),
                rotation(
                    "After hours", nights, time(18), "P1D", [_window(WEEKDAYS, time(18), time(8))]
                ),
            ]
        overrides = []
        if iso2 not in WEEKEND_GAP_PARTIES and rng.random() < 0.15:
            scheduled = on_duty(officers, _at(ANCHOR, time(9)), _WEEK, _at(monday, time(9)))
            cover = officers[(officers.index(scheduled) + 1) % len(officers)]
            overrides.append(
                PlannedOverride(
                    cover,
                    to_utc(_at(monday, time(9)), tz),
                    to_utc(_at(next_monday, time(9)), tz),
                    "swapped weeks: covers this week, day and night",
                )
            )
        if showcase or rng.random() < 0.6:
            tuesday = next_monday + _DAY
            scheduled = on_duty(nights, _at(ANCHOR, time(18)), _DAY, _at(tuesday, time(18)))
            cover = nights[(nights.index(scheduled) + 1) % len(nights)]
            overrides.append(
                PlannedOverride(
                    cover,
                    to_utc(_at(tuesday, time(18)), tz),
                    to_utc(_at(tuesday + _DAY, time(8)), tz),
                    "covers Tuesday night",
                )
            )
        rotas.append(PlannedRota(1, "Duty officer", layers, overrides))

    prosecutors = list(reversed(active))
    daily = rng.random() < 0.5
    handoff, length = (time(8), _DAY) if daily else (time(9), _WEEK)
    office_only = iso2 in OFFICE_HOURS_PROSECUTOR_PARTIES
    prosecutor = rotation(
        "Daily duty prosecutor" if daily else "Weekly duty prosecutor",
        prosecutors,
        handoff,
        "P1D" if daily else "P7D",
        [_window(WEEKDAYS, time(8), time(18))] if office_only else None,
    )
    overrides = []
    if not office_only and (rng.random() < 0.3 or showcase):
        saturday = next_monday + 5 * _DAY
        scheduled = on_duty(prosecutors, _at(ANCHOR, handoff), length, _at(saturday, time(8)))
        overrides.append(
            PlannedOverride(
                prosecutors[(prosecutors.index(scheduled) + 1) % len(prosecutors)],
                to_utc(_at(saturday, time(8)), tz),
                to_utc(_at(saturday + 2 * _DAY, time(8)), tz),
                "covers the weekend",
            )
        )
    rotas.append(PlannedRota(2, "Duty prosecutor", [prosecutor], overrides))

    if head_on_call:
        heads = rotation("Head of unit on call", active[:2], time(9), "P14D")
        rotas.append(PlannedRota(3, "Head of unit", [heads]))
    return rotas


def _deliberate_gaps(iso2: str) -> str | None:
    if iso2 in WEEKEND_GAP_PARTIES:
        return f"{iso2}: tier 1 uncovered every Friday 18:00 → Monday 08:00 (local)"
    if iso2 in NO_TIER_1_PARTIES:
        return f"{iso2}: no tier-1 rota at all"
    if iso2 in OFFICE_HOURS_PROSECUTOR_PARTIES:
        return f"{iso2}: tier 2 (prosecutor) covers office hours only"
    return None


def load_demo_rotas(actor: User, now: datetime) -> DemoRotasReport:
    """Create the demo rotas of every Party with a contact point (flushes, never commits)."""
    report = DemoRotasReport()
    for party in directory.list_parties():
        cp = party.contact_point_at(now)
        if cp is None:
            continue
        active = [p.id for p in party.people if p.active]
        former = [p.id for p in party.people if not p.active]
        plans = plan_party_rotas(party.iso2, cp.timezone, active, former, now)
        if not plans:
            continue
        _create(actor, party, plans, now, report)
        report.parties += 1
        gap = _deliberate_gaps(party.iso2)
        if gap:
            report.deliberate_gaps.append(gap)
    return report


def _create(
    actor: User, party: Party, plans: list[PlannedRota], now: datetime, report: DemoRotasReport
) -> None:
    for plan in plans:
        rota = service.create_rota(actor, party, {"name": plan.name, "tier": plan.tier}, now)
        report.rotas += 1
        for planned in plan.rotations:
            rotation = service.add_rotation(
                actor,
                rota,
                {
                    "name": planned.name,
                    "members": planned.members,
                    "start_local": planned.start_local,
                    "shift_length": planned.shift_length,
                    "restrictions": planned.restrictions,
                },
                now,
            )
            report.rotations += 1
            if planned.member_change is not None:
                effective_at, members = planned.member_change
                service.update_rotation(
                    actor,
                    rotation,
                    {"members": members, "members_effective_at": effective_at},
                    now,
                )
                report.member_changes += 1
        for override in plan.overrides:
            service.create_override(
                actor,
                rota,
                {
                    "person_id": override.person_id,
                    "start": override.start,
                    "end": override.end,
                    "note": override.note,
                },
                now,
            )
            report.overrides += 1
