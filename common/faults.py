"""Faults outside the request's control: the database unreachable answers 503, logged once.

A database that goes away must not turn every request into a 500 with a traceback: each request
gets a 503 problem with `Retry-After` and leaves one log line. SQLAlchemy invalidates the pool on
a disconnect, so the first request after the database is back opens a fresh connection and the
service recovers without a restart.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, Response, g

from common.errors import Problem, problem_response

log = logging.getLogger("art35.faults")

#: Seconds a client should wait before trying again after a 503.
RETRY_AFTER_S = 5

#: Errors that mean "the database cannot be used now", not "this request is wrong".
UNAVAILABLE = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,
)


def first_line(exc: BaseException) -> str:
    """The driver's message, one line, without SQLAlchemy's SQL and background link."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {text[0] if text else ''}"[:300]


#: SQLite reports a broken query (no such column) with the same class as a locked or missing
#: file; only these messages mean the database cannot be used now.
_SQLITE_UNAVAILABLE = ("unable to open", "database is locked", "disk i/o", "readonly database")


def is_unavailable(exc: BaseException) -> bool:
    """True when the database cannot be used now; False for a fault of the query or schema."""
    if getattr(exc, "connection_invalidated", False) or not isinstance(exc, sa.exc.DBAPIError):
        return True
    orig = exc.orig
    if type(orig).__module__.startswith("sqlite3"):
        return any(text in str(orig).lower() for text in _SQLITE_UNAVAILABLE)
    return True


def database_unavailable(exc: BaseException) -> Response:
    """503 with Retry-After and no traceback (the cause is outside the code)."""
    if not is_unavailable(exc):
        raise exc  # a bug, not an outage: Flask logs it with its traceback and answers 500
    # The request's own log line (common/observability.py) carries this: one line per request.
    g.fault = f"database unavailable: {first_line(exc)}"
    return problem_response(
        Problem(
            503,
            "the database cannot be reached; try again shortly",
            title="Service Unavailable",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    )


def register(app: Flask) -> None:
    """Answer database outages with 503 instead of 500."""
    for kind in UNAVAILABLE:
        app.register_error_handler(kind, database_unavailable)
    pool_log = logging.getLogger("sqlalchemy.pool")
    if not any(isinstance(f, _NoPoolTracebacks) for f in pool_log.filters):
        pool_log.addFilter(_NoPoolTracebacks())


def rollback_quietly(session: object) -> None:
    """Roll back at the end of a request; on a dead connection there is nothing to undo."""
    try:
        session.rollback()  # type: ignore[attr-defined]
    except UNAVAILABLE as exc:
        log.warning("rollback on a lost database connection: %s", first_line(exc))


class _NoPoolTracebacks(logging.Filter):
    """The pool logs a traceback when it cannot reset a dead connection; the 503 line says it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.exc_info is None
