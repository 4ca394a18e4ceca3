"""Marshmallow fields that turn raw input into trusted domain values at the boundary."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, time
from typing import Any

import marshmallow as ma
from marshmallow import fields

MAX_TEXT = 2000

#: Ids are PostgreSQL `integer` columns: a larger number can name no record (and would make
#: the driver fail), so it is refused before any query.
MAX_ID = 2**31 - 1

#: Instants outside this window are refused (422): nothing in a duty rota is older or further
#: ahead, and datetime arithmetic near years 1 and 9999 overflows.
MIN_YEAR, MAX_YEAR = 1900, 2199
YEAR_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2})-"
#: HH:MM (or HH:MM:SS), as LocalTime reads it.
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"

#: Bidirectional embeddings, overrides and isolates: they reorder what a reader sees
#: ("Eve\u202eliA" reads as "EveAil"), so names and free text refuse them. The marks
#: LRM, RLM and ALM stay: real right-to-left text needs them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Other invisible characters that only serve to hide or break text (ZWJ and ZWNJ, which
#: Indic, Arabic and emoji sequences need, are kept).
HIDDEN = frozenset("\u2028\u2029\ufeff\ufff9\ufffa\ufffb")


def unclean_reason(value: str, *, multiline: bool = False) -> str | None:
    """Why a text cannot be stored (NUL, control, bidi override, lone surrogate), or None."""
    for ch in value:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code <= 0x9F:
            if multiline and ch in "\n\r\t":
                continue
            return f"must not contain the control character U+{code:04X}"
        if ch in BIDI_CONTROLS:
            return f"must not contain the bidirectional control U+{code:04X}"
        if ch in HIDDEN:
            return f"must not contain the invisible character U+{code:04X}"
        if 0xD800 <= code <= 0xDFFF:
            return "must not contain a lone surrogate"
    return None


class CleanText(ma.validate.Validator):
    """Refuse text a reader would see differently from what is stored (see unclean_reason)."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            reason = unclean_reason(value, multiline=self.multiline)
            if reason:
                raise ma.ValidationError(reason)
        return value


def text(
    max_len: int = 300,
    *,
    required: bool = False,
    allow_none: bool = True,
    min_len: int | None = None,
    multiline: bool = False,
    **kw: Any,
) -> fields.String:
    """A clean string field with a length cap so huge input gets a 422, not a slow write.

    `allow_none=False` for a column that cannot be empty (a name in a PATCH); `multiline` lets
    free text keep line breaks and tabs.
    """
    low = min_len if min_len is not None else (1 if required else 0)
    metadata = {"pattern": text_pattern(multiline=multiline), **kw.pop("metadata", {})}
    return fields.String(
        required=required,
        allow_none=allow_none and not required,
        validate=[ma.validate.Length(min=low, max=max_len), CleanText(multiline=multiline)],
        metadata=metadata,
        **kw,
    )


def text_pattern(*, multiline: bool = False) -> str:
    """The same rule as unclean_reason, as a JSON Schema pattern for the OpenAPI document."""
    controls = "\\u000b\\u000c\\u000e-\\u001f" if multiline else "\\u0000-\\u001f"
    if multiline:
        controls = "\\u0000-\\u0008" + controls
    refused = (
        controls
        + "\\u007f-\\u009f"
        + "".join(f"\\u{ord(c):04x}" for c in sorted(BIDI_CONTROLS | HIDDEN))
    )
    return f"^[^{refused}]*$"


def record_id(**kw: Any) -> fields.Integer:
    """An id in a JSON body: a JSON integer 1..MAX_ID (422 naming the field otherwise)."""
    return StrictInteger(validate=ma.validate.Range(min=1, max=MAX_ID), **kw)


def query_id(**kw: Any) -> fields.Integer:
    """An id in a query string (text read as an integer), 1..MAX_ID."""
    return fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID), **kw)


class Parsed(fields.String):
    """A string parsed by a domain function that raises ValueError with the reason."""

    def __init__(self, parse: Callable[[str], Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parse = parse

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any
    ) -> Any:
        if not isinstance(value, str):
            raise ma.ValidationError("must be a string")
        try:
            return self.parse(value)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kw: Any) -> Any:
        return None if value is None else str(value)


class AwareDateTime(fields.DateTime):
    """ISO 8601 date-time that must carry a UTC offset: naive input is ambiguous, so refused.

    Only years MIN_YEAR..MAX_YEAR: the window is in the OpenAPI document as a pattern.
    """

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": YEAR_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any
    ) -> Any:
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
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise ma.ValidationError(f"must be between the years {MIN_YEAR} and {MAX_YEAR}")
        return parsed


class LocalTime(fields.String):
    """HH:MM wall-clock time."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": LOCAL_TIME_PATTERN, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any
    ) -> Any:
        if not isinstance(value, str) or len(value) not in (5, 8):
            raise ma.ValidationError("must be a local time HH:MM")
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise ma.ValidationError("must be a local time HH:MM") from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kw: Any) -> Any:
        return None if value is None else value.strftime("%H:%M")


class StrictBoolean(fields.Boolean):
    """Only JSON true/false: 'yes' or 1 in a JSON body is a client bug worth reporting."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any
    ) -> Any:
        if not isinstance(value, bool):
            raise ma.ValidationError("must be true or false")
        return value


class StrictInteger(fields.Integer):
    """Only JSON integers (no floats, strings or booleans)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strict", True)
        super().__init__(**kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kw: Any
    ) -> Any:
        if isinstance(value, bool):
            raise ma.ValidationError("must be an integer")
        return super()._deserialize(value, attr, data, **kw)
