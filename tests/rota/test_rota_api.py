"""Rota CRUD, who to call now, timelines, gaps and previews through the API."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from common.auth import hash_secret
from common.db import db
from directory import accounts
from directory.models import ApiToken
from tests.conftest import make_party, make_person, make_user
from tests.rota.conftest import add_rotation, new_rota
from tests.sql_statements import sql_statements


def q(dt: datetime | str) -> str:
    return quote(dt if isinstance(dt, str) else dt.isoformat())


def on_call(client, headers, at: str, **params):
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    resp = client.get(f"/api/v1/parties/FR/on-call?at={q(at)}{extra}", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


@pytest.fixture
def weekly(weekly_rotas):
    """Tier 1: A, B, C weekly with handoff Monday 09:00 Paris time; tier 2 D daily."""
    rota, _tier2, people, headers = weekly_rotas
    return rota, people, headers


def test_on_call_just_before_at_and_after_a_handoff(client, weekly):
    _rota, _people, headers = weekly
    # 2026-03-30 is a Monday, the first after the spring change (UTC+2): 09:00 = 07:00Z.
    before = on_call(client, headers, "2026-03-30T06:59:59Z")
    at = on_call(client, headers, "2026-03-30T07:00:00Z")
    after = on_call(client, headers, "2026-03-30T07:00:01Z")
    assert before["tiers"][0]["person"]["full_name"] == "Anne"  # 4th week: A, B, C, A
    assert before["tiers"][0]["until"] == "2026-03-30T07:00:00+00:00"
    assert before["tiers"][0]["since"] == "2026-03-23T08:00:00+00:00"  # 09:00 CET
    assert before["tiers"][0]["next"]["person"]["full_name"] == "Bruno"
    assert at["tiers"][0]["person"]["full_name"] == "Bruno"
    assert after["tiers"][0]["person"]["full_name"] == "Bruno"
    assert at["tiers"][0]["since"] == "2026-03-30T07:00:00+00:00"
    assert at["local_time"] == "2026-03-30T09:00:00+02:00"
    assert at["timezone"] == "Europe/Paris"
    # Tier 2 has one member: one long duty, so the next handoff is tier 1's.
    assert at["next_handoff"] == "2026-04-06T07:00:00+00:00"
    assert at["desk_phone"]["e164"] == "+33123456789"


def test_on_call_answer_carries_what_a_duty_officer_needs(client, weekly):
    _rota, _people, headers = weekly
    answer = on_call(client, headers, "2026-12-02T03:00:00+01:00")
    tier1 = answer["tiers"][0]
    assert tier1["tier"] == 1 and tier1["source"] == "rotation" and tier1["gap"] is False
    person = tier1["person"]
    assert person["phones"][0]["primary"] is True
    assert person["phones"][0]["international"].startswith("+33 6")
    assert {lang["tag"] for lang in person["languages"]} <= {"fr", "en", "es"}
    assert answer["tiers"][1]["person"]["full_name"] == "Dieter"
    assert answer["tiers"][1]["tier"] == 2


def test_at_must_carry_an_offset(client, weekly):
    _rota, _people, headers = weekly
    resp = client.get("/api/v1/parties/FR/on-call?at=2026-12-02T03:00:00", headers=headers)
    assert resp.status_code == 422
    assert resp.json["errors"][0]["field"] == "at"
    assert "offset" in resp.json["errors"][0]["reason"]


def test_on_call_defaults_to_now(client, weekly, clock):
    _rota, _people, headers = weekly
    clock.set(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    resp = client.get("/api/v1/parties/FR/on-call", headers=headers).json
    assert resp["at"] == "2026-12-02T02:00:00+00:00"


def test_language_on_duty_or_next_speaker(client, weekly):
    _rota, _people, headers = weekly
    # Week of 2026-03-30 is Bruno (fr only); Dieter (tier 2) speaks de/en.
    at = "2026-03-31T12:00:00+02:00"
    german = on_call(client, headers, at, lang="de")["language"]
    assert german["speaks_now"] is True
    assert german["on_duty"] == [
        {"tier": 2, "person_id": german["on_duty"][0]["person_id"], "full_name": "Dieter"}
    ]
    spanish = on_call(client, headers, at, lang="es")["language"]
    assert spanish["speaks_now"] is False
    assert spanish["next"]["full_name"] == "Carmen"
    assert spanish["next"]["from"] == "2026-04-06T07:00:00+00:00"
    assert spanish["name"] == "Spanish"
    japanese = on_call(client, headers, at, lang="ja")["language"]
    assert japanese["speaks_now"] is False and japanese["next"] is None


def test_override_wins_exactly_inside_its_interval(client, weekly):
    rota, people, headers = weekly
    start, end = "2026-12-01T20:00:00+01:00", "2026-12-02T08:00:00+01:00"
    resp = client.post(
        f"/api/v1/rotas/{rota['id']}/overrides",
        headers=headers,
        json={
            "person_id": people[3].id,
            "start": start,
            "end": end,
            "note": "I cover Tuesday night",
        },
    )
    assert resp.status_code == 201, resp.json
    assert on_call(client, headers, "2026-12-01T19:59:59+01:00")["tiers"][0]["source"] == "rotation"
    inside = on_call(client, headers, start)["tiers"][0]
    assert inside["source"] == "override" and inside["person"]["full_name"] == "Dieter"
    assert inside["until"] == "2026-12-02T07:00:00+00:00"
    assert on_call(client, headers, end)["tiers"][0]["source"] == "rotation"


def test_an_override_for_a_person_of_no_such_party_names_the_field(client, weekly):
    rota, _people, headers = weekly
    resp = client.post(
        f"/api/v1/rotas/{rota['id']}/overrides",
        headers=headers,
        json={
            "person_id": 2_000_000,
            "start": "2026-12-01T20:00:00Z",
            "end": "2026-12-02T08:00:00Z",
        },
    )
    assert resp.status_code == 422
    assert [e["field"] for e in resp.json["errors"]] == ["person_id"]  # not person_id[0]


def test_overlapping_overrides_are_refused_with_the_conflict(client, weekly):
    rota, people, headers = weekly
    url = f"/api/v1/rotas/{rota['id']}/overrides"
    first = client.post(
        url,
        headers=headers,
        json={
            "person_id": people[0].id,
            "start": "2026-12-01T20:00:00Z",
            "end": "2026-12-02T08:00:00Z",
        },
    )
    clash = client.post(
        url,
        headers=headers,
        json={
            "person_id": people[1].id,
            "start": "2026-12-02T07:00:00Z",
            "end": "2026-12-02T09:00:00Z",
        },
    )
    assert clash.status_code == 409
    assert clash.json["conflict"]["id"] == first.json["id"]
    touching = client.post(
        url,
        headers=headers,
        json={
            "person_id": people[1].id,
            "start": "2026-12-02T08:00:00Z",
            "end": "2026-12-02T09:00:00Z",
        },
    )
    assert touching.status_code == 201  # half-open intervals may touch
    listed = client.get(url, headers=headers).json["items"]
    assert [o["person_name"] for o in listed] == ["Anne", "Bruno"]


def test_shifts_are_contiguous_with_explicit_gaps(client, paris):
    _party, people, headers = paris
    rota = new_rota(client, headers)
    add_rotation(
        client,
        headers,
        rota["id"],
        members=[people[0].id, people[1].id],
        start_local="2026-12-01T08:00",
        shift_length="P1D",
        restrictions=[
            {
                "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                "from_local": "08:00",
                "to_local": "20:00",
            }
        ],
    )
    resp = client.get(
        f"/api/v1/parties/FR/shifts?since={q('2026-12-01T00:00:00+01:00')}"
        f"&until={q('2026-12-03T00:00:00+01:00')}",
        headers=headers,
    )
    assert resp.status_code == 200, resp.json
    shifts = resp.json["tiers"][0]["shifts"]
    assert [(s["start"], s["gap"], s["person"] and s["person"]["full_name"]) for s in shifts] == [
        ("2026-11-30T23:00:00+00:00", True, None),
        ("2026-12-01T07:00:00+00:00", False, "Anne"),
        ("2026-12-01T19:00:00+00:00", True, None),
        ("2026-12-02T07:00:00+00:00", False, "Bruno"),
        ("2026-12-02T19:00:00+00:00", True, None),
    ]
    for a, b in itertools.pairwise(shifts):
        assert a["end"] == b["start"]


def test_shifts_range_is_limited(client, weekly):
    _rota, _people, headers = weekly
    resp = client.get(
        f"/api/v1/parties/FR/shifts?since={q('2026-01-01T00:00:00Z')}"
        f"&until={q('2027-06-01T00:00:00Z')}",
        headers=headers,
    )
    assert resp.status_code == 422
    assert resp.json["errors"][0]["field"] == "until"


def test_fall_back_night_is_thirteen_hours(client, paris):
    _party, people, headers = paris
    rota = new_rota(client, headers)
    add_rotation(
        client,
        headers,
        rota["id"],
        members=[people[0].id],
        start_local="2026-10-20T20:00",
        shift_length="P1D",
        restrictions=[{"from_local": "20:00", "to_local": "08:00"}],
    )
    resp = client.get(
        f"/api/v1/parties/FR/shifts?since={q('2026-10-24T12:00:00Z')}"
        f"&until={q('2026-10-26T12:00:00Z')}",
        headers=headers,
    ).json
    nights = [s for s in resp["tiers"][0]["shifts"] if not s["gap"]]
    # Night of 24/25 Oct: 20:00 CEST (18:00Z) to 08:00 CET (07:00Z) = 13 h.
    assert (nights[0]["start"], nights[0]["end"]) == (
        "2026-10-24T18:00:00+00:00",
        "2026-10-25T07:00:00+00:00",
    )


def test_coverage_gaps_list_parties_without_tier_one(client, weekly):
    _rota, _people, headers = weekly
    make_party("DE", "Germany")
    make_party("IE", "Ireland", status="signatory")
    resp = client.get(
        f"/api/v1/coverage/gaps?since={q('2026-12-01T00:00:00Z')}"
        f"&until={q('2026-12-08T00:00:00Z')}",
        headers=headers,
    ).json
    assert [(g["party"], g["tier"], g["hours"]) for g in resp["items"]] == [("DE", 1, 168.0)]


def test_gaps_command_prints_the_same(runner, weekly):
    make_party("DE", "Germany")
    result = runner.invoke(args=["rota", "gaps", "--days", "7"])
    assert result.exit_code == 0, result.output
    assert "DE" in result.output and "FR" not in result.output


def test_preview_saves_nothing(client, paris):
    _party, people, headers = paris
    body = {
        "rotations": [
            {
                "members": [people[0].id, people[1].id],
                "start_local": "2026-12-07T09:00",
                "shift_length": "P7D",
            }
        ],
        "since": "2026-12-07T00:00:00+01:00",
        "until": "2026-12-21T00:00:00+01:00",
    }
    resp = client.post("/api/v1/parties/FR/rotas/preview", headers=headers, json=body)
    assert resp.status_code == 200, resp.json
    assert [s["person"] and s["person"]["full_name"] for s in resp.json["shifts"]] == [
        None,
        "Anne",
        "Bruno",
    ]
    assert client.get("/api/v1/parties/FR/rotas", headers=headers).json["items"] == []
    body["rotations"][0]["members"] = [99999]
    bad = client.post("/api/v1/parties/FR/rotas/preview", headers=headers, json=body)
    assert bad.status_code == 422
    assert bad.json["errors"][0]["field"] == "rotations[0].members[0]"


def test_member_change_keeps_past_shifts(client, weekly, clock):
    rota, people, headers = weekly
    rotation_id = client.get(f"/api/v1/rotas/{rota['id']}", headers=headers).json["rotations"][0][
        "id"
    ]
    past = on_call(client, headers, "2026-03-10T12:00:00Z")["tiers"][0]["person"]["full_name"]
    resp = client.patch(
        f"/api/v1/rotations/{rotation_id}",
        headers=headers,
        json={"members": [people[3].id], "members_effective_at": "2026-12-07T08:00:00Z"},
    )
    assert resp.status_code == 200, resp.json
    assert (
        on_call(client, headers, "2026-03-10T12:00:00Z")["tiers"][0]["person"]["full_name"] == past
    )
    assert (
        on_call(client, headers, "2026-12-08T12:00:00Z")["tiers"][0]["person"]["full_name"]
        == "Dieter"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"members": [], "start_local": "2026-12-07T09:00", "shift_length": "P7D"}, "members"),
        (
            {"members": [1], "start_local": "2026-12-07T09:00+01:00", "shift_length": "P7D"},
            "start_local",
        ),
        ({"members": [1], "start_local": "yesterday", "shift_length": "P7D"}, "start_local"),
        (
            {"members": [1], "start_local": "2026-12-07T09:00", "shift_length": "P1M"},
            "shift_length",
        ),
        (
            {"members": [1], "start_local": "2026-12-07T09:00", "shift_length": "PT5M"},
            "shift_length",
        ),
        (
            {"members": ["1"], "start_local": "2026-12-07T09:00", "shift_length": "P1D"},
            "members[0]",
        ),
        (
            {
                "members": [1],
                "start_local": "2026-12-07T09:00",
                "shift_length": "P1D",
                "restrictions": [{"from_local": "9", "to_local": "17:00"}],
            },
            "restrictions[0].from_local",
        ),
    ],
    ids=[
        "no-members",
        "offset-in-local",
        "garbage-local",
        "months",
        "too-short",
        "member-not-int",
        "bad-window",
    ],
)
def test_bad_rotations_are_422(client, weekly, body, field):
    rota, _people, headers = weekly
    resp = client.post(f"/api/v1/rotas/{rota['id']}/rotations", headers=headers, json=body)
    assert resp.status_code == 422
    assert field in [e["field"] for e in resp.json["errors"]], resp.json


def test_members_must_be_people_of_the_party(client, weekly):
    rota, _people, headers = weekly
    germany = make_party("DE", "Germany")
    hans = make_person(germany, "Hans")
    resp = client.post(
        f"/api/v1/rotas/{rota['id']}/rotations",
        headers=headers,
        json={"members": [hans.id], "start_local": "2026-12-07T09:00", "shift_length": "P7D"},
    )
    assert resp.status_code == 422
    assert resp.json["errors"][0]["field"] == "members[0]"


def test_one_rota_per_tier(client, weekly):
    _rota, _people, headers = weekly
    resp = client.post(
        "/api/v1/parties/FR/rotas", headers=headers, json={"name": "Another", "tier": 1}
    )
    assert resp.status_code == 409


def test_rota_writes_by_role(client, weekly):
    rota, people, _headers = weekly
    germany = make_party("DE", "Germany")
    for headers in (make_user("member")[1], make_user("party_admin", germany)[1]):
        assert (
            client.post(
                "/api/v1/parties/FR/rotas", headers=headers, json={"name": "x", "tier": 3}
            ).status_code
            == 403
        )
        assert (
            client.patch(
                f"/api/v1/rotas/{rota['id']}", headers=headers, json={"name": "x"}
            ).status_code
            == 403
        )
        assert (
            client.post(
                f"/api/v1/rotas/{rota['id']}/overrides",
                headers=headers,
                json={
                    "person_id": people[0].id,
                    "start": "2027-01-01T00:00:00Z",
                    "end": "2027-01-02T00:00:00Z",
                },
            ).status_code
            == 403
        )
        assert client.delete(f"/api/v1/rotas/{rota['id']}", headers=headers).status_code == 403
    france = people[0].party
    admin = make_user("party_admin", france)[1]
    assert (
        client.patch(
            f"/api/v1/rotas/{rota['id']}", headers=admin, json={"name": "Permanence"}
        ).status_code
        == 200
    )


def test_rota_changes_are_audited_and_versioned(client, weekly):
    rota, _people, headers = weekly
    current = client.get(f"/api/v1/rotas/{rota['id']}", headers=headers)
    ok = client.patch(
        f"/api/v1/rotas/{rota['id']}",
        json={"name": "Permanence"},
        headers={**headers, "If-Match": current.headers["ETag"]},
    )
    assert ok.status_code == 200
    stale = client.patch(
        f"/api/v1/rotas/{rota['id']}",
        json={"name": "Other"},
        headers={**headers, "If-Match": current.headers["ETag"]},
    )
    assert stale.status_code == 412
    entries = client.get("/api/v1/audit?party=FR&entity=rota", headers=headers).json["items"]
    assert entries[0]["before"]["name"] == "Duty officer"
    assert entries[0]["after"]["name"] == "Permanence"


def test_person_on_a_rota_cannot_be_deleted(client, weekly):
    _rota, people, headers = weekly
    resp = client.delete(f"/api/v1/people/{people[0].id}", headers=headers)
    assert resp.status_code == 409
    assert "rotation" in resp.json["detail"]


def test_network_board_lists_every_party_compactly(client, weekly):
    _rota, _people, headers = weekly
    make_party("DE", "Germany")
    resp = client.get(
        f"/api/v1/on-call?at={q('2026-12-02T03:00:00Z')}&lang=es",
        headers={**headers, "Accept-Language": "fr"},
    )
    assert resp.status_code == 200
    rows = {row["party"]: row for row in resp.json["items"]}
    assert rows["DE"]["gap"] is True and rows["DE"]["tiers"] == []
    assert rows["FR"]["name"] == "France" and rows["FR"]["gap"] is False
    assert rows["FR"]["tiers"][0]["person"]["phone"]["e164"].startswith("+336")
    assert rows["FR"]["local_time"] == "2026-12-02T04:00:00+01:00"
    assert rows["FR"]["speaks"] in (True, False)


def test_gap_tier_points_to_the_desk_line(client, paris):
    _party, _people, headers = paris
    new_rota(client, headers)
    answer = on_call(
        client, headers, (datetime(2026, 12, 2, tzinfo=UTC) + timedelta(hours=3)).isoformat()
    )
    assert answer["gap"] is True
    assert answer["tiers"][0]["gap"] is True and answer["tiers"][0]["person"] is None
    assert answer["desk_phone"]["international"] == "+33 1 23 45 67 89"


@pytest.mark.parametrize(
    ("day", "handoff_utc"),
    [
        # 02:30 does not exist on 29 March in Paris: read with the offset before the gap (+01:00).
        ("2026-03-29", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        # 02:30 happens twice on 25 October: the first occurrence (+02:00).
        ("2026-10-25", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ],
    ids=["spring-forward-skipped-handoff", "fall-back-repeated-handoff"],
)
def test_on_call_around_dst_handoffs(client, paris, day, handoff_utc):
    _party, people, headers = paris
    rota = new_rota(client, headers)
    add_rotation(
        client,
        headers,
        rota["id"],
        members=[people[0].id, people[1].id],
        start_local="2026-01-01T02:30",
        shift_length="P1D",
    )
    second = timedelta(seconds=1)
    names = [
        on_call(client, headers, (handoff_utc + delta).isoformat())["tiers"][0]
        for delta in (-second, timedelta(0), second)
    ]
    assert names[0]["until"] == handoff_utc.isoformat()
    assert names[1]["since"] == handoff_utc.isoformat()
    assert names[1]["person"]["full_name"] == names[2]["person"]["full_name"]
    assert names[0]["person"]["full_name"] != names[1]["person"]["full_name"]
    assert day in names[1]["since"]


def test_cached_answers_follow_the_clock_and_every_write(client, weekly, monkeypatch):
    rota, people, headers = weekly
    from rota import lookup

    calls = []
    real = lookup.resolve_on_call
    monkeypatch.setattr(lookup, "resolve_on_call", lambda *a, **k: calls.append(1) or real(*a, **k))
    first = on_call(client, headers, "2026-03-31T10:00:00Z")
    again = on_call(client, headers, "2026-03-31T11:00:00Z")
    assert len(calls) == 1  # the second answer came from the cache
    assert again["at"] == "2026-03-31T11:00:00+00:00"
    assert again["local_time"] == "2026-03-31T13:00:00+02:00"
    assert again["tiers"] == first["tiers"]
    # Past the handoff the cached answer no longer holds.
    after = on_call(client, headers, "2026-04-06T07:00:00Z")
    assert after["tiers"][0]["person"]["full_name"] == "Carmen"
    # A write (here an override) is seen at once.
    resp = client.post(
        f"/api/v1/rotas/{rota['id']}/overrides",
        headers=headers,
        json={
            "person_id": people[3].id,
            "start": "2026-03-31T00:00:00Z",
            "end": "2026-04-01T00:00:00Z",
        },
    )
    assert resp.status_code == 201
    covered = on_call(client, headers, "2026-03-31T11:00:00Z")
    assert covered["tiers"][0]["person"]["full_name"] == "Dieter"
    assert len(calls) == 3
    board = client.get(f"/api/v1/on-call?at={q('2026-03-31T11:00:00Z')}", headers=headers).json
    board_again = client.get(
        f"/api/v1/on-call?at={q('2026-03-31T11:30:00Z')}", headers=headers
    ).json
    assert len(calls) == 4
    assert board_again["items"][0]["local_time"] == "2026-03-31T13:30:00+02:00"
    assert board_again["items"][0]["tiers"] == board["items"][0]["tiers"]


def test_a_cached_answer_costs_one_statement_and_a_revoked_token_none(client, weekly, clock):
    """The token check reads the data version too: a cache hit needs nothing else."""
    _rota, _people, headers = weekly
    url = f"/api/v1/parties/FR/on-call?at={q('2026-03-31T10:00:00Z')}"
    assert client.get(url, headers=headers).status_code == 200
    with sql_statements() as statements:
        assert client.get(url, headers=headers).status_code == 200
        assert len(statements) == 1, statements
        secret = headers["Authorization"].removeprefix("Bearer ")
        token = db.session.scalar(
            sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))
        )
        accounts.revoke_token(token, clock())
        db.session.commit()
        resp = client.get(url, headers=headers)
        assert resp.status_code == 401  # at once, though the answer is still cached


def test_a_cached_answer_keeps_its_etag_per_instant(client, weekly):
    _rota, _people, headers = weekly
    url = f"/api/v1/parties/FR/on-call?at={q('2026-03-31T10:00:00Z')}"
    first = client.get(url, headers=headers)
    again = client.get(url, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    later = client.get(
        f"/api/v1/parties/FR/on-call?at={q('2026-03-31T10:00:01Z')}",
        headers={**headers, "If-None-Match": first.headers["ETag"]},
    )
    assert later.status_code == 200  # another instant, another representation
    assert later.headers["ETag"] != first.headers["ETag"]
    assert later.json["local_time"] == "2026-03-31T12:00:01+02:00"
    assert later.json["tiers"] == first.json["tiers"]


def test_on_call_of_an_unknown_party_is_404(client, weekly):
    _rota, _people, headers = weekly
    assert client.get("/api/v1/parties/FR/on-call", headers=headers).status_code == 200
    resp = client.get("/api/v1/parties/ZZ/on-call", headers=headers)
    assert resp.status_code == 404
    assert resp.content_type == "application/problem+json"


@pytest.mark.parametrize(
    "write",
    [
        "add-rotation",
        "patch-rotation",
        "delete-rotation",
        "create-override",
        "delete-override",
        "delete-rota",
        "preview",
    ],
)
def test_every_rota_write_by_role(client, weekly, write):
    rota, people, headers = weekly
    rotation_id = client.get(f"/api/v1/rotas/{rota['id']}", headers=headers).json["rotations"][0][
        "id"
    ]
    override = client.post(
        f"/api/v1/rotas/{rota['id']}/overrides",
        headers=headers,
        json={
            "person_id": people[0].id,
            "start": "2027-02-01T00:00:00Z",
            "end": "2027-02-02T00:00:00Z",
        },
    ).json
    rotation_body = {
        "members": [people[1].id],
        "start_local": "2026-12-07T09:00",
        "shift_length": "P7D",
    }
    method, url, body = {
        "add-rotation": ("POST", f"/api/v1/rotas/{rota['id']}/rotations", rotation_body),
        "patch-rotation": ("PATCH", f"/api/v1/rotations/{rotation_id}", {"name": "Nights"}),
        "delete-rotation": ("DELETE", f"/api/v1/rotations/{rotation_id}", None),
        "create-override": (
            "POST",
            f"/api/v1/rotas/{rota['id']}/overrides",
            {
                "person_id": people[2].id,
                "start": "2027-03-01T00:00:00Z",
                "end": "2027-03-02T00:00:00Z",
            },
        ),
        "delete-override": ("DELETE", f"/api/v1/overrides/{override['id']}", None),
        "delete-rota": ("DELETE", f"/api/v1/rotas/{rota['id']}", None),
        "preview": ("POST", "/api/v1/parties/FR/rotas/preview", {"rotations": [rotation_body]}),
    }[write]
    germany = make_party("DE", "Germany")
    refused = [make_user("member")[1], make_user("party_admin", germany)[1]]
    if write == "preview":
        refused = []  # a preview writes nothing: every reader may try a definition
    for other in refused:
        resp = client.open(url, method=method, json=body, headers=other)
        assert resp.status_code == 403, (write, resp.json)
    admin = make_user("party_admin", people[0].party)[1]
    resp = client.open(url, method=method, json=body, headers=admin)
    assert resp.status_code in (200, 201, 204), (write, resp.get_data(as_text=True))
