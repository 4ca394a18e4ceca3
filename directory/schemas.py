"""Directory input validation and the documented shapes of its answers."""

from __future__ import annotations

from typing import Any, ClassVar
from zoneinfo import available_timezones

import marshmallow as ma
from marshmallow import fields, validate

from common.fields import AwareDateTime, LocalTime, Parsed, StrictBoolean, query_id, text
from directory.models import (
    CONTACT_POINT_KINDS,
    LANGUAGE_LEVELS,
    PARTY_STATUSES,
    PHONE_KINDS,
)
from directory.values import parse_email, parse_language_tag, parse_timezone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: BCP 47 as the service reads it (language[-Script][-REGION]); the language must also be one
#: Babel knows, which a pattern cannot say.
LANGUAGE_TAG_PATTERN = r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?$"


def timezone_field(**kw: Any) -> Parsed:
    """An IANA zone name, documented as the list of zones the service knows."""
    metadata = {"enum": sorted(available_timezones()), **kw.pop("metadata", {})}
    if kw.get("allow_none"):
        metadata["enum"] = [*metadata["enum"], None]
    return Parsed(parse_timezone, metadata=metadata, **kw)


def email_field(**kw: Any) -> Parsed:
    """An e-mail address as email-validator reads it (no DNS look-up), normalized."""
    metadata = {"format": "email", "maxLength": 320, **kw.pop("metadata", {})}
    return Parsed(parse_email, metadata=metadata, **kw)


def language_tag_field(**kw: Any) -> Parsed:
    """A BCP 47 language tag such as fr, pt-BR or sr-Latn."""
    metadata = {"pattern": LANGUAGE_TAG_PATTERN, "example": "pt-BR", **kw.pop("metadata", {})}
    return Parsed(parse_language_tag, metadata=metadata, **kw)


class StrictSchema(ma.Schema):
    """Unknown fields are an error: a typo must not be silently dropped."""

    class Meta:
        unknown = ma.RAISE


class PhoneIn(StrictSchema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    kind = fields.String(validate=validate.OneOf(PHONE_KINDS), allow_none=True)
    label = text(100)
    primary = StrictBoolean(load_default=False)


class LanguageIn(StrictSchema):
    tag = language_tag_field(required=True)
    level = fields.String(load_default="working", validate=validate.OneOf(LANGUAGE_LEVELS))


def _check_primary(phones: list[dict[str, Any]]) -> None:
    if sum(1 for p in phones if p.get("primary")) > 1:
        raise ma.ValidationError({"phones": ["at most one phone can be primary"]})


def _check_languages(languages: list[dict[str, Any]]) -> None:
    tags = [lang["tag"] for lang in languages]
    if len(tags) != len(set(tags)):
        raise ma.ValidationError({"languages": ["a language is listed twice"]})


class PersonIn(StrictSchema):
    full_name = text(200, required=True)
    title = text(200)
    email = email_field(allow_none=True)
    timezone = timezone_field(allow_none=True)
    active = StrictBoolean(load_default=True)
    phones = fields.List(
        fields.Nested(PhoneIn), load_default=list, validate=validate.Length(max=10)
    )
    languages = fields.List(
        fields.Nested(LanguageIn), load_default=list, validate=validate.Length(max=20)
    )

    @ma.validates_schema
    def _consistent(self, data: dict[str, Any], **kwargs: Any) -> None:
        _check_primary(data.get("phones") or [])
        _check_languages(data.get("languages") or [])


class PersonPatch(PersonIn):
    """Same fields as creation, all optional; lists given replace the stored ones."""

    full_name = text(200, allow_none=False, min_len=1)
    active = StrictBoolean()
    phones = fields.List(fields.Nested(PhoneIn), validate=validate.Length(max=10))
    languages = fields.List(fields.Nested(LanguageIn), validate=validate.Length(max=20))

    @ma.validates_schema
    def _not_empty_name(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "full_name" in data and not data["full_name"]:
            raise ma.ValidationError({"full_name": ["must not be empty"]})


class WindowIn(StrictSchema):
    weekdays = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAYS)),
        load_default=lambda: list(WEEKDAYS),
        validate=validate.Length(min=1, max=7),
    )
    from_local = LocalTime(required=True)
    to_local = LocalTime(required=True)


class MlaAuthorityIn(StrictSchema):
    name = text(300)
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    email = email_field(allow_none=True)


class ContactPointIn(StrictSchema):
    unit_name = text(300, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CONTACT_POINT_KINDS))
    address = text(1000, multiline=True)
    email = email_field(allow_none=True)
    desk_phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    timezone = timezone_field(required=True)
    office_hours = fields.List(
        fields.Nested(WindowIn), load_default=list, validate=validate.Length(max=14)
    )
    can_order_preservation = StrictBoolean(load_default=False)
    mla_authority = fields.Nested(MlaAuthorityIn, load_default=dict)
    effective_from = fields.Date(allow_none=True)
    effective_at = AwareDateTime(
        allow_none=True,
        metadata={
            "description": "with new_designation: the instant (ISO 8601 with offset) the new unit "
            "takes over; lookups, the board and feeds switch then (docs/freshness.md)"
        },
    )
    new_designation = StrictBoolean(
        load_default=False,
        metadata={
            "description": "true: a new unit is designated and the current one is kept "
            "in history, ending on effective_from; false: correct the current one"
        },
    )

    #: effective_at only with new_designation: true (a correction applies at once; the
    #: service refuses it naming effective_at).
    json_schema_rules: ClassVar[dict[str, Any]] = {
        "anyOf": [
            {"required": ["new_designation"], "properties": {"new_designation": {"enum": [True]}}},
            {"properties": {"effective_at": {"nullable": True, "enum": [None]}}},
        ]
    }


class PartyIn(StrictSchema):
    iso2 = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="must be two capital letters")
    )
    name = text(120, required=True)
    status = fields.String(required=True, validate=validate.OneOf(PARTY_STATUSES))
    signed_date = fields.Date(allow_none=True)
    ratified_date = fields.Date(allow_none=True)
    in_force_date = fields.Date(allow_none=True)
    source = text(1000, multiline=True)
    notes = text(2000, multiline=True)


class PartyPatch(PartyIn):
    iso2 = fields.String(dump_only=True)
    name = text(120, allow_none=False, min_len=1)
    status = fields.String(validate=validate.OneOf(PARTY_STATUSES))


class QuerySchema(ma.Schema):
    """Query strings tolerate unknown parameters (cache busters, tracking)."""

    class Meta:
        unknown = ma.EXCLUDE


class PartyQuery(QuerySchema):
    status = fields.String(validate=validate.OneOf(PARTY_STATUSES))


class PeopleQuery(QuerySchema):
    language = language_tag_field()
    active = fields.Boolean()


class AuditQuery(QuerySchema):
    party = fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$"))
    entity = fields.String(validate=validate.Length(max=32))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    before_id = query_id()


# --- documented answers (the presenters in present.py build them) ---------------------------


class PhoneOut(ma.Schema):
    e164 = fields.String()
    international = fields.String()
    kind = fields.String()
    label = fields.String(allow_none=True)
    primary = fields.Boolean()


class LanguageOut(ma.Schema):
    tag = fields.String()
    name = fields.String()
    level = fields.String()


class PersonOut(ma.Schema):
    id = fields.Integer()
    party = fields.String()
    full_name = fields.String()
    title = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    timezone = fields.String(allow_none=True)
    active = fields.Boolean()
    last_confirmed_at = fields.String(allow_none=True)
    phones = fields.List(fields.Nested(PhoneOut))
    languages = fields.List(fields.Nested(LanguageOut))
    updated_at = fields.String()


class NumberOut(ma.Schema):
    e164 = fields.String()
    international = fields.String()
    kind = fields.String()


class ContactPointOut(ma.Schema):
    id = fields.Integer()
    unit_name = fields.String()
    kind = fields.String()
    address = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    desk_phone = fields.Nested(NumberOut, allow_none=True)
    timezone = fields.String()
    office_hours = fields.List(fields.Dict())
    can_order_preservation = fields.Boolean()
    mla_authority = fields.Dict()
    effective_from = fields.String()
    effective_to = fields.String(allow_none=True)
    effective_at = fields.String(allow_none=True)
    updated_at = fields.String()


class PartyOut(ma.Schema):
    iso2 = fields.String()
    name = fields.String(metadata={"description": "in the language of Accept-Language"})
    name_en = fields.String()
    status = fields.String()
    signed_date = fields.String(allow_none=True)
    ratified_date = fields.String(allow_none=True)
    in_force_date = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    updated_at = fields.String()


class FreshnessOut(ma.Schema):
    """Whether the Party's entries are vouched for (docs/freshness.md); state is for now."""

    state = fields.String(metadata={"enum": ["current", "due_soon", "overdue", "expired"]})
    confirmed_at = fields.DateTime(allow_none=True)
    confirmed_by = fields.String(allow_none=True)
    valid_until = fields.DateTime(allow_none=True)


class PartyDetailOut(PartyOut):
    contact_point = fields.Nested(ContactPointOut, allow_none=True)
    people = fields.List(fields.Nested(PersonOut))
    freshness = fields.Nested(FreshnessOut)


class PartyList(ma.Schema):
    items = fields.List(fields.Nested(PartyOut))


class PersonList(ma.Schema):
    items = fields.List(fields.Nested(PersonOut))


class AuditOut(ma.Schema):
    id = fields.Integer()
    at = fields.String()
    actor = fields.String()
    action = fields.String()
    entity = fields.String()
    entity_id = fields.Integer(allow_none=True)
    party_id = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class AuditList(ma.Schema):
    items = fields.List(fields.Nested(AuditOut))


class HistoryOut(ma.Schema):
    designations = fields.List(fields.Nested(ContactPointOut))
    changes = fields.List(fields.Nested(AuditOut))
