"""The API's contract at the boundary: bounded inputs and an OpenAPI document that tells the truth.

- `IdConverter`: a path id outside 1..MAX_ID names no record: 404 before any query.
- `BoundedParser`: JSON bodies are parsed with a depth limit (400), every string in a body or a
  query is refused with a 422 naming the field when it holds NUL or a lone surrogate, and a write
  whose body is not JSON answers 415 instead of being read as an empty change.
- `ProblemDocs`: every error answer documented as application/problem+json with the one Problem
  schema, plus the answers every operation can give (401, 429, 503, and 400/415/422 where a body
  or parameters are read).
- `SchemaRules`: rules across a body's fields that JSON Schema can state (`oneOf`, `anyOf`),
  declared next to the marshmallow schema that enforces them (`json_schema_rules`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from copy import deepcopy
from typing import Any

from apispec import BasePlugin
from flask import Flask, Request
from flask_smorest.spec import prepare_response
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter

from common.errors import PROBLEM_MIME, Problem
from common.fields import MAX_ID, Parsed

#: How deeply a JSON body may nest. The deepest body the API takes (a preview's rotation
#: restrictions) is 4 levels; 32 leaves room and keeps parsing and validation linear.
MAX_JSON_DEPTH = 32

#: Methods whose body is the request's input.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


class IdConverter(IntegerConverter):
    """`<int:…>` in every URL: an id outside 1..MAX_ID reaches the view as 0, which names no
    record, so the answer is the view's own 404 (a converter that refused the value would make
    werkzeug answer 405 or 404 depending on which other routes share the path)."""

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if 1 <= number <= MAX_ID else 0


def id_parameter_schema(_converter: IdConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


# --- bodies and query strings -------------------------------------------------------------


def _bad_request(detail: str) -> Problem:
    return Problem(400, detail, errors=[{"field": "body", "reason": detail}])


def checked_json(raw: bytes | str) -> Any:
    """Parse a JSON body: 400 when it is not JSON or nests deeper than MAX_JSON_DEPTH."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise _bad_request(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError):
        raise Problem(400, "the request body is not valid JSON") from None
    if json_depth(data) > MAX_JSON_DEPTH:
        raise _bad_request(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    return data


def json_depth(data: Any) -> int:
    """Nesting depth of parsed JSON (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            depth += 1
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            stack.extend((item, depth) for item in value)
    return deepest


def bad_string(value: str | None) -> str | None:
    """Why a string can be stored nowhere: NUL breaks PostgreSQL, a lone surrogate breaks UTF-8.

    None (a multipart part whose name werkzeug could not read) has nothing to refuse."""
    if not value:
        return None
    if "\x00" in value:
        return "must not contain the NUL character"
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        return "must not contain a lone surrogate (not valid Unicode)"
    return None


def string_errors(data: Any, prefix: str = "") -> list[dict[str, str]]:
    """[{field, reason}] for every key or string value that bad_string refuses."""
    errors: list[dict[str, str]] = []
    stack: list[tuple[Any, str]] = [(data, prefix)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            reason = bad_string(value)
            if reason:
                errors.append({"field": path or "body", "reason": reason})
        elif isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                reason = bad_string(key)
                if reason:
                    errors.append({"field": where, "reason": f"field name {reason}"})
                else:
                    stack.append((item, where))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
    return sorted(errors, key=lambda e: e["field"])


def _refuse_bad_strings(errors: list[dict[str, str]]) -> None:
    if errors:
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:5])
        raise Problem(422, detail, errors=errors)


def is_json_mimetype(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


class BoundedParser(FlaskParser):
    """webargs' Flask parser with the limits above applied before any schema sees the input."""

    def load_json(self, req: Request, schema: Any) -> Any:
        if req.method in WRITE_METHODS and not is_json_mimetype(req.mimetype):
            raise Problem(
                415,
                f"send the body as application/json (got {req.mimetype or 'no content type'})",
                headers={
                    "Accept-Patch" if req.method == "PATCH" else "Accept-Post": "application/json"
                },
            )
        return super().load_json(req, schema)

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_mimetype(req.mimetype):
            return core.missing
        raw = req.get_data(cache=True)
        if not raw:
            return core.missing
        data = checked_json(raw)
        _refuse_bad_strings(string_errors(data))
        return data

    def load_querystring(self, req: Request, schema: Any) -> Any:
        errors = [
            {"field": key, "reason": reason}
            for key, value in req.args.items(multi=True)
            for reason in [bad_string(key) or bad_string(value)]
            if reason
        ]
        _refuse_bad_strings(errors)
        return super().load_querystring(req, schema)


def refuse_bad_form_and_query() -> None:
    """Before any view (pages and feeds too): NUL or a lone surrogate in a query or form is 422."""
    from flask import request

    fields = list(request.args.items(multi=True))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields += list(request.form.items(multi=True))
    errors = [
        {"field": key if key and not bad_string(key) else "query", "reason": reason}
        for key, value in fields
        for reason in [bad_string(key) or bad_string(value)]
        if reason
    ]
    _refuse_bad_strings(errors)


# --- the document -------------------------------------------------------------------------

_COMMON = {
    "400": "Malformed request: the body is not JSON, or nests too deeply",
    "401": "No or bad credentials",
    "415": "The body is not application/json",
    "422": "A field is invalid; `errors` names each field and why",
    "429": "Too many requests; see Retry-After",
    "503": "The database cannot be reached now; see Retry-After",
}

_RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "schema": {"type": "integer", "minimum": 0},
}


def problem_response(description: str, *, retry: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_MIME: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if retry:
        response["headers"] = {"Retry-After": _RETRY_AFTER}
    return response


METHODS = ("get", "post", "put", "patch", "delete")

#: OpenAPI links (stateful clients, schemathesis): what a creation's answer lets one call next.
#: (created by, status, the parameter it fills, where in the answer, the paths it fills it in)
_LINKS = (
    ("/api/v1/parties", "201", "iso2", "$response.body#/iso2", "/api/v1/parties/{iso2}"),
    (
        "/api/v1/parties/{iso2}/rotas",
        "201",
        "rota_id",
        "$response.body#/id",
        "/api/v1/rotas/{rota_id}",
    ),
    (
        "/api/v1/rotas/{rota_id}/rotations",
        "201",
        "rotation_id",
        "$response.body#/rotations/0/id",
        "/api/v1/rotations/{rotation_id}",
    ),
    (
        "/api/v1/rotas/{rota_id}/overrides",
        "201",
        "override_id",
        "$response.body#/id",
        "/api/v1/overrides/{override_id}",
    ),
    (
        "/api/v1/parties/{iso2}/people",
        "201",
        "person_id",
        "$response.body#/id",
        "/api/v1/people/{person_id}",
    ),
    (
        "/api/v1/calendar-subscriptions",
        "201",
        "subscription_id",
        "$response.body#/id",
        "/api/v1/calendar-subscriptions/{subscription_id}",
    ),
    (
        "/api/v1/reachability/campaigns",
        "201",
        "campaign_id",
        "$response.body#/id",
        "/api/v1/reachability/campaigns/{campaign_id}",
    ),
    (
        "/api/v1/reachability/test-calls",
        "201",
        "attempt_id",
        "$response.body#/id",
        "/api/v1/reachability/test-calls/{attempt_id}",
    ),
)


#: Operations below a creation's path that read something the creation does not make: a new
#: Party has no contact point until one is PUT, so linking its GET would promise a 404.
_NOT_CREATED = frozenset({("/api/v1/parties/{iso2}/contact-point", "get")})


def _pointer(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def add_links(doc: dict[str, Any]) -> None:
    """Link each creation to the operations on what it created (the same path and below)."""
    paths = doc.get("paths", {})
    for source, status, param, value, prefix in _LINKS:
        response = paths.get(source, {}).get("post", {}).get("responses", {}).get(status)
        if not isinstance(response, dict):
            continue
        links = response.setdefault("links", {})
        for path, item in paths.items():
            if path != prefix and not path.startswith(prefix + "/"):
                continue
            for method in METHODS:
                if method in item and (path, method) not in _NOT_CREATED:
                    rest = path[len("/api/v1") :].replace("{", "").replace("}", "")
                    name = f"{method}{rest}".replace("/", "_")
                    links[name] = {
                        "operationRef": _pointer(path, method),
                        "parameters": {param: value},
                    }


def finish_document(doc: dict[str, Any]) -> dict[str, Any]:
    """Add the answers every operation can give to each operation of the document."""
    add_links(doc)
    for path, item in doc.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            codes = ["401", "429", "503"]
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body:
                codes += ["400", "415", "422"]
            if "{" in path:
                codes.append("404")
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                codes.append("422")
            for code in codes:
                if code not in responses:
                    retry = code in ("429", "503")
                    responses[code] = problem_response(_COMMON.get(code, "Not found"), retry=retry)
                elif code in ("429", "503") and isinstance(responses[code], Mapping):
                    responses[code].setdefault("headers", {})["Retry-After"] = _RETRY_AFTER
    return doc


class SchemaRules(BasePlugin):
    """apispec plugin: a marshmallow schema's `json_schema_rules` (a dict such as
    `{"oneOf": [...]}`) joins its JSON Schema, so a rule its `validates_schema` enforces across
    fields is in the document too."""

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> Any:
        rules = getattr(kwargs.get("schema"), "json_schema_rules", None)
        return deepcopy(rules) if rules else None


class ProblemDocs:
    """Mixin for flask_smorest.Api: problem+json errors, id converter, parser, full document."""

    def _init_spec(self, *, extra_plugins: Any = None, **kwargs: Any) -> None:
        plugins = [*(extra_plugins or ()), SchemaRules()]
        super()._init_spec(extra_plugins=plugins, **kwargs)  # type: ignore[misc]

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        app.url_map.converters["int"] = IdConverter
        app.before_request(refuse_bad_form_and_query)
        super().init_app(app, *args, **kwargs)  # type: ignore[misc]
        self.register_converter(IdConverter, id_parameter_schema)  # type: ignore[attr-defined]
        self.register_field(Parsed, "string", None)  # type: ignore[attr-defined]

    def _register_responses(self) -> None:
        """flask-smorest's per-status responses, but as application/problem+json."""
        import http

        spec = self.spec  # type: ignore[attr-defined]
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA  # type: ignore[attr-defined]
            prepare_response(response, spec, PROBLEM_MIME)
            spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any other error", "schema": self.ERROR_SCHEMA}  # type: ignore[attr-defined]
        prepare_response(response, spec, PROBLEM_MIME)
        spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _openapi_json(self) -> Any:
        from flask import current_app
        from flask import json as flask_json

        return current_app.response_class(
            flask_json.dumps(self.document(), indent=2, sort_keys=False),
            mimetype="application/json",
        )

    def document(self) -> dict[str, Any]:
        """The OpenAPI document as served."""
        return finish_document(self.spec.to_dict())  # type: ignore[attr-defined]
