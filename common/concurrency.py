"""Concurrent writes turned into answers: versions bumped, constraint violations named, never a 500.

The database holds the invariants (unique constraints, the overrides' exclusion constraint, the
version check in every UPDATE of a versioned record); this module only maps what it refuses to
409, 412 or 404, so that a race loser gets the same answer as a client who came second.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, request
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from common.api import sent_if_match
from common.db import db
from common.errors import Problem

log = logging.getLogger(__name__)

STALE_DETAIL = (
    "the record changed or was deleted while this request ran: fetch it again and reapply "
    "your change"
)


def touch(record: Any) -> None:
    """Bump a versioned record's counter so its UPDATE checks the version read, even when only
    its children (phones, rotations…) changed: of two writers from one version, one wins."""
    mapper = sa.inspect(record).mapper
    key = mapper.get_property_by_column(mapper.version_id_col).key
    setattr(record, key, (getattr(record, key) or 0) + 1)


@contextmanager
def held_by_database() -> Iterator[None]:
    """Run the writes of the block in a savepoint: a violated constraint rolls back only them,
    so the caller can still read the row that won and name it in its 409."""
    with db.session.begin_nested():
        yield


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")


def violated_constraint(error: sa.exc.IntegrityError) -> str | None:
    """The name of the constraint an IntegrityError reports (PostgreSQL and SQLite alike)."""
    orig = error.orig
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    text = str(orig)
    match = _SQLITE_UNIQUE.search(text)
    if match:
        return _sqlite_unique_name(match.group(1))
    # Triggers raise with the constraint's name as their message (rota/models.py).
    word = text.strip().split()[0] if text.strip() else ""
    return word if word.startswith(("ex_", "uq_", "ck_", "fk_")) else None


def _sqlite_unique_name(columns_text: str) -> str | None:
    """SQLite says "UNIQUE constraint failed: rota.party_id, rota.tier": find that constraint."""
    pairs = [part.strip().split(".", 1) for part in columns_text.split(",")]
    if not pairs or any(len(p) != 2 for p in pairs):
        return None
    table_name = pairs[0][0]
    columns = {p[1] for p in pairs}
    table = db.metadata.tables.get(table_name)
    if table is None:
        return None
    for constraint in table.constraints:
        if not isinstance(constraint, sa.UniqueConstraint):
            continue
        if {c.name for c in constraint.columns} == columns:
            return str(constraint.name)
    for index in table.indexes:
        if index.unique and {c.name for c in index.columns} == columns:
            return str(index.name)
    return None


def stale_problem() -> Problem:
    """A write that lost the race for a version: 412 when it named one, else 409."""
    if sent_if_match():
        return Problem(412, STALE_DETAIL)
    return Problem(409, STALE_DETAIL)


def _answer(problem: Problem) -> Any:
    # Through Flask's own dispatch, so pages answer with their page and the API with JSON.
    return current_app.handle_user_exception(problem)


def _on_stale(error: StaleDataError) -> Any:
    db.session.rollback()
    log.info("%s %s lost a write race: %s", request.method, request.path, error)
    return _answer(stale_problem())


def _on_deleted(error: ObjectDeletedError) -> Any:
    db.session.rollback()
    log.info("%s %s: a record was deleted meanwhile: %s", request.method, request.path, error)
    return _answer(Problem(404, "the record was deleted while this request ran"))


def _on_integrity(error: sa.exc.IntegrityError) -> Any:
    """A constraint a service did not map itself: still a 409 naming it, never a 500."""
    db.session.rollback()
    name = violated_constraint(error) or "a database constraint"
    log.info("%s %s refused by %s", request.method, request.path, name)
    return _answer(
        Problem(
            409,
            f"conflicts with data written at the same moment ({name}): fetch it again and retry",
        )
    )


def register(app: Flask) -> None:
    """Map what the database refused under concurrency onto problem answers."""
    app.register_error_handler(StaleDataError, _on_stale)
    app.register_error_handler(ObjectDeletedError, _on_deleted)
    app.register_error_handler(sa.exc.IntegrityError, _on_integrity)
