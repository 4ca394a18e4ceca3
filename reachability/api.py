"""The reachability JSON API: test calls on demand, campaigns, reports, a Party's history.

Reads are open to every signed-in role (members read reports); test calls are for the secretariat
and the person's Party admins; campaigns are the secretariat's.
"""

from __future__ import annotations

import phonenumbers
from flask import Response, current_app, request, url_for

from common.api import Blueprint, documents_problems, json_with_etag
from common.clock import now
from common.db import db
from directory import service as directory
from directory.auth import current_user
from reachability import schemas, service
from reachability.dialer import Dialer
from reachability.present import (
    present_attempt,
    present_campaign,
    present_party_reachability,
    present_report,
    report_csv,
)

blp = Blueprint(
    "reachability",
    __name__,
    url_prefix="/api/v1",
    description="Test calls through Twilio, monthly campaigns and their reports",
)

CSV_MIME = "text/csv"


@blp.post("/reachability/test-calls")
@blp.arguments(schemas.OnDemandCallIn)
@blp.response(201, schemas.AttemptOut)
@documents_problems(blp, 401, 403, 404, 422, 429, 503)
def request_test_call(data: dict) -> Response:
    """Test-call a person now; they are asked to press 1 (secretariat, or that Party's admin).

    `{"person_id": 12}` calls the primary number, `{"person_id": 12, "phone": "+33612345678"}`
    another of theirs. Answers the attempt (201); follow it at its `Location`. At most one test
    call per number every 10 minutes (429 with Retry-After); 503 when telephony is not
    configured, and then nothing is recorded.
    """
    config = current_app.config
    user = current_user()
    # End the read transaction the sign-in opened, so that the service's first statement takes
    # SQLite's write lock (see service.take_write_lock); a no-op on PostgreSQL.
    db.session.commit()
    attempt_id = service.request_test_call(
        user, data["person_id"], data.get("phone"), now(), config
    ).id
    db.session.commit()
    Dialer.for_app(config, now).dispatch(attempt_id)
    response = json_with_etag(present_attempt(service.get_attempt(attempt_id)), 201)
    response.headers["Location"] = url_for("reachability.get_test_call", attempt_id=attempt_id)
    return response


@blp.get("/reachability/test-calls/<int:attempt_id>")
@blp.response(200, schemas.AttemptOut)
@documents_problems(blp, 401, 404)
def get_test_call(attempt_id: int) -> Response:
    """One test call: its state (queued, dialing, placed, done), outcome and timings."""
    return json_with_etag(present_attempt(service.get_attempt(attempt_id)))


def _calling_codes(party) -> dict:
    own = phonenumbers.country_code_for_region(party.iso2)
    return {
        "party": party.iso2,
        "own_calling_code": own or None,
        "calling_codes": list(party.allowed_calling_codes or []),
    }


@blp.get("/parties/<iso2>/allowed-calling-codes")
@blp.response(200, schemas.CallingCodesOut)
@documents_problems(blp, 401, 404)
def get_allowed_calling_codes(iso2: str) -> Response:
    """The countries a Party's test and campaign calls may reach besides its own."""
    return json_with_etag(_calling_codes(directory.get_party(iso2)))


@blp.put("/parties/<iso2>/allowed-calling-codes")
@blp.arguments(schemas.CallingCodesIn)
@blp.response(200, schemas.CallingCodesOut)
@documents_problems(blp, 401, 403, 404, 422)
def put_allowed_calling_codes(data: dict, iso2: str) -> Response:
    """Allow calls to other countries for this Party, e.g. `{"calling_codes": [49]}` (secretariat).

    Only fixed-line and mobile numbers are ever called; satellite codes cannot be allowed.
    """
    party = directory.get_party(iso2)
    service.set_allowed_calling_codes(current_user(), party, data["calling_codes"], now())
    db.session.commit()
    return json_with_etag(_calling_codes(party))


@blp.post("/reachability/campaigns")
@blp.arguments(schemas.CampaignIn)
@blp.response(201, schemas.CampaignOut)
@documents_problems(blp, 401, 403, 409, 422)
def create_campaign(data: dict) -> Response:
    """Plan a month's campaign (secretariat): one call slot per Party in its local time.

    `{"month": "2026-12", "parties": ["FR", "DE"], "window": "any-time"}`; `parties` defaults
    to every Party with status party, `window` to office-hours. Slots are spread over the month
    so that no more than CALLS_PER_SECOND calls ever start in one second. A month already
    planned for one of the Parties is refused (409 naming the campaign): cancel it first.
    """
    campaign = service.create_campaign(
        current_user(), data["month"], data["parties"], data["window"], now(), current_app.config
    )
    db.session.commit()
    campaign = service.get_campaign(campaign.id)
    response = json_with_etag(present_campaign(campaign, detail=True), 201)
    response.headers["Location"] = url_for("reachability.get_campaign", campaign_id=campaign.id)
    return response


@blp.post("/reachability/campaigns/<int:campaign_id>/cancel")
@blp.response(200, schemas.CampaignOut)
@documents_problems(blp, 401, 403, 404, 409)
def cancel_campaign(campaign_id: int) -> Response:
    """Cancel a planned or running campaign (secretariat); its calls not yet placed never are.

    Calls already ringing end normally; no slot takes a further step. 409 when it is over.
    """
    db.session.commit()  # end the sign-in's read: the service takes SQLite's write lock first
    campaign = service.cancel_campaign(current_user(), campaign_id, now())
    db.session.commit()
    return json_with_etag(present_campaign(service.get_campaign(campaign.id), detail=True))


@blp.get("/reachability/campaigns")
@blp.response(200, schemas.CampaignList)
@documents_problems(blp, 401)
def list_campaigns() -> Response:
    """Every campaign, newest month first, with its progress."""
    return json_with_etag({"items": [present_campaign(c) for c in service.list_campaigns()]})


@blp.get("/reachability/campaigns/<int:campaign_id>")
@blp.response(200, schemas.CampaignOut)
@documents_problems(blp, 401, 404)
def get_campaign(campaign_id: int) -> Response:
    """A campaign's progress, with each Party's slot (planned UTC and local time, state)."""
    return json_with_etag(present_campaign(service.get_campaign(campaign_id), detail=True))


@blp.get("/reachability/campaigns/<int:campaign_id>/report")
@blp.response(200, schemas.ReportOut)
@blp.doc(
    responses={
        "200": {
            "description": "The report: JSON, or CSV with `Accept: text/csv`",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ReportOut"}},
                CSV_MIME: {
                    "schema": {"type": "string"},
                    "example": "party,party_name,outcome,reached,phone,…\r\n"
                    "FR,France,confirmed,Anne Martin,+33612345601,…\r\n",
                },
            },
        }
    }
)
@documents_problems(blp, 401, 404)
def campaign_report(campaign_id: int) -> Response:
    """Per Party: outcome, who was reached, the number, times, attempts; totals and reach rate.

    JSON by default; CSV (a row per Party and a TOTAL row) with `Accept: text/csv`.
    """
    report = present_report(service.get_campaign(campaign_id))
    if request.accept_mimetypes.best_match(["application/json", CSV_MIME]) == CSV_MIME:
        response = Response(report_csv(report), mimetype=CSV_MIME)
        response.headers["Content-Disposition"] = (
            f'attachment; filename="reachability-{report["campaign"]["month"]}-{campaign_id}.csv"'
        )
        response.headers["Vary"] = "Accept"
        return response
    response = json_with_etag(report)
    response.headers["Vary"] = "Accept"
    return response


@blp.get("/parties/<iso2>/reachability")
@blp.response(200, schemas.PartyReachabilityOut)
@documents_problems(blp, 401, 404)
def party_reachability(iso2: str) -> Response:
    """A Party's results across campaigns and its test calls of any kind, newest first."""
    party = directory.get_party(iso2)
    slots, attempts = service.party_history(party)
    return json_with_etag(present_party_reachability(party.iso2, slots, attempts))
