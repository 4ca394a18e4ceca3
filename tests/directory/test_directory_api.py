"""The directory API as its users rely on it: reading, rights, validation, audit, versions."""

from __future__ import annotations

import pytest

from tests.conftest import make_party, make_person, make_user

CP = {
    "unit_name": "OFAC 24/7",
    "kind": "police",
    "address": "101 rue des Trois Fontanot, Nanterre",
    "email": "24-7@ofac.example",
    "desk_phone": "01 23 45 67 89",
    "timezone": "Europe/Paris",
    "office_hours": [{"weekdays": ["mon", "fri"], "from_local": "09:00", "to_local": "17:00"}],
    "can_order_preservation": True,
    "mla_authority": {
        "name": "Ministère de la Justice",
        "phone": "+33 1 44 77 60 60",
        "email": "bepi@justice.example",
    },
}
PERSON = {
    "full_name": "Jeanne Martin",
    "title": "Duty officer",
    "email": "jeanne.martin@ofac.example",
    "phones": [
        {"number": "06 12 34 56 78", "label": "duty mobile"},
        {"number": "+33 1 23 45 67 80", "primary": True},
    ],
    "languages": [{"tag": "fr", "level": "native"}, {"tag": "en", "level": "fluent"}],
}


def test_parties_are_listed_with_localized_names(client, member):
    make_party("DE", "Germany")
    make_party("IE", "Ireland", status="signatory")
    resp = client.get("/api/v1/parties", headers={**member, "Accept-Language": "fr-FR,fr;q=0.9"})
    assert resp.status_code == 200
    names = {p["iso2"]: p["name"] for p in resp.json["items"]}
    assert names == {"DE": "Allemagne", "IE": "Irlande"}
    english = client.get("/api/v1/parties?status=signatory", headers=member).json["items"]
    assert [(p["iso2"], p["name"]) for p in english] == [("IE", "Ireland")]


def test_unknown_party_is_404(client, member):
    for path in ("/api/v1/parties/ZZ", "/api/v1/parties/ZZZ/people", "/api/v1/parties/1/history"):
        resp = client.get(path, headers=member)
        assert resp.status_code == 404, path
        assert resp.json["status"] == 404


def test_contact_point_is_stored_validated_and_shown(client, france, secretariat):
    resp = client.put("/api/v1/parties/FR/contact-point", json=CP, headers=secretariat)
    assert resp.status_code == 200, resp.json
    cp = resp.json
    assert cp["desk_phone"] == {
        "e164": "+33123456789",
        "international": "+33 1 23 45 67 89",
        "kind": "fixed_line",
    }
    assert cp["mla_authority"]["phone"]["e164"] == "+33144776060"
    assert cp["office_hours"][0] == {
        "weekdays": ["mon", "fri"],
        "from_local": "09:00",
        "to_local": "17:00",
    }
    party = client.get("/api/v1/parties/fr", headers=secretariat).json
    assert party["contact_point"]["unit_name"] == "OFAC 24/7"


def test_person_phones_are_normalized_and_primary_comes_first(client, france, secretariat):
    resp = client.post("/api/v1/parties/FR/people", json=PERSON, headers=secretariat)
    assert resp.status_code == 201, resp.json
    phones = resp.json["phones"]
    assert [p["e164"] for p in phones] == ["+33123456780", "+33612345678"]
    assert phones[0]["primary"] and not phones[1]["primary"]
    assert phones[1] == {
        "e164": "+33612345678",
        "international": "+33 6 12 34 56 78",
        "kind": "mobile",
        "label": "duty mobile",
        "primary": False,
    }
    assert resp.json["languages"][0] == {"tag": "fr", "name": "French", "level": "native"}


def test_first_phone_becomes_primary_when_none_is_marked(client, france, secretariat):
    body = {"full_name": "A B", "phones": [{"number": "0612345678"}, {"number": "0123456789"}]}
    phones = client.post("/api/v1/parties/FR/people", json=body, headers=secretariat).json["phones"]
    assert [p["primary"] for p in phones] == [True, False]


def test_people_filter_by_language(client, france, member):
    make_person(france, "Ana", languages=("es",))
    make_person(france, "Jean", languages=("fr-CA", "en"))
    make_person(france, "Bob", languages=("en",))

    def names(q: str) -> list[str]:
        resp = client.get(f"/api/v1/parties/FR/people?language={q}", headers=member)
        return [p["full_name"] for p in resp.json["items"]]

    assert names("fr") == ["Jean"]
    assert names("en") == ["Jean", "Bob"]
    assert names("es") == ["Ana"]
    everyone = client.get("/api/v1/people?language=es", headers=member).json["items"]
    assert [p["full_name"] for p in everyone] == ["Ana"]
    bad = client.get("/api/v1/parties/FR/people?language=klingon", headers=member)
    assert bad.status_code == 422
    assert bad.json["errors"][0]["field"] == "language"


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({**PERSON, "phones": [{"number": "123"}]}, "phones[0].number", "too short"),
        ({**PERSON, "phones": [{"number": "+1 555 0100"}]}, "phones[0].number", "not a valid"),
        ({**PERSON, "phones": [{"number": "call me"}]}, "phones[0].number", "not a phone number"),
        (
            {
                **PERSON,
                "phones": [
                    {"number": "0612345678", "primary": True},
                    {"number": "0123456789", "primary": True},
                ],
            },
            "phones",
            "at most one phone can be primary",
        ),
        (
            {**PERSON, "phones": [{"number": "0612345678"}, {"number": "+33612345678"}]},
            "phones",
            "listed twice",
        ),
        ({**PERSON, "languages": [{"tag": "xx"}]}, "languages[0].tag", "unknown language"),
        (
            {**PERSON, "languages": [{"tag": "fr", "level": "expert"}]},
            "languages[0].level",
            "Must be one of",
        ),
        ({**PERSON, "languages": [{"tag": "fr"}, {"tag": "fr"}]}, "languages", "twice"),
        ({**PERSON, "email": "not-an-email"}, "email", "@"),
        ({**PERSON, "timezone": "Europe/Atlantis"}, "timezone", "IANA"),
        ({**PERSON, "full_name": ""}, "full_name", "Length must be between"),
        ({**PERSON, "full_name": "x" * 5000}, "full_name", "Length must be between"),
        ({**PERSON, "full_name": 42}, "full_name", "Not a valid string"),
        ({**PERSON, "active": "yes"}, "active", "true or false"),
        ({**PERSON, "nickname": "J"}, "nickname", "Unknown field"),
        ({k: v for k, v in PERSON.items() if k != "full_name"}, "full_name", "required"),
    ],
    ids=[
        "short-number",
        "invalid-number",
        "not-a-number",
        "two-primaries",
        "duplicate-number",
        "unknown-language",
        "bad-level",
        "duplicate-language",
        "bad-email",
        "unknown-zone",
        "empty-name",
        "huge-name",
        "name-not-string",
        "active-not-bool",
        "unknown-field",
        "missing-name",
    ],
)
def test_bad_person_fields_are_named_and_nothing_is_written(
    client, france, secretariat, body, field, reason
):
    resp = client.post("/api/v1/parties/FR/people", json=body, headers=secretariat)
    assert resp.status_code == 422
    assert resp.content_type == "application/problem+json"
    assert any(
        e["field"] == field and reason.lower() in e["reason"].lower() for e in resp.json["errors"]
    ), resp.json
    assert client.get("/api/v1/parties/FR/people", headers=secretariat).json["items"] == []
    assert client.get("/api/v1/audit", headers=secretariat).json["items"] == []


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"desk_phone": "12"}, "desk_phone"),
        ({"mla_authority": {"phone": "+99 1"}}, "mla_authority.phone"),
        ({"kind": "army"}, "kind"),
        ({"timezone": "Paris"}, "timezone"),
        (
            {"office_hours": [{"from_local": "25:00", "to_local": "17:00"}]},
            "office_hours[0].from_local",
        ),
        (
            {
                "office_hours": [
                    {"weekdays": ["funday"], "from_local": "09:00", "to_local": "17:00"}
                ]
            },
            "office_hours[0].weekdays[0]",
        ),
        ({"email": "@"}, "email"),
    ],
    ids=["desk-phone", "mla-phone", "kind", "zone", "hour", "weekday", "email"],
)
def test_bad_contact_point_fields(client, france, secretariat, patch, field):
    resp = client.put("/api/v1/parties/FR/contact-point", json={**CP, **patch}, headers=secretariat)
    assert resp.status_code == 422
    assert field in [e["field"] for e in resp.json["errors"]], resp.json
    assert client.get("/api/v1/parties/FR", headers=secretariat).json["contact_point"] is None


@pytest.mark.parametrize(
    "raw",
    [b"{", b"[]", b'"text"', b"null", b"\xff\xfe", b'{"full_name": ["a"]}'],
    ids=["truncated", "array", "string", "null", "not-utf8", "wrong-type"],
)
def test_malformed_bodies_are_4xx_problems(client, france, secretariat, raw):
    resp = client.post(
        "/api/v1/parties/FR/people", data=raw, headers=secretariat, content_type="application/json"
    )
    assert 400 <= resp.status_code < 500
    assert resp.content_type == "application/problem+json"


# --- rights ------------------------------------------------------------------------------


def _writes(person_id: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("PUT", "/api/v1/parties/FR/contact-point", CP),
        ("POST", "/api/v1/parties/FR/people", PERSON),
        ("PATCH", f"/api/v1/people/{person_id}", {"title": "Chief"}),
        ("DELETE", f"/api/v1/people/{person_id}", None),
    ]


@pytest.mark.parametrize(
    "index", range(4), ids=["contact-point", "create-person", "patch-person", "delete-person"]
)
def test_party_writes_by_role(client, index):
    france = make_party("FR", "France")
    germany = make_party("DE", "Germany")
    person = make_person(france)
    method, url, body = _writes(person.id)[index]
    cases = [
        (make_user("member")[1], 403),
        (make_user("party_admin", germany)[1], 403),
        (make_user("party_admin", france)[1], None),
    ]
    for headers, expected in cases:
        resp = client.open(url, method=method, json=body, headers=headers)
        if expected:
            assert resp.status_code == expected, (method, url)
        else:
            assert resp.status_code in (200, 201, 204), resp.get_data(as_text=True)


def test_party_list_is_the_secretariats(client, secretariat):
    france = make_party("FR", "France")
    admin = make_user("party_admin", france)[1]
    for headers in (admin, make_user("member")[1]):
        assert (
            client.patch("/api/v1/parties/FR", json={"name": "X"}, headers=headers).status_code
            == 403
        )
        assert (
            client.post(
                "/api/v1/parties",
                json={"iso2": "MC", "name": "Monaco", "status": "party"},
                headers=headers,
            ).status_code
            == 403
        )
    resp = client.patch(
        "/api/v1/parties/FR", json={"in_force_date": "2006-05-01"}, headers=secretariat
    )
    assert resp.status_code == 200
    assert resp.json["in_force_date"] == "2006-05-01"
    created = client.post(
        "/api/v1/parties",
        json={"iso2": "MC", "name": "Monaco", "status": "party"},
        headers=secretariat,
    )
    assert created.status_code == 201
    again = client.post(
        "/api/v1/parties",
        json={"iso2": "MC", "name": "Monaco", "status": "party"},
        headers=secretariat,
    )
    assert again.status_code == 409


# --- audit, versions, history --------------------------------------------------------------


def test_every_write_is_audited_with_before_and_after(client, france, secretariat, clock):
    _user, headers = make_user("party_admin", france, email="admin@fr.example")
    pid = client.post("/api/v1/parties/FR/people", json=PERSON, headers=headers).json["id"]
    client.patch(f"/api/v1/people/{pid}", json={"title": "Chief"}, headers=headers)
    client.delete(f"/api/v1/people/{pid}", headers=headers)
    entries = client.get("/api/v1/audit?party=FR&entity=person", headers=secretariat).json["items"]
    assert [e["action"] for e in entries] == ["delete", "update", "create"]
    assert all(e["actor"] == "admin@fr.example" for e in entries)
    assert entries[0]["at"] == clock().isoformat()
    update = entries[1]
    assert update["before"]["title"] == "Duty officer"
    assert update["after"]["title"] == "Chief"
    assert entries[0]["after"] is None and entries[2]["before"] is None


def test_stale_if_match_is_412_and_changes_nothing(client, france, secretariat):
    person = client.post("/api/v1/parties/FR/people", json=PERSON, headers=secretariat)
    pid, tag = person.json["id"], person.headers["ETag"]
    first = client.patch(
        f"/api/v1/people/{pid}", json={"title": "A"}, headers={**secretariat, "If-Match": tag}
    )
    assert first.status_code == 200
    stale = client.patch(
        f"/api/v1/people/{pid}", json={"title": "B"}, headers={**secretariat, "If-Match": tag}
    )
    assert stale.status_code == 412
    assert stale.headers["ETag"] == first.headers["ETag"]
    assert client.get(f"/api/v1/people/{pid}", headers=secretariat).json["title"] == "A"
    assert (
        client.delete(f"/api/v1/people/{pid}", headers={**secretariat, "If-Match": tag}).status_code
        == 412
    )


def test_new_designation_keeps_the_old_one_in_history(client, france, secretariat):
    client.put(
        "/api/v1/parties/FR/contact-point",
        json={**CP, "effective_from": "2020-01-01"},
        headers=secretariat,
    )
    resp = client.put(
        "/api/v1/parties/FR/contact-point",
        json={
            **CP,
            "unit_name": "New unit",
            "new_designation": True,
            "effective_from": "2026-12-01",
        },
        headers=secretariat,
    )
    assert resp.status_code == 200
    history = client.get("/api/v1/parties/FR/history", headers=secretariat).json
    spans = [
        (d["unit_name"], d["effective_from"], d["effective_to"]) for d in history["designations"]
    ]
    assert spans == [("OFAC 24/7", "2020-01-01", "2026-12-01"), ("New unit", "2026-12-01", None)]
    assert {c["entity"] for c in history["changes"]} == {"contact_point"}
    backwards = client.put(
        "/api/v1/parties/FR/contact-point",
        json={**CP, "new_designation": True, "effective_from": "2019-01-01"},
        headers=secretariat,
    )
    assert backwards.status_code == 422
    assert backwards.json["errors"][0]["field"] == "effective_from"


def test_correcting_the_contact_point_keeps_one_designation(client, france, secretariat):
    client.put("/api/v1/parties/FR/contact-point", json=CP, headers=secretariat)
    client.put(
        "/api/v1/parties/FR/contact-point", json={**CP, "address": "Paris"}, headers=secretariat
    )
    history = client.get("/api/v1/parties/FR/history", headers=secretariat).json
    assert len(history["designations"]) == 1
    assert history["designations"][0]["address"] == "Paris"


def test_patch_replaces_lists_only_when_given(client, france, secretariat):
    pid = client.post("/api/v1/parties/FR/people", json=PERSON, headers=secretariat).json["id"]
    kept = client.patch(f"/api/v1/people/{pid}", json={"title": "X"}, headers=secretariat).json
    assert len(kept["phones"]) == 2
    replaced = client.patch(
        f"/api/v1/people/{pid}", json={"phones": [{"number": "0699999999"}]}, headers=secretariat
    ).json
    assert [p["e164"] for p in replaced["phones"]] == ["+33699999999"]
