"""Reachability input validation and the documented shapes of its answers."""

from __future__ import annotations

from marshmallow import fields, validate

from common.fields import Parsed, record_id
from directory.schemas import StrictSchema
from reachability.models import ATTEMPT_KINDS, ATTEMPT_STATES, CAMPAIGN_STATUSES
from reachability.planning import OUTCOMES, WINDOWS, parse_month
from reachability.tollfraud import parse_calling_codes

#: The months parse_month takes: 2000-01 to 2200-12.
MONTH_PATTERN = r"^(20[0-9]{2}|21[0-9]{2}|2200)-(0[1-9]|1[0-2])$"


class OnDemandCallIn(StrictSchema):
    person_id = record_id(required=True)
    phone = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "One of the person's numbers (E.164); their primary by default"},
    )


class CampaignIn(StrictSchema):
    month = Parsed(
        parse_month,
        required=True,
        metadata={
            "example": "2026-12",
            "pattern": r"^(20[0-9]{2}|21[0-9]{2}|2200)-(0[1-9]|1[0-2])$",
        },
    )
    parties = fields.List(
        fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$", error="must be an ISO2 code")),
        allow_none=True,
        load_default=None,
        validate=validate.Length(min=1, max=300),
        metadata={"description": "ISO2 codes; every Party with status party by default"},
    )
    window = fields.String(
        load_default="office-hours",
        validate=validate.OneOf(WINDOWS),
        metadata={"description": "office-hours of each contact point, or any-time (24/7)"},
    )


class PersonRef(StrictSchema):
    id = fields.Integer(allow_none=True)
    full_name = fields.String()


class ErrorOut(StrictSchema):
    code = fields.Integer(allow_none=True, metadata={"description": "Twilio's, e.g. 21211"})
    message = fields.String()


class AttemptOut(StrictSchema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(ATTEMPT_KINDS)})
    party = fields.String()
    campaign_id = fields.Integer(allow_none=True)
    step = fields.Integer(metadata={"description": "position in the Party's escalation path"})
    target = fields.String(metadata={"enum": ["person", "desk"]})
    tier = fields.Integer(allow_none=True)
    person = fields.Nested(PersonRef, allow_none=True)
    phone = fields.String(allow_none=True, metadata={"example": "+33612345678"})
    language = fields.String(metadata={"description": "language of the message spoken"})
    state = fields.String(metadata={"enum": list(ATTEMPT_STATES)})
    outcome = fields.String(allow_none=True, metadata={"enum": list(OUTCOMES)})
    reason = fields.String(allow_none=True)
    error = fields.Nested(ErrorOut, allow_none=True)
    twilio_sid = fields.String(allow_none=True)
    call_status = fields.String(allow_none=True)
    answered_by = fields.String(allow_none=True, metadata={"example": "human"})
    requested_by = fields.String()
    created_at = fields.String()
    due_at = fields.String()
    placed_at = fields.String(allow_none=True)
    answered_at = fields.String(allow_none=True)
    confirmed_at = fields.String(allow_none=True)
    ended_at = fields.String(allow_none=True)
    seconds_to_answer = fields.Float(allow_none=True)
    seconds_to_confirm = fields.Float(allow_none=True)
    duration_s = fields.Integer(allow_none=True)


class ProgressOut(StrictSchema):
    parties = fields.Integer()
    planned = fields.Integer()
    calling = fields.Integer()
    done = fields.Integer()
    outcomes = fields.Dict(keys=fields.String(), values=fields.Integer())


class SlotOut(StrictSchema):
    party = fields.String()
    planned_at = fields.String()
    planned_local = fields.String(metadata={"description": "in the Party's time zone"})
    state = fields.String()
    outcome = fields.String(allow_none=True)
    next_step_at = fields.String(allow_none=True)
    attempts = fields.Integer()


class CampaignOut(StrictSchema):
    id = fields.Integer()
    month = fields.String()
    window = fields.String(metadata={"enum": list(WINDOWS)})
    parties = fields.List(fields.String())
    status = fields.String(metadata={"enum": list(CAMPAIGN_STATUSES)})
    scheduled = fields.Boolean(metadata={"description": "made by `schedule --monthly`"})
    created_by = fields.String()
    created_at = fields.String()
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    cancelled_at = fields.String(
        allow_none=True, metadata={"description": "set when cancelled (status is then done)"}
    )
    first_slot_at = fields.String(allow_none=True)
    last_slot_at = fields.String(allow_none=True)
    progress = fields.Nested(ProgressOut)
    slots = fields.List(fields.Nested(SlotOut), metadata={"description": "detail only"})


class CampaignList(StrictSchema):
    items = fields.List(fields.Nested(CampaignOut))


class ReachedOut(StrictSchema):
    person_id = fields.Integer(allow_none=True)
    full_name = fields.String(allow_none=True)
    target = fields.String()


class PathStepOut(StrictSchema):
    id = fields.Integer()
    step = fields.Integer()
    target = fields.String()
    tier = fields.Integer(allow_none=True)
    person = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    state = fields.String()
    outcome = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    error_code = fields.Integer(allow_none=True)
    placed_at = fields.String(allow_none=True)
    answered_at = fields.String(allow_none=True)
    confirmed_at = fields.String(allow_none=True)
    ended_at = fields.String(allow_none=True)
    seconds_to_answer = fields.Float(allow_none=True)
    seconds_to_confirm = fields.Float(allow_none=True)


class PartyResultOut(StrictSchema):
    party = fields.String()
    party_name = fields.String()
    campaign_id = fields.Integer()
    month = fields.String(metadata={"description": "in a Party's history only"})
    state = fields.String()
    outcome = fields.String(allow_none=True, metadata={"description": "best outcome, once done"})
    best_so_far = fields.String(allow_none=True)
    reached = fields.Nested(ReachedOut, allow_none=True)
    phone = fields.String(allow_none=True)
    tier = fields.Integer(allow_none=True)
    planned_at = fields.String()
    planned_local = fields.String()
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    answered_at = fields.String(allow_none=True)
    confirmed_at = fields.String(allow_none=True)
    seconds_to_answer = fields.Float(allow_none=True)
    seconds_to_confirm = fields.Float(allow_none=True)
    attempts = fields.Integer()
    path = fields.List(fields.Nested(PathStepOut))


class TotalsOut(StrictSchema):
    parties = fields.Integer()
    done = fields.Integer()
    pending = fields.Integer()
    outcomes = fields.Dict(keys=fields.String(), values=fields.Integer())
    reached = fields.Integer(metadata={"description": "confirmed or answered by a human"})
    confirmed = fields.Integer()
    attempts = fields.Integer()
    reach_rate = fields.Float(allow_none=True, metadata={"description": "reached / parties"})
    confirm_rate = fields.Float(allow_none=True)


class ReportOut(StrictSchema):
    campaign = fields.Nested(CampaignOut)
    items = fields.List(fields.Nested(PartyResultOut))
    totals = fields.Nested(TotalsOut)


class PartyReachabilityOut(StrictSchema):
    party = fields.String()
    last_confirmed_at = fields.String(allow_none=True)
    campaigns = fields.List(fields.Nested(PartyResultOut))
    test_calls = fields.List(fields.Nested(AttemptOut))


def _allowable(code: int) -> bool:
    try:
        parse_calling_codes([code])
    except ValueError:
        return False
    return True


#: The country calling codes the secretariat may allow (known to phonenumbers, geographic):
#: the document lists them, as it lists the time zones.
ALLOWABLE_CALLING_CODES = [code for code in range(1, 1000) if _allowable(code)]


class CallingCodesIn(StrictSchema):
    calling_codes = fields.List(
        fields.Integer(
            strict=True,
            validate=validate.Range(min=1, max=999),
            metadata={"enum": ALLOWABLE_CALLING_CODES},
        ),
        required=True,
        validate=validate.Length(max=50),
        metadata={
            "description": "Country calling codes (e.g. 49 for Germany) besides the Party's own"
        },
    )


class CallingCodesOut(StrictSchema):
    party = fields.String()
    own_calling_code = fields.Integer(allow_none=True)
    calling_codes = fields.List(fields.Integer())
