"""The whole directory as one JSON document: export, and all-or-nothing import."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import fields

from common.db import db
from common.errors import Problem, flatten_messages
from directory import schemas
from directory.audit import record_change
from directory.models import ContactPoint, Party, Person, PersonLanguage, Phone
from directory.present import present_contact_point, present_party, present_person
from directory.values import parse_phone

FORMAT = "art35-directory"
VERSION = 1
PARTIES_CSV = Path(__file__).parent / "data" / "budapest_parties.csv"


def _d(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_document() -> dict[str, Any]:
    """Everything the directory holds, without database ids, in a stable order."""
    parties = db.session.scalars(sa.select(Party).order_by(Party.iso2))
    return {"format": FORMAT, "version": VERSION, "parties": [_export_party(p) for p in parties]}


def _export_party(party: Party) -> dict[str, Any]:
    return {
        "iso2": party.iso2,
        "name": party.name,
        "status": party.status,
        "signed_date": _d(party.signed_date),
        "ratified_date": _d(party.ratified_date),
        "in_force_date": _d(party.in_force_date),
        "source": party.source,
        "notes": party.notes,
        "contact_points": [
            {
                "unit_name": cp.unit_name,
                "kind": cp.kind,
                "address": cp.address,
                "email": cp.email,
                "desk_phone": cp.desk_phone,
                "timezone": cp.timezone,
                "office_hours": cp.office_hours or [],
                "can_order_preservation": cp.can_order_preservation,
                "mla_authority": {
                    "name": cp.mla_authority_name,
                    "phone": cp.mla_authority_phone,
                    "email": cp.mla_authority_email,
                },
                "effective_from": _d(cp.effective_from),
                "effective_to": _d(cp.effective_to),
            }
            for cp in party.contact_points
        ],
        "people": [
            {
                "full_name": p.full_name,
                "title": p.title,
                "email": p.email,
                "timezone": p.timezone,
                "active": p.active,
                "last_confirmed_at": _d(p.last_confirmed_at),
                "phones": [
                    {"number": ph.e164, "kind": ph.kind, "label": ph.label, "primary": ph.primary}
                    for ph in p.phones
                ],
                "languages": [{"tag": lang.tag, "level": lang.level} for lang in p.languages],
            }
            for p in party.people
        ],
    }


class _ContactPointDoc(schemas.ContactPointIn):
    effective_from = fields.Date(required=True)
    effective_to = fields.Date(allow_none=True)


class _PersonDoc(schemas.PersonIn):
    last_confirmed_at = fields.AwareDateTime(allow_none=True)


class _PartyDoc(schemas.PartyIn):
    contact_points = fields.List(fields.Nested(_ContactPointDoc), load_default=list)
    people = fields.List(fields.Nested(_PersonDoc), load_default=list)


class _Document(schemas.StrictSchema):
    format = fields.String(required=True, validate=ma.validate.Equal(FORMAT))
    version = fields.Integer(required=True, validate=ma.validate.Equal(VERSION))
    parties = fields.List(fields.Nested(_PartyDoc), required=True)


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)

    def count(self, bucket: str, entity: str, line: str | None = None) -> None:
        counts = getattr(self, bucket)
        counts[entity] = counts.get(entity, 0) + 1
        if line:
            self.changes.append(line)

    def summary(self) -> str:
        def fmt(d: dict[str, int]) -> str:
            return ", ".join(f"{v} {k}" for k, v in sorted(d.items())) or "nothing"

        return (
            f"created: {fmt(self.created)}; updated: {fmt(self.updated)}; "
            f"unchanged: {fmt(self.unchanged)}"
        )


def import_document(raw: Any, now: datetime) -> ImportReport:
    """Create or update from an exported document; raises Problem(422) before writing anything."""
    try:
        doc = _Document().load(raw)
    except ma.ValidationError as exc:
        errors = flatten_messages(exc.messages)
        raise Problem(
            422, f"{len(errors)} invalid field(s), nothing imported", errors=errors
        ) from None
    errors: list[dict[str, str]] = []
    for i, party in enumerate(doc["parties"]):
        _normalize_numbers(party, f"parties[{i}]", errors)
    if errors:
        raise Problem(422, f"{len(errors)} invalid field(s), nothing imported", errors=errors)
    report = ImportReport()
    for party_doc in doc["parties"]:
        _import_party(party_doc, report, now)
    db.session.flush()
    return report


def _normalize_numbers(party: dict[str, Any], path: str, errors: list[dict[str, str]]) -> None:
    region = party["iso2"]

    def norm(value: str | None, where: str) -> str | None:
        if not value:
            return None
        try:
            return parse_phone(value, region).e164
        except ValueError as exc:
            errors.append({"field": where, "reason": str(exc)})
            return None

    for j, cp in enumerate(party["contact_points"]):
        cp["desk_phone"] = norm(cp.get("desk_phone"), f"{path}.contact_points[{j}].desk_phone")
        mla = cp.setdefault("mla_authority", {})
        mla["phone"] = norm(mla.get("phone"), f"{path}.contact_points[{j}].mla_authority.phone")
    for j, person in enumerate(party["people"]):
        for k, phone in enumerate(person["phones"]):
            where = f"{path}.people[{j}].phones[{k}].number"
            parsed = norm(phone["number"], where)
            if parsed:
                phone["kind"] = phone.get("kind") or parse_phone(parsed, None).kind
            phone["number"] = parsed


def _import_party(doc: dict[str, Any], report: ImportReport, now: datetime) -> None:
    party = db.session.scalar(sa.select(Party).where(Party.iso2 == doc["iso2"]))
    values = {
        k: doc.get(k)
        for k in (
            "name",
            "status",
            "signed_date",
            "ratified_date",
            "in_force_date",
            "source",
            "notes",
        )
    }
    if party is None:
        party = Party(iso2=doc["iso2"], updated_at=now, **values)
        db.session.add(party)
        db.session.flush()
        record_change(
            None,
            "create",
            "party",
            party.id,
            party_id=party.id,
            before=None,
            after=present_party(party),
            now=now,
        )
        report.count("created", "parties", f"+ party {party.iso2}")
    elif _assign(party, values):
        before = present_party(party)
        party.updated_at = now
        db.session.flush()
        record_change(
            None,
            "update",
            "party",
            party.id,
            party_id=party.id,
            before=before,
            after=present_party(party),
            now=now,
        )
        report.count("updated", "parties", f"~ party {party.iso2}")
    else:
        report.count("unchanged", "parties")
    for cp_doc in doc["contact_points"]:
        _import_contact_point(party, cp_doc, report, now)
    for person_doc in doc["people"]:
        _import_person(party, person_doc, report, now)


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set attributes; say whether anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _import_contact_point(
    party: Party, doc: dict[str, Any], report: ImportReport, now: datetime
) -> None:
    mla = doc.get("mla_authority") or {}
    values = {
        "unit_name": doc["unit_name"],
        "kind": doc["kind"],
        "address": doc.get("address"),
        "email": doc.get("email"),
        "desk_phone": doc.get("desk_phone"),
        "timezone": doc["timezone"],
        "office_hours": [
            {
                "weekdays": list(w["weekdays"]),
                "from_local": w["from_local"].strftime("%H:%M"),
                "to_local": w["to_local"].strftime("%H:%M"),
            }
            for w in doc.get("office_hours") or []
        ],
        "can_order_preservation": doc.get("can_order_preservation", False),
        "mla_authority_name": mla.get("name"),
        "mla_authority_phone": mla.get("phone"),
        "mla_authority_email": mla.get("email"),
        "effective_to": doc.get("effective_to"),
    }
    existing = next(
        (cp for cp in party.contact_points if cp.effective_from == doc["effective_from"]), None
    )
    if existing is None:
        cp = ContactPoint(
            party=party, effective_from=doc["effective_from"], updated_at=now, **values
        )
        db.session.add(cp)
        db.session.flush()
        record_change(
            None,
            "create",
            "contact_point",
            cp.id,
            party_id=party.id,
            before=None,
            after=present_contact_point(cp),
            now=now,
        )
        report.count("created", "contact_points", f"+ contact point {party.iso2} {cp.unit_name}")
        return
    before = present_contact_point(existing)
    if _assign(existing, values):
        existing.updated_at = now
        db.session.flush()
        record_change(
            None,
            "update",
            "contact_point",
            existing.id,
            party_id=party.id,
            before=before,
            after=present_contact_point(existing),
            now=now,
        )
        report.count(
            "updated", "contact_points", f"~ contact point {party.iso2} {existing.unit_name}"
        )
    else:
        report.count("unchanged", "contact_points")


def _import_person(party: Party, doc: dict[str, Any], report: ImportReport, now: datetime) -> None:
    existing = None
    for person in party.people:
        if (doc.get("email") and person.email == doc["email"]) or (
            not doc.get("email") and person.full_name == doc["full_name"]
        ):
            existing = person
            break
    phones = [
        (p["number"], p["kind"], p.get("label"), bool(p.get("primary"))) for p in doc["phones"]
    ]
    languages = [(lang["tag"], lang["level"]) for lang in doc["languages"]]
    scalars = {
        k: doc.get(k) for k in ("full_name", "title", "email", "timezone", "last_confirmed_at")
    }
    scalars["active"] = doc.get("active", True)
    if existing is None:
        person = Person(party=party, updated_at=now, **scalars)
        _set_lists(person, phones, languages)
        db.session.add(person)
        db.session.flush()
        record_change(
            None,
            "create",
            "person",
            person.id,
            party_id=party.id,
            before=None,
            after=present_person(person),
            now=now,
        )
        report.count("created", "people", f"+ person {party.iso2} {person.full_name}")
        return
    before = present_person(existing)
    old_lists = (
        [(p.e164, p.kind, p.label, p.primary) for p in existing.phones],
        [(lang.tag, lang.level) for lang in existing.languages],
    )
    changed = _assign(existing, scalars)
    if old_lists != (phones, languages):
        _set_lists(existing, phones, languages)
        changed = True
    if changed:
        existing.updated_at = now
        db.session.flush()
        record_change(
            None,
            "update",
            "person",
            existing.id,
            party_id=party.id,
            before=before,
            after=present_person(existing),
            now=now,
        )
        report.count("updated", "people", f"~ person {party.iso2} {existing.full_name}")
    else:
        report.count("unchanged", "people")


def _set_lists(person: Person, phones: list[tuple], languages: list[tuple]) -> None:
    person.phones = [
        Phone(e164=n, kind=k, label=lbl, primary=pr, position=i)
        for i, (n, k, lbl, pr) in enumerate(phones)
    ]
    person.languages = [
        PersonLanguage(tag=t, level=lv, position=i) for i, (t, lv) in enumerate(languages)
    ]


def parties_from_csv(path: Path = PARTIES_CSV) -> list[dict[str, Any]]:
    """The reference Parties list as import-document entries."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            {
                "iso2": row["iso2"].strip().upper(),
                "name": row["name"].strip(),
                "status": row["status"].strip(),
                "ratified_date": row["ratified"] or None,
                "in_force_date": row["in_force"] or None,
                "source": row["source"] or None,
                "contact_points": [],
                "people": [],
            }
            for row in csv.DictReader(fh)
        ]
