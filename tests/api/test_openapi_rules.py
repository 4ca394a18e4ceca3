"""What the document accepts, the service accepts: the rules JSON Schema can state are in it.

schemathesis (tests/api/schemathesis.toml) lets a write answer 422 to schema-valid data only
for the rules the document cannot state; these tests hold the ones it can to the service.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta
from itertools import product
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reachability.tollfraud import parse_calling_codes
from rota.resolution import parse_duration
from rota.schemas import DURATION_PATTERN, LOCAL_DATE_TIME_PATTERN, LocalDateTime, RotationPatch
from tests.conftest import make_party, make_person

CONFIG = Path(__file__).with_name("schemathesis.toml")
WRITES = {"POST", "PUT", "PATCH"}


@pytest.fixture
def doc(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def json_schema(doc: dict, node: Any) -> Any:
    """An OpenAPI 3.0 schema as plain JSON Schema: references inlined, `nullable` as a null type."""
    if isinstance(node, list):
        return [json_schema(doc, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return json_schema(doc, doc["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]])
    out = {key: json_schema(doc, value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def validator(doc: dict, name: str) -> jsonschema_rs.Draft4Validator:
    return jsonschema_rs.Draft4Validator(json_schema(doc, doc["components"]["schemas"][name]))


def request_schema(doc: dict, path: str, method: str) -> jsonschema_rs.Draft4Validator:
    body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft4Validator(json_schema(doc, body))


# --- the fuzz configuration ----------------------------------------------------------------


def writes_allowed_to_refuse_valid_data() -> list[tuple[str, str]]:
    """(path, method) of each write schemathesis lets answer 422 to schema-valid data."""
    config = tomllib.loads(CONFIG.read_text())
    assert "422" not in config["checks"]["positive_data_acceptance"]["expected-statuses"]
    named = []
    for entry in config["operations"]:
        statuses = entry.get("checks", {}).get("positive_data_acceptance", {})
        if "422" not in statuses.get("expected-statuses", []):
            continue
        methods = entry.get("include-method-regex", entry.get("include-method", "any"))
        if entry.get("include-method") == "GET" or methods == "GET":
            continue
        assert "include-method-regex" not in entry and "include-path-regex" not in entry, entry
        assert entry["include-method"] in WRITES, entry
        named.append((entry["include-path"], entry["include-method"].lower()))
    return named


def test_a_write_may_refuse_valid_data_only_when_named_alone(doc):
    """No blanket allowance: each write that may answer 422 to schema-valid data is one
    operation (include-path + include-method) the document really has."""
    named = writes_allowed_to_refuse_valid_data()
    assert named and len(named) == len(set(named))
    for path, method in named:
        assert method in doc["paths"].get(path, {}), (path, method)
    # Writes whose every rule is in the document (the calling codes as a list).
    for strict in (
        ("/api/v1/parties", "post"),
        ("/api/v1/parties/{iso2}", "patch"),
        ("/api/v1/rotas/{rota_id}", "patch"),
        ("/api/v1/parties/{iso2}/allowed-calling-codes", "put"),
        ("/api/v1/network-settings", "patch"),
    ):
        assert strict in {(p, m) for p, item in doc["paths"].items() for m in item}
        assert strict not in named, strict


# --- rules across fields -------------------------------------------------------------------


def test_a_subscription_names_the_target_its_scope_needs(client, doc, secretariat):
    """Every combination of scope, party and person_id: the document accepts it exactly when
    the service answers 201 (the scope rule is a oneOf)."""
    person = make_person(make_party("FR", "France"))
    schema = request_schema(doc, "/api/v1/calendar-subscriptions", "post")
    for scope, party, person_id in product(
        ["party", "person", "network"], [None, "FR"], [None, person.id]
    ):
        body: dict[str, Any] = {"scope": scope}
        if party:
            body["party"] = party
        if person_id:
            body["person_id"] = person_id
        resp = client.post("/api/v1/calendar-subscriptions", json=body, headers=secretariat)
        assert resp.status_code in (201, 422), (body, resp.json)
        assert schema.is_valid(body) == (resp.status_code == 201), (body, resp.json)


def test_effective_at_is_documented_only_with_a_new_designation(client, doc, secretariat, clock):
    """The service refuses effective_at (not null) without new_designation: true; so does the
    document (an anyOf), and it accepts everything else."""
    make_party("FR", "France")
    schema = request_schema(doc, "/api/v1/parties/{iso2}/contact-point", "put")
    later = (clock() + timedelta(days=30)).isoformat()
    for effective_at, new_designation in product(["absent", None, later], ["absent", False, True]):
        body: dict[str, Any] = {"unit_name": "Unit", "kind": "police", "timezone": "Europe/Paris"}
        if effective_at != "absent":
            body["effective_at"] = effective_at
        if new_designation != "absent":
            body["new_designation"] = new_designation
        resp = client.put("/api/v1/parties/FR/contact-point", json=body, headers=secretariat)
        refused = resp.status_code == 422 and any(
            e["field"] == "effective_at" for e in resp.json.get("errors", [])
        )
        assert schema.is_valid(body) == (not refused), (body, resp.status_code, resp.json)


def test_members_effective_at_is_documented_only_with_members(doc):
    schema = validator(doc, "RotationPatch")
    for body in (
        {},
        {"members": [1]},
        {"members_effective_at": "2026-12-07T09:00:00+01:00"},
        {"members": [1], "members_effective_at": "2026-12-07T09:00:00+01:00"},
        {"name": "x", "members_effective_at": "2026-12-07T09:00:00+01:00"},
    ):
        loads = not RotationPatch().validate(body)
        assert schema.is_valid(body) == loads, body


# --- values a pattern or a list can state --------------------------------------------------


def test_the_local_date_time_pattern_names_every_day_that_exists_and_no_other():
    pattern = jsonschema_rs.Draft4Validator({"pattern": LOCAL_DATE_TIME_PATTERN})
    day = date(1969, 12, 30)
    while day <= date(2201, 1, 2):
        text = f"{day.isoformat()}T09:00"
        assert pattern.is_valid(text) == (1970 <= day.year <= 2200), text
        day += timedelta(days=1)
    for year, month, dom in product((1970, 2000, 2024, 2100, 2199), range(14), range(33)):
        text = f"{year:04d}-{month:02d}-{dom:02d}T00:00"
        try:
            datetime.fromisoformat(text)  # a wall-clock time, no zone
            exists = True
        except ValueError:
            exists = False
        assert pattern.is_valid(text) == exists, text
    for clock in ("T23:59", "T00:00:59", "T24:00", "T12:60", "T9:00", "T09:00:60", "T09:00Z"):
        assert pattern.is_valid("2026-01-01" + clock) == (clock in ("T23:59", "T00:00:59"))


@settings(max_examples=300, deadline=None)
@given(st.from_regex(LOCAL_DATE_TIME_PATTERN, fullmatch=True))
def test_every_local_date_time_the_pattern_allows_is_read(text):
    LocalDateTime().deserialize(text)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(DURATION_PATTERN, fullmatch=True))
def test_every_duration_the_pattern_allows_is_read_or_refused_only_for_its_length(text):
    """The form is in the document; the length (15 minutes to a year) is the documented rule
    a pattern cannot state."""
    try:
        parse_duration(text)
    except ValueError as exc:
        assert "longer than zero" in str(exc) or "too long" in str(exc), text


def test_the_documented_calling_codes_are_the_ones_the_service_allows(doc):
    items = doc["components"]["schemas"]["CallingCodesIn"]["properties"]["calling_codes"]["items"]
    allowed = set()
    for code in range(1, 1000):
        try:
            parse_calling_codes([code])
            allowed.add(code)
        except ValueError:
            pass
    assert set(items["enum"]) == allowed
    assert {1, 33, 49} <= allowed and not {870, 881, 999} & allowed


def test_the_answer_to_an_override_matches_its_document(client, doc, secretariat):
    party = make_party("FR", "France")
    person = make_person(party)
    rota = client.post(
        "/api/v1/parties/FR/rotas",
        json={"name": "Duty", "tier": 1, "timezone": "Europe/Paris"},
        headers=secretariat,
    ).json
    body = {
        "person_id": person.id,
        "start": "2030-01-07T09:00:00+01:00",
        "end": "2030-01-08T09:00:00+01:00",
    }
    resp = client.post(f"/api/v1/rotas/{rota['id']}/overrides", json=body, headers=secretariat)
    assert resp.status_code == 201, resp.json
    answer = doc["paths"]["/api/v1/rotas/{rota_id}/overrides"]["post"]["responses"]["201"]
    schema = json_schema(doc, answer["content"]["application/json"]["schema"])
    jsonschema_rs.Draft4Validator(schema).validate(resp.json)
