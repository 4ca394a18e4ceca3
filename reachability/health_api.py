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
