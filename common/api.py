"""The flask-smorest Api, speaking problem+json, plus ETag helpers shared by the blueprints."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, json, request
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from werkzeug.exceptions import HTTPException

from common.errors import Problem, ProblemSchema, problem_from_http, problem_response
from common.openapi import BoundedParser, ProblemDocs


class Api(ProblemDocs, SmorestApi):  # type: ignore[misc]  # flask-smorest is untyped
    """flask-smorest with RFC 9457 error bodies, documented as such (common.openapi)."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        return problem_response(problem_from_http(error))


api = Api()


class Blueprint(SmorestBlueprint):  # type: ignore[misc]  # flask-smorest is untyped
    """Every API blueprint: inputs read by the bounded parser (depth, NUL, 415)."""

    ARGUMENTS_PARSER = BoundedParser()


def etag_of(payload: Any) -> str:
    """A strong ETag for a JSON representation (same bytes, same tag)."""
    return _tag(_body(payload))


def _body(payload: Any) -> bytes:
    # A strong ETag names the bytes sent: the tag is the hash of this body (presenters build
    # their dicts in a fixed order, so one record always gives the same bytes).
    return json.dumps(payload).encode()


def _tag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def sent_if_match() -> bool:
    """True when the client sent an If-Match other than `*` — even one naming no tag werkzeug
    can read (`"x"x`), which must fail the precondition rather than be ignored."""
    raw = request.headers.get("If-Match", "").strip()
    return bool(raw) and not request.if_match.star_tag


def check_if_match(current_payload: Any) -> None:
    """412 when the client's If-Match names another version than the current one."""
    if not sent_if_match():
        return
    current = etag_of(current_payload).strip('"')
    # A compressed answer's ETag carries the encoding (Flask-Compress: "<tag>:gzip").
    sent = {tag.rsplit(":", 1)[0] for tag in request.if_match.as_set()}
    if current not in sent:
        raise Problem(
            412,
            "the record changed since you read it: fetch it again and reapply your change",
            headers={"ETag": etag_of(current_payload)},
        )


def json_with_etag(payload: Any, status: int = 200) -> Response:
    """A JSON response carrying its ETag; 304 when the client already has it."""
    return json_bytes_with_etag(_body(payload), status)


def json_bytes_with_etag(body: bytes, status: int = 200) -> Response:
    """The same for a body already serialized (a cached answer)."""
    tag = _tag(body)
    if status == 200 and request.if_none_match.contains(tag.strip('"')):
        resp = Response(status=304)
    else:
        resp = Response(body, status=status, mimetype="application/json")
    resp.headers["ETag"] = tag
    return resp


_REASONS = {
    400: "Malformed request (e.g. the body is not JSON)",
    401: "No or bad credentials",
    403: "Not allowed for your role or Party",
    404: "Not found",
    409: "Conflicts with existing data",
    412: "If-Match names a stale version",
    422: "A field is invalid; `errors` names each field and why",
    429: "Too many requests; see Retry-After",
    503: "A needed service is not configured",
}


def documents_problems(blp: Any, *codes: int) -> Any:
    """Decorator: document the problem answers a route can give."""

    def decorate(func: Any) -> Any:
        for code in codes:
            func = blp.alt_response(
                code,
                schema=ProblemSchema,
                description=_REASONS[code],
                content_type="application/problem+json",
            )(func)
        return func

    return decorate
