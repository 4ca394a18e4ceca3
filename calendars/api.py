"""Calendar feeds: subscriptions (JSON API), the feeds themselves (secret URL), .ics imports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import marshmallow as ma
from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app, request
from marshmallow import fields, validate

from calendars import ical_import
from calendars import service as calendars
from calendars.models import SCOPES
from common.api import Blueprint, documents_problems, json_with_etag
from common.clock import now
from common.db import db
from common.errors import Problem, ProblemSchema
from common.fields import AwareDateTime, StrictBoolean, StrictInteger, record_id
from directory.auth import current_user
from directory.schemas import QuerySchema, StrictSchema
from rota import service as rota_service

blp = Blueprint(
    "calendars",
    __name__,
    url_prefix="/api/v1",
    description="Calendar (iCal) subscriptions to rotas, and imports of .ics files as overrides",
)

#: The feeds: outside /api/v1 because calendar clients cannot log in; the URL is the secret.
feeds = FlaskBlueprint("calendar_feeds", __name__)

CALENDAR_MIME = "text/calendar; charset=utf-8"
MAX_IMPORT_DAYS = 366


# --- schemas -------------------------------------------------------------------------------


class SubscriptionIn(StrictSchema):
    scope = fields.String(required=True, validate=validate.OneOf(SCOPES))
    party = fields.String(
        validate=validate.Regexp(r"^[A-Za-z]{2}$", error="an ISO 3166-1 alpha-2 code such as FR"),
        metadata={"description": "with scope party: the Party's ISO code"},
    )
    person_id = record_id(metadata={"description": "with scope person"})
    tiers = fields.List(
        StrictInteger(validate=validate.Range(min=1, max=9)),
        validate=validate.Length(min=1, max=9),
        metadata={"description": "only these tiers (default: every tier)"},
    )
    include_contacts = StrictBoolean(
        load_default=False,
        metadata={"description": "phone numbers and e-mail in each event's description"},
    )

    #: The target matches the scope, as _target says: party with scope party only, person_id
    #: with scope person only, neither with scope network.
    json_schema_rules: ClassVar[dict[str, Any]] = {
        "oneOf": [
            {
                "required": ["party"],
                "properties": {"scope": {"enum": ["party"]}, "person_id": {"not": {}}},
            },
            {
                "required": ["person_id"],
                "properties": {"scope": {"enum": ["person"]}, "party": {"not": {}}},
            },
            {
                "properties": {
                    "scope": {"enum": ["network"]},
                    "party": {"not": {}},
                    "person_id": {"not": {}},
                }
            },
        ]
    }

    @ma.validates_schema
    def _target(self, data: dict[str, Any], **kwargs: Any) -> None:
        scope = data.get("scope")
        errors: dict[str, list[str]] = {}
        if scope == "party" and "party" not in data:
            errors["party"] = ["required with scope party"]
        if scope != "party" and "party" in data:
            errors["party"] = ["only with scope party"]
        if scope == "person" and "person_id" not in data:
            errors["person_id"] = ["required with scope person"]
        if scope != "person" and "person_id" in data:
            errors["person_id"] = ["only with scope person"]
        if errors:
            raise ma.ValidationError(errors)


class SubscriptionOut(ma.Schema):
    id = fields.Integer()
    scope = fields.String()
    party = fields.String(allow_none=True)
    person = fields.Dict(allow_none=True)
    tiers = fields.List(fields.Integer(), allow_none=True)
    include_contacts = fields.Boolean()
    name = fields.String()
    created_at = fields.String()
    last_used_at = fields.String(allow_none=True)
    url = fields.String(metadata={"description": "only in the answer to POST: keep it secret"})
    webcal_url = fields.String(metadata={"description": "the same feed as a webcal:// link"})


class SubscriptionList(ma.Schema):
    items = fields.List(fields.Nested(SubscriptionOut))


class ImportQuery(QuerySchema):
    preview = fields.Boolean(
        load_default=None, metadata={"description": "true: show what would change, write nothing"}
    )
    since = AwareDateTime(metadata={"description": "import shifts starting from (default now)"})
    until = AwareDateTime(metadata={"description": "… until (default since + 365 days)"})


class ImportOut(ma.Schema):
    rota = fields.Dict()
    since = fields.String()
    until = fields.String()
    applied = fields.Boolean()
    overrides = fields.List(fields.Dict())
    unchanged = fields.List(fields.Dict())
    problems = fields.List(fields.Dict())
    warnings = fields.List(fields.String())


# --- subscriptions -------------------------------------------------------------------------


@blp.post("/calendar-subscriptions")
@blp.arguments(SubscriptionIn)
@blp.response(201, SubscriptionOut)
@documents_problems(blp, 401, 403, 422)
def create_subscription(data: dict) -> Response:
    """Subscribe to a Party's rotas, a person's shifts or the network's; answers the feed URL.

    Example: `{"scope": "party", "party": "FR", "tiers": [1, 2]}`, `{"scope": "person",
    "person_id": 42}` or `{"scope": "network", "tiers": [1], "include_contacts": true}`
    (network-wide contacts: secretariat only). The `url` carries the feed's secret and is shown
    only here; paste it (or open `webcal_url`) in Outlook, Google, Apple or Thunderbird.
    """
    sub, secret = calendars.create_subscription(current_user(), data, now())
    db.session.commit()
    url = calendars.feed_url(secret)
    body = calendars.present_subscription(
        sub, {"url": url, "webcal_url": calendars.webcal_url(url)}
    )
    resp = json_with_etag(body, 201)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@blp.get("/calendar-subscriptions")
@blp.response(200, SubscriptionList)
@documents_problems(blp, 401)
def list_subscriptions() -> Response:
    """Your own live subscriptions with their creation and last-use times (never the URL)."""
    subs = calendars.list_subscriptions(current_user())
    return json_with_etag({"items": [calendars.present_subscription(s) for s in subs]})


@blp.delete("/calendar-subscriptions/<int:subscription_id>")
@blp.response(204)
@documents_problems(blp, 401, 404)
def revoke_subscription(subscription_id: int) -> Response:
    """Revoke a subscription: its URL answers 404 from now on."""
    actor = current_user()
    calendars.revoke_subscription(actor, calendars.get_subscription(actor, subscription_id), now())
    db.session.commit()
    return Response(status=204)


# --- the feed ------------------------------------------------------------------------------


def _not_modified(validator: calendars.Validator) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when sent; else If-Modified-Since."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(validator.etag.strip('"'))
    since = request.if_modified_since
    return since is not None and validator.last_modified <= since


@feeds.get("/calendars/<token>.ics")
def feed(token: str) -> Response:
    """The subscription's iCalendar feed; no session needed, the URL's secret is the key."""
    sub = calendars.subscription_for_token(token)
    if sub is None:
        raise Problem(404, "no such calendar")
    current = now()
    window = calendars.configured_window(current)
    validator = calendars.feed_validator(sub, window, current)
    if _not_modified(validator):
        resp = Response(status=304)
    else:
        body = calendars.build_feed(sub, window, validator.last_modified)
        resp = Response(body, status=200, content_type=CALENDAR_MIME)
        resp.headers["Content-Disposition"] = 'inline; filename="art35.ics"'
    resp.headers["ETag"] = validator.etag
    resp.last_modified = validator.last_modified
    resp.headers["Cache-Control"] = "private, no-cache"
    resp.headers["X-Robots-Tag"] = "noindex, nofollow"
    resp.headers["Referrer-Policy"] = "no-referrer"
    if calendars.record_use(sub, current):
        db.session.commit()
    return resp


# --- import --------------------------------------------------------------------------------

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def _uploaded() -> tuple[bytes, bool | None]:
    """The .ics bytes (multipart field `file` or a text/calendar body) and a form `preview`."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Problem(
                422,
                "file: required (a multipart field named file)",
                errors=[{"field": "file", "reason": "required"}],
            )
        raw = request.form.get("preview")
        preview = None
        if raw is not None:
            if raw.strip().lower() not in _TRUE + _FALSE:
                raise Problem(
                    422,
                    "preview: must be true or false",
                    errors=[{"field": "preview", "reason": "must be true or false"}],
                )
            preview = raw.strip().lower() in _TRUE
        return upload.read(), preview
    if request.mimetype == "text/calendar":
        return request.get_data(), None
    raise Problem(
        415, "send the .ics file as multipart/form-data (field file) or as a text/calendar body"
    )


@blp.post("/rotas/<int:rota_id>/import-ical")
@blp.arguments(ImportQuery, location="query")
@blp.response(201, ImportOut)
@blp.alt_response(200, schema=ImportOut, description="Preview: nothing was written")
@blp.alt_response(
    415,
    schema=ProblemSchema,
    description="Neither multipart/form-data nor text/calendar",
    content_type="application/problem+json",
)
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "preview": {"type": "boolean"},
                    },
                    "required": ["file"],
                }
            },
            "text/calendar": {"schema": {"type": "string"}},
        },
    }
)
@documents_problems(blp, 401, 403, 404, 409, 422)
def import_ical(args: dict, rota_id: int) -> Response:
    """Turn an .ics file of fixed shifts (Outlook, Google) into overrides of this rota.

    People are matched by an attendee's e-mail, else by exact full name (attendee or title).
    All or nothing: if any event cannot be imported, nothing is and the answer (422) lists
    every problem. With `?preview=true` (or a `preview` form field) nothing is written and the
    answer (200) shows the overrides that would be created and whom they would replace.
    """
    data, form_preview = _uploaded()
    preview = bool(form_preview if form_preview is not None else args.get("preview"))
    rota = rota_service.get_rota(rota_id)
    since = args.get("since") or now()
    days = current_app.config["CALENDAR_FUTURE_DAYS"]
    until = args.get("until") or since + timedelta(days=days)
    if until <= since or until - since > timedelta(days=MAX_IMPORT_DAYS):
        raise Problem(
            422,
            f"until: must be after since and at most {MAX_IMPORT_DAYS} days later",
            errors=[{"field": "until", "reason": f"after since, within {MAX_IMPORT_DAYS} days"}],
        )
    report = ical_import.import_calendar(
        current_user(), rota, data, since=since, until=until, preview=preview, now=now()
    )
    if preview:
        return json_with_etag(ical_import.present_report(report))
    db.session.commit()
    return json_with_etag(ical_import.present_report(report), 201)
