"""The Party page: contact point, people, who is on duty, and the 14-day picture of the rota."""

from __future__ import annotations

import re
from datetime import timedelta

from common.db import db
from directory.service import mark_confirmed
from rota import service as rotas
from tests.conftest import make_party, make_user
from tests.web.conftest import sign_in


def _bars(html: str, rota_id: int) -> list[tuple[str, str]]:
    """(person or gap label, source) of each bar in the rota's picture, in order."""
    svg = html.split(f'data-rota="{rota_id}"')[1].split("</svg>")[0]
    return re.findall(r'<g class="shift[^"]*" data-source="(\w+)" data-person="([^"]*)"', svg)


def test_the_party_page_gives_the_contact_point_and_people(signed_in, france_rota, now):
    _party, people, _rota = france_rota
    mark_confirmed(people[0], now - timedelta(days=3))
    db.session.commit()
    html = signed_in.get("/parties/fr").text
    assert "<h1>France" in html
    assert "OFAC 24/7" in html and "police" in html
    assert 'href="tel:+33123456789"' in html  # desk line
    assert "Ministère de la Justice" in html and 'href="tel:+33144776060"' in html  # MLA
    for person in people:
        assert person.full_name in html
    assert "Last confirmed reachable: Sat, 28 Nov 2026 12:00 (3 days ago)" in html
    assert html.count("Never confirmed reachable") == 2
    # On duty now, per tier, with the number to call.
    now_card = html.split('id="now-h"')[1].split("</section>")[0]
    assert "Bruno Petit" in now_card and 'href="tel:+33612345602"' in now_card
    assert "until Mon 09:00 (in 6 days)" in now_card


def test_the_timeline_draws_shifts_gaps_and_now(signed_in, france_rota, secretariat_user, now):
    party, _people, rota = france_rota
    html = signed_in.get("/parties/FR").text
    assert _bars(html, rota.id) == [
        ("rotation", "Bruno Petit"),
        ("rotation", "Carmen Ruiz"),
        ("rotation", "Anne Dupont"),
    ]
    svg = html.split(f'data-rota="{rota.id}"')[1].split("</svg>")[0]
    assert svg.count("<line") == 14 + 1  # a line per local midnight, and "now"
    assert ">Tue 1<" in svg and ">Mon 14<" in svg
    assert 'role="img"' in html.split(f'data-rota="{rota.id}"')[0].rsplit("<svg", 1)[1]
    # A second tier without a rotation is one long red gap linked to a fix.
    tier2 = rotas.create_rota(secretariat_user, party, {"name": "Prosecutor", "tier": 2}, now)
    db.session.commit()
    html = signed_in.get("/parties/FR").text
    assert _bars(html, tier2.id) == [("gap", "Nobody on duty")]
    link = f"/rotas/{tier2.id}/overrides/new?start=2026-12-01T00:00&amp;end=2026-12-15T00:00"
    assert link in html
    assert 'fill="#b3261e"' in html


def test_times_in_the_viewers_zone_on_request(client, secretariat_user, france_rota):
    sign_in(client, secretariat_user)
    with client.session_transaction() as session:
        session["tz"] = "Asia/Tokyo"
    party_view = client.get("/parties/FR").text
    mine = client.get("/parties/FR?tz=viewer").text
    assert "Times in Europe/Paris." in party_view
    assert "Times in Asia/Tokyo." in mine
    # Bruno's shift ends Monday 09:00 in Paris, 17:00 in Tokyo.
    assert "Bruno Petit: Tue 1 Dec 00:00 – Mon 7 Dec 09:00" in party_view
    # The picture starts at midnight in the zone shown.
    assert "Bruno Petit: Tue 1 Dec 00:00 – Mon 7 Dec 17:00" in mine


def test_the_browser_reports_its_zone(signed_in, now):
    assert (
        signed_in.post(
            "/preferences/timezone", data={"tz": "America/Bogota"}, headers={"X-CSRF-Token": "x"}
        ).status_code
        == 400
    )
    from tests.web.conftest import CSRF

    resp = signed_in.post(
        "/preferences/timezone", data={"tz": "America/Bogota"}, headers={"X-CSRF-Token": CSRF}
    )
    assert resp.status_code == 204
    assert 'data-viewer-tz="America/Bogota"' in signed_in.get("/").text
    bad = signed_in.post(
        "/preferences/timezone", data={"tz": "Mars/Olympus"}, headers={"X-CSRF-Token": CSRF}
    )
    assert bad.status_code == 422


def test_editing_links_only_for_those_who_may_edit(client, france_rota, now):
    party, _people, _rota = france_rota
    other = make_party("BE", "Belgium")
    for role, party_of, allowed in (
        ("secretariat", None, True),
        ("party_admin", party, True),
        ("party_admin", other, False),
        ("member", None, False),
    ):
        user = make_user(role, party_of)[0]
        sign_in(client, user)
        html = client.get("/parties/FR").text
        assert ("Edit the contact point" in html) is allowed, (role, party_of)
        assert ("Manage rotas and overrides" in html) is allowed


def test_an_unknown_party_is_a_page_not_json(signed_in, now):
    resp = signed_in.get("/parties/ZZ")
    assert resp.status_code == 404
    assert resp.content_type.startswith("text/html")
    assert "there is no Party ZZ" in resp.text


def test_a_party_without_rota_or_contact_point(signed_in, now):
    make_party("JP", "Japan")
    html = signed_in.get("/parties/JP").text
    assert "No contact point designated yet." in html
    assert "This Party has no rota: call the desk line." in html


def test_hooks_add_sections_and_person_actions(signed_in, france_rota):
    from markupsafe import Markup

    from web import hooks

    def section(party, user):
        return Markup("<section id='calendar-hook'>Subscribe</section>")

    def action(person, user):
        return Markup("<button class='test-call'>Call %s</button>") % person.id

    hooks.PARTY_SECTIONS.append(section)
    hooks.PERSON_ACTIONS.append(action)
    try:
        html = signed_in.get("/parties/FR").text
    finally:
        hooks.PARTY_SECTIONS.remove(section)
        hooks.PERSON_ACTIONS.remove(action)
    assert "<section id='calendar-hook'>Subscribe</section>" in html
    assert html.count("class='test-call'") == 3
