"""Who to call now, resolved timelines, coverage gaps and previews (read-only)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from common.budget import WorkBudget
from common.db import db
from common.errors import Problem
from directory import freshness, numbers
from directory import service as directory
from directory.models import Party, Person
from rota import resolution as r
from rota.models import MemberChangeRecord, OverrideRecord, RotaRecord
from rota.service import MAX_OVERRIDE
from rota.specs import checked_rota_spec, override_spec, rotation_spec, zone

#: How far a duty's since/until and the language look-ahead reach from the asked instant.
HORIZON = timedelta(days=14)
_MARGIN = timedelta(days=1)
#: Longer than any shift the API accepts (rota.schemas: at most 366 days).
_LONGEST_SHIFT = timedelta(days=367)


@dataclass
class LoadedRota:
    record: RotaRecord
    spec: r.Rota | None  # None while the rota has no rotation and no override
    #: What of the stored data the core refused and was left out (rota.integrity), else None.
    problem: str | None = None


def load_rotas(
    party_ids: list[int] | None, since: datetime, until: datetime
) -> dict[int, list[LoadedRota]]:
    """Rotas per Party, with only the overrides touching [since, until): cost ignores history."""
    query = (
        sa.select(RotaRecord)
        # Joined: a rota has a few rotations, so one statement instead of two.
        .options(joinedload(RotaRecord.rotations))
        .order_by(RotaRecord.party_id, RotaRecord.tier)
    )
    if party_ids is not None:
        query = query.where(RotaRecord.party_id.in_(party_ids))
    rotas = list(db.session.scalars(query).unique())
    changes = _member_changes([rot.id for rt in rotas for rot in rt.rotations], since, until)
    overrides: dict[int, list[OverrideRecord]] = defaultdict(list)
    if rotas:
        found = db.session.scalars(
            sa.select(OverrideRecord).where(
                OverrideRecord.rota_id.in_([rt.id for rt in rotas]),
                OverrideRecord.end_at > since,
                OverrideRecord.start_at < until,
                # Overrides last at most MAX_OVERRIDE: this bound keeps either index's range
                # scan to the asked window, whatever the length of history.
                OverrideRecord.start_at > since - MAX_OVERRIDE,
            )
        )
        for override in found:
            overrides[override.rota_id].append(override)
    out: dict[int, list[LoadedRota]] = defaultdict(list)
    for rota in rotas:
        mine = overrides.get(rota.id, [])
        spec, problem = (
            checked_rota_spec(rota, mine, changes) if (rota.rotations or mine) else (None, None)
        )
        out[rota.party_id].append(LoadedRota(rota, spec, problem))
    return out


def _member_changes(
    rotation_ids: list[int], since: datetime, until: datetime
) -> dict[int, list[MemberChangeRecord]]:
    """Per rotation, the member lists that can apply over [since, until), not the older ones.

    A shift takes the members in force at its handoff, which precedes `since` by at most the
    longest shift: so the changes from then on, and the last one before.
    """
    if not rotation_ids:
        return {}
    mc = MemberChangeRecord
    lo = since - _LONGEST_SHIFT
    last_before = (
        sa.select(mc.rotation_id, sa.func.max(mc.effective_at).label("effective_at"))
        .where(mc.rotation_id.in_(rotation_ids), mc.effective_at <= lo)
        .group_by(mc.rotation_id)
        .subquery()
    )
    query = (
        sa.select(mc)
        .outerjoin(last_before, last_before.c.rotation_id == mc.rotation_id)
        .where(
            mc.rotation_id.in_(rotation_ids),
            mc.effective_at < until,
            mc.effective_at >= sa.func.coalesce(last_before.c.effective_at, lo),
        )
        .order_by(mc.rotation_id, mc.effective_at)
    )
    out: dict[int, list[MemberChangeRecord]] = defaultdict(list)
    for change in db.session.scalars(query):
        out[change.rotation_id].append(change)
    return out


def _gap(since: datetime, until: datetime) -> r.Shift:
    return r.Shift(start=since, end=until, person_id=None, source=r.SOURCE_GAP)


def estimated_segments(specs: list[r.Rota | None], since: datetime, until: datetime) -> int:
    """An upper estimate of the shift segments resolving these rotas over [since, until) makes."""
    span = until - since
    days = span.days + 2
    total = 0
    for spec in specs:
        total += 1
        if spec is None:
            continue
        total += 2 * len(spec.overrides)
        for rotation in spec.rotations:
            total += int(span / rotation.shift_length) + 2 + len(rotation.member_changes)
            total += len(rotation.windows) * days
    return total


def charge_timelines(
    budget: WorkBudget | None, specs: list[r.Rota | None], since: datetime, until: datetime
) -> None:
    """Refuse (422) before resolving when the estimated work is over the request's budget."""
    if budget is not None:
        budget.spend(estimated_segments(specs, since, until))


def rota_timeline(loaded: LoadedRota, since: datetime, until: datetime) -> list[r.Shift]:
    if loaded.spec is None:
        return [_gap(since, until)]
    return r.timeline(loaded.spec, since, until)


def duty_at(loaded: LoadedRota, at: datetime) -> r.Shift:
    if loaded.spec is None:
        return _gap(at - HORIZON, at + HORIZON)
    return r.on_call_at(loaded.spec, at, HORIZON)


# --- who to call now -----------------------------------------------------------------------


@dataclass
class TierDuty:
    rota: RotaRecord
    shift: r.Shift
    person: Person | None
    next_shift: r.Shift | None
    next_person: Person | None
    clipped_until: bool


@dataclass
class LanguageAnswer:
    tag: str
    on_duty: list[tuple[int, Person]] = field(default_factory=list)  # (tier, person)
    next: tuple[int, Person, datetime] | None = None  # (tier, person, from)


@dataclass
class OnCall:
    party: Party
    at: datetime
    tz_name: str
    tiers: list[TierDuty]
    next_handoff: datetime | None
    language: LanguageAnswer | None
    #: The Party's last confirmation (directory.freshness); its state is computed when shown.
    confirmation: Any = None
    #: Graded state of each on-duty number that was ever tested (directory.numbers).
    number_states: dict[str, str] = field(default_factory=dict)
    #: When a designation announced ahead takes over (the answer changes then).
    designation_change_at: datetime | None = None


def _party_zone(party: Party, rotas: list[LoadedRota], at: datetime) -> str:
    cp = party.contact_point_at(at)
    if cp is not None:
        return cp.timezone
    return rotas[0].record.timezone if rotas else "UTC"


def resolve_on_call(
    parties: list[Party],
    at: datetime,
    *,
    lang: str | None = None,
    tier: int | None = None,
    with_next: bool = True,
) -> list[OnCall]:
    """For each Party at instant `at` (aware): who is on duty per tier, and until when.

    `with_next=False` skips resolving who comes next (the network board does not show it).
    """
    ids = [p.id for p in parties]
    loaded = load_rotas(ids, at - HORIZON - _MARGIN, at + 2 * HORIZON + _MARGIN)
    people = directory.people_of_parties(ids if len(ids) < 50 else None)
    confirmations = freshness.latest_confirmations(ids if len(ids) < 50 else None)
    answers = []
    for party in parties:
        rotas = [lr for lr in loaded.get(party.id, []) if tier is None or lr.record.tier == tier]
        duties = []
        for lr in rotas:
            shift = duty_at(lr, at)
            clipped = shift.end >= at + HORIZON
            nxt = None if clipped or not with_next else duty_at(lr, shift.end)
            duties.append(
                TierDuty(
                    rota=lr.record,
                    shift=shift,
                    person=people.get(shift.person_id or 0),
                    next_shift=nxt,
                    next_person=people.get(nxt.person_id or 0) if nxt else None,
                    clipped_until=clipped,
                )
            )
        ends = [d.shift.end for d in duties if not d.clipped_until]
        answers.append(
            OnCall(
                party=party,
                at=at,
                tz_name=_party_zone(party, rotas, at),
                tiers=duties,
                next_handoff=min(ends) if ends else None,
                language=_language(lang, rotas, duties, people, at) if lang else None,
                confirmation=confirmations.get(party.id),
                designation_change_at=_designation_change(party, at),
            )
        )
    _attach_number_states(answers)
    return answers


def _designation_change(party: Party, at: datetime) -> datetime | None:
    """The instant after `at` at which an announced designation takes over, if any."""
    later = [
        cp.effective_at
        for cp in party.contact_points
        if cp.effective_at is not None and cp.effective_at > at
    ]
    return min(later) if later else None


def _attach_number_states(answers: list[OnCall]) -> None:
    """One query for the states of every number the answers show."""
    shown = {
        phone.e164
        for answer in answers
        for duty in answer.tiers
        for person in (duty.person, duty.next_person)
        if person is not None
        for phone in person.phones
    }
    states = numbers.number_states(shown)
    for answer in answers:
        answer.number_states = states


def _language(
    tag: str,
    rotas: list[LoadedRota],
    duties: list[TierDuty],
    people: dict[int, Person],
    at: datetime,
) -> LanguageAnswer:
    """Who on duty speaks `tag`; if nobody, who next will, looking ahead up to 14 days."""
    answer = LanguageAnswer(tag=tag)
    for duty in duties:
        if duty.person is not None and directory.speaks(duty.person, tag):
            answer.on_duty.append((duty.rota.tier, duty.person))
    if answer.on_duty:
        return answer
    best: tuple[datetime, int, Person] | None = None
    for lr in rotas:
        for shift in rota_timeline(lr, at, at + HORIZON):
            person = people.get(shift.person_id or 0)
            if person is not None and directory.speaks(person, tag):
                if best is None or (shift.start, lr.record.tier) < (best[0], best[1]):
                    best = (shift.start, lr.record.tier, person)
                break
    if best is not None:
        answer.next = (best[1], best[2], best[0])
    return answer


# --- timelines, gaps, preview ------------------------------------------------------------


def party_timelines(
    party: Party,
    since: datetime,
    until: datetime,
    tier: int | None = None,
    budget: WorkBudget | None = None,
) -> list[tuple[RotaRecord, list[r.Shift]]]:
    """The merged, contiguous shifts of each tier (gaps explicit) over [since, until)."""
    loaded = load_rotas([party.id], since, until).get(party.id, [])
    chosen = [lr for lr in loaded if tier is None or lr.record.tier == tier]
    charge_timelines(budget, [lr.spec for lr in chosen], since, until)
    return [
        (lr.record, rota_timeline(lr, since, until))
        for lr in loaded
        if tier is None or lr.record.tier == tier
    ]


@dataclass
class Gap:
    party: Party
    tier: int
    rota: RotaRecord | None
    start: datetime
    end: datetime
    #: Set when the rota's stored data is broken (rota.integrity): the shifts around it are
    #: resolved without the refused rows, so look at the rota whatever the gap says.
    problem: str | None = None


def coverage_gaps(
    since: datetime,
    until: datetime,
    *,
    all_tiers: bool = False,
    statuses: tuple[str, ...] = ("party",),
    budget: WorkBudget | None = None,
) -> list[Gap]:
    """Every hole in 24/7 coverage on tier 1 (or every tier) of the Parties with these statuses."""
    parties = [p for p in directory.list_parties() if p.status in statuses]
    loaded = load_rotas([p.id for p in parties], since, until)
    charge_timelines(
        budget,
        [lr.spec for lrs in loaded.values() for lr in lrs if all_tiers or lr.record.tier == 1],
        since,
        until,
    )
    gaps = []
    for party in parties:
        rotas = loaded.get(party.id, [])
        if not any(lr.record.tier == 1 for lr in rotas):
            gaps.append(Gap(party, 1, None, since, until))
        for lr in rotas:
            if lr.record.tier != 1 and not all_tiers:
                continue
            if lr.problem is not None:
                gaps.append(Gap(party, lr.record.tier, lr.record, since, since, lr.problem))
            for shift in rota_timeline(lr, since, until):
                if shift.person_id is None:
                    gaps.append(Gap(party, lr.record.tier, lr.record, shift.start, shift.end))
    return gaps


def preview_timeline(
    party: Party,
    data: dict[str, Any],
    since: datetime,
    until: datetime,
    budget: WorkBudget | None = None,
    *,
    now: datetime,
) -> list[r.Shift]:
    """The timeline a proposed (unsaved) rota definition would give (in the zone of the Party's
    contact point at `now` unless the definition names one)."""
    from rota.service import check_members

    for i, rot in enumerate(data["rotations"]):
        check_members(party.id, rot["members"], field=f"rotations[{i}].members")
    for i, ovr in enumerate(data.get("overrides") or []):
        check_members(party.id, [ovr["person_id"]], field=f"overrides[{i}].person_id", scalar=True)
    cp = party.contact_point_at(now)
    tz_name = data.get("timezone") or (cp.timezone if cp else None)
    if not tz_name:
        raise Problem(
            422,
            "timezone: required while the Party has no contact point",
            errors=[{"field": "timezone", "reason": "required"}],
        )
    rotations = []
    for i, rot in enumerate(data["rotations"]):
        shaped = SimpleNamespace(
            start_local=rot["start_local"],
            shift_length=rot["shift_length"],
            members=rot["members"],
            member_changes=(),
            restrictions=[
                {
                    "weekdays": w["weekdays"],
                    "from_local": w["from_local"].strftime("%H:%M"),
                    "to_local": w["to_local"].strftime("%H:%M"),
                }
                for w in rot.get("restrictions") or []
            ],
        )
        rotations.append(rotation_spec(shaped, rotation_id=-(i + 1)))
    overrides = sorted(data.get("overrides") or [], key=lambda o: o["start"])
    for a, b in itertools.pairwise(overrides):
        if b["start"] < a["end"]:
            raise Problem(409, "two proposed overrides overlap")
    spec = r.Rota(
        id=0,
        tz=zone(tz_name),
        rotations=tuple(rotations),
        overrides=tuple(
            override_spec(
                SimpleNamespace(  # type: ignore[arg-type]  # a proposed override, duck-typed
                    id=-(i + 1), person_id=o["person_id"], start_at=o["start"], end_at=o["end"]
                )
            )
            for i, o in enumerate(overrides)
        ),
    )
    charge_timelines(budget, [spec], since, until)
    return r.timeline(spec, since, until)
