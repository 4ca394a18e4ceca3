"""Problem details (RFC 9457) for every error the API answers."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import Response, current_app, json
from werkzeug.exceptions import HTTPException

PROBLEM_MIME = "application/problem+json"


class FieldError(ma.Schema):
    field = ma.fields.String(
        required=True,
        metadata={"description": "Dotted path of the bad field, e.g. phones[0].number"},
    )
    reason = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """The body of every error answer (RFC 9457; documentation only).

    Besides the standard members, some answers carry an extension member: `errors` (422, one
    entry per bad field), `conflict` (409, the record in the way), `retry_after` (429, seconds),
    `campaign_id` (409 on a campaign) or `report` (422 of an iCal import).
    """

    class Meta:
        unknown = ma.INCLUDE  # RFC 9457 extension members may be added

    type = ma.fields.String(required=True, metadata={"example": "about:blank"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True, metadata={"minimum": 400, "maximum": 599})
    detail = ma.fields.String(required=True)
    errors = ma.fields.List(
        ma.fields.Nested(FieldError), metadata={"description": "422: each bad field and why"}
    )
    conflict = ma.fields.Dict(
        metadata={"description": "409: the existing record in the way, e.g. an override"}
    )
    retry_after = ma.fields.Integer(metadata={"description": "429: seconds to wait"})
    campaign_id = ma.fields.Integer(metadata={"description": "409: the campaign in the way"})
    report = ma.fields.Dict(metadata={"description": "422 of an import: the whole report"})


class Problem(Exception):  # noqa: N818 -- "Problem" is the RFC 9457 word
    """Raised by services and views; rendered as application/problem+json."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.title = title or HTTPStatus(status).phrase
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def invalid(field: str, reason: str) -> Problem:
    """A 422 for one bad field."""
    return Problem(422, f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


def not_found(what: str) -> Problem:
    return Problem(404, f"{what} not found")


def conflict(detail: str, **extra: Any) -> Problem:
    return Problem(409, detail, extra=extra)


def flatten_messages(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn marshmallow's nested messages into [{field, reason}] with dotted paths."""
    out: list[dict[str, str]] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix or "body"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_messages(value, path))
    elif isinstance(messages, list | tuple):
        for item in messages:
            out.extend(flatten_messages(item, prefix))
    else:
        out.append({"field": prefix or "body", "reason": str(messages)})
    return out


def problem_response(problem: Problem) -> Response:
    """Render a Problem as a JSON response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors:
        body["errors"] = problem.errors
    body.update(problem.extra)
    resp = current_app.response_class(
        json.dumps(body), status=problem.status, mimetype=PROBLEM_MIME
    )
    for key, value in problem.headers.items():
        resp.headers[key] = value
    return resp


def problem_from_http(error: HTTPException) -> Problem:
    """Map werkzeug/webargs HTTP errors (incl. validation) onto a Problem."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors: list[dict[str, str]] = []
    messages = data.get("messages") or data.get("errors")
    if messages:
        # webargs nests messages under the location ("json", "query"); drop that level.
        if isinstance(messages, Mapping) and set(messages) <= {"json", "query", "form", "headers"}:
            for location, inner in messages.items():
                prefix = "" if location in ("json", "query") else location
                errors.extend(flatten_messages(inner, prefix))
        else:
            errors.extend(flatten_messages(messages))
    if errors:
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
    else:
        detail = data.get("message") or error.description or HTTPStatus(status).phrase
    if status == 400 and any("Invalid JSON" in e["reason"] for e in errors):
        detail = "the request body is not valid JSON"
    headers = dict(data.get("headers") or {})
    if status == 405:
        # RFC 9110 §15.5.6: a 405 names the methods the resource has.
        allow = dict(error.get_headers()).get("Allow")
        if allow:
            headers["Allow"] = allow
    return Problem(status, detail, errors=errors, title=error.name, headers=headers)
