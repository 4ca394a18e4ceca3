"""What a write costs the server, in SQL statements: a person's PATCH, and the rebuild of the
Party's who-to-call-now answer it causes in every worker (bench/bench_writes.py).

A write to a Party drops that Party's cached answer in each process, so its cost is the PATCH
plus one rebuild per worker. Neither may grow with the person's phones and languages nor with
the Party's people, and the answers must stay those a fresh read gives (same bytes, same ETag).
"""

from __future__ import annotations

from typing import Any

from tests.conftest import make_person
from tests.rota.conftest import add_rotation, new_rota, paris  # noqa: F401 -- fixture
from tests.sql_statements import sql_statements

#: The PATCH of a person: the token check (with the data version), the person with their
#: Party, phones and languages, the acting user, the UPDATE and the audit entry.
PATCH_STATEMENTS = 5
#: France's answer rebuilt after a write to France: the token check, the new audit entries'
#: Parties, the Party with its designations, rotas with rotations, member changes, overrides,
#: people with phones and languages, the last confirmation, number states, network settings.
REBUILD_STATEMENTS = 10


def _patch(client, headers, person_id: int, body: dict) -> tuple[list[str], Any]:
    etag = client.get(f"/api/v1/people/{person_id}", headers=headers).headers["ETag"]
    with sql_statements() as sent:
        resp = client.patch(
            f"/api/v1/people/{person_id}", headers={**headers, "If-Match": etag}, json=body
        )
    assert resp.status_code == 200, resp.json
    return sent, resp


def test_a_persons_patch_costs_five_statements_whatever_their_phones(client, paris):  # noqa: F811
    _party, people, headers = paris
    few = [{"number": "+33612345699", "kind": "mobile"}]
    many = [{"number": f"+3361234570{i}", "kind": "mobile"} for i in range(6)]
    _patch(client, headers, people[0].id, {"phones": few, "languages": [{"tag": "fr"}]})
    _patch(client, headers, people[1].id, {"phones": many, "languages": [{"tag": "fr"}] * 1})
    costs = []
    for person in people[:2]:
        sent, resp = _patch(client, headers, person.id, {"title": "Duty officer"})
        costs.append(len(sent))
        # The answer is the one a fresh read gives, ETag included (presented before the commit).
        again = client.get(f"/api/v1/people/{person.id}", headers=headers)
        assert resp.json == again.json
        assert resp.headers["ETag"] == again.headers["ETag"]
        assert resp.json["title"] == "Duty officer"
    assert costs == [PATCH_STATEMENTS] * 2, costs


def test_replacing_phones_answers_what_is_stored(client, paris):  # noqa: F811
    _party, people, headers = paris
    phones = [
        {"number": "+33612345688", "kind": "mobile", "label": "duty"},
        {"number": "+33123456789", "kind": "fixed_line", "primary": True},
    ]
    _sent, resp = _patch(
        client, headers, people[2].id, {"phones": phones, "languages": [{"tag": "es"}]}
    )
    again = client.get(f"/api/v1/people/{people[2].id}", headers=headers)
    assert resp.json == again.json
    assert resp.headers["ETag"] == again.headers["ETag"]
    assert sorted(p["e164"] for p in resp.json["phones"]) == ["+33123456789", "+33612345688"]


def _rebuild_cost(client, headers, person_id: int) -> tuple[int, dict]:
    """Statements of France's on-call read right after a write to France (a rebuild)."""
    client.get("/api/v1/parties/FR/on-call", headers=headers)  # cached
    _patch(client, headers, person_id, {"title": "Duty officer"})
    with sql_statements() as sent:
        resp = client.get("/api/v1/parties/FR/on-call", headers=headers)
    assert resp.status_code == 200, resp.json
    return len(sent), resp.json


def test_rebuilding_a_partys_answer_costs_the_same_whatever_its_people(client, paris):  # noqa: F811
    party, people, headers = paris
    for tier in (1, 2):
        rota = new_rota(client, headers, tier=tier, name=f"Tier {tier}")
        add_rotation(
            client,
            headers,
            rota["id"],
            members=[p.id for p in people],
            start_local="2026-01-01T00:00",
            shift_length="P1D",
        )
    small, answer = _rebuild_cost(client, headers, people[0].id)
    assert [tier["person"]["full_name"] for tier in answer["tiers"]] != []
    for i in range(8):
        make_person(party, f"Extra {i}", languages=("fr", "en"), phone=f"+3361234580{i}")
    large, _answer = _rebuild_cost(client, headers, people[1].id)
    assert small == large == REBUILD_STATEMENTS, (small, large)
