"""The whole directory as one JSON document: export, and all-or-nothing import.

A transfer, not a merge: each person carries their id, which the import keeps when it is free
(an empty database gets the very same ids, so export → import → export gives the same document,
and two namesakes stay two). Other packages add their part of each Party's entry as a Section
(the rotas, from `rota.transfer`), registered by `create_app`. Input that a database cannot
store (a NUL character, a lone surrogate, an integer beyond the columns' range) is refused
before anything is written, naming the field; anything the database still refuses is a 422 too.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import fields

from common.db import db
from common.errors import Problem, flatten_messages
from common.fields import MAX_ID, record_id
from directory import schemas
from directory.audit import record_change
from directory.models import ContactPoint, Party, Person, PersonLanguage, Phone
from directory.present import present_contact_point, present_party, present_person
from directory.values import parse_phone

FORMAT = "art35-directory"
#: 2: people carry their id, Parties their rotas. Version 1 documents are still read.
VERSION = 2
READABLE_VERSIONS = (1, 2)
#: The columns are PostgreSQL `integer`s.
MIN_INT = -(2**31)
PARTIES_CSV = Path(__file__).parent / "data" / "budapest_parties.csv"


def _d(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Section:
    """A part of each Party's entry that another package exports and imports (its rotas)."""

    key: str
    #: Parties → their entries' part, per Party id.
    export: Callable[[list[Party]], dict[int, list[dict[str, Any]]]]
    #: (raw part, the ids of the people in the Party's entry, path, errors) → the part loaded.
    check: Callable[[Any, set[int], str, list[dict[str, str]]], list[dict[str, Any]]]
    #: (Party, loaded part, document person id → stored id, report, now): write it.
    load: Callable[[Party, list[dict[str, Any]], dict[int, int], ImportReport, datetime], None]


_SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> None:
    """Carry `section` in every export and import (again: replaces the earlier one)."""
    _SECTIONS[section.key] = section


def export_document() -> dict[str, Any]:
    """Everything the directory holds (and its registered sections), in a stable order."""
    parties = list(db.session.scalars(sa.select(Party).order_by(Party.iso2)))
    parts = {key: section.export(parties) for key, section in _SECTIONS.items()}
    return {
        "format": FORMAT,
        "version": VERSION,
        "parties": [
            {**_export_party(p), **{key: part.get(p.id, []) for key, part in parts.items()}}
            for p in parties
        ],
    }


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
                "id": p.id,
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
    #: The person's id where the document was exported (absent: matched by e-mail, or name).
    id = record_id()
    last_confirmed_at = fields.AwareDateTime(allow_none=True)


class _PartyDoc(schemas.PartyIn):
    contact_points = fields.List(fields.Nested(_ContactPointDoc), load_default=list)
    people = fields.List(fields.Nested(_PersonDoc), load_default=list)
    #: Checked by the registered section (rota.transfer); absent: the rotas are left as they are.
    rotas = fields.Raw()

    @ma.validates_schema
    def _distinct_ids(self, data: dict[str, Any], **kwargs: Any) -> None:
        ids = [p["id"] for p in data.get("people") or [] if "id" in p]
        if len(ids) != len(set(ids)):
            raise ma.ValidationError({"people": ["two people with one id"]})


class _Document(schemas.StrictSchema):
    format = fields.String(required=True, validate=ma.validate.Equal(FORMAT))
    version = fields.Integer(required=True, validate=ma.validate.OneOf(READABLE_VERSIONS))
    parties = fields.List(fields.Nested(_PartyDoc), required=True)

    @ma.validates_schema
    def _one_owner_per_id(self, data: dict[str, Any], **kwargs: Any) -> None:
        seen: set[int] = set()
        for party in data.get("parties") or []:
            for person in party.get("people") or []:
                if "id" in person and person["id"] in seen:
                    raise ma.ValidationError({"parties": [f"person id {person['id']} twice"]})
                seen.add(person.get("id", 0))


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
    unstorable: list[dict[str, str]] = []
    _find_unstorable(raw, "", unstorable)
    if unstorable:
        raise _refused(unstorable)
    try:
        doc = _Document().load(raw)
    except ma.ValidationError as exc:
        raise _refused(flatten_messages(exc.messages)) from None
    errors: list[dict[str, str]] = []
    for i, party in enumerate(doc["parties"]):
        _normalize_numbers(party, f"parties[{i}]", errors)
        ids = {p["id"] for p in party["people"] if "id" in p}
        for key, section in _SECTIONS.items():
            if party.get(key) is not None:
                party[key] = section.check(party[key], ids, f"parties[{i}].{key}", errors)
    if errors:
        raise _refused(errors)
    report = ImportReport()
    try:
        with db.session.begin_nested():
            _write(doc, report, now)
    except sa.exc.DBAPIError as exc:
        # What the checks above did not foresee: still a report line, never a traceback.
        reason = str(exc.orig).strip().splitlines()[0][:300] if exc.orig else type(exc).__name__
        raise Problem(
            422,
            f"the database refused the document, nothing imported: {reason}",
            errors=[{"field": "parties", "reason": reason}],
        ) from None
    return report


def _refused(errors: list[dict[str, str]]) -> Problem:
    return Problem(422, f"{len(errors)} invalid field(s), nothing imported", errors=errors)


def _write(doc: dict[str, Any], report: ImportReport, now: datetime) -> None:
    """People with an id first (they keep it when free), then those without, then sections."""
    parties = [_import_party(party_doc, report, now) for party_doc in doc["parties"]]
    ids: dict[int, int] = {}
    claimed: set[int] = set()
    for party, party_doc in zip(parties, doc["parties"], strict=True):
        for person_doc in party_doc["people"]:
            if "id" in person_doc:
                stored = _import_person(party, person_doc, report, now, claimed)
                ids[person_doc["id"]] = stored
    _follow_person_ids()
    for party, party_doc in zip(parties, doc["parties"], strict=True):
        for person_doc in party_doc["people"]:
            if "id" not in person_doc:
                _import_person(party, person_doc, report, now, claimed)
    for party, party_doc in zip(parties, doc["parties"], strict=True):
        for key, section in _SECTIONS.items():
            if party_doc.get(key) is not None:
                section.load(party, party_doc[key], ids, report, now)
    db.session.flush()


def _follow_person_ids() -> None:
    """PostgreSQL: move the id sequence past the ids just written, so new people never clash."""
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('person', 'id'), "
                "GREATEST((SELECT max(id) FROM person), 1))"
            )
        )


def _find_unstorable(value: Any, path: str, errors: list[dict[str, str]]) -> None:
    """NUL characters, lone surrogates and integers out of the columns' range, anywhere."""
    if isinstance(value, str):
        if "\x00" in value:
            errors.append(
                {"field": path, "reason": "contains a NUL character, which cannot be stored"}
            )
        elif any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            errors.append(
                {"field": path, "reason": "contains a lone surrogate (not valid Unicode)"}
            )
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not MIN_INT <= value <= MAX_ID:
            errors.append({"field": path, "reason": f"out of range (at most {MAX_ID})"})
    elif isinstance(value, dict):
        for key, item in value.items():
            name = str(key)
            _find_unstorable(name, f"{path}.{name}" if path else name, errors)
            _find_unstorable(item, f"{path}.{name}" if path else name, errors)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _find_unstorable(item, f"{path}[{i}]", errors)


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


def _import_party(doc: dict[str, Any], report: ImportReport, now: datetime) -> Party:
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
    return party


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


def _import_person(
    party: Party, doc: dict[str, Any], report: ImportReport, now: datetime, claimed: set[int]
) -> int:
    """Create or update one person; their stored id (the document's when it was free)."""
    existing, new_id = _match_person(party, doc, claimed)
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
        if new_id is not None:
            person.id = new_id
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
        taken = (
            f" (id {doc['id']} is another's here: {person.id})"
            if "id" in doc and new_id is None
            else ""
        )
        report.count("created", "people", f"+ person {party.iso2} {person.full_name}{taken}")
        claimed.add(person.id)
        return person.id
    claimed.add(existing.id)
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
    return existing.id


def _match_person(
    party: Party, doc: dict[str, Any], claimed: set[int]
) -> tuple[Person | None, int | None]:
    """(the stored person this entry is, or None; the id to create it with, or None for any).

    With an id: the person holding it in the same Party, else a new person with that id when it
    is free. Without one (version 1, hand-written): the same e-mail, else the same name, among
    people no other entry of this document matched, so two namesakes stay two.
    """
    if "id" in doc:
        holder = db.session.get(Person, doc["id"])
        if holder is None:
            return None, doc["id"]
        if holder.party_id == party.id and holder.id not in claimed:
            return holder, None
        return None, None
    for person in party.people:
        if person.id in claimed:
            continue
        if (doc.get("email") and person.email == doc["email"]) or (
            not doc.get("email") and not person.email and person.full_name == doc["full_name"]
        ):
            return person, None
    return None, None


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
