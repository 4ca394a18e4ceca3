"""Twilio's webhooks (outside /api/v1, no bearer token): the message, the key pressed, statuses.

Every request must carry a valid `X-Twilio-Signature`, computed over the PUBLIC URL Twilio was
given (PUBLIC_BASE_URL + path + query), not the URL this process sees behind a TLS-terminating
proxy, with TWILIO_AUTH_TOKEN or, while rotating, TWILIO_AUTH_TOKEN_SECONDARY. Anything else gets
403 and changes nothing. Each request locks its attempt, so callbacks of one call apply one at a
time; repeated and late ones are recognised by the service and change nothing.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from common.clock import now
from common.db import db
from common.errors import Problem
from reachability import service, voice
from reachability.signature import SIGNATURE_HEADER, is_valid_signature
from reachability.urls import WEBHOOK_PREFIX, gather_url, public_url

bp = Blueprint("reachability_twilio", __name__, url_prefix=WEBHOOK_PREFIX)


def signed_url() -> str:
    """The URL Twilio requested, as it signed it: public base, path and raw query string."""
    url = public_url(current_app.config, request.path)
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return url


@bp.before_request
def _require_twilio_signature() -> None:
    config = current_app.config
    tokens = [config.get("TWILIO_AUTH_TOKEN"), config.get("TWILIO_AUTH_TOKEN_SECONDARY")]
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not is_valid_signature([t for t in tokens if t], signed_url(), request.form, signature):
        raise Problem(403, f"missing or invalid {SIGNATURE_HEADER}")


def _twiml(document: str) -> Response:
    return Response(document, mimetype="text/xml")


@bp.post("/voice/<int:attempt_id>")
def voice_webhook(attempt_id: int) -> Response:
    """The call was answered: the message and "press 1" (nothing for an answering machine)."""
    attempt = service.lock_attempt(attempt_id)
    if attempt is None:
        db.session.rollback()
        return _twiml(voice.hangup_twiml())
    action = service.record_voice(attempt, request.form, now())
    language = attempt.language
    db.session.commit()
    if action != "prompt":
        return _twiml(voice.hangup_twiml())
    return _twiml(voice.prompt_twiml(language, gather_url(current_app.config, attempt_id)))


@bp.post("/gather/<int:attempt_id>")
def gather_webhook(attempt_id: int) -> Response:
    """A key was pressed: 1 confirms; another key is asked again once (?again=1 the second time)."""
    attempt = service.lock_attempt(attempt_id)
    if attempt is None:
        db.session.rollback()
        return _twiml(voice.hangup_twiml())
    result = service.record_gather(attempt, request.form, now(), current_app.config)
    language = attempt.language
    db.session.commit()
    if result == "confirmed":
        return _twiml(voice.confirmed_twiml(language))
    if result == "wrong":
        again = (
            None
            if request.args.get("again")
            else gather_url(current_app.config, attempt_id, again=True)
        )
        return _twiml(voice.wrong_key_twiml(language, again))
    return _twiml(voice.hangup_twiml())


@bp.post("/status/<int:attempt_id>")
def status_webhook(attempt_id: int) -> Response:
    """A call progress event (initiated, ringing, in-progress, and how it ended)."""
    attempt = service.lock_attempt(attempt_id)
    if attempt is None:
        db.session.rollback()
        raise Problem(404, f"no test call {attempt_id}")
    service.record_status(attempt, request.form, now(), current_app.config)
    db.session.commit()
    return Response(status=204)
