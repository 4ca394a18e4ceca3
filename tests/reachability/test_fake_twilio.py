"""The fake Twilio and TwilioCallPlacer together, over HTTP, without the Flask app.

The real twilio client (inside TwilioCallPlacer) talks to FakeTwilio; the fake plays calls
against a tiny receiver standing in for the service, which serves TwiML and records callbacks,
checking their signatures with reachability.signature.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from reachability.placer import CallRequest, TelephonyError, TwilioCallPlacer
from reachability.signature import compute_signature, is_valid_signature
from tests.fakes.fake_twilio import FakeTwilio, Scenario, twilio_signature

FROM = "+33100000000"
PROMPT = (
    '<Response><Gather numDigits="1" action="/gather">'
    '<Say language="fr-FR">Appuyez sur 1</Say></Gather><Say>Goodbye</Say></Response>'
)


class Receiver:
    """Stands in for the service: serves TwiML, records every request and its signature."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.requests: list[dict[str, Any]] = []
        self.status_code = 200  # what /status answers
        self.status_delay_s = 0.0
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        form = request.form.to_dict()
        entry = {
            "path": request.path,
            "form": form,
            "valid": is_valid_signature(
                self.tokens,
                request.url,
                request.form,
                request.headers.get("X-Twilio-Signature", ""),
            ),
            "idempotency": request.headers.get("I-Twilio-Idempotency-Token"),
        }
        with self._lock:
            self.requests.append(entry)
        if request.path == "/twiml":
            body = PROMPT
        elif request.path == "/gather":
            said = "Merci" if form.get("Digits") == "1" else "Touche invalide"
            body = f'<Response><Say language="fr-FR">{said}</Say><Hangup/></Response>'
        elif request.path == "/status":
            # An event's timed wait, not time.sleep: the latter fails under faketime.
            threading.Event().wait(self.status_delay_s)
            return Response("", status=self.status_code)(environ, start_response)
        else:
            return Response("not found", status=404)(environ, start_response)
        return Response(body, mimetype="text/xml")(environ, start_response)

    def of(self, sid: str, path: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r["form"].get("CallSid") == sid and (path is None or r["path"] == path)
            ]


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(webhook_timeout_s=1.0) as fake:
        yield fake


@pytest.fixture
def receiver(fake: FakeTwilio) -> Iterator[Receiver]:
    with Receiver([fake.auth_token]) as receiver:
        yield receiver


@pytest.fixture
def placer(fake: FakeTwilio) -> TwilioCallPlacer:
    return TwilioCallPlacer(fake.account_sid, fake.auth_token, api_base_url=fake.base_url)


def request_for(receiver: Receiver, to: str, **kwargs: Any) -> CallRequest:
    return CallRequest(
        to=to,
        from_=FROM,
        twiml_url=f"{receiver.base_url}/twiml",
        status_callback=f"{receiver.base_url}/status",
        **kwargs,
    )


def test_confirm_plays_the_whole_call(fake, receiver, placer):
    to = "+33611111111"
    fake.set_scenario(to, Scenario("confirm"))

    placed = placer.place(request_for(receiver, to))

    assert placed.sid.startswith("CA") and len(placed.sid) == 34
    assert placed.status == "queued"
    fake.wait_for(placed.sid, "completed")
    statuses = receiver.of(placed.sid, "/status")
    assert [r["form"]["CallStatus"] for r in statuses] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert [r["form"]["SequenceNumber"] for r in statuses] == ["0", "1", "2", "3"]
    assert all(r["valid"] for r in receiver.of(placed.sid))
    final = statuses[-1]["form"]
    assert final["CallbackSource"] == "call-progress-events"
    assert final["AnsweredBy"] == "human"
    assert int(final["CallDuration"]) >= 1
    assert final["AccountSid"] == fake.account_sid
    assert final["To"] == to and final["From"] == FROM
    assert final["Direction"] == "outbound-api"
    [voice] = receiver.of(placed.sid, "/twiml")
    assert voice["form"]["CallStatus"] == "in-progress"
    assert voice["form"]["AnsweredBy"] == "human"
    [gather] = receiver.of(placed.sid, "/gather")
    assert gather["form"]["Digits"] == "1"
    assert fake.digits(placed.sid) == ["1"]
    assert fake.spoken(placed.sid) == [("Appuyez sur 1", "fr-FR"), ("Merci", "fr-FR")]
    assert fake.statuses(placed.sid) == ["initiated", "ringing", "in-progress", "completed"]
    params = fake.call(placed.sid)["params"]
    assert params["MachineDetection"] == "Enable"
    assert params["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert params["Method"] == "POST" and params["StatusCallbackMethod"] == "POST"
    assert params["Timeout"] == "30"
    assert fake.errors(placed.sid) == []

    remote = placer.fetch(placed.sid)
    assert remote.sid == placed.sid and remote.to == to
    assert remote.status == "completed"
    assert remote.answered_by == "human"
    assert remote.start_time is not None and remote.start_time.tzinfo is not None


def test_silent_answer_times_out_and_goes_on_after_gather(fake, receiver, placer):
    to = "+33622222222"
    fake.set_scenario(to, Scenario("answer_silent"))

    sid = placer.place(request_for(receiver, to)).sid
    fake.wait_for(sid, "completed")

    assert receiver.of(sid, "/gather") == []
    assert fake.digits(sid) == []
    assert fake.spoken(sid) == [("Appuyez sur 1", "fr-FR"), ("Goodbye", None)]
    assert fake.statuses(sid)[-1] == "completed"


def test_press_other_digit(fake, receiver, placer):
    to = "+33633333333"
    fake.set_scenario(to, Scenario("press_other"))

    sid = placer.place(request_for(receiver, to)).sid
    fake.wait_for(sid, "completed")

    assert [r["form"]["Digits"] for r in receiver.of(sid, "/gather")] == ["2"]
    assert fake.spoken(sid)[-1] == ("Touche invalide", "fr-FR")


def test_voicemail_is_reported_as_machine(fake, receiver, placer):
    to = "+33644444444"
    fake.set_scenario(to, Scenario("voicemail"))

    sid = placer.place(request_for(receiver, to)).sid
    fake.wait_for(sid, "completed")

    [voice] = receiver.of(sid, "/twiml")
    assert voice["form"]["AnsweredBy"] == "machine_start"
    assert receiver.of(sid, "/gather") == []
    assert receiver.of(sid, "/status")[-1]["form"]["AnsweredBy"] == "machine_start"
    assert placer.fetch(sid).answered_by == "machine_start"


def test_without_machine_detection_no_answered_by(fake, receiver, placer):
    to = "+33655555555"
    sid = placer.place(request_for(receiver, to, machine_detection=False)).sid
    fake.wait_for(sid, "completed")

    assert "MachineDetection" not in fake.call(sid)["params"]
    assert all("AnsweredBy" not in r["form"] for r in receiver.of(sid))
    assert fake.digits(sid) == ["1"]  # the default scenario confirms


@pytest.mark.parametrize(
    ("kind", "statuses", "sip"),
    [
        ("no_answer", ["initiated", "ringing", "no-answer"], "487"),
        ("busy", ["initiated", "busy"], "486"),
        ("fail", ["initiated", "failed"], "503"),
    ],
)
def test_unanswered_outcomes(fake, receiver, placer, kind, statuses, sip):
    to = "+33666666666"
    fake.set_scenario(to, Scenario(kind))

    sid = placer.place(request_for(receiver, to)).sid
    fake.wait_for(sid, statuses[-1])

    received = receiver.of(sid, "/status")
    assert [r["form"]["CallStatus"] for r in received] == statuses
    assert received[-1]["form"]["SipResponseCode"] == sip
    assert received[-1]["form"]["CallDuration"] == "0"
    assert receiver.of(sid, "/twiml") == []
    assert fake.spoken(sid) == []
    assert placer.fetch(sid).status == statuses[-1]


def test_slow_answer_rings_then_confirms(fake, receiver, placer):
    to = "+33677777777"
    fake.set_scenario(to, Scenario("slow_answer", ring_s=0.2))

    started = time.monotonic()
    sid = placer.place(request_for(receiver, to)).sid
    fake.wait_for(sid, "in-progress")
    assert time.monotonic() - started >= 0.2
    fake.wait_for(sid, "completed")
    assert fake.digits(sid) == ["1"]


def test_held_call_stays_ringing_until_released(fake, receiver, placer):
    to = "+33688888888"
    release = threading.Event()
    fake.set_scenario(to, Scenario("confirm", release=release))

    sid = placer.place(request_for(receiver, to)).sid
    fake.wait_for(sid, "ringing")
    assert placer.fetch(sid).status == "ringing"
    release.set()
    fake.wait_for(sid, "completed")


def test_invalid_number_raises_21211_and_places_nothing(fake, receiver, placer):
    to = "+33699999999"
    fake.set_scenario(to, Scenario("invalid_number"))

    with pytest.raises(TelephonyError) as raised:
        placer.place(request_for(receiver, to))

    assert raised.value.code == 21211
    assert raised.value.status == 400
    assert raised.value.message == f"The 'To' number {to} is not a valid phone number."
    assert not raised.value.ambiguous
    assert fake.calls == []


def test_malformed_number_is_invalid_too(fake, receiver, placer):
    with pytest.raises(TelephonyError) as raised:
        placer.place(request_for(receiver, "+1555"))
    assert raised.value.code == 21211


def test_wrong_credentials_are_rejected(fake, receiver):
    placer = TwilioCallPlacer(fake.account_sid, "wrong-token", api_base_url=fake.base_url)

    with pytest.raises(TelephonyError) as raised:
        placer.place(request_for(receiver, "+33611111111"))

    assert raised.value.status == 401
    assert raised.value.code == 20003
    assert fake.calls == []


def test_unreachable_api_is_a_telephony_error(fake, receiver):
    base_url = fake.base_url
    fake.stop()
    placer = TwilioCallPlacer(fake.account_sid, fake.auth_token, api_base_url=base_url)

    with pytest.raises(TelephonyError) as raised:
        placer.place(request_for(receiver, "+33611111111"))

    assert raised.value.status is None
    assert not raised.value.ambiguous  # never connected: the call cannot exist


def test_fetch_unknown_call(placer):
    with pytest.raises(TelephonyError) as raised:
        placer.fetch("CA" + "0" * 32)
    assert raised.value.status == 404
    assert raised.value.code == 20404


def test_find_calls_by_number_and_creation_time(fake, receiver, placer):
    to, other = "+33612121212", "+33634343434"
    before = fake.clock() - timedelta(seconds=1)
    first = placer.place(request_for(receiver, to)).sid
    second = placer.place(request_for(receiver, to)).sid
    placer.place(request_for(receiver, other))
    fake.wait_idle()

    found = placer.find_calls(to, created_after=before)

    assert {call.sid for call in found} == {first, second}
    assert all(call.to == to for call in found)
    assert all(call.date_created is not None for call in found)
    assert placer.find_calls(to, created_after=fake.clock() + timedelta(hours=1)) == []
    with pytest.raises(ValueError, match="aware"):
        placer.find_calls(to, created_after=datetime(2024, 1, 1))  # noqa: DTZ001


def test_list_filters_and_pages_like_twilio(fake, receiver, placer):
    to = "+33656565656"
    sids = [placer.place(request_for(receiver, to)).sid for _ in range(3)]
    fake.wait_idle()
    client = Client(fake.account_sid, fake.auth_token, http_client=TwilioHttpClient(timeout=5))
    client.api.base_url = fake.base_url

    listed = client.calls.list(to=to, page_size=2)  # follows next_page_uri
    today = client.calls.list(to=to, start_time_after=fake.clock() - timedelta(minutes=1))
    later = client.calls.list(to=to, start_time_after=fake.clock() + timedelta(minutes=1))

    assert [c.sid for c in listed] == list(reversed(sids))  # most recent first
    assert {c.sid for c in today} == set(sids)
    assert later == []
    list_requests = [
        r for r in fake.api_requests if r["method"] == "GET" and "Calls.json" in r["path"]
    ]
    assert any("StartTime>" in r["query"] for r in list_requests)


def test_json_shapes_are_twilios(fake, receiver, placer):
    to = "+33645454545"
    sid = placer.place(request_for(receiver, to)).sid
    fake.wait_for(sid, "completed")
    calls_url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Calls"

    fetched = requests.get(
        f"{calls_url}/{sid}.json", auth=(fake.account_sid, fake.auth_token), timeout=5
    ).json()
    listed = requests.get(
        f"{calls_url}.json", params={"To": to}, auth=(fake.account_sid, fake.auth_token), timeout=5
    ).json()
    denied = requests.get(f"{calls_url}.json", auth=(fake.account_sid, "nope"), timeout=5)

    assert fetched["sid"] == sid and fetched["account_sid"] == fake.account_sid
    assert fetched["to"] == to and fetched["from"] == FROM
    assert fetched["status"] == "completed" and fetched["direction"] == "outbound-api"
    assert fetched["date_created"].endswith("+0000")  # RFC 2822
    assert fetched["uri"] == f"/2010-04-01/Accounts/{fake.account_sid}/Calls/{sid}.json"
    assert int(fetched["duration"]) >= 1
    assert {"calls", "page", "page_size", "next_page_uri", "uri", "first_page_uri"} <= set(listed)
    assert [c["sid"] for c in listed["calls"]] == [sid]
    assert listed["next_page_uri"] is None
    assert denied.status_code == 401
    assert denied.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


def test_replayed_and_forged_callbacks(fake, receiver, placer):
    to = "+33678787878"
    sid = placer.place(request_for(receiver, to)).sid
    fake.wait_for(sid, "completed")
    original = receiver.of(sid, "/status")[-1]

    assert fake.replay_last_callback(sid) == 200
    replayed = receiver.of(sid, "/status")[-1]
    assert replayed["form"] == original["form"]
    assert replayed["valid"]
    assert replayed["idempotency"] == original["idempotency"]

    assert fake.send_forged_callback(sid, CallStatus="no-answer") == 200
    forged = receiver.of(sid, "/status")[-1]
    assert forged["form"]["CallStatus"] == "no-answer"
    assert not forged["valid"]
    assert fake.send_forged_callback(sid, signature="") == 200
    assert not receiver.of(sid, "/status")[-1]["valid"]

    crafted = {"CallSid": sid, "CallStatus": "ringing", "AccountSid": fake.account_sid}
    assert fake.post_webhook(f"{receiver.base_url}/status", crafted).status_code == 200
    assert receiver.of(sid, "/status")[-1]["valid"]


def test_failing_or_slow_service_does_not_break_the_fake(fake, receiver, placer):
    receiver.status_code = 500
    receiver.status_delay_s = 0.05
    sid = placer.place(request_for(receiver, "+33690909090")).sid

    fake.wait_for(sid, "completed")

    assert [c["status_code"] for c in fake.callbacks(sid)] == [500] * 4
    assert any("status webhook" in error for error in fake.errors(sid))
    assert fake.digits(sid) == ["1"]  # TwiML still played


def test_broken_twiml_url_is_an_application_error(fake, receiver, placer):
    request = CallRequest(
        to="+33612345678",
        from_=FROM,
        twiml_url=f"{receiver.base_url}/missing",
        status_callback=f"{receiver.base_url}/status",
    )
    sid = placer.place(request).sid

    fake.wait_for(sid, "completed")

    assert fake.transcript(sid)[-1]["verb"] == "ApplicationError"
    assert fake.spoken(sid) == []


def test_signature_helpers_match_twilio_and_accept_rotated_tokens():
    url = "https://example.org/reachability/status?x=1"
    params = {"CallSid": "CA" + "1" * 32, "CallStatus": "completed", "Digits": "1"}
    signature = compute_signature("new-token", url, params)

    assert signature == twilio_signature("new-token", url, params)
    assert is_valid_signature(["old-token", "new-token"], url, params, signature)
    assert is_valid_signature("new-token", url, params, signature)  # type: ignore[arg-type]
    assert not is_valid_signature(["old-token"], url, params, signature)
    assert not is_valid_signature(["new-token"], url, {**params, "Digits": "2"}, signature)
    assert not is_valid_signature(["new-token"], url + "&y=2", params, signature)
    assert not is_valid_signature(["new-token", ""], url, params, "")
    assert not is_valid_signature([], url, params, signature)
