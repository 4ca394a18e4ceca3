"""Mail preferences and links through the API: duty-reminder opt-in, verification links again,
and the network's confirmation settings (docs/freshness.md)."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, current_app
from marshmallow import fields, validate

from common.api import Blueprint, check_if_match, documents_problems, json_with_etag
from common.clock import now
from common.db import db
from common.errors import Problem
from directory import freshness
from directory.access import require_party_editor
from directory.auth import current_user
from directory.service import get_party, get_person
from mail.models import MailPreference
from mail.reminders import DUTY_HOURS, queue_messages, verification_messages

blp = Blueprint(
    "mail",
    __name__,
    url_prefix="/api/v1",
    description="Duty reminders, e-mail verification links, confirmation settings",
)


class DutyRemindersIn(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    hours = fields.Integer(
        required=True,
        allow_none=True,
        strict=True,
        validate=validate.Range(*DUTY_HOURS),
        metadata={"description": "remind this many hours before each shift; null: no reminders"},
    )


class SettingsIn(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    confirmation_validity_months = fields.Integer(
        strict=True, validate=validate.Range(*freshness.LIMITS["confirmation_validity_months"])
    )
    confirmation_due_soon_days = fields.Integer(
        strict=True, validate=validate.Range(*freshness.LIMITS["confirmation_due_soon_days"])
    )
    confirmation_grace_days = fields.Integer(
        strict=True, validate=validate.Range(*freshness.LIMITS["confirmation_grace_days"])
    )


@blp.put("/people/<int:person_id>/duty-reminders")
@blp.arguments(DutyRemindersIn)
@blp.response(200)
@documents_problems(blp, 401, 403, 404, 422)
def set_duty_reminders(data: dict, person_id: int) -> Response:
    """Opt a person in to "your duty starts in N hours" e-mails (`{"hours": 12}`), or out (null).
    Their Party's administrators and the secretariat."""
    person = get_person(person_id)
    require_party_editor(current_user(), person.party_id)
    if data["hours"] is not None and not person.email:
        raise Problem(
            422,
            "hours: the person has no e-mail address",
            errors=[{"field": "hours", "reason": "the person has no e-mail address"}],
        )
    pref = db.session.get(MailPreference, person.id)
    if pref is None:
        pref = MailPreference(person_id=person.id, updated_at=now())
        db.session.add(pref)
    pref.duty_reminder_hours = data["hours"]
    pref.updated_at = now()
    db.session.commit()
    return json_with_etag({"person_id": person.id, "hours": pref.duty_reminder_hours})


@blp.post("/parties/<iso2>/verification-links")
@blp.response(200)
@documents_problems(blp, 401, 403, 404)
def send_verification_links(iso2: str) -> Response:
    """Send a one-time verification link to each of the Party's addresses not verified yet
    (again, e.g. after a link expired). Its administrators and the secretariat."""
    party = get_party(iso2)
    require_party_editor(current_user(), party.id)
    at = now()
    mine = [o for o in verification_messages(at, current_app.config) if o.party_id == party.id]
    for outgoing in mine:
        outgoing.key = f"{outgoing.key}:{at:%Y%m%dT%H%M%S}"  # a new period: a new link
    queued = queue_messages(mine, at, current_app.config)
    db.session.commit()
    return json_with_etag({"party": party.iso2, "queued": queued})


def _settings() -> dict[str, int]:
    return {key: freshness.setting(key) for key in freshness.DEFAULTS}


@blp.get("/network-settings")
@blp.response(200)
@documents_problems(blp, 401)
def get_settings() -> Response:
    """The confirmation policy: validity (months), due-soon and grace periods (days)."""
    return json_with_etag(_settings())


@blp.patch("/network-settings")
@blp.arguments(SettingsIn)
@blp.response(200)
@documents_problems(blp, 401, 403, 412, 422)
def patch_settings(data: dict) -> Response:
    """Change the confirmation policy (secretariat); later confirmations follow it. Honours
    If-Match (the ETag of `GET /api/v1/network-settings`): 412 when another change came first."""
    # The version before the values: a change committed between the two reads then fails the
    # If-Match check or the version's conditional UPDATE, never neither.
    version = freshness.settings_version()
    check_if_match(_settings())
    if data:
        freshness.set_settings(current_user(), data, now(), expected_version=version)
    db.session.commit()
    return json_with_etag(_settings())
