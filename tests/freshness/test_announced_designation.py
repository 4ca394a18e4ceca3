"""A designation recorded ahead takes over at its instant: lookups, the board and the Party page
switch then, not before; the Party page shows the change to come."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import make_party, make_person

OLD = {"unit_name": "Kripos old desk", "kind": "police", "timezone": "Europe/Oslo",
       "desk_phone": "+47 23 20 80 00"}  # fmt: skip
NEW = {"unit_name": "KRIPOS 24/7", "kind": "police", "timezone": "Europe/Oslo",
       "desk_phone": "+47 23 20 88 88", "new_designation": True}  # fmt: skip


def _on_call(client, headers, at=None):
    query = {"at": at.isoformat()} if at else {}
    return client.get("/api/v1/parties/NO/on-call", headers=headers, query_string=query).get_json()


def test_lookups_switch_at_the_announced_instant(client, clock, secretariat):
    make_party("NO", "Norway")
    assert (
        client.put("/api/v1/parties/NO/contact-point", headers=secretariat, json=OLD).status_code
        == 200
    )
    switch = clock() + timedelta(days=33, hours=-12)  # 1 January 2027, 00:00 UTC
    resp = client.put(
        "/api/v1/parties/NO/contact-point",
        headers=secretariat,
        json={**NEW, "effective_at": switch.isoformat()},
    )
    assert resp.status_code == 200, resp.json
    assert resp.json["effective_at"] == switch.isoformat()
    assert _on_call(client, secretariat)["desk_phone"]["e164"] == "+4723208000"
    before = _on_call(client, secretariat, switch - timedelta(seconds=1))
    assert before["desk_phone"]["e164"] == "+4723208000"  # cached answers end at the switch
    after = _on_call(client, secretariat, switch)
    assert after["desk_phone"]["e164"] == "+4723208888"
    assert client.get("/api/v1/parties/NO/contact-point", headers=secretariat).json[
        "unit_name"
    ] == ("Kripos old desk")
    clock.set(switch)
    assert _on_call(client, secretariat)["desk_phone"]["e164"] == "+4723208888"
    assert client.get("/api/v1/parties/NO/contact-point", headers=secretariat).json[
        "unit_name"
    ] == ("KRIPOS 24/7")
    history = client.get("/api/v1/parties/NO/history", headers=secretariat).json["designations"]
    assert [d["unit_name"] for d in history] == ["Kripos old desk", "KRIPOS 24/7"]


def test_one_announcement_at_a_time_and_only_for_a_new_designation(client, clock, secretariat):
    make_party("NO", "Norway")
    client.put("/api/v1/parties/NO/contact-point", headers=secretariat, json=OLD)
    later = (clock() + timedelta(days=40)).isoformat()
    bad = client.put(
        "/api/v1/parties/NO/contact-point",
        headers=secretariat,
        json={**OLD, "effective_at": later},
    )
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "effective_at"
    ok = client.put(
        "/api/v1/parties/NO/contact-point", headers=secretariat, json={**NEW, "effective_at": later}
    )
    assert ok.status_code == 200
    again = client.put(
        "/api/v1/parties/NO/contact-point",
        headers=secretariat,
        json={**NEW, "unit_name": "Other", "effective_at": later},
    )
    assert again.status_code == 409


def test_the_party_page_shows_the_change_to_come(client, clock):
    from tests.conftest import make_user
    from tests.web.conftest import sign_in

    user, headers = make_user("secretariat")
    party = make_party("NO", "Norway")
    make_person(party, "Ola")
    client.put("/api/v1/parties/NO/contact-point", headers=headers, json=OLD)
    switch = clock() + timedelta(days=33, hours=-12)
    client.put(
        "/api/v1/parties/NO/contact-point",
        headers=headers,
        json={**NEW, "effective_at": switch.isoformat()},
    )
    sign_in(client, user)
    html = client.get("/parties/NO").get_data(as_text=True)
    assert 'id="announced-designation"' in html and "KRIPOS 24/7" in html
    assert "Kripos old desk" in html  # still the contact point in force
    clock.set(switch)
    html = client.get("/parties/NO").get_data(as_text=True)
    assert 'id="announced-designation"' not in html
