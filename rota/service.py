"""Rota business rules: create and change rotas, rotations and overrides (audited)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from common.concurrency import held_by_database, touch, violated_constraint
from common.db import db
from common.errors import Problem, not_found
from directory import service as directory
from directory.access import require_party_editor
from directory.audit import record_change
from directory.models import Party, Person, User
from rota import integrity
from rota.models import (
    OVERRIDE_NO_OVERLAP,
    MemberChangeRecord,
    OverrideRecord,
    RotaRecord,
    RotationRecord,
)
from rota.present import present_override, present_rota

#: Overrides are bounded so that lookups can bound their index scans (see rota.lookup).
MAX_OVERRIDE = timedelta(days=366)

#: Called after any change of a rota as (rota, before, now), `before` being its state before
#: the change (None for a new rota); calendars use it to version the shifts they published.
ROTA_CHANGE_LISTENERS: list[Callable[[RotaRecord, Any, datetime], None]] = []


def _window_json(window: dict[str, Any]) -> dict[str, Any]:
    return {
        "weekdays": list(window["weekdays"]),
        "from_local": window["from_local"].strftime("%H:%M"),
        "to_local": window["to_local"].strftime("%H:%M"),
    }


def _snapshot(rota: RotaRecord) -> Any:
    """What listeners need of the rota before a change (its resolvable definition)."""
    from rota.specs import rota_spec

    overrides = list(
        db.session.scalars(sa.select(OverrideRecord).where(OverrideRecord.rota_id == rota.id))
    )
    return rota_spec(rota, overrides) if (rota.rotations or overrides) else None


def _changed(rota: RotaRecord, before: Any, now: datetime, *, guarded: bool = True) -> None:
    """Stamp the rota and tell the listeners.

    `guarded`: the rota's own UPDATE checks the version this request read (a rota or rotation
    write, which may carry If-Match); otherwise (overrides) the version moves unconditionally,
    so two overrides added side by side both succeed while the rota's ETag still changes.
    """
    if guarded:
        touch(rota)
        rota.updated_at = now
        db.session.flush()
    else:
        db.session.flush()
        db.session.execute(
            sa.update(RotaRecord.__table__)
            .where(RotaRecord.__table__.c.id == rota.id)
            .values(updated_at=now, version=RotaRecord.__table__.c.version + 1)
        )
        db.session.expire(rota, ["updated_at", "version"])
    integrity.cleared(rota.id)  # written here again: a lookup re-reports it if still broken
    for listener in ROTA_CHANGE_LISTENERS:
        listener(rota, before, now)


@contextmanager
def _editing(actor: User, rota: RotaRecord, now: datetime) -> Iterator[Party]:
    """Around a change of a rota: rights first, then listeners and the audit entry after it."""
    party = party_of(rota)
    require_party_editor(actor, party.id)
    before_spec = _snapshot(rota)
    before = present_rota(rota, party.iso2)
    yield party
    _changed(rota, before_spec, now)
    record_change(
        actor,
        "update",
        "rota",
        rota.id,
        party_id=party.id,
        before=before,
        after=present_rota(rota, party.iso2),
        now=now,
    )


def list_rotas(party: Party) -> list[RotaRecord]:
    query = (
        sa.select(RotaRecord)
        .options(selectinload(RotaRecord.rotations).selectinload(RotationRecord.member_changes))
        .where(RotaRecord.party_id == party.id)
        .order_by(RotaRecord.tier)
    )
    return list(db.session.scalars(query))


def get_rota(rota_id: int) -> RotaRecord:
    rota = db.session.get(RotaRecord, rota_id)
    if rota is None:
        raise not_found(f"rota {rota_id}")
    return rota


def party_of(rota: RotaRecord) -> Party:
    return directory.get_party_by_id(rota.party_id)


def check_members(
    party_id: int,
    member_ids: list[int],
    field: str = "members",
    *,
    hold: bool = False,
    scalar: bool = False,
) -> None:
    """Every member must be a person of the rota's Party (`scalar`: `field` names one person,
    as an override's `person_id`, so errors name it without an index).

    `hold`: the writer is about to name them in a rotation, so their rows are locked (FOR KEY
    SHARE) until it commits: deleting one of them (which locks the person FOR UPDATE before its
    guard reads the rotations, see directory.service.delete_person) waits for this writer and
    then sees the new member, or, had it locked first, is gone by the time this lock is granted
    and so is not found here. Rotations keep person ids in JSON, where no foreign key can hold
    them. SQLite takes the write lock at BEGIN (common.db) and needs none of this.
    """
    query = sa.select(Person.id).where(Person.party_id == party_id, Person.id.in_(member_ids))
    if hold:
        query = query.order_by(Person.id).with_for_update(read=True, key_share=True)
    known = set(db.session.scalars(query))
    errors = [
        {"field": f"{field}[{i}]", "reason": f"no person {pid} in this Party"}
        for i, pid in enumerate(member_ids)
        if pid not in known
    ]
    if scalar:
        for error in errors:
            error["field"] = field
    if errors:
        raise Problem(422, errors[0]["reason"], errors=errors)


def _tier_taken(party_id: int, tier: int, except_id: int | None = None) -> None:
    query = sa.select(RotaRecord).where(RotaRecord.party_id == party_id, RotaRecord.tier == tier)
    other = db.session.scalar(query)
    if other is not None and other.id != except_id:
        raise Problem(
            409,
            f"tier {tier} is already rota {other.id} ({other.name!r}): one rota per tier",
            extra={"conflict": {"rota_id": other.id}},
        )


@contextmanager
def _tier_held(party_id: int, tier: int, except_id: int | None = None) -> Iterator[None]:
    """The check above is for a clear answer; uq_rota_party_id_tier holds the rule under races."""
    try:
        with held_by_database():
            yield
    except sa.exc.IntegrityError as error:
        if violated_constraint(error) != "uq_rota_party_id_tier":
            raise
        _tier_taken(party_id, tier, except_id)
        raise Problem(
            409, f"tier {tier} was just taken by another rota: one rota per tier"
        ) from None


def create_rota(actor: User, party: Party, data: dict[str, Any], now: datetime) -> RotaRecord:
    """A rota in the Party's zone unless another is given."""
    require_party_editor(actor, party.id)
    zone = data.get("timezone")
    if not zone:
        cp = party.contact_point_at(now)
        if cp is None:
            raise Problem(
                422,
                "timezone: required while the Party has no contact point",
                errors=[{"field": "timezone", "reason": "required (no contact point zone)"}],
            )
        zone = cp.timezone
    _tier_taken(party.id, data["tier"])
    rota = RotaRecord(
        party_id=party.id,
        name=data["name"],
        tier=data["tier"],
        timezone=zone,
        created_at=now,
        updated_at=now,
    )
    with _tier_held(party.id, data["tier"]):
        db.session.add(rota)
    record_change(
        actor,
        "create",
        "rota",
        rota.id,
        party_id=party.id,
        before=None,
        after=present_rota(rota, party.iso2),
        now=now,
    )
    _changed(rota, None, now, guarded=False)
    return rota


def update_rota(actor: User, rota: RotaRecord, changes: dict[str, Any], now: datetime) -> None:
    tier = changes.get("tier", rota.tier)
    with _tier_held(rota.party_id, tier, rota.id), _editing(actor, rota, now) as party:
        if "tier" in changes:
            _tier_taken(party.id, changes["tier"], except_id=rota.id)
        for key, value in changes.items():
            setattr(rota, key, value)


def delete_rota(actor: User, rota: RotaRecord, now: datetime) -> None:
    party = party_of(rota)
    require_party_editor(actor, party.id)
    before_spec = _snapshot(rota)
    before = present_rota(rota, party.iso2)
    db.session.execute(sa.delete(OverrideRecord).where(OverrideRecord.rota_id == rota.id))
    db.session.delete(rota)
    db.session.flush()
    # After the delete, so listeners see the rota as deleted (sa.inspect(rota).deleted).
    for listener in ROTA_CHANGE_LISTENERS:
        listener(rota, before_spec, now)
    record_change(
        actor, "delete", "rota", before["id"], party_id=party.id, before=before, after=None, now=now
    )


def add_rotation(
    actor: User, rota: RotaRecord, data: dict[str, Any], now: datetime
) -> RotationRecord:
    """A new layer, placed after the existing ones (so it wins where both are active)."""
    with _editing(actor, rota, now) as party:
        check_members(party.id, data["members"], hold=True)
        rotation = RotationRecord(
            rota=rota,
            position=max((r.position for r in rota.rotations), default=-1) + 1,
            name=data.get("name"),
            start_local=data["start_local"],
            shift_length=data["shift_length"],
            members=list(data["members"]),
            restrictions=[_window_json(w) for w in data.get("restrictions") or []],
            updated_at=now,
        )
        db.session.add(rotation)
    return rotation


def get_rotation(rotation_id: int) -> RotationRecord:
    rotation = db.session.get(RotationRecord, rotation_id)
    if rotation is None:
        raise not_found(f"rotation {rotation_id}")
    return rotation


def update_rotation(
    actor: User, rotation: RotationRecord, changes: dict[str, Any], now: datetime
) -> None:
    """Members change from an effective instant (past shifts keep theirs); other fields at once."""
    rota = rotation.rota
    with _editing(actor, rota, now) as party:
        if "members" in changes:
            check_members(party.id, changes["members"], hold=True)
        for key in ("name", "start_local", "shift_length", "position"):
            if key in changes:
                setattr(rotation, key, changes[key])
        if "restrictions" in changes:
            rotation.restrictions = [_window_json(w) for w in changes["restrictions"]]
        if "members" in changes:
            effective_at = changes.get("members_effective_at") or now
            # A later change replaces one planned from the same instant or after it.
            rotation.member_changes = [
                c for c in rotation.member_changes if c.effective_at < effective_at
            ] + [MemberChangeRecord(effective_at=effective_at, members=list(changes["members"]))]
        rotation.updated_at = now
        if "position" in changes:
            rota.rotations.sort(key=lambda r: (r.position, r.id))


def delete_rotation(actor: User, rotation: RotationRecord, now: datetime) -> None:
    rota = rotation.rota
    with _editing(actor, rota, now):
        rota.rotations.remove(rotation)
        db.session.delete(rotation)


def list_overrides(
    rota: RotaRecord, since: datetime | None = None, until: datetime | None = None
) -> list[OverrideRecord]:
    query = (
        sa.select(OverrideRecord)
        .where(OverrideRecord.rota_id == rota.id)
        .order_by(OverrideRecord.start_at)
    )
    if since is not None:
        query = query.where(OverrideRecord.end_at > since)
    if until is not None:
        query = query.where(OverrideRecord.start_at < until)
    return list(db.session.scalars(query))


def create_override(
    actor: User, rota: RotaRecord, data: dict[str, Any], now: datetime
) -> OverrideRecord:
    """Person X covers the rota; overlapping another override of the rota is a 409."""
    party = party_of(rota)
    require_party_editor(actor, party.id)
    if not timedelta(0) < data["end"] - data["start"] <= MAX_OVERRIDE:
        raise Problem(
            422,
            "end: an override ends after its start and lasts at most 366 days",
            errors=[{"field": "end", "reason": "must be after start, within 366 days"}],
        )
    check_members(party.id, [data["person_id"]], field="person_id", scalar=True)
    _overlap_refused(rota.id, data["start"], data["end"])
    before_spec = _snapshot(rota)
    override = _insert_override(rota.id, data, now)
    _changed(rota, before_spec, now, guarded=False)
    record_change(
        actor,
        "create",
        "override",
        override.id,
        party_id=party.id,
        before=None,
        after=present_override(override),
        now=now,
    )
    return override


#: PostgreSQL's code for "deadlock detected".
_DEADLOCK = "40P01"


def _insert_override(rota_id: int, data: dict[str, Any], now: datetime) -> OverrideRecord:
    """Insert under the exclusion constraint; a clash with a concurrent insert is a 409 naming it.

    Two overlapping inserts at one instant can each wait for the other inside the exclusion
    check; PostgreSQL then aborts one ("deadlock detected", after deadlock_timeout). Only this
    savepoint is rolled back, so the insert is tried again: it now waits for the other to commit
    and meets the constraint like any later request.
    """
    for attempt in range(3):
        override = OverrideRecord(
            rota_id=rota_id,
            person_id=data["person_id"],
            start_at=data["start"],
            end_at=data["end"],
            note=data.get("note"),
            created_at=now,
        )
        try:
            with held_by_database():
                db.session.add(override)
            return override
        except sa.exc.IntegrityError as error:
            if violated_constraint(error) != OVERRIDE_NO_OVERLAP:
                raise
            break
        except sa.exc.OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != _DEADLOCK or attempt == 2:
                raise
    # Another request saved an overlapping override first (it is committed now).
    _overlap_refused(rota_id, data["start"], data["end"])
    raise Problem(
        409, "overlaps an override saved at the same moment: list the overrides and retry"
    )


def _overlap_refused(rota_id: int, start: datetime, end: datetime) -> None:
    """409 naming the override that [start, end) would overlap, if one exists."""
    clash = db.session.scalar(
        sa.select(OverrideRecord)
        .where(
            OverrideRecord.rota_id == rota_id,
            OverrideRecord.start_at < end,
            OverrideRecord.end_at > start,
        )
        .order_by(OverrideRecord.start_at)
        .limit(1)
    )
    if clash is not None:
        raise Problem(
            409,
            f"overlaps override {clash.id} ({clash.start_at.isoformat()} to "
            f"{clash.end_at.isoformat()}): delete it or choose other times",
            extra={"conflict": present_override(clash)},
        )


def get_override(override_id: int) -> OverrideRecord:
    override = db.session.get(OverrideRecord, override_id)
    if override is None:
        raise not_found(f"override {override_id}")
    return override


def delete_override(actor: User, override: OverrideRecord, now: datetime) -> None:
    rota = get_rota(override.rota_id)
    party = party_of(rota)
    require_party_editor(actor, party.id)
    before_spec = _snapshot(rota)
    before = present_override(override)
    # One statement whose row count says whether this request deleted it: of two deletes
    # sent at once, the second answers 404 instead of a second 204 and audit entry.
    result = db.session.execute(
        sa.delete(OverrideRecord.__table__).where(OverrideRecord.__table__.c.id == override.id)
    )
    deleted = cast("sa.CursorResult[Any]", result).rowcount
    db.session.expunge(override)
    if not deleted:
        raise not_found(f"override {before['id']}")
    _changed(rota, before_spec, now, guarded=False)
    record_change(
        actor,
        "delete",
        "override",
        before["id"],
        party_id=party.id,
        before=before,
        after=None,
        now=now,
    )


def rota_membership_guard(person: Person) -> str | None:
    """Veto deleting someone still named in a rotation (deactivate them instead).

    Reads the columns, not cached records: the caller holds the person's row lock, and what
    counts is what writers committed before it was granted.
    """
    rows = db.session.execute(
        sa.select(RotationRecord.id, RotationRecord.rota_id, RotationRecord.members)
        .join(RotaRecord)
        .where(RotaRecord.party_id == person.party_id)
        .order_by(RotationRecord.id)
    ).all()
    changes = db.session.execute(
        sa.select(MemberChangeRecord.rotation_id, MemberChangeRecord.members)
        .join(RotationRecord)
        .join(RotaRecord)
        .where(RotaRecord.party_id == person.party_id)
    ).all()
    named: dict[int, set[int]] = {rotation_id: set(members) for rotation_id, _, members in rows}
    for rotation_id, members in changes:
        named.setdefault(rotation_id, set()).update(members)
    for rotation_id, rota_id, _ in rows:
        if person.id in named[rotation_id]:
            return (
                f"{person.full_name} is a member of rotation {rotation_id} of rota "
                f"{rota_id}: remove them from it first, or mark them inactive"
            )
    return None
