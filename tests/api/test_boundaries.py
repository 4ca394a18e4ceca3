"""Every input bounded before use: ids, instants, depth, NUL, content types, nulls, clean text."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from common.db import db
from common.fields import MAX_ID, unclean_reason
from common.openapi import MAX_JSON_DEPTH, json_depth
from directory.models import AuditEntry
from tests.conftest import make_party, make_person
from tests.rota.conftest import new_rota

PROBLEM = "application/problem+json"


def problem(resp, status: int, field: str | None = None) -> dict:
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:500])
    assert resp.mimetype == PROBLEM
    body = resp.json
    assert body["status"] == status
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


# --- ids ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/rotas/{MAX_ID + 1}",
        "/api/v1/rotas/99999999999999999999999",
        f"/api/v1/people/{2**63}",
        "/api/v1/rotas/0",
        f"/api/v1/reachability/test-calls/{MAX_ID + 1}",
        f"/api/v1/reachability/campaigns/{MAX_ID + 1}/report",
    ],
)
def test_a_path_id_outside_the_column_range_is_404(client, secretariat, path):
    problem(client.get(path, headers=secretariat), 404)
    if "/reachability/" not in path:
        problem(client.delete(path, headers=secretariat), 404)


def test_the_largest_id_is_a_plain_404(client, secretariat):
    problem(client.get(f"/api/v1/rotas/{MAX_ID}", headers=secretariat), 404)


def test_body_and_query_ids_outside_the_range_are_422_naming_the_field(client, secretariat, france):
    rota = new_rota(client, secretariat, timezone="Europe/Paris")
    resp = client.post(
        f"/api/v1/rotas/{rota['id']}/overrides",
        headers=secretariat,
        json={
            "person_id": MAX_ID + 1,
            "start": "2026-12-01T00:00:00Z",
            "end": "2026-12-02T00:00:00Z",
        },
    )
    problem(resp, 422, "person_id")
    resp = client.post(
        f"/api/v1/rotas/{rota['id']}/rotations",
        headers=secretariat,
        json={"members": [1, 2**40], "start_local": "2026-12-01T09:00", "shift_length": "P1D"},
    )
    problem(resp, 422, "members[1]")
    problem(client.get(f"/api/v1/audit?before_id={2**63}", headers=secretariat), 422, "before_id")
    resp = client.post(
        "/api/v1/calendar-subscriptions",
        headers=secretariat,
        json={"scope": "person", "person_id": 2**31},
    )
    problem(resp, 422, "person_id")
    resp = client.post(
        "/api/v1/reachability/test-calls", headers=secretariat, json={"person_id": 2**31}
    )
    problem(resp, 422, "person_id")


# --- instants -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "at",
    [
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "1899-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
    ],
)
def test_an_instant_outside_the_window_is_422(client, secretariat, france, at):
    for path in ("/api/v1/on-call", "/api/v1/parties/FR/on-call", "/api/v1/parties/FR/shifts"):
        name = "since" if path.endswith("shifts") else "at"
        resp = client.get(f"{path}?{name}={at.replace('+', '%2B')}", headers=secretariat)
        body = problem(resp, 422, name)
        assert "1900" in body["detail"] and "2199" in body["detail"]


def test_the_window_edges_are_accepted(client, secretariat, france):
    for at in ("1900-01-01T00:00:00Z", "2199-12-31T12:00:00Z"):
        resp = client.get(f"/api/v1/parties/FR/on-call?at={at}", headers=secretariat)
        assert resp.status_code == 200, resp.json


def test_until_alone_in_the_past_is_not_a_server_error(client, secretariat, france):
    for path in ("/api/v1/parties/FR/shifts", "/api/v1/coverage/gaps"):
        resp = client.get(f"{path}?until=2000-01-01T00:00:00Z", headers=secretariat)
        problem(resp, 422, "until")


# --- bodies -------------------------------------------------------------------------------


def test_json_nested_deeper_than_the_limit_is_400(client, secretariat, france):
    for depth in (MAX_JSON_DEPTH + 1, 100_000):
        body = "[" * depth + "]" * depth
        resp = client.patch(
            "/api/v1/parties/FR", headers=secretariat, data=body, content_type="application/json"
        )
        assert "nests deeper" in problem(resp, 400)["detail"]


def test_json_depth_is_measured_without_recursion():
    assert json_depth(1) == 0
    assert json_depth({"a": [1, {"b": []}]}) == 4
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    assert json_depth(deep) > MAX_JSON_DEPTH


def test_invalid_json_is_400(client, secretariat, france):
    resp = client.patch(
        "/api/v1/parties/FR", headers=secretariat, data="{", content_type="application/json"
    )
    problem(resp, 400)


@pytest.mark.parametrize("value", ["a\x00b", "\ud800", "x\udfffy"])
def test_nul_and_lone_surrogates_are_422_naming_the_field(client, secretariat, france, value):
    before = audit_count()
    raw = json.dumps({"notes": value})  # ensure_ascii: the surrogate travels as \\ud800
    resp = client.patch(
        "/api/v1/parties/FR", headers=secretariat, data=raw, content_type="application/json"
    )
    problem(resp, 422, "notes")
    raw = json.dumps({"phones": [{"number": "+33612345678", "label": value}], "full_name": "A"})
    resp = client.post(
        "/api/v1/parties/FR/people",
        headers=secretariat,
        data=raw,
        content_type="application/json",
    )
    problem(resp, 422, "phones[0].label")
    assert audit_count() == before


def test_nul_in_a_query_string_is_422(client, secretariat, france):
    problem(client.get("/api/v1/people?language=fr%00", headers=secretariat), 422, "language")


def test_nul_in_a_field_name_is_422(client, secretariat, france):
    raw = json.dumps({"no\x00tes": "x"})
    resp = client.patch(
        "/api/v1/parties/FR", headers=secretariat, data=raw, content_type="application/json"
    )
    problem(resp, 422)


def test_a_multipart_part_whose_name_cannot_be_read_is_no_server_error(client, secretariat):
    """schemathesis sent a part named `I¦\\"`: werkzeug reads its name as None."""
    body = (
        b'--bc\r\nContent-Disposition: form-data; name="I\xc2\xa6\\"\r\n\r\nj\r\n'
        b'--bc\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\nX\r\n--bc--\r\n'
    )
    resp = client.post(
        "/api/v1/rotas/11/import-ical?preview=true",
        headers={**secretariat, "Content-Type": "multipart/form-data; boundary=bc"},
        data=body,
    )
    assert resp.status_code < 500, resp.get_data(as_text=True)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_write_that_is_not_json_is_415_and_writes_nothing(
    client, secretariat, france, content_type
):
    before = audit_count()
    kwargs = {"content_type": content_type} if content_type else {}
    resp = client.patch(
        "/api/v1/parties/FR", headers=secretariat, data='{"name": "Gaul"}', **kwargs
    )
    body = problem(resp, 415)
    assert "application/json" in body["detail"]
    assert resp.headers["Accept-Patch"] == "application/json"
    resp = client.post("/api/v1/parties/FR/rotas", headers=secretariat, data="x", **kwargs)
    problem(resp, 415)
    assert audit_count() == before
    assert client.get("/api/v1/parties/FR", headers=secretariat).json["name_en"] == "France"


def test_json_with_a_charset_or_a_json_suffix_is_taken(client, secretariat, france):
    resp = client.patch(
        "/api/v1/parties/FR",
        headers=secretariat,
        data='{"notes": "ok"}',
        content_type="application/json; charset=utf-8",
    )
    assert resp.status_code == 200, resp.json
    resp = client.patch(
        "/api/v1/parties/FR",
        headers=secretariat,
        data='{"notes": "ok too"}',
        content_type="application/merge-patch+json",
    )
    assert resp.status_code == 200, resp.json


def test_null_for_a_name_is_422(client, secretariat, france):
    problem(
        client.patch("/api/v1/parties/FR", headers=secretariat, json={"name": None}), 422, "name"
    )
    rota = new_rota(client, secretariat, timezone="Europe/Paris")
    resp = client.patch(f"/api/v1/rotas/{rota['id']}", headers=secretariat, json={"name": None})
    problem(resp, 422, "name")
    person = make_person(france, "Anne")
    resp = client.patch(
        f"/api/v1/people/{person.id}", headers=secretariat, json={"full_name": None}
    )
    problem(resp, 422, "full_name")


def test_405_names_the_allowed_methods(client, secretariat, france):
    resp = client.put("/api/v1/parties/FR", headers=secretariat, json={})
    problem(resp, 405)
    allowed = {m.strip() for m in resp.headers["Allow"].split(",")}
    assert {"GET", "PATCH"} <= allowed and "PUT" not in allowed


# --- clean text (issue 11 item 10) --------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Eve\u202eliA",  # right-to-left override
        "Eve\u2066x\u2069",  # isolates
        "Eve\u202a",
        "Eve\x1b[31m",  # C0 escape
        "Eve\x85",  # C1 next line
        "Eve\x7f",
        "Eve\nBob",
        "Eve\ufeff",
        "Eve\u2028",
    ],
)
def test_names_refuse_controls_and_bidi_overrides(client, secretariat, france, name):
    resp = client.post("/api/v1/parties/FR/people", headers=secretariat, json={"full_name": name})
    problem(resp, 422, "full_name")
    resp = client.post(
        "/api/v1/parties/FR/rotas", headers=secretariat, json={"name": name, "tier": 1}
    )
    problem(resp, 422, "name")


@pytest.mark.parametrize(
    "name",
    [
        "क्\u200dष",  # Devanagari with ZWJ
        "می\u200cخواهم",  # Persian with ZWNJ
        "Zoë Ångström",
        "e\u0301 Jose\u0301",  # combining acute accents
        "\u05d3\u05d5\u05d3 \u200fכהן",  # Hebrew with a right-to-left mark
        "👩\u200d💻 Ada",
        "Nguyễn Thị Minh Khai",
        "محمد\u061c",  # Arabic letter mark
    ],
)
def test_names_keep_what_real_scripts_need(client, secretariat, france, name):
    resp = client.post("/api/v1/parties/FR/people", headers=secretariat, json={"full_name": name})
    assert resp.status_code == 201, resp.json
    assert resp.json["full_name"] == name


def test_free_text_keeps_line_breaks_but_not_controls(client, secretariat, france):
    resp = client.patch(
        "/api/v1/parties/FR", headers=secretariat, json={"notes": "line one\r\nline two\tend"}
    )
    assert resp.status_code == 200, resp.json
    resp = client.patch("/api/v1/parties/FR", headers=secretariat, json={"notes": "bell\x07"})
    problem(resp, 422, "notes")


def test_the_clean_text_rule_is_one_function():
    assert unclean_reason("Ada Lovelace") is None
    assert "U+202E" in unclean_reason("a\u202eb")
    assert unclean_reason("a\nb", multiline=True) is None
    assert unclean_reason("a\nb") is not None


def test_web_forms_use_the_same_rule(app):
    """The pages load the same schemas, so a name typed in a form is refused the same way."""
    from directory.schemas import PersonIn

    errors = PersonIn().validate({"full_name": "Eve\u202eliA"})
    assert "full_name" in errors


def test_builders_still_work(france):
    # Sanity: the fixtures above write through the models, untouched by the API rules.
    assert make_party("DE", "Germany").iso2 == "DE"


def test_nul_in_a_page_query_or_form_is_422_before_any_view(client):
    """Pages render the problem as their HTML error page; the API as problem+json."""
    assert client.get("/login?next=%00").status_code == 422
    resp = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})
    assert resp.status_code == 422
    problem(client.get("/api/v1/parties?status=%00"), 422, "status")
