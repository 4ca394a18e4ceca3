"""Random bodies to every write endpoint: never a 500, never a partial write."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.db import db
from tests.conftest import make_party, make_person, make_user

FIELDS = [
    "full_name",
    "title",
    "email",
    "timezone",
    "active",
    "phones",
    "languages",
    "number",
    "primary",
    "tag",
    "level",
    "unit_name",
    "kind",
    "address",
    "desk_phone",
    "office_hours",
    "can_order_preservation",
    "mla_authority",
    "effective_from",
    "new_designation",
    "iso2",
    "name",
    "status",
    "in_force_date",
    "tier",
    "members",
    "start_local",
    "shift_length",
    "restrictions",
    "weekdays",
    "from_local",
    "to_local",
    "person_id",
    "start",
    "end",
    "note",
    "members_effective_at",
    "position",
    "rotations",
    "since",
    "until",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "+33612345678",
            "0612345678",
            "fr",
            "Europe/Paris",
            "P7D",
            "PT1M",
            "2026-12-07T09:00",
            "2026-12-07T09:00:00+01:00",
            "mon",
            "09:00",
            "x" * 5000,
            "police",
            "party",
            "\x00",
            "1",
            "9999-12-31T23:59:59Z",
        ]
    ),
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), children, max_size=6),
    ),
    max_leaves=20,
)
BODIES = st.one_of(JSON, st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8))


def _counts() -> dict[str, int]:
    return {
        name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for name, table in db.metadata.tables.items()
        if name not in ("api_token", "app_user")
    }


@pytest.fixture
def world(client):
    france = make_party("FR", "France")
    person = make_person(france, "Anne", phone="+33612345601")
    _user, headers = make_user("secretariat")
    client.put(
        "/api/v1/parties/FR/contact-point",
        headers=headers,
        json={"unit_name": "OFAC", "kind": "police", "timezone": "Europe/Paris"},
    )
    rota = client.post(
        "/api/v1/parties/FR/rotas", headers=headers, json={"name": "Duty", "tier": 1}
    ).json
    rota = client.post(
        f"/api/v1/rotas/{rota['id']}/rotations",
        headers=headers,
        json={"members": [person.id], "start_local": "2026-12-07T09:00", "shift_length": "P7D"},
    ).json
    override = client.post(
        f"/api/v1/rotas/{rota['id']}/overrides",
        headers=headers,
        json={
            "person_id": person.id,
            "start": "2027-01-01T00:00:00Z",
            "end": "2027-01-02T00:00:00Z",
        },
    ).json
    return {
        "headers": headers,
        "person": person.id,
        "rota": rota["id"],
        "rotation": rota["rotations"][0]["id"],
        "override": override["id"],
    }


WRITES = [
    ("POST", "/api/v1/parties"),
    ("PATCH", "/api/v1/parties/FR"),
    ("PUT", "/api/v1/parties/FR/contact-point"),
    ("POST", "/api/v1/parties/FR/people"),
    ("PATCH", "/api/v1/people/{person}"),
    ("POST", "/api/v1/parties/FR/rotas"),
    ("PATCH", "/api/v1/rotas/{rota}"),
    ("POST", "/api/v1/rotas/{rota}/rotations"),
    ("PATCH", "/api/v1/rotations/{rotation}"),
    ("POST", "/api/v1/rotas/{rota}/overrides"),
    ("POST", "/api/v1/parties/FR/rotas/preview"),
]


@pytest.mark.parametrize(("method", "url"), WRITES, ids=[f"{m} {u}" for m, u in WRITES])
def test_random_bodies_never_500_nor_write_partially(client, world, method, url):
    target = url.format(**world)

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=BODIES)
    def check(body):
        before = _counts()
        resp = client.open(target, method=method, json=body, headers=world["headers"])
        assert resp.status_code < 500, (body, resp.get_data(as_text=True))
        if resp.status_code >= 400:
            assert resp.content_type == "application/problem+json"
            assert _counts() == before, body

    check()


@pytest.mark.parametrize(
    "raw", [b"\xff", b"{" * 5000, b'{"a": 1e999999}', b"[" + b"1," * 10000 + b"1]"]
)
def test_hostile_raw_bodies(client, world, raw):
    for method, url in WRITES:
        resp = client.open(
            url.format(**world),
            method=method,
            data=raw,
            content_type="application/json",
            headers=world["headers"],
        )
        assert 400 <= resp.status_code < 500, (method, url, resp.status_code)
