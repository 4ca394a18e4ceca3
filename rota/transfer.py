"""The rotas of each Party in the directory document: rotations, member changes and overrides.

A rota is known by its Party and tier (one rota per tier), a rotation by its position, an
override by its instants; people by the ids the document gives them (mapped to the ids the import
stored them under). Bookkeeping (database ids, versions, created/updated instants) is not carried:
export → import into an empty database → export gives the same document.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import fields, validate
from sqlalchemy.orm import selectinload

from common.db import db
from common.errors import flatten_messages
from common.fields import AwareDateTime, Parsed, StrictInteger, record_id, text
from directory.audit import record_change
from directory.models import Party
from directory.schemas import StrictSchema, WindowIn
from directory.transfer import ImportReport, Section
from directory.values import parse_timezone
from rota.models import MemberChangeRecord, OverrideRecord, RotaRecord, RotationRecord
from rota.schemas import LocalDateTime, OverrideIn, _duration
from rota.service import _changed as changed
from rota.service import _snapshot as snapshot
from rota.service import check_members


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _rotation_doc(rotation: RotationRecord) -> dict[str, Any]:
    return {
        "name": rotation.name,
        "start_local": rotation.start_local.isoformat(timespec="minutes"),
        "shift_length": rotation.shift_length,
        "members": list(rotation.members),
        "restrictions": list(rotation.restrictions or []),
        "member_changes": [
            {"effective_at": _iso(c.effective_at), "members": list(c.members)}
            for c in rotation.member_changes
        ],
    }


def _rota_doc(rota: RotaRecord, overrides: list[OverrideRecord]) -> dict[str, Any]:
    return {
        "tier": rota.tier,
        "name": rota.name,
        "timezone": rota.timezone,
        "rotations": [_rotation_doc(rot) for rot in rota.rotations],
        "overrides": [
            {
                "person_id": o.person_id,
                "start": _iso(o.start_at),
                "end": _iso(o.end_at),
                "note": o.note,
            }
            for o in sorted(overrides, key=lambda o: o.start_at)
        ],
    }


def export_rotas(parties: list[Party]) -> dict[int, list[dict[str, Any]]]:
    """Every rota of these Parties, by tier, with all its history."""
    rotas = list(
        db.session.scalars(
            sa.select(RotaRecord)
            .where(RotaRecord.party_id.in_([p.id for p in parties]))
            .options(selectinload(RotaRecord.rotations).selectinload(RotationRecord.member_changes))
            .order_by(RotaRecord.party_id, RotaRecord.tier)
        )
    )
    overrides: dict[int, list[OverrideRecord]] = defaultdict(list)
    if rotas:
        for override in db.session.scalars(
            sa.select(OverrideRecord)
            .where(OverrideRecord.rota_id.in_([r.id for r in rotas]))
            .order_by(OverrideRecord.rota_id, OverrideRecord.start_at)
        ):
            overrides[override.rota_id].append(override)
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for rota in rotas:
        out[rota.party_id].append(_rota_doc(rota, overrides[rota.id]))
    return out


# --- import ------------------------------------------------------------------------------------


class _MemberChangeDoc(StrictSchema):
    effective_at = AwareDateTime(required=True)
    members = fields.List(record_id(), required=True, validate=validate.Length(min=1, max=100))


class _RotationDoc(StrictSchema):
    name = text(120)
    start_local = LocalDateTime(required=True)
    shift_length = Parsed(_duration, required=True)
    members = fields.List(record_id(), required=True, validate=validate.Length(min=1, max=100))
    restrictions = fields.List(
        fields.Nested(WindowIn), load_default=list, validate=validate.Length(max=28)
    )
    member_changes = fields.List(
        fields.Nested(_MemberChangeDoc), load_default=list, validate=validate.Length(max=10000)
    )


class _RotaDoc(StrictSchema):
    tier = StrictInteger(required=True, validate=validate.Range(min=1, max=9))
    name = text(120, required=True)
    timezone = Parsed(parse_timezone, required=True)
    rotations = fields.List(
        fields.Nested(_RotationDoc), load_default=list, validate=validate.Length(max=20)
    )
    overrides = fields.List(
        fields.Nested(OverrideIn), load_default=list, validate=validate.Length(max=100000)
    )


def check_rotas(
    raw: Any, person_ids: set[int], path: str, errors: list[dict[str, str]]
) -> list[dict[str, Any]]:
    """The rotas of one Party's entry, loaded; every fault appended to `errors` with its path."""
    if not isinstance(raw, list):
        errors.append({"field": path, "reason": "must be a list of rotas"})
        return []
    try:
        docs = _RotaDoc(many=True).load(raw)
    except ma.ValidationError as exc:
        errors.extend(flatten_messages(exc.messages, path))
        return []
    seen: set[int] = set()
    for i, doc in enumerate(docs):
        where = f"{path}[{i}]"
        if doc["tier"] in seen:
            errors.append({"field": f"{where}.tier", "reason": "one rota per tier"})
        seen.add(doc["tier"])
        for j, rot in enumerate(doc["rotations"]):
            people = [("members", rot["members"])] + [
                (f"member_changes[{k}].members", c["members"])
                for k, c in enumerate(rot["member_changes"])
            ]
            for name, members in people:
                if not set(members) <= person_ids:
                    errors.append(
                        {
                            "field": f"{where}.rotations[{j}].{name}",
                            "reason": "names a person who is not among the Party's people",
                        }
                    )
        for j, override in enumerate(doc["overrides"]):
            if override["person_id"] not in person_ids:
                errors.append(
                    {
                        "field": f"{where}.overrides[{j}].person_id",
                        "reason": "not among the Party's people",
                    }
                )
        ordered = sorted(doc["overrides"], key=lambda o: o["start"])
        for a, b in itertools.pairwise(ordered):
            if b["start"] < a["end"]:
                errors.append(
                    {
                        "field": f"{where}.overrides",
                        "reason": f"two overrides overlap at {b['start'].isoformat()}",
                    }
                )
                break
    return docs


def _normal(doc: dict[str, Any], ids: dict[int, int]) -> dict[str, Any]:
    """A loaded rota entry as export_rotas would write it, with the stored person ids."""

    def mapped(members: list[int]) -> list[int]:
        return [ids.get(m, m) for m in members]

    return {
        "tier": doc["tier"],
        "name": doc["name"],
        "timezone": doc["timezone"],
        "rotations": [
            {
                "name": rot.get("name"),
                "start_local": rot["start_local"].isoformat(timespec="minutes"),
                "shift_length": rot["shift_length"],
                "members": mapped(rot["members"]),
                "restrictions": [
                    {
                        "weekdays": list(w["weekdays"]),
                        "from_local": w["from_local"].strftime("%H:%M"),
                        "to_local": w["to_local"].strftime("%H:%M"),
                    }
                    for w in rot["restrictions"]
                ],
                "member_changes": [
                    {"effective_at": _iso(c["effective_at"]), "members": mapped(c["members"])}
                    for c in sorted(rot["member_changes"], key=lambda c: c["effective_at"])
                ],
            }
            for rot in doc["rotations"]
        ],
        "overrides": [
            {
                "person_id": ids.get(o["person_id"], o["person_id"]),
                "start": _iso(o["start"]),
                "end": _iso(o["end"]),
                "note": o.get("note"),
            }
            for o in sorted(doc["overrides"], key=lambda o: o["start"])
        ],
    }


def _rotations(party: Party, wanted: dict[str, Any], now: datetime) -> list[RotationRecord]:
    """The rotations of the entry, their members' rows locked (see rota.service.check_members)."""
    named = {m for rot in wanted["rotations"] for m in rot["members"]} | {
        m for rot in wanted["rotations"] for c in rot["member_changes"] for m in c["members"]
    }
    check_members(party.id, sorted(named), hold=True)
    return [
        RotationRecord(
            position=i,
            name=rot["name"],
            start_local=datetime.fromisoformat(rot["start_local"]),
            shift_length=rot["shift_length"],
            members=rot["members"],
            restrictions=rot["restrictions"],
            updated_at=now,
            member_changes=[
                MemberChangeRecord(
                    effective_at=datetime.fromisoformat(c["effective_at"]), members=c["members"]
                )
                for c in rot["member_changes"]
            ],
        )
        for i, rot in enumerate(wanted["rotations"])
    ]


def _overrides(rota: RotaRecord, wanted: dict[str, Any], now: datetime) -> list[OverrideRecord]:
    return [
        OverrideRecord(
            rota_id=rota.id,
            person_id=o["person_id"],
            start_at=datetime.fromisoformat(o["start"]),
            end_at=datetime.fromisoformat(o["end"]),
            note=o["note"],
            created_at=now,
        )
        for o in wanted["overrides"]
    ]


def load_rotas(
    party: Party,
    docs: list[dict[str, Any]],
    ids: dict[int, int],
    report: ImportReport,
    now: datetime,
) -> None:
    """Create or update each rota of the entry (rotas it does not name are left alone)."""
    for doc in docs:
        wanted = _normal(doc, ids)
        rota = db.session.scalar(
            sa.select(RotaRecord).where(
                RotaRecord.party_id == party.id, RotaRecord.tier == doc["tier"]
            )
        )
        label = f"rota {party.iso2} tier {doc['tier']}"
        if rota is None:
            rota = RotaRecord(
                party_id=party.id,
                name=wanted["name"],
                tier=wanted["tier"],
                timezone=wanted["timezone"],
                created_at=now,
                updated_at=now,
                rotations=_rotations(party, wanted, now),
            )
            db.session.add(rota)
            db.session.flush()
            db.session.add_all(_overrides(rota, wanted, now))
            db.session.flush()
            changed(rota, None, now, guarded=False)  # calendars version the new shifts
            _audit(party, rota, "create", None, wanted, now)
            report.count("created", "rotas", f"+ {label}")
            continue
        stored = list(
            db.session.scalars(sa.select(OverrideRecord).where(OverrideRecord.rota_id == rota.id))
        )
        before = _rota_doc(rota, stored)
        if before == wanted:
            report.count("unchanged", "rotas")
            continue
        before_spec = snapshot(rota)
        rota.name, rota.timezone, rota.updated_at = wanted["name"], wanted["timezone"], now
        if before["rotations"] != wanted["rotations"]:
            rota.rotations = []
            db.session.flush()
            rota.rotations = _rotations(party, wanted, now)
        if before["overrides"] != wanted["overrides"]:
            for override in stored:
                db.session.delete(override)
            db.session.flush()  # the old ones go before the new ones can not overlap them
            db.session.add_all(_overrides(rota, wanted, now))
        db.session.flush()
        changed(rota, before_spec, now, guarded=False)
        _audit(party, rota, "update", before, wanted, now)
        report.count("updated", "rotas", f"~ {label}")


def _audit(
    party: Party,
    rota: RotaRecord,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    now: datetime,
) -> None:
    """The rota as the document gives it (its overrides counted, not listed: they can be many)."""

    def brief(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        if doc is None:
            return None
        return {**doc, "overrides": len(doc["overrides"]), "source": "import"}

    record_change(
        None,
        action,
        "rota",
        rota.id,
        party_id=party.id,
        before=brief(before),
        after=brief(after),
        now=now,
    )


SECTION = Section(key="rotas", export=export_rotas, check=check_rotas, load=load_rotas)
