"""The telephony seam: placing and inspecting outbound calls.

The rest of the service talks to a `CallPlacer`; production uses `TwilioCallPlacer`, which drives
the real `twilio.rest.Client`. In tests the same class is pointed at the fake Twilio server
(`tests/fakes/fake_twilio.py`) through `api_base_url` (config `TWILIO_API_BASE_URL`), so the
real client, its serialisation and its error handling are exercised over HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import requests
from twilio.base import values
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from common.metrics import count_twilio_error
from common.settings import telephony_settings

STATUS_CALLBACK_EVENTS = ("initiated", "ringing", "answered", "completed")
TERMINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})

# find_calls reads at most this many of the most recent calls to one number.
FIND_CALLS_LIMIT = 200


@dataclass(frozen=True)
class CallRequest:
    to: str  # E.164
    from_: str  # E.164
    twiml_url: str  # public URL Twilio fetches for TwiML (POST)
    status_callback: str  # public URL for status callbacks (POST)
    machine_detection: bool = True
    timeout_s: int = 30  # how long to let it ring


@dataclass(frozen=True)
class PlacedCall:
    sid: str
    status: str


@dataclass(frozen=True)
class RemoteCall:
    sid: str
    to: str
    status: str
    start_time: datetime | None
    date_created: datetime | None
    answered_by: str | None = None
    duration_s: int | None = None


class CallPlacer(Protocol):
    def place(self, request: CallRequest) -> PlacedCall: ...

    def fetch(self, sid: str) -> RemoteCall: ...

    def find_calls(self, to: str, created_after: datetime) -> list[RemoteCall]: ...


class TelephonyError(Exception):
    """A failed request to the telephony provider.

    `code` is Twilio's error code (e.g. 21211 invalid 'To', 20003 bad credentials, 20404 not
    found) or None; `status` the HTTP status or None when no response came back.
    `ambiguous` is True when the request may have taken effect anyway (timeout after sending,
    connection lost, 5xx): for `place`, the call may exist; look for it with `find_calls`.
    """

    def __init__(
        self,
        message: str,
        code: int | None = None,
        status: int | None = None,
        *,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.ambiguous = ambiguous

    def __str__(self) -> str:
        return f"{self.message} (code={self.code}, status={self.status})"


def _from_twilio(exc: TwilioException) -> TelephonyError:
    error = _twilio_error(exc)
    count_twilio_error(type(exc).__name__, error.code)
    return error


def _twilio_error(exc: TwilioException) -> TelephonyError:
    if isinstance(exc, TwilioRestException):
        message = exc.msg or ""
        # The client prefixes Twilio's own message with "Unable to create record: " etc.
        if message.startswith("Unable to ") and ": " in message:
            message = message.split(": ", 1)[1]
        code = exc.code
        if code == exc.status and code is not None and code < 1000:
            code = None  # the client fills in the HTTP status when the body had no code
        return TelephonyError(message, code, exc.status, ambiguous=exc.status >= 500)
    if isinstance(exc, TwilioServiceException):
        return TelephonyError(
            exc.detail or exc.title, exc.code, exc.status, ambiguous=exc.status >= 500
        )
    return TelephonyError(str(exc))


def _from_transport(exc: requests.RequestException) -> TelephonyError:
    # A connect failure never reached Twilio; anything later (read timeout, reset) may have.
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    never_sent = isinstance(exc, requests.ConnectTimeout) or isinstance(reason, NewConnectionError)
    count_twilio_error("transport", None)
    return TelephonyError(f"telephony transport error: {exc}", ambiguous=not never_sent)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_datetime(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None


def _remote(instance: Any) -> RemoteCall:
    """A RemoteCall from a twilio `CallInstance`."""
    return RemoteCall(
        sid=instance.sid,
        to=instance.to,
        status=instance.status,
        start_time=_as_datetime(instance.start_time),
        date_created=_as_datetime(instance.date_created),
        answered_by=instance.answered_by or None,
        duration_s=_as_int(instance.duration),
    )


def _created(call: RemoteCall) -> datetime:
    return call.date_created or call.start_time or datetime.min.replace(tzinfo=UTC)


class TwilioCallPlacer:
    """`CallPlacer` over the real Twilio REST client.

    `api_base_url` (e.g. ``http://127.0.0.1:8123``) replaces ``https://api.twilio.com`` as the
    base URL of the client's `api` domain; None talks to real Twilio.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base_url: str | None = None,
        timeout: float = 10,
    ) -> None:
        self._client = Client(
            account_sid,
            auth_token,
            http_client=TwilioHttpClient(timeout=timeout),
        )
        if api_base_url:
            # Every request of the `api` domain is built as base_url + "/2010-04-01/...".
            self._client.api.base_url = api_base_url.rstrip("/")
            # TWILIO_EDGE / TWILIO_REGION from the environment would rewrite the host.
            self._client.edge = None
            self._client.region = None

    def place(self, request: CallRequest) -> PlacedCall:
        try:
            call = self._client.calls.create(
                to=request.to,
                from_=request.from_,
                url=request.twiml_url,
                method="POST",
                status_callback=request.status_callback,
                status_callback_method="POST",
                status_callback_event=list(STATUS_CALLBACK_EVENTS),
                machine_detection="Enable" if request.machine_detection else values.unset,
                timeout=request.timeout_s,
            )
        except TwilioException as exc:
            raise _from_twilio(exc) from exc
        except requests.RequestException as exc:
            raise _from_transport(exc) from exc
        return PlacedCall(sid=call.sid, status=call.status)

    def fetch(self, sid: str) -> RemoteCall:
        try:
            return _remote(self._client.calls(sid).fetch())
        except TwilioException as exc:
            raise _from_twilio(exc) from exc
        except requests.RequestException as exc:
            raise _from_transport(exc) from exc

    def find_calls(self, to: str, created_after: datetime) -> list[RemoteCall]:
        """Calls to `to` created at or after `created_after` (aware; compared to the second).

        Filters on the server by `To` only and on `date_created` here: Twilio's `StartTime>`
        filter is day-granular and leaves out calls still queued (no start time yet), which are
        exactly the ones crash recovery must not miss. Reads at most FIND_CALLS_LIMIT calls.
        """
        if created_after.tzinfo is None:
            raise ValueError("created_after must be timezone-aware")
        # Twilio's dates have whole seconds: a call created at 12:00:00.7 reads 12:00:00.
        created_after = created_after.astimezone(UTC).replace(microsecond=0)
        try:
            found = [
                _remote(instance)
                for instance in self._client.calls.stream(
                    to=to, limit=FIND_CALLS_LIMIT, page_size=50
                )
            ]
        except TwilioException as exc:
            raise _from_twilio(exc) from exc
        except requests.RequestException as exc:
            raise _from_transport(exc) from exc
        return [call for call in found if _created(call) >= created_after]


def call_placer_from_config(config: Mapping[str, Any]) -> CallPlacer | None:
    """The configured `CallPlacer`, or None when telephony is off (Twilio settings missing).

    The implementation is chosen by configuration: `TWILIO_API_BASE_URL` points the real Twilio
    client at another server (the tests' fake Twilio); unset, it talks to Twilio itself.
    """
    settings = telephony_settings(config)
    if settings is None:
        return None
    return TwilioCallPlacer(
        settings["TWILIO_ACCOUNT_SID"],
        settings["TWILIO_AUTH_TOKEN"],
        api_base_url=config.get("TWILIO_API_BASE_URL"),
    )
