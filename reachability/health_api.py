"""GET /api/v1/health-report: every Party's health, JSON or CSV (docs/freshness.md)."""

from __future__ import annotations

from flask import Response, request

from common.api import Blueprint, documents_problems, json_with_etag
from common.clock import now
from common.errors import Problem
from directory.auth import current_user
from reachability.health import health_csv, health_report, monthly_trend, present_health

CSV_MIME = "text/csv"

blp = Blueprint(
    "health_report",
    __name__,
    url_prefix="/api/v1",
    description="The network's health per Party, with a documented score (secretariat)",
)


@blp.get("/health-report")
@blp.response(200)
@blp.alt_response(
    200,
    success=True,
    description="The same as CSV, with `Accept: text/csv` (cells never read as formulas)",
    content_type=CSV_MIME,
)
@documents_problems(blp, 401, 403)
def health_report_route() -> Response:
    """Per Party: freshness state, last confirmation, unverified e-mails, numbers by state, last
    campaign result, median acknowledgement time, gaps in the next 30 days, score (0–100); and
    the network's trend by month. The secretariat sees every Party, an administrator their own."""
    user = current_user()
    if user.role not in ("secretariat", "party_admin"):
        raise Problem(403, "only the secretariat and Party administrators may read the report")
    at = now()
    rows = health_report(at)
    if user.role != "secretariat":
        own = user.party.iso2 if user.party else None
        rows = [r for r in rows if r.iso2 == own]
    if request.accept_mimetypes.best_match(["application/json", CSV_MIME]) == CSV_MIME:
        response = Response(health_csv(rows), mimetype=CSV_MIME)
        response.headers["Content-Disposition"] = (
            f'attachment; filename="art35-health-{at:%Y-%m-%d}.csv"'
        )
    else:
        trend = [p.__dict__ for p in monthly_trend(at)] if user.role == "secretariat" else []
        response = json_with_etag(
            {"at": at.isoformat(), "items": present_health(rows), "trend": trend}
        )
    response.headers["Vary"] = "Accept"
    return response


@blp.post("/campaigns/<int:campaign_id>/email-test")
@blp.response(200)
@documents_problems(blp, 401, 403, 404)
def campaign_email_test(campaign_id: int) -> Response:
    """Send every Party of the campaign a test e-mail to its contact point's address, asking
    the reader to press "Received"; the time to acknowledge shows in the health report.
    Once per campaign and Party (asking again sends nothing new). Secretariat."""
    from flask import current_app

    from common.db import db
    from reachability.email_test import send_campaign_email_test

    queued = send_campaign_email_test(current_user(), campaign_id, now(), current_app.config)
    db.session.commit()
    return json_with_etag({"campaign": campaign_id, "sent": [test.iso2 for test in queued]})
