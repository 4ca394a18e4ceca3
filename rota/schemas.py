"""Rota input validation and the documented shapes of rota answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import marshmallow as ma
from marshmallow import fields, validate

from common.fields import AwareDateTime, Parsed, StrictInteger, record_id, text
from directory.schemas import (
    QuerySchema,
    StrictSchema,
    WindowIn,
    language_tag_field,
    timezone_field,
)
from rota.resolution import format_duration, parse_duration

MAX_RANGE_DAYS = 366


#: Years 1970..2200, and the leap years among them (2000 is one, 2100 and 2200 are not).
_LOCAL_YEAR = r"(19[7-9][0-9]|2[01][0-9]{2}|2200)"
_LEAP_YEAR = (
    r"(19(7[26]|8[048]|9[26])|20([02468][048]|[13579][26])|21([02468][48]|[2468]0|[13579][26]))"
)
#: YYYY-MM-DDTHH:MM[:SS] naming a day that exists: the form the answers use. The service reads
#: any ISO 8601 form of the same (datetime.fromisoformat); this is the part a pattern can promise.
LOCAL_DATE_TIME_PATTERN = (
    rf"^({_LOCAL_YEAR}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)"
    rf"|(0[13578]|1[02])-31)|{_LEAP_YEAR}-02-29)T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
)
#: An ISO 8601 duration in weeks, days, hours, minutes and seconds (parse_duration's form,
#: upper case); its length (15 minutes to a year) is checked on reading.
_CLOCK = r"T([0-9]+H([0-9]+M)?([0-9]+S)?|[0-9]+M([0-9]+S)?|[0-9]+S)"
DURATION_PATTERN = rf"^P([0-9]+W([0-9]+D)?({_CLOCK})?|[0-9]+D({_CLOCK})?|{_CLOCK})$"


class LocalDateTime(fields.String):
    """A wall-clock date-time with no offset: the rota's zone gives it meaning."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {
            "pattern": LOCAL_DATE_TIME_PATTERN,
            "example": "2026-12-07T09:00",
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(  # type: ignore[override]  # a String in the schema, a datetime once read
        self, value: Any, attr: str | None, data: Any, **kw: Any
    ) -> datetime:
        if not isinstance(value, str) or len(value) > 32:
            raise ma.ValidationError("must be a local date-time such as 2026-12-07T09:00")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ma.ValidationError("must be a local date-time such as 2026-12-07T09:00") from None
        if parsed.tzinfo is not None:
            raise ma.ValidationError(
                "must not carry an offset: it is a wall-clock time in the rota's time zone"
            )
        if not 1970 <= parsed.year <= 2200:
            raise ma.ValidationError("must be between 1970 and 2200")
        return parsed.replace(microsecond=0)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kw: Any) -> str | None:
        return None if value is None else value.isoformat(timespec="minutes")


def _duration(text_value: str) -> str:
    """Check an ISO duration and keep its canonical text."""
    length = parse_duration(text_value)
    if length.total_seconds() < 15 * 60:
        raise ValueError("shifts shorter than 15 minutes are not supported")
    if length.days > 366:
        raise ValueError("shifts longer than a year are not supported")
    return format_duration(length)


class RotaIn(StrictSchema):
    name = text(120, required=True)
    tier = StrictInteger(required=True, validate=validate.Range(min=1, max=9))
    timezone = timezone_field(
        allow_none=True, metadata={"description": "IANA zone; the contact point's by default"}
    )


class RotaPatch(StrictSchema):
    name = text(120, allow_none=False, min_len=1)
    tier = StrictInteger(validate=validate.Range(min=1, max=9))
    timezone = timezone_field()


class RotationIn(StrictSchema):
    name = text(120)
    members = fields.List(
        record_id(),
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "person ids in order; a person may appear twice"},
    )
    start_local = LocalDateTime(required=True)
    shift_length = Parsed(
        _duration,
        required=True,
        metadata={
            "example": "P7D",
            "pattern": DURATION_PATTERN,
            "description": "ISO 8601 duration, 15 minutes (PT15M) to a year (P366D)",
        },
    )
    restrictions = fields.List(
        fields.Nested(WindowIn), load_default=list, validate=validate.Length(max=28)
    )


class RotationPatch(StrictSchema):
    name = text(120)
    members = fields.List(record_id(), validate=validate.Length(min=1, max=100))
    members_effective_at = AwareDateTime(
        metadata={"description": "new members apply to shifts handed off from then (default now)"}
    )
    start_local = LocalDateTime()
    shift_length = Parsed(
        _duration,
        metadata={
            "example": "P7D",
            "pattern": DURATION_PATTERN,
            "description": "ISO 8601 duration, 15 minutes (PT15M) to a year (P366D)",
        },
    )
    restrictions = fields.List(fields.Nested(WindowIn), validate=validate.Length(max=28))
    position = StrictInteger(validate=validate.Range(min=0, max=100))

    #: members_effective_at only with members (as _effective_needs_members says).
    json_schema_rules: ClassVar[dict[str, Any]] = {
        "anyOf": [{"required": ["members"]}, {"properties": {"members_effective_at": {"not": {}}}}]
    }

    @ma.validates_schema
    def _effective_needs_members(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "members_effective_at" in data and "members" not in data:
            raise ma.ValidationError({"members_effective_at": ["only with members"]})


class OverrideIn(StrictSchema):
    person_id = record_id(required=True)
    start = AwareDateTime(required=True)
    end = AwareDateTime(required=True)
    note = text(500, multiline=True)

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ma.ValidationError({"end": ["must be after start"]})
        if "start" in data and "end" in data and (data["end"] - data["start"]).days > 366:
            raise ma.ValidationError({"end": ["an override lasts at most 366 days"]})


class OnCallQuery(QuerySchema):
    at = AwareDateTime(metadata={"description": "ISO 8601 with offset; default now"})
    lang = language_tag_field(metadata={"description": "BCP 47 tag, e.g. es"})
    tier = fields.Integer(validate=validate.Range(min=1, max=9))


def _check_range(data: dict[str, Any]) -> None:
    since, until = data.get("since"), data.get("until")
    if since and until:
        if until <= since:
            raise ma.ValidationError({"until": ["must be after since"]})
        if (until - since).total_seconds() > MAX_RANGE_DAYS * 86400:
            raise ma.ValidationError({"until": [f"at most {MAX_RANGE_DAYS} days after since"]})


class RangeQuery(QuerySchema):
    since = AwareDateTime(metadata={"description": "default now"})
    until = AwareDateTime(metadata={"description": "default since + 14 days; at most 366 days"})

    @ma.validates_schema
    def _range(self, data: dict[str, Any], **kwargs: Any) -> None:
        _check_range(data)


class ShiftsQuery(RangeQuery):
    tier = fields.Integer(validate=validate.Range(min=1, max=9))


class GapsQuery(RangeQuery):
    all_tiers = fields.Boolean(load_default=False)


class PreviewIn(StrictSchema):
    timezone = timezone_field(allow_none=True)
    rotations = fields.List(
        fields.Nested(RotationIn), required=True, validate=validate.Length(min=1, max=20)
    )
    overrides = fields.List(fields.Nested(OverrideIn), load_default=list)
    since = AwareDateTime()
    until = AwareDateTime()

    @ma.validates_schema
    def _range(self, data: dict[str, Any], **kwargs: Any) -> None:
        _check_range(data)


# --- documented answers ------------------------------------------------------------------


class RotationOut(ma.Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True)
    position = fields.Integer()
    members = fields.List(fields.Integer())
    member_changes = fields.List(fields.Dict())
    start_local = fields.String()
    shift_length = fields.String()
    restrictions = fields.List(fields.Dict())


class RotaOut(ma.Schema):
    id = fields.Integer()
    party = fields.String()
    name = fields.String()
    tier = fields.Integer()
    timezone = fields.String()
    rotations = fields.List(fields.Nested(RotationOut))
    updated_at = fields.String()


class RotaList(ma.Schema):
    items = fields.List(fields.Nested(RotaOut))


class OverrideOut(ma.Schema):
    id = fields.Integer()
    rota_id = fields.Integer()
    person_id = fields.Integer()
    person_name = fields.String(
        allow_none=True, metadata={"description": "in lists; null in the answer to a creation"}
    )
    start = fields.String()
    end = fields.String()
    note = fields.String(allow_none=True)


class OverrideList(ma.Schema):
    items = fields.List(fields.Nested(OverrideOut))


class OnCallOut(ma.Schema):
    party = fields.Dict()
    at = fields.String()
    local_time = fields.String()
    timezone = fields.String()
    tiers = fields.List(fields.Dict())
    desk_phone = fields.Dict(allow_none=True)
    next_handoff = fields.String(allow_none=True)
    language = fields.Dict(allow_none=True)
    gap = fields.Boolean(metadata={"description": "true when nobody covers tier 1 at `at`"})
    freshness = fields.Dict(
        metadata={"description": "state (for now), confirmed_at, confirmed_by, valid_until"}
    )


class NetworkOnCallOut(ma.Schema):
    at = fields.String()
    items = fields.List(fields.Dict())


class ShiftsOut(ma.Schema):
    party = fields.Dict()
    since = fields.String()
    until = fields.String()
    tiers = fields.List(fields.Dict())


class GapsOut(ma.Schema):
    since = fields.String()
    until = fields.String()
    items = fields.List(fields.Dict())


class PreviewOut(ma.Schema):
    since = fields.String()
    until = fields.String()
    shifts = fields.List(fields.Dict())
