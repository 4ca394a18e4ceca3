"""Count the SQL statements a piece of code sends: tests that pin a route's cost use it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from common.db import db

#: The test transaction's own bookkeeping (tests run inside a savepoint): not the code's work.
_BOOKKEEPING = ("SAVEPOINT", "RELEASE", "ROLLBACK")


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The SQL statements sent on the app's engine meanwhile (savepoints left out)."""
    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(_BOOKKEEPING):
            sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
