"""A fake Twilio for tests, in the spirit of GoAlert's mock Twilio.

A real HTTP server on 127.0.0.1 (free port, background thread) that speaks enough of Twilio's
REST API for the real `twilio.rest.Client` (point it at `fake.base_url`):

- ``POST /2010-04-01/Accounts/{AccountSid}/Calls.json``  create a call (form-encoded)
- ``GET  /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json``  fetch
- ``GET  /2010-04-01/Accounts/{AccountSid}/Calls.json``  list, filters ``To``, ``From``,
  ``Status``, ``StartTime``/``StartTime<``/``StartTime>`` (what ``calls.list(start_time_after=)``
  sends), ``EndTime*``; most recent first; ``PageSize``/``Page`` with ``next_page_uri``.

Requests need HTTP Basic auth (account sid, auth token), else 401 with Twilio's error body.
Resources and errors have Twilio's JSON shapes.

After a create, a background thread plays the call as Twilio would, following the
`Scenario` set for the number: status callbacks (``initiated``, ``ringing``, ``in-progress``,
then ``completed``/``busy``/``no-answer``/``failed``) POSTed and signed with
``X-Twilio-Signature``; once answered it fetches the TwiML at ``Url``, records every ``<Say>``
(text, language, voice), "presses" the scenario's digits at each ``<Gather>`` by requesting its
``action``, or, when nothing is pressed, goes on with the verbs after the ``<Gather>`` (or posts
the action when ``actionOnEmptyResult="true"``), follows ``<Redirect>``, stops at ``<Hangup>``
or at the end of the document. The service being slow or failing is logged and recorded, never
fatal.

`hold_creates()` keeps created calls from playing and their create responses from leaving until
released: the call exists at "Twilio" (listed, fetchable) while the client has not learnt its SID,
so a test can kill the client at the worst moment.

Everything is recorded for assertions (`calls`, `spoken`, `statuses`, `callbacks`, `webhooks`,
`digits`, ...) and `wait_for` / `wait_idle` block on a Condition.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import re
import secrets
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import phonenumbers
import requests

from tests.fakes.clock import FlowingClock

log = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
KINDS = frozenset(
    {
        "confirm",  # answers (human), presses "1"
        "answer_silent",  # human answers, presses nothing: every <Gather> times out
        "voicemail",  # answering machine picks up (AnsweredBy machine_*), presses nothing
        "no_answer",  # rings, nobody answers: no-answer
        "busy",  # busy
        "invalid_number",  # create fails: 400, code 21211 (or error_code); no call
        "slow_answer",  # rings a while (ring_s, default 0.3 s), then confirms
        "press_other",  # human answers, presses "2"
        "fail",  # the call fails after initiated (SipResponseCode 503 unless set)
    }
)
TERMINAL = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_TWIML_DOCUMENTS = 20  # per call: guards against redirect loops
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_ROUTE = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Calls(?:/(?P<sid>[^/]+))?\.json$")
_DEFAULT_DIGITS = {"confirm": ("1",), "slow_answer": ("1",), "press_other": ("2",)}
_DEFAULT_SIP = {"completed": 200, "busy": 486, "no-answer": 487, "failed": 503}


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """X-Twilio-Signature as Twilio computes it: base64(HMAC-SHA1(token, url + sorted k+v))."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's date format, e.g. 'Sat, 24 Aug 2025 13:49:54 +0000'."""
    return None if moment is None else format_datetime(moment.astimezone(UTC))


def twilio_error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@dataclass(frozen=True)
class Scenario:
    """How the callee behaves. Times are real seconds, short by default so tests are fast."""

    kind: str = "confirm"
    ring_s: float | None = None  # ringing before the outcome; None: 0.3 for slow_answer, else 0.01
    answer_delay_s: float = 0.01  # callee's time at each <Gather> before pressing / timing out
    digits: tuple[str, ...] | None = None  # keys pressed at successive <Gather>s; "" = silence
    answered_by: str | None = None  # AMD result override (human, machine_start, fax, ...)
    sip_response_code: int | None = None  # on the final callback
    error_code: int | None = None  # invalid_number: create error code; fail: ErrorCode param
    error_message: str | None = None
    release: threading.Event | None = None  # if given, keeps ringing until it is set

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown scenario kind {self.kind!r}; one of {sorted(KINDS)}")

    @property
    def effective_ring_s(self) -> float:
        if self.ring_s is not None:
            return self.ring_s
        return 0.3 if self.kind == "slow_answer" else 0.01

    @property
    def effective_digits(self) -> tuple[str, ...]:
        if self.digits is not None:
            return self.digits
        return _DEFAULT_DIGITS.get(self.kind, ())


class CreateHold:
    """Holds `Calls.json` creates: each call is created (listed, fetchable) but neither played
    nor answered to the client until `release()`, like a Twilio whose response is lost. A
    client killed meanwhile never learns the SID of the call Twilio made."""

    def __init__(self, fake: FakeTwilio, timeout_s: float) -> None:
        self._fake = fake
        self._cond = threading.Condition()
        self._released = threading.Event()
        self.timeout_s = timeout_s
        self.sids: list[str] = []

    def _hold(self, sid: str) -> None:
        with self._cond:
            self.sids.append(sid)
            self._cond.notify_all()
        self._released.wait(self.timeout_s)

    def wait_created(self, count: int = 1, timeout: float = 10.0) -> list[str]:
        """Wait until `count` calls are created and held; their SIDs."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.sids) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self.sids)} of {count} held creates in {timeout}s")
                self._cond.wait(remaining)
            return list(self.sids)

    def release(self) -> None:
        """Answer the held creates and play their calls; later creates are not held."""
        self._fake._release_hold(self)
        self._released.set()


class _Stopped(Exception):  # noqa: N818 -- a signal, not an error
    """The fake is stopping: abandon the call."""


@dataclass
class _Call:
    sid: str
    account_sid: str
    to: str
    from_: str
    params: dict[str, list[str]]
    scenario: Scenario
    date_created: datetime
    seq: int
    events: frozenset[str]
    status: str = "queued"
    date_updated: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    answered_at: datetime | None = None
    duration: int | None = None
    answered_by: str | None = None
    sequence_number: int = 0
    inputs_used: int = 0
    done: bool = False
    reached: list[str] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    digits: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.params.get(name)
        return values[-1] if values else default

    @property
    def amd(self) -> str | None:
        return self.param("MachineDetection") or None

    def resource(self, phone_number_sid: str) -> dict[str, Any]:
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}"
        return {
            "account_sid": self.account_sid,
            "annotation": None,
            "answered_by": self.answered_by,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated or self.date_created),
            "direction": "outbound-api",
            "duration": None if self.duration is None else str(self.duration),
            "end_time": rfc2822(self.end_time),
            "forwarded_from": None,
            "from": self.from_,
            "from_formatted": self.from_,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": phone_number_sid,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": self.sid,
            "start_time": rfc2822(self.start_time),
            "status": self.status,
            "subresource_uris": {
                name: f"{base}/{name}.json"
                for name in ("notifications", "recordings", "payments", "events", "siprec")
            },
            "to": self.to,
            "to_formatted": self.to,
            "trunk_sid": None,
            "uri": f"{base}.json",
        }


@dataclass
class _Document:
    root: ET.Element
    url: str


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeTwilio


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.fake._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.fake._handle(self, "POST")

    def do_DELETE(self) -> None:
        self.server.fake._handle(self, "DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("fake twilio: " + format, *args)


class FakeTwilio:
    """Fake Twilio REST API + call player. Use as a context manager or start()/stop()."""

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        *,
        default_scenario: Scenario | None = None,
        webhook_timeout_s: float = 5.0,
        clock: Callable[[], datetime] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        # Signs webhooks; may be reassigned to simulate an auth token rotation.
        self.auth_token = auth_token or secrets.token_hex(16)
        self.secondary_auth_token: str | None = None  # also accepted for REST auth
        self.default_scenario = default_scenario or Scenario("confirm")
        self.webhook_timeout_s = webhook_timeout_s
        self.phone_number_sid = "PN" + secrets.token_hex(16)
        # Never the machine's date: a clock flowing from a fixed instant unless one is given.
        self.clock: Callable[[], datetime] = clock or FlowingClock()
        self._clock = self.clock
        self._host = host
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._scenarios: dict[str, Scenario] = {}
        self._calls: dict[str, _Call] = {}
        self._threads: list[threading.Thread] = []
        self._api_requests: list[dict[str, Any]] = []
        self._seq = 0
        self._server: _Server | None = None
        self._server_thread: threading.Thread | None = None
        self._create_hold: CreateHold | None = None
        self.base_url = ""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeTwilio:
        server = _Server((self._host, 0), _Handler)
        server.fake = self
        self._server = server
        self.base_url = f"http://{self._host}:{server.server_address[1]}"
        self._stopping.clear()
        self._server_thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._server_thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._create_hold is not None:
            self._create_hold.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        deadline = time.monotonic() + 2.0
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._cond:
            self._cond.notify_all()

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ configuration

    def set_scenario(self, number: str, scenario: Scenario) -> None:
        with self._lock:
            self._scenarios[number] = scenario

    def scenario_for(self, number: str) -> Scenario:
        with self._lock:
            return self._scenarios.get(number, self.default_scenario)

    def hold_creates(self, timeout_s: float = 30.0) -> CreateHold:
        """From now on, hold every created call (see `CreateHold`) until `release()` (or
        `timeout_s`)."""
        hold = CreateHold(self, timeout_s)
        with self._lock:
            self._create_hold = hold
        return hold

    def _release_hold(self, hold: CreateHold) -> None:
        with self._lock:
            if self._create_hold is hold:
                self._create_hold = None

    def reset(self) -> None:
        """Forget calls, scenarios and recorded requests (calls still playing keep running)."""
        with self._lock:
            self._scenarios.clear()
            self._calls.clear()
            self._api_requests.clear()

    # ------------------------------------------------------------------ assertions

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Every call created, oldest first: its Twilio resource, `params` and `scenario`."""
        with self._lock:
            return [self._snapshot(call) for call in sorted(self._calls.values(), key=_seq)]

    def call(self, sid: str) -> dict[str, Any]:
        with self._lock:
            return self._snapshot(self._get(sid))

    @property
    def api_requests(self) -> list[dict[str, Any]]:
        """REST requests received: method, path, query, form, status (including rejected)."""
        with self._lock:
            return [dict(entry) for entry in self._api_requests]

    def spoken(self, sid: str) -> list[tuple[str, str | None]]:
        """(text, language attribute or None) of each <Say> played, in order."""
        with self._lock:
            return [
                (item["text"], item["language"])
                for item in self._get(sid).transcript
                if item["verb"] == "Say"
            ]

    def transcript(self, sid: str) -> list[dict[str, Any]]:
        """Everything played or done: Say (text, language, voice, loop), Play, Pause, Gather
        (digits or timeout), Redirect, Hangup, unsupported verbs, application errors."""
        with self._lock:
            return [dict(item) for item in self._get(sid).transcript]

    def callbacks(self, sid: str) -> list[dict[str, Any]]:
        """Status callbacks sent: url, method, params, signature, headers, status_code, error."""
        with self._lock:
            return [dict(item) for item in self._get(sid).callbacks]

    def statuses(self, sid: str) -> list[str]:
        """CallStatus of each status callback sent, in order."""
        with self._lock:
            return [item["params"]["CallStatus"] for item in self._get(sid).callbacks]

    def webhooks(self, sid: str) -> list[dict[str, Any]]:
        """Every request made to the service for this call (kind: status, voice, gather,
        redirect, replay, forged), in order."""
        with self._lock:
            return [dict(item) for item in self._get(sid).webhooks]

    def digits(self, sid: str) -> list[str]:
        """Digits pressed (one entry per <Gather> answered)."""
        with self._lock:
            return list(self._get(sid).digits)

    def errors(self, sid: str) -> list[str]:
        """Problems met talking to the service (timeouts, non-2xx, bad TwiML)."""
        with self._lock:
            return list(self._get(sid).errors)

    def last_call(self, to: str | None = None) -> dict[str, Any]:
        with self._lock:
            calls = [c for c in self._calls.values() if to is None or c.to == to]
            if not calls:
                raise LookupError(f"no call{' to ' + to if to else ''}")
            return self._snapshot(max(calls, key=_seq))

    def wait_for(self, sid: str, status: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait until the call reached `status` (its callback, if any, has been answered; for a
        final status, the call is over). Raises AssertionError if the call ended otherwise,
        TimeoutError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            call = self._get(sid)
            while True:
                if status in call.reached and (status not in TERMINAL or call.done):
                    return self._snapshot(call)
                if call.done:
                    raise AssertionError(
                        f"call {sid} ended as {call.status!r} without reaching {status!r}; "
                        f"reached {call.reached}"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"call {sid} did not reach {status!r} in {timeout}s; at {call.reached}"
                    )
                self._cond.wait(remaining)

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until no call is playing. TimeoutError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while any(not call.done for call in self._calls.values()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    busy = [c.sid for c in self._calls.values() if not c.done]
                    raise TimeoutError(f"calls still playing after {timeout}s: {busy}")
                self._cond.wait(remaining)

    # ------------------------------------------------------------------ webhook test tools

    def replay_last_callback(self, sid: str) -> int | None:
        """Send the call's last status callback again, byte for byte (same signature and
        I-Twilio-Idempotency-Token). Returns the HTTP status (None if unreachable)."""
        with self._lock:
            call = self._get(sid)
            if not call.callbacks:
                raise LookupError(f"call {sid} has no status callback to replay")
            last = call.callbacks[-1]
        record = self._send_raw(
            "replay", last["method"], last["url"], last["params"], dict(last["headers"])
        )
        with self._cond:
            call.webhooks.append(record)
            self._cond.notify_all()
        return record["status_code"]

    def send_forged_callback(
        self,
        sid: str,
        *,
        signing_token: str | None = None,
        signature: str | None = None,
        url: str | None = None,
        **overrides: str,
    ) -> int | None:
        """POST a status callback for `sid` that Twilio did not send: params of the call's
        current state updated with `overrides` (e.g. CallStatus="completed"), signed with
        `signing_token` (default: a wrong token) or carrying `signature` verbatim ("" for
        none). Returns the HTTP status."""
        with self._lock:
            call = self._get(sid)
            target = url or call.param("StatusCallback")
            params = self._status_params(call, call.status, advance=False)
        if not target:
            raise LookupError(f"call {sid} has no StatusCallback")
        params.update(overrides)
        if signature is None:
            signature = twilio_signature(
                signing_token or "forged-" + secrets.token_hex(8), target, params
            )
        record = self._send_raw("forged", "POST", target, params, self._headers(signature))
        with self._cond:
            call.webhooks.append(record)
            self._cond.notify_all()
        return record["status_code"]

    def post_webhook(
        self, url: str, params: Mapping[str, str], *, signing_token: str | None = None
    ) -> requests.Response:
        """POST any form to the service, signed like Twilio (with `signing_token`, default the
        fake's auth token): to craft late, duplicated or out-of-order callbacks."""
        params = dict(params)
        signature = twilio_signature(signing_token or self.auth_token, url, params)
        return requests.post(
            url, data=params, headers=self._headers(signature), timeout=self.webhook_timeout_s
        )

    # ------------------------------------------------------------------ REST API

    def _handle(self, handler: _Handler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
        try:
            status, body = self._route(handler, method, parts.path, query, form)
        except Exception:  # a bug in the fake must show up as a 500, not a hung client
            log.exception("fake twilio: error handling %s %s", method, handler.path)
            status, body = 500, twilio_error(20500, "Internal Server Error", 500)
        with self._lock:
            self._api_requests.append(
                {
                    "method": method,
                    "path": parts.path,
                    "query": query,
                    "form": form,
                    "status": status,
                }
            )
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Twilio-Request-Id", "RQ" + secrets.token_hex(16))
        if status == 401:
            handler.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
        handler.end_headers()
        handler.wfile.write(payload)

    def _route(
        self,
        handler: _Handler,
        method: str,
        path: str,
        query: dict[str, list[str]],
        form: dict[str, list[str]],
    ) -> tuple[int, dict[str, Any]]:
        if not self._authorized(handler.headers.get("Authorization")):
            return 401, twilio_error(20003, "Authenticate", 401)
        match = _ROUTE.match(path)
        if match is None or match["account"] != self.account_sid:
            return 404, twilio_error(20404, f"The requested resource {path} was not found", 404)
        sid = match["sid"]
        if sid is None and method == "POST":
            return self._create(form)
        if sid is None and method == "GET":
            return self._list(path, query)
        if sid is not None and method == "GET":
            with self._lock:
                call = self._calls.get(sid)
                if call is not None:
                    return 200, call.resource(self.phone_number_sid)
            return 404, twilio_error(20404, f"The requested resource {path} was not found", 404)
        return 405, twilio_error(20004, "Method not allowed", 405)

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        tokens = [t for t in (self.auth_token, self.secondary_auth_token) if t]
        return user == self.account_sid and any(
            hmac.compare_digest(password.encode(), t.encode()) for t in tokens
        )

    def _create(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        def first(name: str) -> str:
            values = form.get(name)
            return values[-1] if values else ""

        to, from_, url = first("To"), first("From"), first("Url")
        if not to:
            return 400, twilio_error(21201, "No 'To' number is specified", 400)
        if not from_:
            return 400, twilio_error(21213, "No 'From' number is specified", 400)
        if not url:
            return 400, twilio_error(21205, "Url parameter is required.", 400)
        if urlsplit(url).scheme not in ("http", "https"):
            return 400, twilio_error(21205, f"Url is not a valid URL: {url}", 400)
        scenario = self.scenario_for(to)
        if scenario.kind == "invalid_number" or not _possible_number(to):
            code = scenario.error_code or 21211
            message = scenario.error_message or f"The 'To' number {to} is not a valid phone number."
            return 400, twilio_error(code, message, 400)
        if not _possible_number(from_):
            return 400, twilio_error(
                21212, f"The 'From' number {from_} is not a valid phone number.", 400
            )
        events = frozenset(form.get("StatusCallbackEvent") or ["completed"]) | {"completed"}
        with self._cond:
            self._seq += 1
            call = _Call(
                sid="CA" + secrets.token_hex(16),
                account_sid=self.account_sid,
                to=to,
                from_=from_,
                params={name: list(values) for name, values in form.items()},
                scenario=scenario,
                date_created=self._clock(),
                seq=self._seq,
                events=events,
            )
            self._calls[call.sid] = call
            thread = threading.Thread(
                target=self._play, args=(call,), name=f"fake-twilio-{call.sid}", daemon=True
            )
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            resource = call.resource(self.phone_number_sid)
            hold = self._create_hold
            self._cond.notify_all()
        if hold is not None:
            hold._hold(call.sid)
        thread.start()
        return 201, resource

    def _list(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        def first(name: str) -> str | None:
            values = query.get(name)
            return values[-1] if values else None

        try:
            page_size = min(1000, max(1, int(first("PageSize") or 50)))
            page = max(0, int(first("Page") or 0))
        except ValueError:
            return 400, twilio_error(20001, "Invalid paging parameter", 400)
        with self._lock:
            calls = sorted(
                self._calls.values(), key=lambda c: (c.date_created, c.seq), reverse=True
            )
            try:
                selected = [c for c in calls if _matches(c, first)]
            except ValueError as exc:
                return 400, twilio_error(20001, str(exc), 400)
            chunk = selected[page * page_size : (page + 1) * page_size]
            records = [c.resource(self.phone_number_sid) for c in chunk]
        kept = [
            (name, value)
            for name, values in query.items()
            if name not in ("Page", "PageSize", "PageToken")
            for value in values
        ]

        def uri(number: int) -> str:
            paging = [("PageSize", str(page_size)), ("Page", str(number))]
            if number > 0:
                paging.append(("PageToken", f"PA{number * page_size}"))
            return f"{path}?{urlencode(kept + paging)}"

        more = (page + 1) * page_size < len(selected)
        return 200, {
            "calls": records,
            "end": page * page_size + max(0, len(records) - 1),
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) if more else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "start": page * page_size,
            "uri": uri(page),
        }

    # ------------------------------------------------------------------ call player

    def _play(self, call: _Call) -> None:
        scenario = call.scenario
        try:
            with self._lock:
                call.start_time = self._clock()
                call.date_updated = call.start_time
            self._progress(call, "initiated", "initiated")
            if scenario.kind == "fail":
                self._end(call, "failed")
                return
            if scenario.kind == "busy":
                self._end(call, "busy")
                return
            self._set_status(call, "ringing")
            self._progress(call, "ringing", "ringing")
            timeout = _as_float(call.param("Timeout"), 60.0)
            ring = scenario.effective_ring_s
            if scenario.release is not None:
                self._hold(scenario.release, timeout)
            else:
                self._sleep(min(ring, timeout))
            if scenario.kind == "no_answer" or ring > timeout:
                self._end(call, "no-answer")
                return
            with self._lock:
                call.answered_at = self._clock()
                if call.amd:
                    call.answered_by = scenario.answered_by or _amd_result(scenario, call.amd)
            self._set_status(call, "in-progress")
            self._progress(call, "in-progress", "answered")
            self._run_twiml(call)
            self._end(call, "completed")
        except _Stopped:
            log.debug("fake twilio: stopping, call %s abandoned", call.sid)
        except Exception as exc:  # the fake must not die silently in a thread
            log.exception("fake twilio: call %s crashed", call.sid)
            with self._lock:
                call.errors.append(f"fake crashed: {exc!r}")
        finally:
            with self._cond:
                call.done = True
                self._cond.notify_all()

    def _sleep(self, seconds: float) -> None:
        if self._stopping.wait(max(0.0, seconds)):
            raise _Stopped

    def _hold(self, release: threading.Event, limit: float) -> None:
        deadline = time.monotonic() + limit
        while not release.wait(0.02):
            if self._stopping.is_set():
                raise _Stopped
            if time.monotonic() >= deadline:
                return

    def _set_status(self, call: _Call, status: str) -> None:
        with self._cond:
            call.status = status
            call.date_updated = self._clock()
            self._cond.notify_all()

    def _end(self, call: _Call, status: str) -> None:
        with self._cond:
            now = self._clock()
            call.status = status
            call.end_time = call.date_updated = now
            if status == "completed" and call.answered_at is not None:
                seconds = (now - call.answered_at).total_seconds()
                call.duration = max(1, math.ceil(seconds))
            else:
                call.duration = 0
            self._cond.notify_all()
        self._progress(call, status, "completed")

    def _progress(self, call: _Call, call_status: str, event: str) -> None:
        """Send the status callback for this step if subscribed, then mark it reached."""
        target = call.param("StatusCallback")
        if target and event in call.events:
            with self._lock:
                params = self._status_params(call, call_status)
            method = (call.param("StatusCallbackMethod") or "POST").upper()
            record = self._send(call, "status", target, method, params)
            with self._lock:
                call.callbacks.append(record)
        with self._cond:
            call.reached.append(call_status)
            self._cond.notify_all()

    def _common_params(self, call: _Call, call_status: str) -> dict[str, str]:
        params = {
            "AccountSid": call.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call.sid,
            "CallStatus": call_status,
            "Called": call.to,
            "Caller": call.from_,
            "Direction": "outbound-api",
            "From": call.from_,
            "To": call.to,
        }
        if call.answered_by:
            params["AnsweredBy"] = call.answered_by
        return params

    def _status_params(
        self, call: _Call, call_status: str, *, advance: bool = True
    ) -> dict[str, str]:
        sequence_number = call.sequence_number
        if advance:
            call.sequence_number += 1
        params = self._common_params(call, call_status)
        params.update(
            {
                "CallbackSource": "call-progress-events",
                "SequenceNumber": str(sequence_number),
                "Timestamp": rfc2822(self._clock()) or "",
            }
        )
        if call_status in TERMINAL:
            params["CallDuration"] = str(call.duration or 0)
            params["Duration"] = str(math.ceil((call.duration or 0) / 60))
            sip = call.scenario.sip_response_code or _DEFAULT_SIP.get(call_status)
            if sip is not None:
                params["SipResponseCode"] = str(sip)
            if call_status == "failed" and call.scenario.error_code is not None:
                params["ErrorCode"] = str(call.scenario.error_code)
                params["ErrorMessage"] = call.scenario.error_message or "Call failed"
        return params

    # ------------------------------------------------------------------ TwiML

    def _run_twiml(self, call: _Call) -> None:
        url = call.param("Url") or ""
        method = (call.param("Method") or "POST").upper()
        params = self._common_params(call, "in-progress")
        document = self._fetch_twiml(call, "voice", url, method, params)
        documents = 0
        while document is not None:
            documents += 1
            if documents > MAX_TWIML_DOCUMENTS:
                self._note_error(call, f"more than {MAX_TWIML_DOCUMENTS} TwiML documents")
                return
            document = self._execute(call, document)

    def _execute(self, call: _Call, document: _Document) -> _Document | None:
        """Play one TwiML document; return the next one to play (Gather action, Redirect)."""
        for verb in document.root:
            tag = verb.tag
            if tag in ("Say", "Play", "Pause"):
                self._play_verb(call, verb, document.url)
            elif tag == "Gather":
                for child in verb:
                    self._play_verb(call, child, document.url)
                self._sleep(call.scenario.answer_delay_s)
                pressed = self._next_input(call, verb)
                action = urljoin(document.url, verb.get("action") or document.url)
                method = (verb.get("method") or "POST").upper()
                params = self._common_params(call, "in-progress")
                if pressed:
                    with self._lock:
                        call.digits.append(pressed)
                        call.transcript.append(
                            {"verb": "Gather", "digits": pressed, "action": action}
                        )
                    params.update({"Digits": pressed, "FinishedOnKey": ""})
                    return self._fetch_twiml(call, "gather", action, method, params)
                with self._lock:
                    call.transcript.append({"verb": "Gather", "digits": None, "action": action})
                if (verb.get("actionOnEmptyResult") or "").lower() == "true":
                    return self._fetch_twiml(call, "gather", action, method, params)
                # Gather timed out: Twilio goes on with the next verb of the document.
            elif tag == "Redirect":
                target = urljoin(document.url, (verb.text or "").strip() or document.url)
                method = (verb.get("method") or "POST").upper()
                with self._lock:
                    call.transcript.append({"verb": "Redirect", "url": target})
                params = self._common_params(call, "in-progress")
                return self._fetch_twiml(call, "redirect", target, method, params)
            elif tag in ("Hangup", "Reject"):
                with self._lock:
                    call.transcript.append({"verb": tag})
                return None
            else:
                with self._lock:
                    call.transcript.append({"verb": tag, "unsupported": True})
        return None  # end of document: Twilio hangs up

    def _play_verb(self, call: _Call, verb: ET.Element, url: str) -> None:
        entry: dict[str, Any] = {"verb": verb.tag, "url": url}
        if verb.tag == "Say":
            entry.update(
                text=" ".join("".join(verb.itertext()).split()),
                language=verb.get("language"),
                voice=verb.get("voice"),
                loop=verb.get("loop"),
            )
        elif verb.tag == "Play":
            entry.update(media=(verb.text or "").strip(), loop=verb.get("loop"))
        elif verb.tag == "Pause":
            entry.update(length=verb.get("length"))
        else:
            entry["unsupported"] = True
        with self._lock:
            call.transcript.append(entry)

    def _next_input(self, call: _Call, gather: ET.Element) -> str:
        """The keys the callee presses at this <Gather> ("" = nothing)."""
        with self._lock:
            inputs = call.scenario.effective_digits
            pressed = inputs[call.inputs_used] if call.inputs_used < len(inputs) else ""
            call.inputs_used += 1
        if call.answered_by and call.answered_by != "human":
            return ""  # machines don't press keys
        if "dtmf" not in (gather.get("input") or "dtmf"):
            return ""
        finish = gather.get("finishOnKey", "#")
        if finish and finish in pressed:
            pressed = pressed.split(finish, 1)[0]
        num = gather.get("numDigits")
        if num and num.isdigit():
            pressed = pressed[: int(num)]
        return pressed

    def _fetch_twiml(
        self, call: _Call, kind: str, url: str, method: str, params: dict[str, str]
    ) -> _Document | None:
        record = self._send(call, kind, url, method, params)
        status = record["status_code"]
        if status is None or not 200 <= status < 300:
            self._application_error(call, f"{kind} {url}: HTTP {status} {record['error'] or ''}")
            return None
        try:
            # The TwiML comes from the service under test, not from an untrusted party.
            root = ET.fromstring(record["body"])  # noqa: S314
        except ET.ParseError as exc:
            self._application_error(call, f"{kind} {url}: invalid TwiML: {exc}")
            return None
        if root.tag != "Response":
            self._application_error(call, f"{kind} {url}: root is <{root.tag}>, not <Response>")
            return None
        return _Document(root, url)

    def _application_error(self, call: _Call, message: str) -> None:
        """What Twilio does on a broken webhook: 'An application error has occurred', hang up."""
        self._note_error(call, message)
        with self._lock:
            call.transcript.append({"verb": "ApplicationError", "error": message})

    def _note_error(self, call: _Call, message: str) -> None:
        log.warning("fake twilio: call %s: %s", call.sid, message)
        with self._lock:
            call.errors.append(message)

    # ------------------------------------------------------------------ HTTP to the service

    def _headers(self, signature: str) -> dict[str, str]:
        return {
            SIGNATURE_HEADER: signature,
            "User-Agent": "TwilioProxy/1.1",
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "Accept": "*/*",
        }

    def _send(
        self, call: _Call, kind: str, url: str, method: str, params: dict[str, str]
    ) -> dict[str, Any]:
        if method == "GET":
            signed_url = url + ("&" if "?" in url else "?") + urlencode(params)
            signature = twilio_signature(self.auth_token, signed_url, {})
        else:
            signature = twilio_signature(self.auth_token, url, params)
        record = self._send_raw(kind, method, url, params, self._headers(signature))
        if record["error"] is not None or not 200 <= record["status_code"] < 300:
            self._note_error(
                call, f"{kind} webhook {method} {url}: {record['error'] or record['status_code']}"
            )
        with self._cond:
            call.webhooks.append(record)
            self._cond.notify_all()
        return record

    def _send_raw(
        self, kind: str, method: str, url: str, params: dict[str, str], headers: dict[str, str]
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "kind": kind,
            "method": method,
            "url": url,
            "params": dict(params),
            "signature": headers.get(SIGNATURE_HEADER),
            "headers": dict(headers),
            "status_code": None,
            "body": None,
            "error": None,
            "elapsed_s": None,
        }
        started = time.monotonic()
        try:
            response = requests.request(
                method,
                url,
                params=params if method == "GET" else None,
                data=params if method != "GET" else None,
                headers=headers,
                timeout=self.webhook_timeout_s,
                allow_redirects=False,
            )
            record["status_code"] = response.status_code
            record["body"] = response.text
        except requests.RequestException as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
        record["elapsed_s"] = time.monotonic() - started
        return record

    # ------------------------------------------------------------------ helpers

    def _get(self, sid: str) -> _Call:
        call = self._calls.get(sid)
        if call is None:
            raise KeyError(f"no call {sid} in the fake")
        return call

    def _snapshot(self, call: _Call) -> dict[str, Any]:
        snapshot = call.resource(self.phone_number_sid)
        snapshot["params"] = {
            name: values[0] if len(values) == 1 else list(values)
            for name, values in call.params.items()
        }
        snapshot["scenario"] = call.scenario.kind
        snapshot["done"] = call.done
        return snapshot


def _possible_number(number: str) -> bool:
    """E.164 and of a possible length for its country (Twilio rejects '+1555' with 21211)."""
    if not _E164.match(number):
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return False


def _seq(call: _Call) -> int:
    return call.seq


def _as_float(value: str | None, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default


def _amd_result(scenario: Scenario, mode: str) -> str:
    if scenario.kind != "voicemail":
        return "human"
    return "machine_end_beep" if mode == "DetectMessageEnd" else "machine_start"


def _parse_when(value: str) -> tuple[datetime, bool]:
    """A filter value: (instant, is a bare date)."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC), True
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC), False
    except ValueError:
        raise ValueError(f"Invalid date filter {value!r}") from None


def _matches(call: _Call, first: Callable[[str], str | None]) -> bool:
    for name, attribute in (("To", "to"), ("From", "from_"), ("Status", "status")):
        wanted = first(name)
        if wanted is not None and getattr(call, attribute) != wanted:
            return False
    for prefix, moment in (("StartTime", call.start_time), ("EndTime", call.end_time)):
        for op in ("", "<", ">"):
            raw = first(prefix + op)
            if raw is None:
                continue
            if moment is None:
                return False
            bound, whole_day = _parse_when(raw)
            if op == ">" and moment < bound:
                return False
            if op == "<" and moment > bound:
                return False
            if op == "" and not (
                bound <= moment < bound + timedelta(days=1) if whole_day else moment == bound
            ):
                return False
    return True
