"""Rota records and resolved duties to JSON-ready dicts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from directory.freshness import stored_block
from directory.models import Person
from directory.present import iso, present_languages, present_phone, sorted_phones
from rota.models import OverrideRecord, RotaRecord, RotationRecord


def present_rotation(rotation: RotationRecord) -> dict[str, Any]:
    return {
        "id": rotation.id,
        "name": rotation.name,
        "position": rotation.position,
        "members": list(rotation.members),
        "member_changes": [
            {"effective_at": iso(c.effective_at), "members": list(c.members)}
            for c in rotation.member_changes
        ],
        "start_local": rotation.start_local.isoformat(timespec="minutes"),
        "shift_length": rotation.shift_length,
        "restrictions": rotation.restrictions or [],
    }


def present_rota(rota: RotaRecord, iso2: str) -> dict[str, Any]:
    return {
        "id": rota.id,
        "party": iso2,
        "name": rota.name,
        "tier": rota.tier,
        "timezone": rota.timezone,
        "rotations": [present_rotation(rot) for rot in rota.rotations],
        "updated_at": iso(rota.updated_at),
    }


def present_override(override: OverrideRecord, person_name: str | None = None) -> dict[str, Any]:
    return {
        "id": override.id,
        "rota_id": override.rota_id,
        "person_id": override.person_id,
        "person_name": person_name,
        "start": iso(override.start_at),
        "end": iso(override.end_at),
        "note": override.note,
    }


def present_duty_person(
    person: Person | None, locale: str, states: dict[str, str] | None = None
) -> dict[str, Any] | None:
    """Everything needed to call someone now: phones (primary first, each with its graded
    `reach_state` from the test calls), e-mail, languages."""
    if person is None:
        return None
    return {
        "id": person.id,
        "full_name": person.full_name,
        "title": person.title,
        "email": person.email,
        "phones": [present_graded_phone(p, states or {}) for p in sorted_phones(person)],
        "languages": present_languages(person, locale),
        "last_confirmed_at": iso(person.last_confirmed_at),
    }


def present_graded_phone(phone: Any, states: dict[str, str]) -> dict[str, Any]:
    """A number with its state: unknown, confirmed, failed_once or unreachable."""
    return {**present_phone(phone), "reach_state": states.get(phone.e164, "unknown")}


def local_iso(at: datetime, tz: Any) -> str:
    return at.astimezone(tz).isoformat()


def present_shift(shift: Any, people: dict[int, Person]) -> dict[str, Any]:
    person = people.get(shift.person_id or 0)
    return {
        "start": iso(shift.start),
        "end": iso(shift.end),
        "gap": shift.person_id is None,
        "source": shift.source,
        "person": {"id": person.id, "full_name": person.full_name} if person else None,
    }


def present_on_call(
    answer: Any, locale: str, party_view: dict[str, Any], desk: dict[str, Any] | None
) -> dict[str, Any]:
    """The full answer for one Party: every tier, the desk line, the language question."""
    from rota.specs import zone

    tz = zone(answer.tz_name)
    tiers = []
    for duty in answer.tiers:
        tiers.append(
            {
                "tier": duty.rota.tier,
                "rota": {"id": duty.rota.id, "name": duty.rota.name},
                "gap": duty.person is None,
                "person": present_duty_person(duty.person, locale, answer.number_states),
                "since": iso(duty.shift.start),
                "until": None if duty.clipped_until else iso(duty.shift.end),
                "source": duty.shift.source,
                "next": None
                if duty.next_shift is None
                else {
                    "person": present_duty_person(duty.next_person, locale, answer.number_states),
                    "gap": duty.next_person is None,
                    "since": iso(duty.next_shift.start),
                },
            }
        )
    out = {
        "party": party_view,
        "at": iso(answer.at),
        "local_time": local_iso(answer.at, tz),
        "timezone": answer.tz_name,
        "tiers": tiers,
        "gap": not tiers or tiers[0]["gap"],
        "desk_phone": desk,
        "next_handoff": iso(answer.next_handoff),
        "language": None,
        # Who vouched for these entries and until when; the state is added per request.
        "freshness": stored_block(answer.confirmation),
    }
    if answer.language is not None:
        lang = answer.language
        from directory.values import language_name

        out["language"] = {
            "tag": lang.tag,
            "name": language_name(lang.tag, locale),
            "on_duty": [
                {"tier": t, "person_id": p.id, "full_name": p.full_name} for t, p in lang.on_duty
            ],
            "speaks_now": bool(lang.on_duty),
            "next": None
            if lang.next is None
            else {
                "tier": lang.next[0],
                "person_id": lang.next[1].id,
                "full_name": lang.next[1].full_name,
                "from": iso(lang.next[2]),
            },
        }
    return out


def present_on_call_compact(
    answer: Any, locale: str, name: str, desk: dict[str, Any] | None
) -> dict[str, Any]:
    """One row of the network-wide board."""
    from rota.specs import zone

    rows = []
    for duty in answer.tiers:
        person = duty.person
        primary = sorted_phones(person)[0] if person and person.phones else None
        rows.append(
            {
                "tier": duty.rota.tier,
                "gap": person is None,
                "person": None
                if person is None
                else {
                    "id": person.id,
                    "full_name": person.full_name,
                    "phone": present_graded_phone(primary, answer.number_states)
                    if primary
                    else None,
                    "languages": [lang.tag for lang in person.languages],
                },
                "until": None if duty.clipped_until else iso(duty.shift.end),
            }
        )
    lang = answer.language
    return {
        "party": answer.party.iso2,
        "name": name,
        "local_time": local_iso(answer.at, zone(answer.tz_name)),
        "timezone": answer.tz_name,
        "gap": not rows or rows[0]["gap"],
        "tiers": rows,
        "desk_phone": desk,
        "speaks": None if lang is None else bool(lang.on_duty),
        "freshness": stored_block(answer.confirmation),
    }
