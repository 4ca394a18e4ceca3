"""The Party page: contact point, people, who is on duty and a 14-day picture of the rota."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import render_template, request, url_for

from common.clock import now
from directory import service as directory
from directory.access import can_edit_party
from directory.models import Party
from rota import lookup
from web import bp, hooks
from web import formatting as fmt
from web.forms import aware_to_local
from web.session import current_user, viewer_zone
from web.timeline import build_picture, day_start

DAYS = 14


def party_zone(party: Party) -> str:
    """The zone the Party lives in: its contact point's, else its first rota's, else UTC."""
    cp = party.contact_point_at(now())
    if cp is not None:
        return cp.timezone
    rotas = lookup.load_rotas([party.id], now(), now()).get(party.id, [])
    return rotas[0].record.timezone if rotas else "UTC"


def display_zone(party: Party) -> tuple[str, str]:
    """('party' | 'viewer', zone name) chosen with ?tz=."""
    if request.args.get("tz") == "viewer":
        return "viewer", viewer_zone()
    return "party", party_zone(party)


def timeline_picture(party: Party, tz_name: str, *, editable: bool) -> Any:
    """The 14 days from the start of today (in `tz_name`), every tier, gaps linked to a fix."""
    at = now()
    zone = ZoneInfo(tz_name)
    start = day_start(at, zone)
    since, until = start.astimezone(UTC), (start + timedelta(days=DAYS)).astimezone(UTC)
    timelines = lookup.party_timelines(party, since, until)
    people = directory.people_by_id({s.person_id for _, ss in timelines for s in ss if s.person_id})

    def gap_href(rota: Any, shift: Any) -> str:
        return url_for(
            "web.new_override",
            rota_id=rota.id,
            start=aware_to_local(max(shift.start, since), rota.timezone),
            end=aware_to_local(min(shift.end, until), rota.timezone),
        )

    return build_picture(
        timelines, people, since, until, tz_name, at, gap_href=gap_href if editable else None
    )


@bp.get("/parties/<iso2>")
def party_page(iso2: str) -> str:
    """Everything about one Party a duty officer or its administrator needs."""
    party = directory.get_party(iso2)
    user = current_user()
    at = now()
    editable = can_edit_party(user, party.id)
    tz_choice, tz_name = display_zone(party)
    on_call = lookup.resolve_on_call([party], at)[0]
    people = directory.list_people(party)
    return render_template(
        "web/party.html",
        party=party,
        name=fmt.country(party.iso2, party.name),
        cp=party.contact_point_at(now()),
        people=people,
        person_actions={p.id: hooks.render_all(hooks.PERSON_ACTIONS, p, user) for p in people},
        sections=hooks.render_all(hooks.PARTY_SECTIONS, party, user),
        on_call=on_call,
        party_tz=party_zone(party),
        at=at,
        picture=timeline_picture(party, tz_name, editable=editable),
        tz_choice=tz_choice,
        tz_name=tz_name,
        editable=editable,
    )
