"""Directory business rules: plain functions taking the acting user and `now` (aware UTC)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from common.concurrency import held_by_database, touch, violated_constraint
from common.db import db
from common.errors import Problem, not_found
from directory.access import require_party_editor, require_secretariat
from directory.audit import record_change
from directory.models import ContactPoint, Party, Person, PersonLanguage, Phone, User
from directory.present import present_contact_point, present_party, present_person
from directory.values import parse_phone

#: Other packages register checks that may veto deleting a person (e.g. still on a rota).
PERSON_DELETE_GUARDS: list[Callable[[Person], str | None]] = []


def get_party(iso2: str, *, with_people: bool = False, with_contact_points: bool = False) -> Party:
    """The Party with that ISO code (case-insensitive), or 404.

    `with_people` loads its designations and people with their phones and languages in four
    more statements, whatever their number (the Party's full representation shows them all).
    `with_contact_points` joins its designations into the same statement (who to call now).
    """
    if not isinstance(iso2, str) or len(iso2) != 2:
        raise not_found(f"Party {iso2[:10]!r}")
    query = sa.select(Party).where(Party.iso2 == iso2.upper())
    if with_contact_points and not with_people:
        query = query.options(joinedload(Party.contact_points))
    if with_people:
        query = query.options(
            selectinload(Party.contact_points),
            selectinload(Party.people).options(
                selectinload(Person.phones), selectinload(Person.languages)
            ),
        )
    party = db.session.scalars(query).unique().first()
    if party is None:
        raise not_found(f"Party {iso2.upper()!r}")
    return party


def list_parties(status: str | None = None, *, with_contact_points: bool = True) -> list[Party]:
    """Parties by ISO code, their designations loaded (one query, not one per Party) unless
    the caller shows none (the API's list of Parties: 87 designations it would not read)."""
    query = sa.select(Party).order_by(Party.iso2)
    if with_contact_points:
        query = query.options(selectinload(Party.contact_points))
    if status:
        query = query.where(Party.status == status)
    return list(db.session.scalars(query))


def create_party(actor: User, data: dict[str, Any], now: datetime) -> Party:
    require_secretariat(actor)
    if db.session.scalar(sa.select(Party.id).where(Party.iso2 == data["iso2"])):
        raise Problem(409, f"Party {data['iso2']} already exists")
    party = Party(**data, updated_at=now)
    try:
        with held_by_database():
            db.session.add(party)
    except sa.exc.IntegrityError as error:
        if violated_constraint(error) != "uq_party_iso2":
            raise
        raise Problem(409, f"Party {data['iso2']} already exists") from None
    record_change(
        actor,
        "create",
        "party",
        party.id,
        party_id=party.id,
        before=None,
        after=present_party(party),
        now=now,
    )
    return party


def update_party(actor: User, party: Party, changes: dict[str, Any], now: datetime) -> Party:
    """The Parties list itself is the secretariat's."""
    require_secretariat(actor)
    before = present_party(party)
    for key, value in changes.items():
        setattr(party, key, value)
    party.updated_at = now
    touch(party)
    db.session.flush()
    record_change(
        actor,
        "update",
        "party",
        party.id,
        party_id=party.id,
        before=before,
        after=present_party(party),
        now=now,
    )
    return party


def _phone_or_problem(
    raw: str | None, region: str, field: str, errors: list[dict[str, str]]
) -> str | None:
    if raw in (None, ""):
        return None
    try:
        return parse_phone(raw, region).e164
    except ValueError as exc:
        errors.append({"field": field, "reason": str(exc)})
        return None


def _raise_if(errors: list[dict[str, str]]) -> None:
    if errors:
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
        raise Problem(422, detail, errors=errors)


def set_contact_point(
    actor: User, party: Party, data: dict[str, Any], now: datetime
) -> ContactPoint:
    """Correct the current designation, or record a new one and keep the old in history."""
    require_party_editor(actor, party.id)
    errors: list[dict[str, str]] = []
    mla = data.get("mla_authority") or {}
    values = {
        "unit_name": data["unit_name"],
        "kind": data["kind"],
        "address": data.get("address"),
        "email": data.get("email"),
        "desk_phone": _phone_or_problem(data.get("desk_phone"), party.iso2, "desk_phone", errors),
        "timezone": data["timezone"],
        "office_hours": [_window_json(w) for w in data.get("office_hours") or []],
        "can_order_preservation": data.get("can_order_preservation", False),
        "mla_authority_name": mla.get("name"),
        "mla_authority_phone": _phone_or_problem(
            mla.get("phone"), party.iso2, "mla_authority.phone", errors
        ),
        "mla_authority_email": mla.get("email"),
    }
    _raise_if(errors)
    today = now.astimezone(ZoneInfo(data["timezone"])).date()
    effective_from = data.get("effective_from") or today
    effective_at = _announced_at(party, data, now)
    if effective_at is not None:
        effective_from = effective_at.astimezone(ZoneInfo(data["timezone"])).date()
    current = party.contact_point_at(now)
    if current is not None and not data.get("new_designation"):
        before = present_contact_point(current)
        for key, value in values.items():
            setattr(current, key, value)
        current.updated_at = now
        touch(current)
        db.session.flush()
        record_change(
            actor,
            "update",
            "contact_point",
            current.id,
            party_id=party.id,
            before=before,
            after=present_contact_point(current),
            now=now,
        )
        return current
    if current is not None:
        if effective_from <= current.effective_from:
            raise Problem(
                422,
                "effective_from must be after the current designation's start "
                f"({current.effective_from.isoformat()})",
                errors=[
                    {
                        "field": "effective_from",
                        "reason": f"must be after {current.effective_from.isoformat()}",
                    }
                ],
            )
        before = present_contact_point(current)
        current.effective_to = effective_from
        current.updated_at = now
        record_change(
            actor,
            "update",
            "contact_point",
            current.id,
            party_id=party.id,
            before=before,
            after=present_contact_point(current),
            now=now,
        )
    try:
        with held_by_database():
            cp = ContactPoint(
                party=party,
                effective_from=effective_from,
                effective_at=effective_at,
                updated_at=now,
                **values,
            )
            db.session.add(cp)
    except sa.exc.IntegrityError as error:
        if violated_constraint(error) != "uq_contact_point_current":
            raise
        raise Problem(
            409, f"another designation of {party.iso2} was recorded at the same moment: retry"
        ) from None
    record_change(
        actor,
        "create",
        "contact_point",
        cp.id,
        party_id=party.id,
        before=None,
        after=present_contact_point(cp),
        now=now,
    )
    return cp


def _announced_at(party: Party, data: dict[str, Any], now: datetime) -> datetime | None:
    """The instant a new designation takes over (None: from its date), checked."""
    effective_at = data.get("effective_at")
    if effective_at is None:
        return None
    if not data.get("new_designation"):
        raise Problem(
            422,
            "effective_at: only with new_designation (a correction applies at once)",
            errors=[{"field": "effective_at", "reason": "only with new_designation: true"}],
        )
    announced = party.announced_contact_point_at(now)
    if announced is not None and announced.effective_at is not None:
        raise Problem(
            409, f"a new designation is already announced for {announced.effective_at.isoformat()}"
        )
    return effective_at


def _window_json(window: dict[str, Any]) -> dict[str, Any]:
    return {
        "weekdays": list(window["weekdays"]),
        "from_local": window["from_local"].strftime("%H:%M"),
        "to_local": window["to_local"].strftime("%H:%M"),
    }


def _people_where(
    party: Party | None, language: str | None, active: bool | None
) -> list[sa.ColumnElement[bool]]:
    """The conditions on `Person` of a list of people (a Party's or all)."""
    where: list[sa.ColumnElement[bool]] = []
    if party is not None:
        where.append(Person.party_id == party.id)
    if active is not None:
        where.append(Person.active == active)
    if language:
        # "fr" finds fr-CA speakers; "fr-CA" finds exactly that. An alias of its own, so that
        # the test never correlates with a `person_language` the enclosing query reads.
        spoken = aliased(PersonLanguage)
        where.append(
            sa.exists().where(
                spoken.person_id == Person.id,
                sa.or_(spoken.tag == language, spoken.tag.like(f"{language}-%")),
            )
        )
    return where


def list_people(
    party: Party | None = None, *, language: str | None = None, active: bool | None = None
) -> list[Person]:
    """People of a Party (or all), optionally only those speaking `language` (prefix match)."""
    query = (
        sa.select(Person)
        .options(
            selectinload(Person.phones), selectinload(Person.languages), selectinload(Person.party)
        )
        .where(*_people_where(party, language, active))
        .order_by(Person.id)
    )
    return list(db.session.scalars(query))


class PersonRow(NamedTuple):
    """A person's own fields and their Party's code, as one list of people shows them."""

    id: int
    party_iso2: str
    full_name: str
    title: str | None
    email: str | None
    timezone: str | None
    active: bool
    last_confirmed_at: datetime | None
    updated_at: datetime


class PhoneRow(NamedTuple):
    e164: str
    kind: str
    label: str | None
    primary: bool
    position: int


class LanguageRow(NamedTuple):
    tag: str
    level: str


class PeopleRows(NamedTuple):
    """People with their phones and languages (by person id, in their stored order)."""

    people: list[PersonRow]
    phones: dict[int, list[PhoneRow]]
    languages: dict[int, list[LanguageRow]]


def list_people_rows(
    party: Party | None = None, *, language: str | None = None, active: bool | None = None
) -> PeopleRows:
    """The people `list_people` finds, read as plain tuples in three statements (JSON lists).

    Hundreds of people with their phones and languages are thousands of ORM objects (identity
    map, instrumentation: ~70 µs a person); named tuples cost a fraction of that. Phones and
    languages are selected by a subquery of the same conditions, not by a list of ids.
    """
    where = _people_where(party, language, active)
    people = [
        PersonRow(*row)
        for row in db.session.execute(
            sa.select(
                Person.id,
                Party.iso2,
                Person.full_name,
                Person.title,
                Person.email,
                Person.timezone,
                Person.active,
                Person.last_confirmed_at,
                Person.updated_at,
            )
            .join(Party, Party.id == Person.party_id)
            .where(*where)
            .order_by(Person.id)
        )
    ]
    ids = sa.select(Person.id).where(*where)
    phones: dict[int, list[PhoneRow]] = {}
    for person_id, e164, kind, label, primary, position in db.session.execute(
        sa.select(
            Phone.person_id, Phone.e164, Phone.kind, Phone.label, Phone.primary, Phone.position
        )
        .where(Phone.person_id.in_(ids))
        .order_by(Phone.person_id, Phone.position, Phone.id)
    ):
        phones.setdefault(person_id, []).append(PhoneRow(e164, kind, label, primary, position))
    languages: dict[int, list[LanguageRow]] = {}
    for person_id, tag, level in db.session.execute(
        sa.select(PersonLanguage.person_id, PersonLanguage.tag, PersonLanguage.level)
        .where(PersonLanguage.person_id.in_(ids))
        .order_by(PersonLanguage.person_id, PersonLanguage.position, PersonLanguage.id)
    ):
        languages.setdefault(person_id, []).append(LanguageRow(tag, level))
    return PeopleRows(people, phones, languages)


def get_person(person_id: int) -> Person:
    """The person with their Party, phones and languages (all shown, and audited on a change)
    in one statement, or 404."""
    query = (
        sa.select(Person)
        .options(joinedload(Person.party), joinedload(Person.phones), joinedload(Person.languages))
        .where(Person.id == person_id)
    )
    person = db.session.scalars(query).unique().first()
    if person is None:
        raise not_found(f"person {person_id}")
    return person


def _apply_person_fields(person: Person, data: dict[str, Any], region: str) -> None:
    """Validate everything first, then assign: a rejected change leaves the person untouched."""
    errors: list[dict[str, str]] = []
    phones: list[Phone] | None = None
    if "phones" in data:
        phones = []
        for i, raw in enumerate(data["phones"]):
            try:
                number = parse_phone(raw["number"], region)
            except ValueError as exc:
                errors.append({"field": f"phones[{i}].number", "reason": str(exc)})
                continue
            phones.append(
                Phone(
                    e164=number.e164,
                    kind=raw.get("kind") or number.kind,
                    label=raw.get("label"),
                    primary=raw.get("primary", False),
                    position=i,
                )
            )
        e164s = [p.e164 for p in phones]
        if len(e164s) != len(set(e164s)):
            errors.append({"field": "phones", "reason": "the same number is listed twice"})
        _raise_if(errors)
        if phones and not any(p.primary for p in phones):
            phones[0].primary = True
    for key in ("full_name", "title", "email", "timezone", "active"):
        if key in data:
            setattr(person, key, data[key])
    if phones is not None:
        person.phones = phones
    if "languages" in data:
        person.languages = [
            PersonLanguage(tag=raw["tag"], level=raw.get("level", "working"), position=i)
            for i, raw in enumerate(data["languages"])
        ]


def create_person(actor: User, party: Party, data: dict[str, Any], now: datetime) -> Person:
    require_party_editor(actor, party.id)
    person = Person(updated_at=now)
    _apply_person_fields(person, data, party.iso2)
    person.party = party  # only once valid: a rejected person must not linger in the session
    db.session.add(person)
    db.session.flush()
    record_change(
        actor,
        "create",
        "person",
        person.id,
        party_id=party.id,
        before=None,
        after=present_person(person),
        now=now,
    )
    return person


def update_person(actor: User, person: Person, changes: dict[str, Any], now: datetime) -> Person:
    require_party_editor(actor, person.party_id)
    before = present_person(person)
    _apply_person_fields(person, changes, person.party.iso2)
    person.updated_at = now
    touch(person)
    db.session.flush()
    record_change(
        actor,
        "update",
        "person",
        person.id,
        party_id=person.party_id,
        before=before,
        after=present_person(person),
        now=now,
    )
    return person


def delete_person(actor: User, person: Person, now: datetime) -> None:
    require_party_editor(actor, person.party_id)
    # The row lock first, the guards after: a writer naming this person in a rotation locks
    # their row too (rota.service.check_members), so the guards see its committed change, or
    # it finds the person gone. No foreign key can do it: members are ids in a JSON list.
    locked = db.session.scalar(sa.select(Person.id).where(Person.id == person.id).with_for_update())
    if locked is None:
        raise not_found(f"person {person.id}")
    for guard in PERSON_DELETE_GUARDS:
        reason = guard(person)
        if reason:
            raise Problem(409, reason)
    before = present_person(person)
    db.session.delete(person)
    db.session.flush()
    record_change(
        actor,
        "delete",
        "person",
        before["id"],
        party_id=person.party_id,
        before=before,
        after=None,
        now=now,
    )


def mark_confirmed(person: Person, at: datetime) -> None:
    """A successful reachability test moves the person's last confirmation forward.

    A plain UPDATE, not a versioned one: a test call's result (a Twilio webhook) must neither
    lose to an edit of the person made meanwhile nor make that edit's versioned UPDATE fail.
    """
    if person.last_confirmed_at is None or person.last_confirmed_at < at:
        table = Person.__table__
        db.session.execute(
            sa.update(table)
            .where(
                table.c.id == person.id,
                sa.or_(table.c.last_confirmed_at.is_(None), table.c.last_confirmed_at < at),
            )
            .values(last_confirmed_at=at)
        )
        set_committed_value(person, "last_confirmed_at", at)


def find_person_by_contact(
    party_ids: list[int] | None, email: str | None, name: str | None
) -> Person | None:
    """Match a person by e-mail (case-insensitive), else by exact full name."""
    query = sa.select(Person)
    if party_ids is not None:
        query = query.where(Person.party_id.in_(party_ids))
    if email:
        found = db.session.scalar(query.where(sa.func.lower(Person.email) == email.lower()))
        if found:
            return found
    if name:
        return db.session.scalar(query.where(Person.full_name == name))
    return None


def get_party_by_id(party_id: int) -> Party:
    party = db.session.get(Party, party_id)
    if party is None:
        raise not_found(f"Party {party_id}")
    return party


def people_by_id(person_ids: set[int] | list[int]) -> dict[int, Person]:
    """People with phones and languages loaded, in one query."""
    if not person_ids:
        return {}
    query = (
        sa.select(Person)
        .options(selectinload(Person.phones), selectinload(Person.languages))
        .where(Person.id.in_(list(person_ids)))
    )
    return {p.id: p for p in db.session.scalars(query)}


def people_of_parties(party_ids: list[int] | None) -> dict[int, Person]:
    """Every person of these Parties (all when None), phones and languages loaded.

    A few Parties (who to call now): one joined statement, the rebuild each write to a Party
    costs every worker. All of them: three, as the joined rows would multiply.
    """
    if party_ids is None:
        query = sa.select(Person).options(
            selectinload(Person.phones), selectinload(Person.languages)
        )
        return {p.id: p for p in db.session.scalars(query)}
    query = (
        sa.select(Person)
        .options(joinedload(Person.phones), joinedload(Person.languages))
        .where(Person.party_id.in_(party_ids))
    )
    return {p.id: p for p in db.session.scalars(query).unique()}


def speaks(person: Person, tag: str) -> bool:
    """True when the person lists `tag` or a regional variant of it ("fr" matches "fr-CA")."""
    return any(lang.tag == tag or lang.tag.startswith(tag + "-") for lang in person.languages)
