"""Records to JSON-ready dicts: the one place that decides what the directory API shows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from directory.models import AuditEntry, ContactPoint, Party, Person, PersonLanguage, Phone
from directory.values import country_name, describe_e164, language_name

if TYPE_CHECKING:
    from directory.service import LanguageRow, PeopleRows, PersonRow, PhoneRow

_P = TypeVar("_P", "Phone", "PhoneRow")


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def present_phone_number(e164: str | None) -> dict[str, Any] | None:
    """A stored number with its international format and kind."""
    if not e164:
        return None
    number = describe_e164(e164)
    return {"e164": number.e164, "international": number.international, "kind": number.kind}


def present_phone(phone: Phone) -> dict[str, Any]:
    return _phone(phone)


def _phone(phone: Phone | PhoneRow) -> dict[str, Any]:
    shown = present_phone_number(phone.e164) or {}
    return {
        "e164": phone.e164,
        "international": shown.get("international", phone.e164),
        "kind": phone.kind,
        "label": phone.label,
        "primary": phone.primary,
    }


def present_languages(person: Person, locale: str) -> list[dict[str, Any]]:
    return _languages(person.languages, locale)


def _languages(
    languages: Iterable[PersonLanguage | LanguageRow], locale: str
) -> list[dict[str, Any]]:
    return [
        {"tag": lang.tag, "name": language_name(lang.tag, locale), "level": lang.level}
        for lang in languages
    ]


def sorted_phones(person: Person) -> list[Phone]:
    """Primary first, then in the order given."""
    return _primary_first(person.phones)


def _primary_first(phones: Iterable[_P]) -> list[_P]:
    return sorted(phones, key=lambda p: (not p.primary, p.position))


def present_person(person: Person, locale: str = "en") -> dict[str, Any]:
    return _person(person, person.party.iso2, sorted_phones(person), person.languages, locale)


def present_people(rows: PeopleRows, locale: str = "en") -> list[dict[str, Any]]:
    """A list of people read as rows: item for item what `present_person` shows of each."""
    return [
        _person(
            p,
            p.party_iso2,
            _primary_first(rows.phones.get(p.id, ())),
            rows.languages.get(p.id, ()),
            locale,
        )
        for p in rows.people
    ]


def _person(
    person: Person | PersonRow,
    party_iso2: str,
    phones: Iterable[Phone | PhoneRow],
    languages: Iterable[PersonLanguage | LanguageRow],
    locale: str,
) -> dict[str, Any]:
    """The one shape of a person (a contract of the API), from a `Person` or from rows."""
    return {
        "id": person.id,
        "party": party_iso2,
        "full_name": person.full_name,
        "title": person.title,
        "email": person.email,
        "timezone": person.timezone,
        "active": person.active,
        "last_confirmed_at": iso(person.last_confirmed_at),
        "phones": [_phone(p) for p in phones],
        "languages": _languages(languages, locale),
        "updated_at": iso(person.updated_at),
    }


def present_contact_point(cp: ContactPoint | None) -> dict[str, Any] | None:
    if cp is None:
        return None
    return {
        "id": cp.id,
        "unit_name": cp.unit_name,
        "kind": cp.kind,
        "address": cp.address,
        "email": cp.email,
        "desk_phone": present_phone_number(cp.desk_phone),
        "timezone": cp.timezone,
        "office_hours": cp.office_hours or [],
        "can_order_preservation": cp.can_order_preservation,
        "mla_authority": {
            "name": cp.mla_authority_name,
            "phone": present_phone_number(cp.mla_authority_phone),
            "email": cp.mla_authority_email,
        },
        "effective_from": iso(cp.effective_from),
        "effective_to": iso(cp.effective_to),
        "effective_at": iso(cp.effective_at),
        "updated_at": iso(cp.updated_at),
    }


def present_party(
    party: Party, locale: str = "en", *, detail_at: datetime | None = None
) -> dict[str, Any]:
    """A Party; with `detail_at` (aware), also the designation in force then and its people."""
    out: dict[str, Any] = {
        "iso2": party.iso2,
        "name": country_name(party.iso2, locale, fallback=party.name),
        "name_en": party.name,
        "status": party.status,
        "signed_date": iso(party.signed_date),
        "ratified_date": iso(party.ratified_date),
        "in_force_date": iso(party.in_force_date),
        "source": party.source,
        "notes": party.notes,
        "updated_at": iso(party.updated_at),
    }
    if detail_at is not None:
        out["contact_point"] = present_contact_point(party.contact_point_at(detail_at))
        out["people"] = [present_person(p, locale) for p in party.people]
    return out


def present_audit(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": iso(entry.at),
        "actor": entry.actor_email,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "party_id": entry.party_id,
        "before": entry.before,
        "after": entry.after,
    }
