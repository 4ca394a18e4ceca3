"""Confirming a Party's entries through the API, and the freshness block wherever it shows."""

from __future__ import annotations

from datetime import timedelta

from common.db import db
from directory.models import NumberState
from tests.conftest import make_party, make_person, make_user


def _fresh(client, headers, iso2="FR"):
    return client.get(f"/api/v1/parties/{iso2}", headers=headers).get_json()["freshness"]


def test_a_party_never_confirmed_is_expired_and_still_shown(client, member, france):
    make_person(france, "Jeanne Martin", phone="+33612345678")
    resp = client.get("/api/v1/parties/FR", headers=member)
    body = resp.get_json()
    assert body["freshness"] == {
        "state": "expired",
        "confirmed_at": None,
        "confirmed_by": None,
        "valid_until": None,
    }
    assert [p["full_name"] for p in body["people"]] == ["Jeanne Martin"]


def test_the_partys_admin_confirms_and_gets_the_new_block(client, clock, france):
    _admin, headers = make_user("party_admin", france, email="admin@fr.example")
    resp = client.post("/api/v1/parties/FR/confirm", headers=headers)
    assert resp.status_code == 200
    assert resp.get_json() == {
        "state": "current",
        "confirmed_at": "2026-11-29T12:00:00+00:00",
        "confirmed_by": "admin@fr.example",
        "valid_until": "2027-05-29T12:00:00+00:00",
    }
    assert _fresh(client, headers)["state"] == "current"


def test_the_state_moves_with_the_clock_without_any_write(client, clock, france, secretariat):
    assert client.post("/api/v1/parties/FR/confirm", headers=secretariat).status_code == 200
    clock.advance(days=181 - 30)  # valid until 29 May; due soon from 29 April
    assert _fresh(client, secretariat)["state"] == "due_soon"
    clock.set(clock.at.replace(year=2027, month=5, day=29))
    assert _fresh(client, secretariat)["state"] == "overdue"
    clock.advance(days=30)
    assert _fresh(client, secretariat)["state"] == "expired"


def test_other_parties_admins_and_members_may_not_confirm(client, france, member):
    germany = make_party("DE", "Germany")
    _admin, de_admin = make_user("party_admin", germany)
    assert client.post("/api/v1/parties/FR/confirm", headers=de_admin).status_code == 403
    assert client.post("/api/v1/parties/FR/confirm", headers=member).status_code == 403
    assert client.post("/api/v1/parties/XX/confirm", headers=member).status_code == 404
    assert _fresh(client, member)["state"] == "expired"


def test_the_validity_follows_the_network_setting(client, clock, france, secretariat):
    from directory import freshness
    from directory.models import User

    user = db.session.query(User).filter_by(role="secretariat").first()
    freshness.set_setting(user, "confirmation_validity_months", 12, clock())
    db.session.commit()
    body = client.post("/api/v1/parties/FR/confirm", headers=secretariat).get_json()
    assert body["valid_until"] == "2027-11-29T12:00:00+00:00"


def _rota(client, headers, people):
    resp = client.post(
        "/api/v1/parties/FR/rotas",
        headers=headers,
        json={"name": "Duty", "tier": 1, "timezone": "Europe/Paris"},
    )
    assert resp.status_code == 201, resp.json
    resp = client.post(
        f"/api/v1/rotas/{resp.json['id']}/rotations",
        headers=headers,
        json={
            "members": [p.id for p in people],
            "start_local": "2026-03-02T09:00",
            "shift_length": "P7D",
        },
    )
    assert resp.status_code == 201, resp.json


def test_on_call_answers_carry_the_block_computed_for_the_present(
    client, clock, france, secretariat
):
    anne = make_person(france, "Anne", phone="+33612345601")
    _rota(client, secretariat, [anne])
    first = client.get("/api/v1/parties/FR/on-call", headers=secretariat).get_json()
    assert first["freshness"]["state"] == "expired"
    client.post("/api/v1/parties/FR/confirm", headers=secretariat)
    answer = client.get("/api/v1/parties/FR/on-call", headers=secretariat).get_json()
    assert answer["freshness"]["state"] == "current"
    assert answer["freshness"]["confirmed_by"].startswith("secretariat")
    # The same cached answer, asked again later: the state is for the present, not for `at`.
    clock.advance(days=220)
    at = (clock() - timedelta(days=220)).isoformat()
    later = client.get(
        "/api/v1/parties/FR/on-call", query_string={"at": at}, headers=secretariat
    ).get_json()
    assert later["freshness"]["state"] == "expired"
    board = client.get("/api/v1/on-call", headers=secretariat).get_json()
    (row,) = [r for r in board["items"] if r["party"] == "FR"]
    assert row["freshness"]["state"] == "expired"
    assert row["freshness"]["valid_until"] == answer["freshness"]["valid_until"]


def test_a_number_failed_twice_is_unreachable_in_the_answer(client, clock, france, secretariat):
    anne = make_person(france, "Anne", phone="+33612345601")
    _rota(client, secretariat, [anne])
    db.session.add(
        NumberState(
            e164="+33612345601", failures_in_row=2, last_outcome="no-answer", last_result_at=clock()
        )
    )
    db.session.commit()
    answer = client.get("/api/v1/parties/FR/on-call", headers=secretariat).get_json()
    (phone,) = answer["tiers"][0]["person"]["phones"]
    assert phone["reach_state"] == "unreachable"
    board = client.get("/api/v1/on-call", headers=secretariat).get_json()
    assert board["items"][0]["tiers"][0]["person"]["phone"]["reach_state"] == "unreachable"
