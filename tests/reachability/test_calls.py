"""Test calls on demand, end to end: the real `twilio` client → the fake Twilio → signed
callbacks to the app served over HTTP. Every outcome, the message's language, the rate limit,
and webhooks that are forged, unsigned, replayed, out of order or signed with a rotated token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from common.db import db
from directory.models import Person, Phone
from reachability import voice
from tests.conftest import make_user
from tests.fakes.fake_twilio import Scenario, twilio_signature
from tests.reachability.conftest import FROM, Live, add_party, add_person

pytestmark = pytest.mark.own_app

ANNE = "+33612345601"  # speaks French first
BALAZS = "+33612345602"  # Hungarian and English: hears English
DIETER = "+33612345603"  # German only
CALLS = "/api/v1/reachability/test-calls"


@dataclass
class World:
    anne: int
    balazs: int
    dieter: int
    secretariat: dict[str, str]
    admin: dict[str, str]  # party_admin of FR


@pytest.fixture
def world(live: Live) -> World:
    with live.context():
        france = add_party("FR", "France")
        world = World(
            anne=add_person(france, "Anne Martin", ANNE, languages=("fr", "en")),
            balazs=add_person(france, "Balázs Kovács", BALAZS, languages=("hu", "en")),
            dieter=add_person(france, "Dieter Braun", DIETER, languages=("de",)),
            secretariat=make_user("secretariat")[1],
            admin=make_user("party_admin", france)[1],
        )
    return world


def request_call(live: Live, headers: dict[str, str], person_id: int, phone: str | None = None):
    body: dict = {"person_id": person_id}
    if phone:
        body["phone"] = phone
    return live.client().post(CALLS, json=body, headers=headers)


def placed_call(live: Live, world: World, person_id: int, scenario: Scenario, number: str):
    """Request a test call, let the fake play it to the end; (first answer, final attempt)."""
    live.fake.set_scenario(number, scenario)
    resp = request_call(live, world.admin, person_id)
    assert resp.status_code == 201, resp.json
    live.settle()
    final = live.client().get(resp.headers["Location"], headers=world.admin)
    assert final.status_code == 200
    return resp.json, final.json


def test_confirmed_call_records_times_and_moves_last_confirmed(live, world):
    first, done = placed_call(live, world, world.anne, Scenario("confirm"), ANNE)

    assert first["state"] == "placed" and first["kind"] == "on_demand"
    assert first["phone"] == ANNE and first["person"]["id"] == world.anne
    assert first["twilio_sid"].startswith("CA")
    assert done["state"] == "done" and done["outcome"] == "confirmed"
    assert done["answered_by"] == "human" and done["call_status"] == "completed"
    assert done["answered_at"] <= done["confirmed_at"] <= done["ended_at"]
    assert 0 <= done["seconds_to_answer"] <= done["seconds_to_confirm"]
    assert done["duration_s"] >= 1 and done["error"] is None
    person = live.client().get(f"/api/v1/people/{world.anne}", headers=world.admin).json
    assert person["last_confirmed_at"] == done["confirmed_at"]
    call = live.fake.call(done["twilio_sid"])
    params = call["params"]
    assert params["From"] == FROM and params["To"] == ANNE
    assert params["Url"] == f"{live.base_url}/twilio/voice/{done['id']}"
    assert params["StatusCallback"] == f"{live.base_url}/twilio/status/{done['id']}"
    assert params["MachineDetection"] == "Enable"
    assert live.fake.digits(done["twilio_sid"]) == ["1"]
    assert live.fake.errors(done["twilio_sid"]) == []


def test_french_speaker_hears_french_with_a_french_voice(live, world):
    _, done = placed_call(live, world, world.anne, Scenario("confirm"), ANNE)

    spoken = live.fake.spoken(done["twilio_sid"])
    assert done["language"] == "fr"
    assert spoken == [
        (voice.text("fr", voice.INTRO), "fr-FR"),
        (voice.text("fr", voice.PROMPT), "fr-FR"),
        (voice.text("fr", voice.THANKS), "fr-FR"),
    ]
    assert "Réseau 24/7 de la Convention de Budapest" in spoken[0][0]
    assert "appuyer sur 1" in spoken[1][0]
    assert spoken[0][0] != voice.INTRO  # really translated


@pytest.mark.parametrize(
    ("person", "number", "language", "say"),
    [("balazs", BALAZS, "en", "en-GB"), ("dieter", DIETER, "de", "de-DE")],
)
def test_language_is_the_first_the_message_exists_in(live, world, person, number, language, say):
    _, done = placed_call(live, world, getattr(world, person), Scenario("confirm"), number)

    spoken = live.fake.spoken(done["twilio_sid"])
    assert done["language"] == language
    assert spoken[0] == (voice.text(language, voice.INTRO), say)
    assert {lang for _, lang in spoken} == {say}


def test_silent_answer_is_answered_not_confirmed_after_asking_twice(live, world):
    _, done = placed_call(live, world, world.anne, Scenario("answer_silent"), ANNE)

    assert done["outcome"] == "answered" and done["answered_by"] == "human"
    assert done["confirmed_at"] is None and done["seconds_to_confirm"] is None
    assert done["seconds_to_answer"] is not None
    intro, prompt, bye = (voice.text("fr", m) for m in (voice.INTRO, voice.PROMPT, voice.GOODBYE))
    assert [text for text, _ in live.fake.spoken(done["twilio_sid"])] == [
        intro,
        prompt,
        intro,
        prompt,
        bye,
    ]
    person = live.client().get(f"/api/v1/people/{world.anne}", headers=world.admin).json
    assert person["last_confirmed_at"] is None


def test_another_key_is_asked_again_once(live, world):
    _, done = placed_call(live, world, world.balazs, Scenario("press_other"), BALAZS)

    assert done["outcome"] == "answered"
    sid = done["twilio_sid"]
    gathers = [w["url"] for w in live.fake.webhooks(sid) if w["kind"] == "gather"]
    assert gathers == [f"{live.base_url}/twilio/gather/{done['id']}"]
    texts = [text for text, _ in live.fake.spoken(sid)]
    assert texts[2:] == [voice.WRONG_KEY, voice.PROMPT, voice.GOODBYE]
    again = [t for t in live.fake.transcript(sid) if t["verb"] == "Gather"]
    assert again[-1]["action"] == f"{live.base_url}/twilio/gather/{done['id']}?again=1"


def test_voicemail_is_not_reached(live, world):
    _, done = placed_call(live, world, world.anne, Scenario("voicemail"), ANNE)

    assert done["outcome"] == "voicemail"
    assert done["answered_by"] == "machine_start"
    assert done["reason"] == "answered by machine_start"
    assert live.fake.spoken(done["twilio_sid"]) == []  # no message left on a machine


@pytest.mark.parametrize(
    ("kind", "outcome", "reason"),
    [
        ("no_answer", "no-answer", None),
        ("busy", "busy", None),
        ("fail", "failed", "the call failed (SIP 503)"),
    ],
)
def test_unanswered_outcomes(live, world, kind, outcome, reason):
    _, done = placed_call(live, world, world.anne, Scenario(kind), ANNE)

    assert done["outcome"] == outcome
    assert done["reason"] == reason
    assert done["answered_at"] is None and done["seconds_to_answer"] is None
    assert done["ended_at"] is not None and done["duration_s"] == 0


def test_failure_keeps_twilios_error_code_and_message(live, world):
    scenario = Scenario("fail", error_code=32009, error_message="Carrier rejected the call")
    _, done = placed_call(live, world, world.anne, scenario, ANNE)

    assert done["outcome"] == "failed"
    assert done["error"] == {"code": 32009, "message": "Carrier rejected the call"}


def test_invalid_number_fails_at_once_with_21211(live, world):
    live.fake.set_scenario(ANNE, Scenario("invalid_number"))

    resp = request_call(live, world.secretariat, world.anne)

    assert resp.status_code == 201
    body = resp.json
    assert body["state"] == "done" and body["outcome"] == "failed"
    assert body["error"] == {
        "code": 21211,
        "message": f"The 'To' number {ANNE} is not a valid phone number.",
    }
    assert body["twilio_sid"] is None
    assert live.fake.calls == []


def test_slow_answer_measures_the_ringing(live, world):
    _, done = placed_call(live, world, world.anne, Scenario("slow_answer", ring_s=0.4), ANNE)

    assert done["outcome"] == "confirmed"
    assert done["seconds_to_answer"] >= 0.4
    assert done["seconds_to_confirm"] > done["seconds_to_answer"]


def test_another_number_of_the_person(live, world):
    with live.context():
        person = db.session.get(Person, world.anne)
        person.phones.append(Phone(e164="+33145678901", kind="fixed_line", position=1))

    resp = request_call(live, world.admin, world.anne, phone="01 45 67 89 01")

    assert resp.status_code == 201, resp.json
    assert resp.json["phone"] == "+33145678901"
    assert live.fake.last_call()["to"] == "+33145678901"


def test_one_call_per_number_every_ten_minutes(live, world):
    assert request_call(live, world.admin, world.anne).status_code == 201
    live.settle()

    again = request_call(live, world.secretariat, world.anne)
    live.clock.advance(minutes=9, seconds=55)
    later = request_call(live, world.admin, world.anne)
    live.clock.advance(seconds=5)
    allowed = request_call(live, world.admin, world.anne)

    assert again.status_code == 429
    assert again.mimetype == "application/problem+json"
    assert 595 <= int(again.headers["Retry-After"]) <= 600
    assert again.json["retry_after"] == int(again.headers["Retry-After"])
    assert later.status_code == 429 and 1 <= int(later.headers["Retry-After"]) <= 5
    assert allowed.status_code == 201, allowed.json
    assert len(live.attempts()) == 2  # refused requests record nothing
    assert request_call(live, world.admin, world.balazs).status_code == 201  # another number


# --- webhooks --------------------------------------------------------------------------------


def snapshot(live: Live, attempt_id: int) -> dict:
    return live.attempt(attempt_id)


def test_unsigned_and_forged_callbacks_are_refused_and_change_nothing(live, world):
    _, done = placed_call(live, world, world.anne, Scenario("confirm"), ANNE)
    sid, attempt_id = done["twilio_sid"], done["id"]
    before = snapshot(live, attempt_id)

    forged = live.fake.send_forged_callback(sid, CallStatus="no-answer", SequenceNumber="99")
    unsigned = live.fake.send_forged_callback(sid, signature="", CallStatus="busy")
    params = {"CallSid": sid, "Digits": "1", "AccountSid": live.fake.account_sid}
    voice_forged = live.client().post(
        f"/twilio/voice/{attempt_id}", data=params, headers={"X-Twilio-Signature": "bm9wZQ=="}
    )

    assert forged == 403 and unsigned == 403
    assert voice_forged.status_code == 403
    assert voice_forged.mimetype == "application/problem+json"
    assert "<Response>" not in voice_forged.get_data(as_text=True)
    assert snapshot(live, attempt_id) == before


def test_replayed_and_late_callbacks_change_nothing(live, world):
    _, done = placed_call(live, world, world.anne, Scenario("confirm"), ANNE)
    sid, attempt_id = done["twilio_sid"], done["id"]
    before = snapshot(live, attempt_id)
    status_url = f"{live.base_url}/twilio/status/{attempt_id}"
    gather = [w for w in live.fake.webhooks(sid) if w["kind"] == "gather"][-1]
    common = {"CallSid": sid, "AccountSid": live.fake.account_sid, "To": ANNE, "From": FROM}

    replayed = live.fake.replay_last_callback(sid)
    late_ringing = live.fake.post_webhook(
        status_url, {**common, "CallStatus": "ringing", "SequenceNumber": "1"}
    )
    duplicate_end = live.fake.post_webhook(
        status_url,
        {**common, "CallStatus": "no-answer", "SequenceNumber": "3", "CallDuration": "0"},
    )
    gather_again = live.fake.post_webhook(gather["url"], gather["params"])

    assert replayed == 204
    assert late_ringing.status_code == 204 and duplicate_end.status_code == 204
    assert gather_again.status_code == 200
    assert snapshot(live, attempt_id) == before


def test_out_of_order_final_status_wins_over_late_progress(live, world):
    """A final callback overtaking the earlier ones: the late ones are ignored."""
    live.fake.set_scenario(ANNE, Scenario("no_answer", ring_s=1.0))
    first = request_call(live, world.admin, world.anne).json
    status_url = f"{live.base_url}/twilio/status/{first['id']}"
    common = {"CallSid": first["twilio_sid"], "AccountSid": live.fake.account_sid}

    end = live.fake.post_webhook(
        status_url, {**common, "CallStatus": "busy", "SequenceNumber": "9", "CallDuration": "0"}
    )
    settled = snapshot(live, first["id"])
    live.settle()

    assert end.status_code == 204
    assert settled["outcome"] == "busy" and settled["call_status"] == "busy"
    assert snapshot(live, first["id"]) == settled  # the fake's own (older) callbacks came late


def test_late_progress_never_moves_a_call_backwards(live, world):
    live.fake.set_scenario(ANNE, Scenario("confirm", answer_delay_s=1.0))
    first = request_call(live, world.admin, world.anne).json
    sid = first["twilio_sid"]
    live.fake.wait_for(sid, "in-progress")
    status_url = f"{live.base_url}/twilio/status/{first['id']}"
    common = {"CallSid": sid, "AccountSid": live.fake.account_sid}

    late = live.fake.post_webhook(
        status_url, {**common, "CallStatus": "ringing", "SequenceNumber": "1"}
    )
    during = snapshot(live, first["id"])
    live.settle()

    assert late.status_code == 204
    assert during["call_status"] == "in-progress"
    assert snapshot(live, first["id"])["outcome"] == "confirmed"


def test_signature_is_over_the_public_url_behind_a_proxy(live, world):
    _, done = placed_call(live, world, world.anne, Scenario("busy"), ANNE)
    attempt_id = done["id"]
    live.app.config["PUBLIC_BASE_URL"] = "https://art35.example.org"
    params = {
        "CallSid": done["twilio_sid"],
        "AccountSid": live.fake.account_sid,
        "CallStatus": "completed",
        "SequenceNumber": "50",
        "CallDuration": "4",
    }
    token = live.fake.auth_token
    public = f"https://art35.example.org/twilio/status/{attempt_id}"
    internal = f"http://localhost/twilio/status/{attempt_id}"
    client = live.client()

    as_seen_inside = client.post(
        f"/twilio/status/{attempt_id}",
        data=params,
        headers={"X-Twilio-Signature": twilio_signature(token, internal, params)},
    )
    as_twilio_signs = client.post(
        f"/twilio/status/{attempt_id}",
        data=params,
        headers={"X-Twilio-Signature": twilio_signature(token, public, params)},
    )

    assert as_seen_inside.status_code == 403
    assert as_twilio_signs.status_code == 204
    after = snapshot(live, attempt_id)
    assert after["outcome"] == "busy"  # already final: only the end of the call is news
    assert after["duration_s"] == 0


def test_secondary_token_accepted_during_rotation(live, world):
    old, new = live.fake.auth_token, "rotated-" + live.fake.auth_token[:8]
    live.app.config.update(TWILIO_AUTH_TOKEN=new, TWILIO_AUTH_TOKEN_SECONDARY=old)
    live.fake.secondary_auth_token = new  # Twilio accepts both for REST calls meanwhile

    _, signed_old = placed_call(live, world, world.anne, Scenario("confirm"), ANNE)
    live.fake.auth_token = new  # Twilio now signs with the new token
    _, signed_new = placed_call(live, world, world.balazs, Scenario("confirm"), BALAZS)
    live.fake.auth_token = "neither-" + old[:8]  # signs with a token the app does not know
    live.fake.set_scenario(DIETER, Scenario("confirm"))
    refused = request_call(live, world.admin, world.dieter).json
    live.settle()

    assert signed_old["outcome"] == "confirmed"
    assert signed_new["outcome"] == "confirmed"
    codes = {w["status_code"] for w in live.fake.webhooks(refused["twilio_sid"])}
    assert codes == {403}
    assert snapshot(live, refused["id"])["state"] == "placed"


def test_callback_for_an_unknown_attempt_is_404(live, world):
    url = f"{live.base_url}/twilio/status/999999"
    resp = live.fake.post_webhook(url, {"CallSid": "CA" + "0" * 32, "CallStatus": "completed"})
    assert resp.status_code == 404


def test_answered_by_is_recorded_as_twilio_says(live, world):
    _, done = placed_call(live, world, world.anne, Scenario("confirm"), ANNE)
    voice_hook = [w for w in live.fake.webhooks(done["twilio_sid"]) if w["kind"] == "voice"]
    assert voice_hook[0]["params"]["AnsweredBy"] == "human"
    assert datetime.fromisoformat(done["answered_at"]).tzinfo is not None
