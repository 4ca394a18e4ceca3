"""One structured log line per request, command and worker event, with secrets redacted.

`LOG_FORMAT=json` (the default) writes one JSON object per line on stderr; `LOG_FORMAT=text`
(`make run`) writes the same fields as `key=value` for a terminal. Each request gets a request id,
sent back as `X-Request-ID`; the id a proxy sent is kept only when the request came through a
trusted proxy (TRUSTED_PROXIES, common/limits.py), so a client cannot choose what lands in the log.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

from common.settings import SettingsError

REQUEST_LOGGER = "art35.request"
LOG_FORMATS = ("json", "text")
REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

#: What must never reach a log: bearer tokens, API tokens, calendar feed secrets, passwords and
#: secret-bearing query parameters (patterns over the rendered text).
_REDACTIONS = (
    (re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"), r"\1[redacted]"),
    (re.compile(r"\bart35_[A-Za-z0-9_-]{8,}"), "[redacted-token]"),
    (re.compile(r"(/calendars/)(?!<)[^/\s\"'?]+(\.ics)"), r"\1[redacted]\2"),
    # One-time set-password links (directory.accounts.create_password_link).
    (re.compile(r"(/account/set-password/)(?!<)[^/\s\"'?]+"), r"\1[redacted]"),
    (
        re.compile(
            r"(?i)\b(password|passwd|secret|token|key|signature|code|auth|sid)"
            r"(=|\"?\s*:\s*\"?)[^&\s\"',;]+"
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"(?i)(postgres(?:ql)?(?:\+\w+)?://[^:/@\s]+:)[^@\s]+@"), r"\1[redacted]@"),
)
_RESERVED = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    """`text` with every secret-looking part replaced."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": redact(record.getMessage()),
    }
    for key, value in record.__dict__.items():
        if key not in _RESERVED and not key.startswith("_"):
            out[key] = redact(value) if isinstance(value, str) else value
    if record.exc_info:
        out["exc"] = redact(logging.Formatter().formatException(record.exc_info))
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, msg and the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The same fields for a terminal: `ts level logger msg key=value …`."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        head = f"{fields.pop('ts')} {fields.pop('level'):<7} {fields.pop('logger')}"
        msg = fields.pop("msg")
        exc = fields.pop("exc", None)
        rest = " ".join(f"{k}={v}" for k, v in fields.items())
        return " ".join(part for part in (head, msg, rest) if part) + (f"\n{exc}" if exc else "")


def log_format(env: Mapping[str, str] | None = None) -> str:
    """LOG_FORMAT from the environment (json by default), checked."""
    env = os.environ if env is None else env
    value = (env.get("LOG_FORMAT") or "json").strip().lower()
    if value not in LOG_FORMATS:
        raise SettingsError(f"LOG_FORMAT must be json or text, got {value!r}: set LOG_FORMAT=json")
    return value


def log_level(env: Mapping[str, str] | None = None, default: str = "info") -> int:
    """LOG_LEVEL from the environment (debug, info, warning, error), checked."""
    env = os.environ if env is None else env
    name = (env.get("LOG_LEVEL") or default).strip().upper()
    level = logging.getLevelName(name)
    if not isinstance(level, int):
        raise SettingsError(
            f"LOG_LEVEL must be debug, info, warning or error, got {name.lower()!r}"
        )
    return level


def configure_logging(fmt: str, level: int = logging.INFO) -> None:
    """Send every log record to stderr in `fmt`, once per process (idempotent)."""
    root = logging.getLogger()
    root.setLevel(level)
    formatter: logging.Formatter = JsonFormatter() if fmt == "json" else TextFormatter()
    for handler in root.handlers:
        if getattr(handler, "_art35", False):
            handler.setFormatter(formatter)
            return
    handler = logging.StreamHandler(sys.stderr)
    handler._art35 = True  # type: ignore[attr-defined]
    handler.setFormatter(formatter)
    root.addHandler(handler)
    # Werkzeug's development server logs each request as text; ours is the one line.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _request_id() -> str:
    """The trusted proxy's request id when it sent a well-formed one, else a new one."""
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    # werkzeug's ProxyFix leaves this key only when it rewrote the request for a trusted proxy.
    if offered and "werkzeug.proxy_fix.orig" in request.environ and _REQUEST_ID.match(offered):
        return offered
    return uuid.uuid4().hex


def _user_id() -> int | None:
    user_id = g.get("user_id")
    if user_id is None:
        user_id = getattr(g.get("user"), "id", None)
    return int(user_id) if user_id is not None else None


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def _start_request() -> None:
    g.request_id = _request_id()
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    from common.metrics import observe_request

    started = g.get("request_started")
    duration = time.perf_counter() - started if started is not None else 0.0
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    route = _route()
    observe_request(route, request.method, response.status_code, duration)
    # A fault outside the request (common/faults.py: the database unreachable) rides on this
    # line, so a failed request still leaves one line, at warning level.
    fault = g.get("fault")
    logging.getLogger(REQUEST_LOGGER).log(
        logging.WARNING if fault else logging.INFO,
        "%s %s %s%s",
        request.method,
        route,
        response.status_code,
        f" {fault}" if fault else "",
        extra={
            **({"fault": fault} if fault else {}),
            "event": "request",
            "request_id": request_id,
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(duration * 1000, 2),
            "user_id": _user_id(),
            "client": request.remote_addr,
            "scheme": request.scheme,
            "pid": os.getpid(),
        },
    )
    return response


def init_observability(app: Flask) -> None:
    """Request ids, the request log line and request metrics; logging set up unless testing."""
    app.config.setdefault("LOG_FORMAT", log_format())
    if app.config["LOG_FORMAT"] not in LOG_FORMATS:
        raise SettingsError(f"LOG_FORMAT must be json or text, got {app.config['LOG_FORMAT']!r}")
    if not app.config.get("TESTING"):
        configure_logging(app.config["LOG_FORMAT"], log_level())
    app.before_request(_start_request)
    app.after_request(_finish_request)
