"""The directory's JSON API: parse, call one service function, commit, answer."""

from __future__ import annotations

from flask import Response

from common.api import Blueprint, check_if_match, documents_problems, json_with_etag
from common.clock import now
from common.db import db
from common.errors import not_found
from common.i18n import api_locale
from directory import freshness, schemas, service
from directory.access import audit_party_scope, can_edit_party
from directory.audit import list_changes
from directory.auth import current_user
from directory.models import Party
from directory.present import (
    present_audit,
    present_contact_point,
    present_party,
    present_people,
    present_person,
)

blp = Blueprint(
    "directory",
    __name__,
    url_prefix="/api/v1",
    description="Parties, their 24/7 contact points and people; audit trail",
)


@blp.get("/parties")
@blp.arguments(schemas.PartyQuery, location="query")
@blp.response(200, schemas.PartyList)
@documents_problems(blp, 401)
def list_parties(args: dict) -> Response:
    """Every Party, names in the language of Accept-Language; filter with ?status=party."""
    locale = api_locale()
    parties = service.list_parties(args.get("status"), with_contact_points=False)
    items = [present_party(p, locale) for p in parties]
    return json_with_etag({"items": items})


@blp.post("/parties")
@blp.arguments(schemas.PartyIn)
@blp.response(201, schemas.PartyOut)
@documents_problems(blp, 401, 403, 409)
def create_party(data: dict) -> Response:
    """Add a Party to the list (secretariat)."""
    party = service.create_party(current_user(), data, now())
    db.session.commit()
    return json_with_etag(present_party(party, api_locale()), 201)


@blp.get("/parties/<iso2>")
@blp.response(200, schemas.PartyDetailOut)
@documents_problems(blp, 401, 404)
def get_party(iso2: str) -> Response:
    """One Party with its current contact point, people and `freshness` block (state for now)."""
    return json_with_etag(_party_detail(service.get_party(iso2, with_people=True)))


def _party_detail(party) -> dict:
    """The Party's full representation, with its confirmation's state at the present time."""
    out = present_party(party, api_locale(), detail_at=now())
    out["freshness"] = freshness.freshness_block(freshness.latest_confirmation(party), now())
    return out


@blp.post("/parties/<iso2>/confirm")
@blp.response(200, schemas.FreshnessOut)
@documents_problems(blp, 401, 403, 404)
def confirm_party(iso2: str) -> Response:
    """Confirm the Party's entries as reviewed and true (its administrators, the secretariat).

    Answers the new `freshness` block, e.g. `{"state": "current", "confirmed_at":
    "2026-12-07T12:00:00+00:00", "confirmed_by": "admin@fr.example", "valid_until": …}`.
    """
    party = service.get_party(iso2)
    at = now()
    conf = freshness.confirm_party(current_user(), party, at)
    db.session.commit()
    return json_with_etag(freshness.freshness_block(conf, at))


@blp.patch("/parties/<iso2>")
@blp.arguments(schemas.PartyPatch)
@blp.response(200, schemas.PartyDetailOut)
@documents_problems(blp, 401, 403, 404, 412)
def patch_party(changes: dict, iso2: str) -> Response:
    """Correct a Party's name, status or dates (secretariat); honours If-Match."""
    party = service.get_party(iso2, with_people=True)
    check_if_match(_party_detail(party))
    service.update_party(current_user(), party, changes, now())
    db.session.commit()
    return json_with_etag(_party_detail(party))


@blp.get("/parties/<iso2>/contact-point")
@blp.response(200, schemas.ContactPointOut)
@documents_problems(blp, 401, 404)
def get_contact_point(iso2: str) -> Response:
    """The current designation (404 when none)."""
    party = service.get_party(iso2)
    cp = party.contact_point_at(now())
    if cp is None:
        raise not_found(f"a contact point for {party.iso2}")
    return json_with_etag(present_contact_point(cp))


@blp.put("/parties/<iso2>/contact-point")
@blp.arguments(schemas.ContactPointIn)
@blp.response(200, schemas.ContactPointOut)
@documents_problems(blp, 401, 403, 404, 412)
def put_contact_point(data: dict, iso2: str) -> Response:
    """Correct the current unit, or with `new_designation` record a new one (history kept)."""
    party = service.get_party(iso2)
    cp = party.contact_point_at(now())
    if cp is not None and not data.get("new_designation"):
        check_if_match(present_contact_point(cp))
    cp = service.set_contact_point(current_user(), party, data, now())
    db.session.commit()
    return json_with_etag(present_contact_point(cp))


@blp.get("/parties/<iso2>/history")
@blp.response(200, schemas.HistoryOut)
@documents_problems(blp, 401, 404)
def party_history(iso2: str) -> Response:
    """Every designation with its dates, and the Party's recorded changes (newest first).

    The changes are listed for the Party's administrators and the secretariat only.
    """
    party = service.get_party(iso2)
    # The recorded changes hold deleted people's numbers: only the Party's editors read them.
    editor = can_edit_party(current_user(), party.id)
    return json_with_etag(
        {
            "designations": [present_contact_point(cp) for cp in party.contact_points],
            "changes": [present_audit(e) for e in list_changes(party=party, limit=500)]
            if editor
            else [],
        }
    )


@blp.get("/parties/<iso2>/people")
@blp.arguments(schemas.PeopleQuery, location="query")
@blp.response(200, schemas.PersonList)
@documents_problems(blp, 401, 404)
def list_people(args: dict, iso2: str) -> Response:
    """A Party's people; ?language=fr keeps those who speak French (fr-CA included)."""
    party = service.get_party(iso2)
    rows = service.list_people_rows(party, language=args.get("language"), active=args.get("active"))
    return json_with_etag({"items": present_people(rows, api_locale())})


@blp.post("/parties/<iso2>/people")
@blp.arguments(schemas.PersonIn)
@blp.response(201, schemas.PersonOut)
@documents_problems(blp, 401, 403, 404)
def create_person(data: dict, iso2: str) -> Response:
    """Add a person; phone numbers may be national (read in the Party's region)."""
    party = service.get_party(iso2)
    person = service.create_person(current_user(), party, data, now())
    db.session.commit()
    return json_with_etag(present_person(person, api_locale()), 201)


@blp.get("/people")
@blp.arguments(schemas.PeopleQuery, location="query")
@blp.response(200, schemas.PersonList)
@documents_problems(blp, 401)
def list_all_people(args: dict) -> Response:
    """People of every Party; ?language=es answers "who speaks Spanish"."""
    rows = service.list_people_rows(language=args.get("language"), active=args.get("active"))
    return json_with_etag({"items": present_people(rows, api_locale())})


@blp.get("/people/<int:person_id>")
@blp.response(200, schemas.PersonOut)
@documents_problems(blp, 401, 404)
def get_person(person_id: int) -> Response:
    return json_with_etag(present_person(service.get_person(person_id), api_locale()))


@blp.patch("/people/<int:person_id>")
@blp.arguments(schemas.PersonPatch)
@blp.response(200, schemas.PersonOut)
@documents_problems(blp, 401, 403, 404, 412)
def patch_person(changes: dict, person_id: int) -> Response:
    """Change a person; `phones` or `languages`, when given, replace the stored lists."""
    person = service.get_person(person_id)
    check_if_match(present_person(person, api_locale()))
    service.update_person(current_user(), person, changes, now())
    # Presented from the flushed state, the one committed: reading it back after the commit
    # (which expires it) cost four more statements per write.
    payload = present_person(person, api_locale())
    db.session.commit()
    return json_with_etag(payload)


@blp.delete("/people/<int:person_id>")
@blp.response(204)
@documents_problems(blp, 401, 403, 404, 409, 412)
def delete_person(person_id: int) -> Response:
    person = service.get_person(person_id)
    check_if_match(present_person(person, api_locale()))
    service.delete_person(current_user(), person, now())
    db.session.commit()
    return Response(status=204)


@blp.get("/audit")
@blp.arguments(schemas.AuditQuery, location="query")
@blp.response(200, schemas.AuditList)
@documents_problems(blp, 401, 403, 404)
def audit(args: dict) -> Response:
    """Recorded changes, newest first; filter by ?party=FR&entity=person, page with before_id.

    The secretariat reads every entry; a Party administrator only their own Party's (the
    default for them); members are refused (403).
    """
    party = service.get_party(args["party"]) if args.get("party") else None
    party_id = audit_party_scope(current_user(), party.id if party else None)
    if party is None and party_id is not None:
        party = db.session.get(Party, party_id)
    entries = list_changes(
        party=party, entity=args.get("entity"), limit=args["limit"], before_id=args.get("before_id")
    )
    return json_with_etag({"items": [present_audit(e) for e in entries]})
