"""Builders for rota tests: a Party with people and a weekly rota, through the public API."""

from __future__ import annotations

import pytest

from tests.conftest import make_party, make_person, make_user


@pytest.fixture
def paris(client):
    """France with a Paris contact point, four people and the secretariat's headers."""
    party = make_party("FR", "France")
    _user, headers = make_user("secretariat")
    resp = client.put(
        "/api/v1/parties/FR/contact-point",
        headers=headers,
        json={
            "unit_name": "OFAC",
            "kind": "police",
            "timezone": "Europe/Paris",
            "desk_phone": "+33 1 23 45 67 89",
        },
    )
    assert resp.status_code == 200, resp.json
    people = [
        make_person(party, "Anne", languages=("fr", "en"), phone="+33612345601"),
        make_person(party, "Bruno", languages=("fr",), phone="+33612345602"),
        make_person(party, "Carmen", languages=("es", "fr"), phone="+33612345603"),
        make_person(party, "Dieter", languages=("de", "en"), phone="+33612345604"),
    ]
    return party, people, headers


def new_rota(client, headers, *, tier=1, name="Duty officer", iso2="FR", **extra):
    resp = client.post(
        f"/api/v1/parties/{iso2}/rotas", headers=headers, json={"name": name, "tier": tier, **extra}
    )
    assert resp.status_code == 201, resp.json
    return resp.json


def add_rotation(client, headers, rota_id, **body):
    resp = client.post(f"/api/v1/rotas/{rota_id}/rotations", headers=headers, json=body)
    assert resp.status_code == 201, resp.json
    return resp.json


@pytest.fixture
def weekly_rotas(client, paris):
    """France: tier 1 Anne, Bruno, Carmen weekly (Monday 09:00 Paris); tier 2 Dieter daily."""
    _party, people, headers = paris
    rota = new_rota(client, headers)
    add_rotation(
        client,
        headers,
        rota["id"],
        members=[p.id for p in people[:3]],
        start_local="2026-03-02T09:00",
        shift_length="P7D",
    )
    tier2 = new_rota(client, headers, tier=2, name="Duty prosecutor")
    add_rotation(
        client,
        headers,
        tier2["id"],
        members=[people[3].id],
        start_local="2026-01-01T00:00",
        shift_length="P1D",
    )
    return rota, tier2, people, headers
