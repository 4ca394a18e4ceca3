"""The rota JSON API: CRUD for rotas, rotations and overrides; who to call now; timelines."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, json

from common.api import (
    Blueprint,
    check_if_match,
    documents_problems,
    json_bytes_with_etag,
    json_with_etag,
)
from common.budget import DEFAULT_SHIFT_BUDGET, WorkBudget
from common.clock import now
from common.db import db
from common.errors import Problem
from common.i18n import api_locale
from directory import freshness
from directory import service as directory
from directory.audit import request_data_version
from directory.auth import current_user
from directory.present import iso, present_party, present_phone_number
from directory.values import country_name
from rota import lookup, schemas, service
from rota.answer_cache import answers as answer_cache
from rota.answer_cache import cached_answer, validity
from rota.present import (
    local_iso,
    present_on_call,
    present_on_call_compact,
    present_override,
    present_rota,
    present_shift,
)
from rota.specs import zone

blp = Blueprint(
    "rota",
    __name__,
    url_prefix="/api/v1",
    description="Rotas, rotations, overrides; who to call now; coverage",
)

DEFAULT_SPAN = timedelta(days=14)


def _bounded(args: dict, default_span: timedelta) -> tuple[datetime, datetime]:
    """since (default now) and until (default since + span), checked after the defaults apply.

    The cap holds whether or not `since` was given: `until` alone far ahead or in the past is
    a 422 naming `until`, never hours of work or a 500.
    """
    since = args.get("since") or now()
    until = args.get("until") or since + default_span
    if until <= since:
        reason = "must be after since (since defaults to now)"
        raise Problem(422, f"until: {reason}", errors=[{"field": "until", "reason": reason}])
    if until - since > timedelta(days=schemas.MAX_RANGE_DAYS):
        reason = f"at most {schemas.MAX_RANGE_DAYS} days after since (since defaults to now)"
        raise Problem(422, f"until: {reason}", errors=[{"field": "until", "reason": reason}])
    return since, until


def shift_budget(field: str = "until") -> WorkBudget:
    """The resolved shifts one request may compute (setting WORK_BUDGET_SHIFTS)."""
    limit = int(current_app.config.get("WORK_BUDGET_SHIFTS") or DEFAULT_SHIFT_BUDGET)
    hint = "shorten the period" if field == "until" else "shorten the period or lengthen shifts"
    return WorkBudget(limit, "shift segments", field, hint)


#: One instance for every lookup: building a schema per request costs more than the cached answer.
ON_CALL_QUERY = schemas.OnCallQuery()


def _rota_view(rota) -> dict:
    return present_rota(rota, service.party_of(rota).iso2)


def _desk(party, at: datetime) -> dict | None:
    cp = party.contact_point_at(at)
    return present_phone_number(cp.desk_phone) if cp else None


@blp.get("/parties/<iso2>/rotas")
@blp.response(200, schemas.RotaList)
@documents_problems(blp, 401, 404)
def list_rotas(iso2: str) -> Response:
    party = directory.get_party(iso2)
    return json_with_etag(
        {"items": [present_rota(rt, party.iso2) for rt in service.list_rotas(party)]}
    )


@blp.post("/parties/<iso2>/rotas")
@blp.arguments(schemas.RotaIn)
@blp.response(201, schemas.RotaOut)
@documents_problems(blp, 401, 403, 404, 409)
def create_rota(data: dict, iso2: str) -> Response:
    """A duty line with its tier (1 = call first); the zone defaults to the contact point's."""
    rota = service.create_rota(current_user(), directory.get_party(iso2), data, now())
    db.session.commit()
    return json_with_etag(_rota_view(rota), 201)


@blp.get("/rotas/<int:rota_id>")
@blp.response(200, schemas.RotaOut)
@documents_problems(blp, 401, 404)
def get_rota(rota_id: int) -> Response:
    return json_with_etag(_rota_view(service.get_rota(rota_id)))


@blp.patch("/rotas/<int:rota_id>")
@blp.arguments(schemas.RotaPatch)
@blp.response(200, schemas.RotaOut)
@documents_problems(blp, 401, 403, 404, 409, 412)
def patch_rota(changes: dict, rota_id: int) -> Response:
    rota = service.get_rota(rota_id)
    check_if_match(_rota_view(rota))
    service.update_rota(current_user(), rota, changes, now())
    db.session.commit()
    return json_with_etag(_rota_view(rota))


@blp.delete("/rotas/<int:rota_id>")
@blp.response(204)
@documents_problems(blp, 401, 403, 404, 412)
def delete_rota(rota_id: int) -> Response:
    rota = service.get_rota(rota_id)
    check_if_match(_rota_view(rota))
    service.delete_rota(current_user(), rota, now())
    db.session.commit()
    return Response(status=204)


@blp.post("/rotas/<int:rota_id>/rotations")
@blp.arguments(schemas.RotationIn)
@blp.response(201, schemas.RotaOut)
@documents_problems(blp, 401, 403, 404, 412)
def add_rotation(data: dict, rota_id: int) -> Response:
    """Add a layer; it wins over earlier layers where both are active. Answers the whole rota."""
    rota = service.get_rota(rota_id)
    check_if_match(_rota_view(rota))
    service.add_rotation(current_user(), rota, data, now())
    db.session.commit()
    return json_with_etag(_rota_view(rota), 201)


@blp.patch("/rotations/<int:rotation_id>")
@blp.arguments(schemas.RotationPatch)
@blp.response(200, schemas.RotaOut)
@documents_problems(blp, 401, 403, 404, 412)
def patch_rotation(changes: dict, rotation_id: int) -> Response:
    """New `members` apply from `members_effective_at` (default now): past shifts keep theirs."""
    rotation = service.get_rotation(rotation_id)
    check_if_match(_rota_view(rotation.rota))
    service.update_rotation(current_user(), rotation, changes, now())
    db.session.commit()
    return json_with_etag(_rota_view(rotation.rota))


@blp.delete("/rotations/<int:rotation_id>")
@blp.response(204)
@documents_problems(blp, 401, 403, 404, 412)
def delete_rotation(rotation_id: int) -> Response:
    rotation = service.get_rotation(rotation_id)
    check_if_match(_rota_view(rotation.rota))
    service.delete_rotation(current_user(), rotation, now())
    db.session.commit()
    return Response(status=204)


@blp.get("/rotas/<int:rota_id>/overrides")
@blp.arguments(schemas.RangeQuery, location="query")
@blp.response(200, schemas.OverrideList)
@documents_problems(blp, 401, 404)
def list_overrides(args: dict, rota_id: int) -> Response:
    rota = service.get_rota(rota_id)
    items = service.list_overrides(rota, args.get("since"), args.get("until"))
    names = {
        p.id: p.full_name for p in directory.people_by_id({o.person_id for o in items}).values()
    }
    return json_with_etag({"items": [present_override(o, names.get(o.person_id)) for o in items]})


@blp.post("/rotas/<int:rota_id>/overrides")
@blp.arguments(schemas.OverrideIn)
@blp.response(201, schemas.OverrideOut)
@documents_problems(blp, 401, 403, 404, 409)
def create_override(data: dict, rota_id: int) -> Response:
    """Person X covers this rota from start to end; overlapping overrides are a 409."""
    override = service.create_override(current_user(), service.get_rota(rota_id), data, now())
    db.session.commit()
    return json_with_etag(present_override(override), 201)


@blp.delete("/overrides/<int:override_id>")
@blp.response(204)
@documents_problems(blp, 401, 403, 404)
def delete_override(override_id: int) -> Response:
    service.delete_override(current_user(), service.get_override(override_id), now())
    db.session.commit()
    return Response(status=204)


@blp.get("/parties/<iso2>/on-call")
@blp.arguments(ON_CALL_QUERY, location="query")
@blp.response(200, schemas.OnCallOut)
@documents_problems(blp, 401, 404)
def party_on_call(args: dict, iso2: str) -> Response:
    """Who to call in this Party at `at` (default now), per tier, with the desk line as fallback.

    Example: `GET /api/v1/parties/FR/on-call?at=2026-12-24T03:00:00%2B01:00&lang=es`.
    """
    at = args.get("at") or now()
    locale = api_locale()

    def build() -> tuple[dict, tuple, int]:
        party = directory.get_party(iso2, with_contact_points=True)
        answers = lookup.resolve_on_call([party], at, lang=args.get("lang"), tier=args.get("tier"))
        desk = _desk(party, at)
        payload = present_on_call(answers[0], locale, present_party(party, locale), desk)
        serialized = _serialized(payload, answers[0].confirmation, freshness.policy())
        # Only this Party's writes (and network-wide ones) can change it.
        return serialized, validity(answers), party.id

    # Only existing Parties' answers are cached: an unknown code still reaches get_party's 404.
    key = ("party", iso2.upper(), args.get("lang"), args.get("tier"), locale)
    cached = cached_answer(answer_cache, key, request_data_version(), at, build)
    return json_bytes_with_etag(_with_instant(cached, at))


def _serialized(payload: dict, confirmation: Any, policy: freshness.Policy) -> dict:
    """An answer as cached: its JSON without the instant asked and the freshness state, which
    each request puts back (the state is for the present time, like the local clock)."""
    rest = {k: v for k, v in payload.items() if k not in ("at", "local_time", "freshness")}
    return {
        "timezone": payload["timezone"],
        "tail": json.dumps(rest).encode(),
        "freshness": payload["freshness"],
        "valid_until": confirmation.valid_until if confirmation is not None else None,
        "policy": policy,
    }


def _with_instant(cached: dict, at: datetime) -> bytes:
    instant = {
        "at": iso(at),
        "local_time": local_iso(at, zone(cached["timezone"])),
        "freshness": freshness.block_at(
            cached["freshness"], cached["valid_until"], now(), cached["policy"]
        ),
    }
    return json.dumps(instant).encode()[:-1] + b"," + cached["tail"][1:]


@blp.get("/on-call")
@blp.arguments(ON_CALL_QUERY, location="query")
@blp.response(200, schemas.NetworkOnCallOut)
@documents_problems(blp, 401)
def network_on_call(args: dict) -> Response:
    """Every Party at once, compact, for the network-wide duty board."""
    at = args.get("at") or now()
    locale = api_locale()

    def build() -> tuple[dict, tuple]:
        answers = lookup.resolve_on_call(
            directory.list_parties(),
            at,
            lang=args.get("lang"),
            tier=args.get("tier"),
            with_next=False,
        )
        items = [
            present_on_call_compact(
                a, locale, country_name(a.party.iso2, locale, a.party.name), _desk(a.party, at)
            )
            for a in answers
        ]
        ends = [a.confirmation.valid_until if a.confirmation else None for a in answers]
        return {"items": items, "valid_until": ends, "policy": freshness.policy()}, validity(
            answers
        )

    key = ("network", args.get("lang"), args.get("tier"), locale)
    payload = cached_answer(answer_cache, key, request_data_version(), at, build)
    present, policy = now(), payload["policy"]
    items = [
        {
            **row,
            "local_time": local_iso(at, zone(row["timezone"])),
            "freshness": freshness.block_at(row["freshness"], valid_until, present, policy),
        }
        for row, valid_until in zip(payload["items"], payload["valid_until"], strict=True)
    ]
    return json_with_etag({"at": iso(at), "items": items})


@blp.get("/parties/<iso2>/shifts")
@blp.arguments(schemas.ShiftsQuery, location="query")
@blp.response(200, schemas.ShiftsOut)
@documents_problems(blp, 401, 404)
def party_shifts(args: dict, iso2: str) -> Response:
    """The resolved timeline per tier: contiguous, merged, gaps explicit; at most 366 days."""
    party = directory.get_party(iso2)
    since, until = _bounded(args, DEFAULT_SPAN)
    timelines = lookup.party_timelines(party, since, until, args.get("tier"), shift_budget())
    people = directory.people_by_id({s.person_id for _, ss in timelines for s in ss if s.person_id})
    return json_with_etag(
        {
            "party": {"iso2": party.iso2, "name": party.name},
            "since": since.isoformat(),
            "until": until.isoformat(),
            "tiers": [
                {
                    "tier": rota.tier,
                    "rota": {"id": rota.id, "name": rota.name},
                    "timezone": rota.timezone,
                    "shifts": [present_shift(s, people) for s in shifts],
                }
                for rota, shifts in timelines
            ],
        }
    )


@blp.get("/coverage/gaps")
@blp.arguments(schemas.GapsQuery, location="query")
@blp.response(200, schemas.GapsOut)
@documents_problems(blp, 401)
def coverage_gaps(args: dict) -> Response:
    """Every Party's holes in 24/7 coverage on tier 1 (all tiers with ?all_tiers=true)."""
    since, until = _bounded(args, timedelta(days=30))
    gaps = lookup.coverage_gaps(since, until, all_tiers=args["all_tiers"], budget=shift_budget())
    return json_with_etag(
        {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "items": [
                {
                    "party": g.party.iso2,
                    "tier": g.tier,
                    "rota": None if g.rota is None else {"id": g.rota.id, "name": g.rota.name},
                    "start": g.start.isoformat(),
                    "end": g.end.isoformat(),
                    "hours": round((g.end - g.start).total_seconds() / 3600, 2),
                    # A rota whose stored data is broken (rota.integrity), named for repair.
                    **({"problem": g.problem} if g.problem else {}),
                }
                for g in gaps
            ],
        }
    )


@blp.post("/parties/<iso2>/rotas/preview")
@blp.arguments(schemas.PreviewIn)
@blp.response(200, schemas.PreviewOut)
@documents_problems(blp, 401, 404, 409)
def preview(data: dict, iso2: str) -> Response:
    """The timeline a proposed rota would give, without saving anything."""
    party = directory.get_party(iso2)
    since, until = _bounded(data, DEFAULT_SPAN)
    shifts = lookup.preview_timeline(
        party, data, since, until, shift_budget("rotations"), now=now()
    )
    people = directory.people_by_id({s.person_id for s in shifts if s.person_id})
    return json_with_etag(
        {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "shifts": [present_shift(s, people) for s in shifts],
        }
    )
