"""The OpenAPI document tells the truth about errors, ids, instants and text."""

from __future__ import annotations

import re

import flask_smorest
import pytest

from common.api import Blueprint
from common.errors import PROBLEM_MIME
from common.fields import MAX_ID, YEAR_PATTERN, text_pattern

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def doc(client) -> dict:
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    return resp.json


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def resolve(doc: dict, obj: dict) -> dict:
    while "$ref" in obj:
        _, kind, name = obj["$ref"].rsplit("/", 2)
        obj = doc["components"][kind][name]
    return obj


def test_every_error_answer_is_problem_json_with_the_one_schema(doc):
    seen = 0
    for path, method, op in operations(doc):
        for code, response in op["responses"].items():
            if code != "default" and int(code) < 400:
                continue
            content = resolve(doc, response).get("content", {})
            assert list(content) == [PROBLEM_MIME], (path, method, code, list(content))
            assert content[PROBLEM_MIME]["schema"] == {"$ref": "#/components/schemas/Problem"}
            seen += 1
    assert seen > 100


def test_every_operation_documents_the_answers_any_request_can_get(doc):
    for path, method, op in operations(doc):
        responses = op["responses"]
        for code in ("401", "429", "503"):
            assert code in responses, (path, method, code)
        for code in ("429", "503"):
            assert "Retry-After" in resolve(doc, responses[code])["headers"], (path, method)
        if "application/json" in op.get("requestBody", {}).get("content", {}):
            for code in ("400", "415", "422"):
                assert code in responses, (path, method, code)
        if "{" in path:
            assert "404" in responses, (path, method)


def test_the_problem_schema_has_field_errors_and_conflict(doc):
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    assert {"errors", "conflict", "retry_after"} <= set(problem["properties"])
    field_error = resolve(doc, problem["properties"]["errors"]["items"])
    assert set(field_error["required"]) == {"field", "reason"}


def test_path_ids_are_bounded_like_the_columns(doc):
    ids = [
        p
        for _path, _method, op in operations(doc)
        for p in op.get("parameters", [])
        if p["in"] == "path" and p["name"].endswith("_id")
    ] + [
        p
        for item in doc["paths"].values()
        for p in item.get("parameters", [])
        if p["in"] == "path" and p["name"].endswith("_id")
    ]
    assert ids
    for param in ids:
        assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_ID}, param


def _properties(doc: dict):
    for name, schema in doc["components"]["schemas"].items():
        for prop, spec in schema.get("properties", {}).items():
            yield name, prop, spec


def test_body_ids_instants_and_texts_carry_their_limits(doc):
    props = {(name, prop): spec for name, prop, spec in _properties(doc)}
    assert props[("OverrideIn", "person_id")]["maximum"] == MAX_ID
    assert props[("RotationIn", "members")]["items"]["maximum"] == MAX_ID
    for key in (("OverrideIn", "start"), ("OverrideIn", "end"), ("RangeQuery", "since")):
        if key in props:
            assert props[key]["pattern"] == YEAR_PATTERN
            assert props[key]["format"] == "date-time"
    assert props[("PersonIn", "full_name")]["pattern"] == text_pattern()
    assert props[("PartyIn", "notes")]["pattern"] == text_pattern(multiline=True)
    # A name that cannot be null is not documented as nullable.
    assert not props[("PartyPatch", "name")].get("nullable")
    assert not props[("RotaPatch", "name")].get("nullable")
    assert props[("RotaPatch", "timezone")]["enum"][0] == "Africa/Abidjan"
    assert props[("LanguageIn", "tag")]["pattern"].startswith("^[A-Za-z]{2,3}")
    assert "gap" in doc["components"]["schemas"]["OnCallOut"]["properties"]


def test_query_instants_carry_the_window(doc):
    for path, method, op in operations(doc):
        for param in op.get("parameters", []):
            if param["in"] == "query" and param["schema"].get("format") == "date-time":
                assert param["schema"]["pattern"] == YEAR_PATTERN, (path, method, param)


def test_the_documented_year_pattern_matches_the_window():
    pattern = re.compile(YEAR_PATTERN)
    assert pattern.match("1900-01-01T00:00:00Z") and pattern.match("2199-12-31T00:00:00Z")
    assert not pattern.match("1899-12-31T00:00:00Z") and not pattern.match("2200-01-01T00:00:00Z")
    assert not pattern.match("0001-01-01T00:00:00Z") and not pattern.match("9999-12-31T00:00:00Z")


def test_every_api_blueprint_reads_input_through_the_bounded_parser(app):
    smorest = [b for b in app.blueprints.values() if isinstance(b, flask_smorest.Blueprint)]
    assert smorest
    for blueprint in smorest:
        if blueprint.name == "api-docs":
            continue
        assert isinstance(blueprint, Blueprint), (
            f"{blueprint.name}: use common.api.Blueprint so its inputs are bounded"
        )


def test_creations_link_to_what_they_created(doc):
    links = doc["paths"]["/api/v1/parties/{iso2}/rotas"]["post"]["responses"]["201"]["links"]
    link = links["get_rotas_rota_id"]
    assert link["parameters"] == {"rota_id": "$response.body#/id"}
    target = link["operationRef"].removeprefix("#/paths/").replace("~1", "/").rsplit("/", 1)
    assert target == ["/api/v1/rotas/{rota_id}", "get"]
    assert target[0] in doc["paths"]
    for path, method, op in operations(doc):
        for response in op["responses"].values():
            for name, link in response.get("links", {}).items():
                ref_path, ref_method = (
                    link["operationRef"].removeprefix("#/paths/").replace("~1", "/").rsplit("/", 1)
                )
                assert ref_method in doc["paths"][ref_path], (path, method, name)
                assert re.fullmatch(r"[A-Za-z0-9._-]+", name), name


def test_a_new_party_promises_no_contact_point(doc):
    """A Party is created without a contact point: no link may promise that GET answers 200."""
    links = doc["paths"]["/api/v1/parties"]["post"]["responses"]["201"]["links"]
    assert "put_parties_iso2_contact-point" in links
    assert "get_parties_iso2_contact-point" not in links
