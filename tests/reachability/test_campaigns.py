"""Campaigns end to end, with workers in this process: retries, escalation to tier 2 and the desk
line, gaps, the report, the calls-per-second limit, and recovery from a worker that died between
asking Twilio for a call and recording its SID."""

from __future__ import annotations

import csv
import io
import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from common.db import db
from reachability import service
from reachability.dialer import Dialer, TickReport
from reachability.models import Attempt, Campaign
from rota.models import RotationRecord
from tests.conftest import make_user
from tests.fakes.fake_twilio import Scenario
from tests.reachability.conftest import Live, add_party, add_person, add_rota

pytestmark = pytest.mark.own_app

ANNE, BRUNO, DESK = "+33612345601", "+33612345602", "+33123456789"
CAMPAIGNS = "/api/v1/reachability/campaigns"


def start_campaign(live: Live, parties: list[str]) -> int:
    """A campaign over `parties` whose slots are due now (packed at CALLS_PER_SECOND)."""
    with live.context():
        campaign = service.create_campaign(
            None,
            "2026-12",
            parties,
            "any-time",
            live.clock(),
            live.app.config,
            start_at=live.clock(),
        )
        campaign_id = campaign.id
    live.clock.advance(seconds=2)  # the first slot starts at the next whole second
    return campaign_id


def path(live: Live, campaign_id: int, iso2: str = "FR") -> list[tuple]:
    with live.app.app_context():
        attempts = db.session.scalars(
            sa.select(Attempt)
            .where(Attempt.slot.has(campaign_id=campaign_id))
            .where(Attempt.party.has(iso2=iso2))
            .order_by(Attempt.step)
        ).all()
        return [(a.target, a.tier, a.phone, a.outcome, a.reason) for a in attempts]


def report(live: Live, campaign_id: int, headers: dict[str, str], accept: str = "application/json"):
    resp = live.client().get(
        f"{CAMPAIGNS}/{campaign_id}/report", headers={**headers, "Accept": accept}
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp


@pytest.fixture
def france(live: Live) -> dict:
    """France: Anne on tier 1, Bruno on tier 2, a desk line; a member to read reports."""
    with live.context():
        party = add_party("FR", "France", desk=DESK)
        anne = add_person(party, "Anne Martin", ANNE, languages=("fr",))
        bruno = add_person(party, "Bruno Petit", BRUNO, languages=("fr",))
        tier1 = add_rota(party, 1, [anne])
        add_rota(party, 2, [bruno])
        member = make_user("member")[1]
    return {"anne": anne, "bruno": bruno, "member": member, "tier1": tier1}


def test_retries_then_tier_2_then_the_desk_line(live, france):
    live.fake.set_scenario(ANNE, Scenario("no_answer"))
    live.fake.set_scenario(BRUNO, Scenario("busy"))
    live.fake.set_scenario(DESK, Scenario("confirm"))
    campaign_id = start_campaign(live, ["FR"])

    first = live.tick()
    live.settle()
    too_early = live.tick()
    live.clock.advance(minutes=10)
    second = live.tick()
    live.settle()
    live.clock.advance(minutes=10)
    third = live.tick()
    live.settle()
    tier2 = live.tick()  # escalation does not wait
    live.settle()
    desk = live.tick()
    live.settle()
    after = live.tick()

    assert [len(r.placed) for r in (first, too_early, second, third, tier2, desk, after)] == [
        1,
        0,
        1,
        1,
        1,
        1,
        0,
    ]
    assert path(live, campaign_id) == [
        ("person", 1, ANNE, "no-answer", None),
        ("person", 1, ANNE, "no-answer", None),
        ("person", 1, ANNE, "no-answer", None),
        ("person", 2, BRUNO, "busy", None),
        ("desk", None, DESK, "confirmed", None),
    ]
    body = report(live, campaign_id, france["member"]).json
    [item] = body["items"]
    assert item["outcome"] == "confirmed" and item["state"] == "done"
    assert item["reached"] == {"person_id": None, "full_name": None, "target": "desk"}
    assert item["phone"] == DESK and item["attempts"] == 5
    steps = item["path"]
    gap = datetime.fromisoformat(steps[1]["placed_at"]) - datetime.fromisoformat(
        steps[0]["ended_at"]
    )
    assert gap >= timedelta(minutes=10)
    assert body["totals"]["reached"] == 1 and body["totals"]["reach_rate"] == 1.0
    assert body["totals"]["attempts"] == 5
    assert body["campaign"]["status"] == "done"
    rows = list(
        csv.reader(io.StringIO(report(live, campaign_id, france["member"], "text/csv").text))
    )
    # A leading + is neutralised for spreadsheets (the cell stays text: no formula).
    assert rows[1][:5] == ["FR", "France", "confirmed", "desk line", "'" + DESK]
    assert rows[1][-1] == (
        "tier 1 no-answer; tier 1 no-answer; tier 1 no-answer; tier 2 busy; desk confirmed"
    )
    assert rows[-1][2] == "reach rate 100.0%"
    desk_call = live.fake.last_call(DESK)
    assert live.fake.spoken(desk_call["sid"])[0][1] == "fr-FR"  # France's official language


def test_gap_in_tier_1_is_not_tested_and_escalates_at_once(live, france):
    with live.context():  # tier 1 loses its rotation: nobody is on duty
        db.session.execute(
            sa.delete(RotationRecord).where(RotationRecord.rota_id == france["tier1"])
        )
    live.fake.set_scenario(BRUNO, Scenario("confirm"))
    campaign_id = start_campaign(live, ["FR"])

    result = live.app.test_cli_runner().invoke(args=["reachability", "tick"])
    live.settle()

    assert result.exit_code == 0, result.output
    assert "steps 1, placed 1" in result.output
    [gap, reached] = path(live, campaign_id)
    assert gap[:4] == ("person", 1, None, "not-tested")
    assert gap[4].startswith("gap in the tier-1 rota at 2026-") and gap[4].endswith("Europe/Paris")
    assert reached == ("person", 2, BRUNO, "confirmed", None)
    bruno = live.client().get(f"/api/v1/people/{france['bruno']}", headers=france["member"]).json
    assert bruno["last_confirmed_at"] is not None
    history = live.client().get("/api/v1/parties/FR/reachability", headers=france["member"]).json
    assert history["last_confirmed_at"] == bruno["last_confirmed_at"]
    assert [c["outcome"] for c in history["campaigns"]] == ["confirmed"]
    assert [c["outcome"] for c in history["test_calls"]] == ["confirmed", "not-tested"]


def test_voicemail_everywhere_is_not_reached(live, france):
    live.app.config["REACH_RETRIES"] = 1
    with live.context():
        silent = add_party("DE", "Germany", tz="Europe/Berlin", desk=None)
        nobody = add_person(silent, "Nina Ohnetelefon", None, languages=("de",))
        add_rota(silent, 1, [nobody])
    live.fake.set_scenario(ANNE, Scenario("voicemail"))
    live.fake.set_scenario(BRUNO, Scenario("voicemail"))
    live.fake.set_scenario(DESK, Scenario("no_answer"))
    campaign_id = start_campaign(live, ["FR", "DE"])

    live.tick()
    live.settle()
    live.clock.advance(minutes=10)
    live.tick()
    live.settle()
    live.tick()
    live.settle()
    live.tick()
    live.settle()

    assert [step[3] for step in path(live, campaign_id)] == [
        "voicemail",
        "voicemail",
        "voicemail",
        "no-answer",
    ]
    assert path(live, campaign_id, "DE") == [
        ("person", 1, None, "not-tested", "Nina Ohnetelefon (tier 1) has no phone number"),
        ("person", 2, None, "not-tested", "no tier-2 rota"),
        ("desk", None, None, "not-tested", "no desk line: the contact point has no desk phone"),
    ]
    body = report(live, campaign_id, france["member"]).json
    outcomes = {item["party"]: (item["outcome"], item["reached"]) for item in body["items"]}
    assert outcomes == {"DE": ("not-tested", None), "FR": ("voicemail", None)}
    assert body["totals"]["reached"] == 0 and body["totals"]["reach_rate"] == 0
    assert body["totals"]["outcomes"]["voicemail"] == 1
    assert body["totals"]["outcomes"]["not-tested"] == 1
    progress = live.client().get(f"{CAMPAIGNS}/{campaign_id}", headers=france["member"]).json
    assert progress["status"] == "done" and progress["progress"]["done"] == 2


def test_invalid_number_escalates_without_retrying(live, france):
    live.fake.set_scenario(ANNE, Scenario("invalid_number"))
    live.fake.set_scenario(BRUNO, Scenario("confirm"))
    campaign_id = start_campaign(live, ["FR"])

    live.tick()
    live.settle()
    live.tick()
    live.settle()

    assert path(live, campaign_id) == [
        ("person", 1, ANNE, "failed", f"The 'To' number {ANNE} is not a valid phone number."),
        ("person", 2, BRUNO, "confirmed", None),
    ]


def test_never_more_calls_in_a_second_than_calls_per_second(live):
    with live.context():
        for index, iso2 in enumerate(("AT", "BE", "CY", "DK", "EE")):
            party = add_party(iso2, iso2, desk=None)
            party.allowed_calling_codes = [33]  # French mobiles: allowed by the secretariat
            person = add_person(party, f"Person {iso2}", f"+3361234570{index}")
            add_rota(party, 1, [person])
    campaign_id = start_campaign(live, ["AT", "BE", "CY", "DK", "EE"])  # all due at once
    live.app.config["CALLS_PER_SECOND"] = 2
    live.clock.freeze()

    placed = []
    for _second in range(3):
        first, second = live.tick(), live.tick()
        placed.append((len(first.placed), first.throttled, len(second.placed), second.throttled))
        live.clock.advance(seconds=1)
    live.clock.reset()
    live.settle()

    assert placed == [(2, True, 0, True), (2, True, 0, True), (1, False, 0, False)]
    with live.app.app_context():
        claimed = db.session.scalars(
            sa.select(Attempt.claimed_at).where(Attempt.claimed_at.is_not(None))
        ).all()
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.status == "done"
    seconds = sorted(int(at.timestamp()) for at in claimed)
    assert [seconds.count(s) for s in sorted(set(seconds))] == [2, 2, 1]
    assert len(live.fake.calls) == 5


def test_a_worker_that_died_after_asking_twilio_is_recovered_without_calling_again(live, france):
    live.fake.set_scenario(ANNE, Scenario("confirm"))
    campaign_id = start_campaign(live, ["FR"])
    hold = live.fake.hold_creates()
    dying = threading.Thread(target=live.tick, kwargs={"name": "worker-a"})
    dying.start()
    [sid] = hold.wait_created()
    assert live.attempts()[0]["state"] == "dialing"  # committed before Twilio was asked

    restarted = live.tick(name="worker-a", startup=True)  # "worker-a" comes back
    recovered = live.attempts()[0]
    hold.release()
    dying.join(10)
    live.settle()

    assert restarted.recovered == 1 and restarted.placed == []
    assert recovered["state"] == "placed" and recovered["twilio_sid"] == sid
    assert [call["sid"] for call in live.fake.calls] == [sid]
    listed = [r for r in live.fake.api_requests if r["method"] == "GET" and r["query"].get("To")]
    assert listed and listed[0]["query"]["To"] == [ANNE]
    assert path(live, campaign_id)[0][3] == "confirmed"


def test_a_claim_twilio_never_saw_is_placed_again_once_stale(live, france):
    live.fake.set_scenario(ANNE, Scenario("confirm"))
    start_campaign(live, ["FR"])
    with live.app.app_context():
        dead = Dialer.for_app(live.app.config, live.clock, "dead-worker")
        report = TickReport()
        dead.take_due_steps(report, lambda: False)
        [attempt_id] = db.session.scalars(sa.select(Attempt.id)).all()
        assert dead.claim(live.clock()) == ("claimed", attempt_id)  # …and dies before placing
    assert report.steps == 1

    early = live.tick(name="other")
    live.clock.advance(seconds=61)
    late = live.tick(name="other")
    live.settle()

    assert early.requeued == 0 and early.placed == []
    assert late.requeued == 1 and late.placed == [attempt_id]
    assert len(live.fake.calls) == 1
    assert live.attempt(attempt_id)["outcome"] == "confirmed"


def test_lost_callbacks_are_settled_by_asking_twilio(live, france):
    live.fake.set_scenario(ANNE, Scenario("answer_silent"))
    public = live.app.config["PUBLIC_BASE_URL"]
    live.app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:9"  # the app is unreachable
    campaign_id = start_campaign(live, ["FR"])

    live.tick()
    live.settle()
    live.app.config["PUBLIC_BASE_URL"] = public
    stuck = path(live, campaign_id)
    live.clock.advance(minutes=16)
    polled = live.tick()

    assert stuck == [("person", 1, ANNE, None, None)]
    assert polled.polled == 1
    assert path(live, campaign_id)[0][3:] == ("answered", "answered without pressing 1")
