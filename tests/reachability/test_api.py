"""The reachability API without telephony (the suite's shared app): rights, validation, 503,
campaign planning, reports and the commands that need no phone line."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from common.clock import now
from common.db import db
from reachability import service
from reachability.dialer import Dialer
from reachability.models import Attempt, Campaign
from tests.conftest import make_user
from tests.reachability.conftest import add_party, add_person, add_rota

CALLS = "/api/v1/reachability/test-calls"
CAMPAIGNS = "/api/v1/reachability/campaigns"


@pytest.fixture
def france():
    party = add_party("FR", "France")
    anne = add_person(party, "Anne Martin", "+33612345601", languages=("fr",))
    return party, anne


def attempts_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Attempt))


# --- test calls --------------------------------------------------------------------------------


def test_without_telephony_a_test_call_is_503_and_nothing_is_recorded(client, france, secretariat):
    _party, anne = france

    resp = client.post(CALLS, json={"person_id": anne}, headers=secretariat)

    assert resp.status_code == 503
    assert resp.mimetype == "application/problem+json"
    assert resp.json["detail"].startswith("telephony is not configured")
    assert attempts_count() == 0


def test_who_may_ask_for_a_test_call(client, france, member):
    party, anne = france
    germany = add_party("DE", "Germany", tz="Europe/Berlin")
    own_admin = make_user("party_admin", party)[1]
    other_admin = make_user("party_admin", germany)[1]

    anonymous = client.post(CALLS, json={"person_id": anne})
    as_member = client.post(CALLS, json={"person_id": anne}, headers=member)
    as_other = client.post(CALLS, json={"person_id": anne}, headers=other_admin)
    as_own = client.post(CALLS, json={"person_id": anne}, headers=own_admin)

    assert anonymous.status_code == 401
    assert as_member.status_code == 403
    assert as_other.status_code == 403
    assert as_own.status_code == 503  # allowed; only the phone line is missing
    assert attempts_count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"person_id": "1"}, "person_id"),
        ({}, "person_id"),
        ({"person_id": 1, "number": "+33612345601"}, "number"),
        ({"person_id": 1, "phone": "+33699999999"}, "phone"),
        ({"person_id": 1, "phone": "not a number"}, "phone"),
    ],
)
def test_bad_test_call_requests_are_422(client, france, secretariat, body, field):
    _party, anne = france
    if body.get("person_id") == 1:
        body = {**body, "person_id": anne}

    resp = client.post(CALLS, json=body, headers=secretariat)

    assert resp.status_code == 422, resp.json
    assert field in {error["field"] for error in resp.json["errors"]}


def test_person_without_number_and_unknown_person(client, france, secretariat):
    party, _anne = france
    silent = add_person(party, "No Phone", None)

    no_number = client.post(CALLS, json={"person_id": silent}, headers=secretariat)
    unknown = client.post(CALLS, json={"person_id": 999999}, headers=secretariat)
    missing = client.get(f"{CALLS}/999999", headers=secretariat)

    assert no_number.status_code == 422
    assert no_number.json["errors"][0]["reason"] == "No Phone has no phone number to call"
    assert unknown.status_code == 404 and missing.status_code == 404


def test_openapi_documents_the_routes_and_their_problems(client):
    spec = client.get("/api/v1/openapi.json").json
    post = spec["paths"]["/api/v1/reachability/test-calls"]["post"]
    report = spec["paths"]["/api/v1/reachability/campaigns/{campaign_id}/report"]["get"]

    assert {"201", "401", "403", "404", "422", "429", "503"} <= set(post["responses"])
    assert "application/problem+json" in post["responses"]["429"]["content"]
    assert set(report["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    for path in (
        "/api/v1/reachability/campaigns",
        "/api/v1/reachability/campaigns/{campaign_id}",
        "/api/v1/reachability/test-calls/{attempt_id}",
        "/api/v1/parties/{iso2}/reachability",
    ):
        assert path in spec["paths"]
    assert not any(path.startswith("/twilio") for path in spec["paths"])


# --- campaigns ---------------------------------------------------------------------------------


def test_only_the_secretariat_plans_campaigns(client, france, member):
    party, _anne = france
    admin = make_user("party_admin", party)[1]

    for headers in (member, admin):
        resp = client.post(CAMPAIGNS, json={"month": "2026-12"}, headers=headers)
        assert resp.status_code == 403
    assert client.get(CAMPAIGNS, headers=member).status_code == 200  # members read


def test_campaign_plans_every_party_in_its_office_hours(client, france, secretariat, member):
    add_party("JP", "Japan", tz="Asia/Tokyo")
    add_party("BR", "Brazil", status="invited")  # not a Party: not called by default

    resp = client.post(CAMPAIGNS, json={"month": "2026-12"}, headers=secretariat)

    assert resp.status_code == 201, resp.json
    body = resp.json
    assert resp.headers["Location"] == f"{CAMPAIGNS}/{body['id']}"
    assert body["window"] == "office-hours" and body["status"] == "planned"
    assert body["parties"] == ["FR", "JP"]
    assert body["progress"] == {"parties": 2, "planned": 2, "calling": 0, "done": 0, "outcomes": {}}
    for slot in body["slots"]:
        local = datetime.fromisoformat(slot["planned_local"])
        assert (local.year, local.month) == (2026, 12)
        assert local.weekday() < 5 and time(9) <= local.time() < time(17)
        assert slot["state"] == "planned" and slot["next_step_at"] == slot["planned_at"]
    tokyo = next(s for s in body["slots"] if s["party"] == "JP")
    assert datetime.fromisoformat(tokyo["planned_local"]).utcoffset().total_seconds() == 9 * 3600
    listed = client.get(CAMPAIGNS, headers=member).json["items"]
    assert [c["id"] for c in listed] == [body["id"]]
    detail = client.get(f"{CAMPAIGNS}/{body['id']}", headers=member).json
    assert detail["slots"] == body["slots"]


def test_campaign_over_chosen_parties_any_time(client, france, secretariat):
    add_party("JP", "Japan", tz="Asia/Tokyo")

    resp = client.post(
        CAMPAIGNS,
        json={"month": "2026-12", "parties": ["jp"], "window": "any-time"},
        headers=secretariat,
    )

    assert resp.status_code == 201, resp.json
    assert resp.json["parties"] == ["JP"] and resp.json["window"] == "any-time"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "December"}, "month"),
        ({"month": "2026-10"}, "month"),  # already over (the clock says 2026-11-29)
        ({"month": "2026-12", "parties": ["FR", "ZZ"]}, "parties[1]"),
        ({"month": "2026-12", "parties": ["FR", "fr"]}, "parties[1]"),
        ({"month": "2026-12", "parties": []}, "parties"),
        ({"month": "2026-12", "parties": ["FRA"]}, "parties[0]"),
        ({"month": "2026-12", "window": "weekends"}, "window"),
        ({"month": "2026-12", "when": "soon"}, "when"),
    ],
)
def test_bad_campaigns_are_422(client, france, secretariat, body, field):
    resp = client.post(CAMPAIGNS, json=body, headers=secretariat)

    assert resp.status_code == 422, resp.json
    assert field in {error["field"] for error in resp.json["errors"]}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


def test_no_party_to_call_is_422(client, secretariat):
    add_party("BR", "Brazil", status="invited")

    resp = client.post(CAMPAIGNS, json={"month": "2026-12"}, headers=secretariat)

    assert resp.status_code == 422
    assert resp.json["errors"][0]["field"] == "parties"


def test_report_of_a_campaign_not_started(client, france, secretariat, member):
    campaign = client.post(CAMPAIGNS, json={"month": "2026-12"}, headers=secretariat).json
    url = f"{CAMPAIGNS}/{campaign['id']}/report"

    report = client.get(url, headers=member)
    as_csv = client.get(url, headers={**member, "Accept": "text/csv"})

    assert report.status_code == 200 and report.mimetype == "application/json"
    assert report.json["totals"]["parties"] == 1 and report.json["totals"]["pending"] == 1
    assert report.json["totals"]["reach_rate"] == 0
    [item] = report.json["items"]
    assert item["party"] == "FR" and item["outcome"] is None and item["path"] == []
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert rows[0][:4] == ["party", "party_name", "outcome", "reached"]
    assert rows[1][:3] == ["FR", "France", "pending"]
    assert rows[-1][0] == "TOTAL" and rows[-1][2] == "reach rate 0.0%"
    assert client.get(f"{CAMPAIGNS}/999/report", headers=member).status_code == 404


def test_party_reachability_history(client, france, member):
    resp = client.get("/api/v1/parties/fr/reachability", headers=member)

    assert resp.status_code == 200
    assert resp.json == {
        "party": "FR",
        "last_confirmed_at": None,
        "campaigns": [],
        "test_calls": [],
    }
    assert client.get("/api/v1/parties/QQ/reachability", headers=member).status_code == 404


# --- commands and the worker without telephony -------------------------------------------------


def test_schedule_monthly_creates_next_months_campaign_once(runner, france):
    first = runner.invoke(args=["reachability", "schedule", "--monthly"])
    again = runner.invoke(args=["reachability", "schedule", "--monthly", "--window", "any-time"])
    refused = runner.invoke(args=["reachability", "schedule"])

    assert first.exit_code == 0, first.output
    assert "created campaign" in first.output and "2026-12 (1 Parties)" in first.output
    assert again.exit_code == 0 and "already scheduled" in again.output
    assert refused.exit_code == 2
    campaigns = db.session.scalars(sa.select(Campaign)).all()
    assert [(c.month, c.schedule_key, c.created_by) for c in campaigns] == [
        ("2026-12", "monthly:2026-12", "system")
    ]


def test_without_telephony_due_calls_are_recorded_not_tested(app, france, clock):
    party, anne = france
    add_rota(party, 1, [anne])
    campaign = service.create_campaign(
        None, "2026-11", ["FR"], "any-time", clock.at, app.config, start_at=clock.at
    )
    clock.advance(seconds=2)

    report = Dialer.for_app(app.config, now, "test").tick()

    assert report.steps == 1 and report.placed == []
    db.session.expire_all()
    [slot] = campaign.slots
    assert slot.state == "done" and slot.best_outcome == "not-tested"
    assert [(a.target, a.tier, a.outcome, a.reason) for a in slot.attempts] == [
        ("person", 1, "not-tested", "telephony is not configured"),
        ("person", 2, "not-tested", "no tier-2 rota"),
        ("desk", None, "not-tested", "telephony is not configured"),
    ]
    assert campaign.status == "done"
    assert slot.planned_at.astimezone(ZoneInfo("Europe/Paris")).tzinfo is not None
    assert slot.attempts[0].created_at == clock.at.replace(tzinfo=UTC)
