"""Marshmallow fields that turn raw input into trusted domain values at the boundary."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, time
from typing import Any

import marshmallow as ma
from marshmallow import fields

MAX_TEXT = 2000


def text(max_len: int = 300, *, required: bool = False, allow_none: bool = True, **kw: Any):
    """A string field with a length cap so huge input gets a 422, not a slow write."""
    return fields.String(
        required=required,
        allow_none=allow_none and not required,
        validate=ma.validate.Length(min=1 if required else 0, max=max_len),
        **kw,
    )


class Parsed(fields.Field):
    """A string parsed by a domain function that raises ValueError with the reason."""

    def __init__(self, parse: Callable[[str], Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parse = parse

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any):
        if not isinstance(value, str):
            raise ma.ValidationError("must be a string")
        try:
            return self.parse(value)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kw: Any):
        return None if value is None else str(value)


class AwareDateTime(fields.DateTime):
    """ISO 8601 date-time that must carry a UTC offset: naive input is ambiguous, so refused."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any):
        if not isinstance(value, str):
            raise ma.ValidationError("must be an ISO 8601 date-time string with an offset")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ma.ValidationError(
                "not an ISO 8601 date-time such as 2026-12-01T20:00:00+01:00"
            ) from None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise ma.ValidationError("must carry a UTC offset, e.g. +01:00 or Z")
        return parsed


class LocalTime(fields.Field):
    """HH:MM wall-clock time."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any):
        if not isinstance(value, str) or len(value) not in (5, 8):
            raise ma.ValidationError("must be a local time HH:MM")
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise ma.ValidationError("must be a local time HH:MM") from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kw: Any):
        return None if value is None else value.strftime("%H:%M")


class StrictBoolean(fields.Boolean):
    """Only JSON true/false: 'yes' or 1 in a JSON body is a client bug worth reporting."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any):
        if not isinstance(value, bool):
            raise ma.ValidationError("must be true or false")
        return value


class StrictInteger(fields.Integer):
    """Only JSON integers (no floats, strings or booleans)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any):
        if isinstance(value, bool):
            raise ma.ValidationError("must be an integer")
        return super()._deserialize(value, attr, data, **kw)
