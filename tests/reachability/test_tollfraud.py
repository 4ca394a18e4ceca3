"""Toll fraud: only ordinary lines of the Party's own country (or codes the secretariat allowed)
are dialled, within per-user, per-Party and service quotas; one call per number per 10 minutes
holds under parallel requests against the served app (PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from common.db import db
from directory.models import AuditEntry, Party, Phone
from reachability import service
from reachability.models import Attempt
from reachability.tollfraud import call_refusal, number_kind, parse_calling_codes
from tests.conftest import make_user
from tests.reachability.conftest import Live, add_party, add_person, add_rota

pytestmark = pytest.mark.own_app

CALLS = "/api/v1/reachability/test-calls"


# --- the classification (pure) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("+33891123456", "premium-rate"),  # France 0891: premium rate
        ("+449012345678", "premium-rate"),  # UK 090
        ("+448712345678", "premium-rate"),  # UK 0871
        ("+881612345678", "satellite or non-geographic"),  # Iridium
        ("+870773112345", "satellite or non-geographic"),  # Inmarsat
        ("+33800123456", "toll-free"),
        ("+447012345678", "personal"),
        ("+445612345678", "VoIP"),
        ("+33612345678", "mobile"),
        ("+33142685300", "fixed-line"),
    ],
)
def test_numbers_are_classified_by_type(number, kind):
    assert number_kind(number) == kind


@pytest.mark.parametrize(
    ("number", "party", "allowed", "words"),
    [
        ("+33891123456", "FR", (), "premium-rate"),
        ("+449012345678", "GB", (44,), "premium-rate"),  # allowing a code never allows premium
        ("+881612345678", "FR", (881,), "satellite"),
        ("+448712345678", "GB", (), "premium-rate"),
        ("+33800123456", "FR", (), "toll-free"),
        ("+390612345678", "FR", (), "outside FR (+39"),
        ("+4930123456", "FR", (), "outside FR (+49"),
    ],
)
def test_refused_numbers_say_why(number, party, allowed, words):
    reason = call_refusal(number, party, allowed)
    assert reason is not None and words in reason


@pytest.mark.parametrize(
    ("number", "party", "allowed"),
    [
        ("+33612345678", "FR", ()),
        ("+33142685300", "FR", ()),
        ("+4930123456", "FR", (49,)),  # the secretariat allowed Germany for France
    ],
)
def test_ordinary_lines_of_the_party_or_allowed_codes_are_called(number, party, allowed):
    assert call_refusal(number, party, allowed) is None


def test_calling_codes_the_secretariat_may_allow():
    assert parse_calling_codes(["+49", 33, "1"]) == [1, 33, 49]
    for bad in ("881", "999", "abc", "12345"):
        with pytest.raises(ValueError):
            parse_calling_codes([bad])


# --- through the served app ------------------------------------------------------------------


@dataclass
class World:
    france_id: int
    people: dict[str, int]
    secretariat: dict[str, str]
    admin: dict[str, str]
    admin2: dict[str, str]


NUMBERS = {
    "premium": "+33891123456",
    "shared": "+33810123456",  # 0810: shared cost
    "satellite": "+881612345678",
    "german": "+4930123456",
    "mobile": "+33612345601",
}


@pytest.fixture
def world(live: Live) -> World:
    with live.context():
        france = add_party("FR", "France")
        people = {}
        for index, (name, number) in enumerate(NUMBERS.items()):
            # Stored as they are: the guard is at dialling time, whatever got into the directory.
            people[name] = add_person(france, f"Person {name}", f"+3361234570{index}")
            phone = db.session.scalar(sa.select(Phone).where(Phone.person_id == people[name]))
            phone.e164 = number
        for index in range(10):
            people[f"m{index}"] = add_person(france, f"Mobile {index}", f"+3361111110{index}")
        world = World(
            france.id,
            people,
            make_user("secretariat")[1],
            make_user("party_admin", france)[1],
            make_user("party_admin", france)[1],
        )
    return world


def post(live: Live, headers: dict[str, str], person_id: int) -> tuple[int, dict, dict]:
    """POST a test call over real HTTP (threads use this one)."""
    request = urllib.request.Request(  # noqa: S310 -- the live app on 127.0.0.1
        live.base_url + CALLS,
        data=json.dumps({"person_id": person_id}).encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}"), dict(err.headers)


def parallel(live: Live, calls: list[tuple[dict[str, str], int]]) -> list[tuple[int, dict, dict]]:
    """Send every call at once from its own thread; the answers in order."""
    results: list = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int, headers: dict[str, str], person_id: int) -> None:
        start.wait()
        results[i] = post(live, headers, person_id)

    threads = [threading.Thread(target=run, args=(i, h, p)) for i, (h, p) in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.parametrize(
    ("who", "words"),
    [
        ("premium", "premium-rate"),
        ("shared", "shared-cost"),
        ("satellite", "satellite"),
        ("german", "outside FR"),
    ],
)
def test_test_calls_to_costly_or_foreign_numbers_are_422(live, world, who, words):
    status, body, _ = post(live, world.admin, world.people[who])
    assert status == 422, body
    assert body["errors"][0]["field"] == "phone"
    assert words in body["errors"][0]["reason"]
    assert live.attempts() == []  # nothing recorded, nothing dialled
    assert live.fake.calls == []


def test_secretariat_allows_a_calling_code_audited(live, world):
    url = "/api/v1/parties/FR/allowed-calling-codes"
    client = live.client()
    assert client.put(url, json={"calling_codes": [49]}, headers=world.admin).status_code == 403
    assert (
        client.put(url, json={"calling_codes": [881]}, headers=world.secretariat).status_code == 422
    )
    ok = client.put(url, json={"calling_codes": ["49"]}, headers=world.secretariat)
    assert ok.status_code == 422  # integers only
    ok = client.put(url, json={"calling_codes": [49]}, headers=world.secretariat)
    assert ok.status_code == 200, ok.json
    assert ok.json == {"party": "FR", "own_calling_code": 33, "calling_codes": [49]}
    assert client.get(url, headers=world.admin).json["calling_codes"] == [49]

    status, body, _ = post(live, world.admin, world.people["german"])
    assert status == 201, body
    status, body, _ = post(live, world.admin, world.people["premium"])
    assert status == 422  # an allowed code never opens premium-rate numbers
    with live.app.app_context():
        entry = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "party").order_by(AuditEntry.id)
        ).all()[-1]
        assert entry.before == {"allowed_calling_codes": []}
        assert entry.after == {"allowed_calling_codes": [49]}


def test_campaign_skips_costly_numbers_with_a_reason(live, world):
    with live.context():
        france = db.session.get(Party, world.france_id)
        add_rota(france, 1, [world.people["premium"]])
        campaign = service.create_campaign(
            None,
            "2026-12",
            ["FR"],
            "any-time",
            live.clock(),
            live.app.config,
            start_at=live.clock(),
        )
        campaign_id = campaign.id
    live.clock.advance(seconds=2)
    live.tick()
    live.settle()
    with live.app.app_context():
        attempts = db.session.scalars(
            sa.select(Attempt).where(Attempt.kind == "campaign").order_by(Attempt.id)
        ).all()
        assert attempts and attempts[0].phone == NUMBERS["premium"], campaign_id
        assert attempts[0].outcome == "not-tested"
        assert "premium-rate" in attempts[0].reason
    # The premium number was never dialled (the path went on to the desk line).
    assert NUMBERS["premium"] not in {call["to"] for call in live.fake.calls}


def test_eight_parallel_calls_to_one_number_get_one_through(live, world):
    results = parallel(live, [(world.admin, world.people["mobile"])] * 8)
    statuses = sorted(r[0] for r in results)
    assert statuses == [201] + [429] * 7, results
    for status, _body, headers in results:
        if status == 429:
            assert 1 <= int(headers["Retry-After"]) <= 600
    live.settle()
    assert len(live.attempts()) == 1


def test_user_quota_holds_under_parallel_requests(live, world):
    live.app.config["REACH_QUOTA_USER_HOUR"] = 3
    people = [world.people[f"m{i}"] for i in range(8)]
    results = parallel(live, [(world.admin, p) for p in people])
    statuses = sorted(r[0] for r in results)
    assert statuses == [201] * 3 + [429] * 5, results
    refused = [r for r in results if r[0] == 429]
    assert all(r[1]["quota"] == "REACH_QUOTA_USER_HOUR" for r in refused)
    assert all(1 <= int(r[2]["Retry-After"]) <= 3600 for r in refused)
    # Another administrator of the Party still has their own quota …
    status, body, _ = post(live, world.admin2, world.people["m8"])
    assert status == 201, body
    live.settle()


def test_party_and_service_quotas(live, world):
    live.app.config["REACH_QUOTA_PARTY_DAY"] = 2
    assert post(live, world.admin, world.people["m0"])[0] == 201
    assert post(live, world.admin2, world.people["m1"])[0] == 201
    status, body, headers = post(live, world.secretariat, world.people["m2"])
    assert status == 429 and body["quota"] == "REACH_QUOTA_PARTY_DAY"
    assert int(headers["Retry-After"]) <= 86400
    live.app.config["REACH_QUOTA_PARTY_DAY"] = 0  # no limit
    live.app.config["REACH_QUOTA_SERVICE_HOUR"] = 3
    assert post(live, world.admin, world.people["m3"])[0] == 201
    status, body, _ = post(live, world.admin, world.people["m4"])
    assert status == 429 and body["quota"] == "REACH_QUOTA_SERVICE_HOUR"
    # A new hour: the counters start again.
    live.clock.advance(hours=1)
    assert post(live, world.admin, world.people["m5"])[0] == 201
    live.settle()
