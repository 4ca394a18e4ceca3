"""Rotas whose stored data breaks the resolution core's preconditions, as any process met them.

The database refuses such data (rota/models.py), but rows written behind the services' back
(a restore, a hand edit, a constraint dropped) must not turn other Parties' answers into 500s:
the lookup resolves what it can of the rota, and the rota is named in one log line per problem
and process, in the `rota_problem` table (shared by every worker and instance, so /readyz says
the same wherever it is answered) and in the coverage gaps report.

Writing the report never disturbs the lookup that met the problem: the row is upserted on a
connection of its own once the caller's transaction has ended (so it holds no lock the report
could wait for: SQLite's write lock of a write request, a PostgreSQL row lock), and a failure
is logged, never raised. Each process writes a rota's row once per problem and rota version.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction

from common.clock import now
from common.db import db
from common.faults import first_line, rollback_quietly
from rota.models import PROBLEM_MAX, RotaProblemRecord

log = logging.getLogger(__name__)

#: rota id -> (problem, rota version, written) as this process met it; bounded so bad data cannot
#: grow it without end. `written` is False after a failed write, so the next meeting retries. A
#: new version (the rota was written, its row deleted by whichever process wrote it) makes every
#: process write the row again if the rota is still broken.
_PROBLEMS: dict[int, tuple[str, int | None, bool]] = {}
_LIMIT = 1000
_LOCK = threading.Lock()

#: Session.info key: reports waiting for the end of the session's transaction.
_PENDING = "rota_problems_pending"
_PENDING_BIND = "rota_problems_bind"
_TABLE: sa.Table = RotaProblemRecord.__table__
#: How long the report may wait for a lock on PostgreSQL (SQLite waits its busy_timeout).
LOCK_TIMEOUT = "1s"

#: rota id -> (problem, its in-memory key, when met): reports on their way to the table.
_Reports = dict[int, tuple[str, tuple[str, int | None], datetime]]


def report(rota_id: int, problem: str, version: int | None = None) -> None:
    """Log (once per process) and record for every process that this rota's stored data is
    unusable; `version` is the rota's, so a rota written since is recorded again."""
    problem = problem[:PROBLEM_MAX]
    key = (problem, version)
    with _LOCK:
        met = _PROBLEMS.get(rota_id)
        if met == (*key, True):
            return
        if met is None and len(_PROBLEMS) >= _LIMIT:
            return
        _PROBLEMS[rota_id] = (*key, True)
    if met is None or met[0] != problem:
        log.error(
            "rota %s: stored data breaks resolution (%s); resolved without it", rota_id, problem
        )
    _record(rota_id, problem, key)


def cleared(rota_id: int) -> None:
    """The rota was written (perhaps repaired): its row goes with the caller's transaction."""
    with _LOCK:
        _PROBLEMS.pop(rota_id, None)
    session = db.session()
    session.info.get(_PENDING, {}).pop(rota_id, None)
    session.execute(sa.delete(_TABLE).where(_TABLE.c.rota_id == rota_id))


def bad_rotas(limit: int = _LIMIT) -> list[dict[str, object]]:
    """What /readyz shows: the rotas any process found broken (the first `limit` by id)."""
    query = sa.select(_TABLE).order_by(_TABLE.c.rota_id).limit(limit)
    try:
        rows = db.session.execute(query).all()
    except sa.exc.SQLAlchemyError as exc:
        rollback_quietly(db.session)
        log.warning("rota_problem unreadable, showing this process's findings: %s", first_line(exc))
        with _LOCK:
            mine = sorted(_PROBLEMS.items())[:limit]
        return [{"rota_id": rota_id, "problem": met[0]} for rota_id, met in mine]
    return [
        {
            "rota_id": row.rota_id,
            "problem": row.problem,
            "found_at": row.found_at.isoformat(),
            "last_seen_at": row.last_seen_at.isoformat(),
        }
        for row in rows
    ]


def _record(rota_id: int, problem: str, key: tuple[str, int | None]) -> None:
    """Upsert the row now if nothing can be waiting on the caller, else after its transaction."""
    if not has_app_context():
        return  # the core used without the app (a script): nothing to record into
    session = db.session()
    bind = session.get_bind()
    reports = {rota_id: (problem, key, now())}
    if not session.in_transaction():
        _write(bind, reports)
    else:
        session.info.setdefault(_PENDING, {}).update(reports)
        session.info[_PENDING_BIND] = bind
        if not sa.event.contains(session, "after_transaction_end", _after_transaction):
            sa.event.listen(session, "after_transaction_end", _after_transaction)


def _after_transaction(session: Session, transaction: SessionTransaction) -> None:
    """The caller's transaction is over (committed or not) and its connection released."""
    if transaction.parent is not None:
        return  # a savepoint or subtransaction: the locks are still held
    pending = session.info.pop(_PENDING, None)
    bind = session.info.pop(_PENDING_BIND, None)
    if pending and bind is not None:
        _write(bind, pending)


def _write(bind: sa.Engine | sa.Connection, reports: _Reports) -> None:
    """Upsert the rows in one short transaction (a savepoint on a test's connection); a failure
    is logged, and the next lookup meeting the rota tries again."""
    try:
        if isinstance(bind, sa.Connection):
            # A session bound to one connection (the tests' savepoint recipe): a second
            # connection would neither see the test's rows nor get SQLite's write lock.
            with bind.begin_nested():
                _upsert_all(bind, reports)
        else:
            with bind.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # Never queue a lookup's teardown behind a long lock (a migration, a dump).
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                _upsert_all(conn, reports)
    except sa.exc.SQLAlchemyError as exc:
        log.warning(
            "rotas %s: problem not recorded in rota_problem: %s", sorted(reports), first_line(exc)
        )
        with _LOCK:
            for rota_id, (_problem, key, _at) in reports.items():
                if _PROBLEMS.get(rota_id) == (*key, True):
                    _PROBLEMS[rota_id] = (*key, False)


def _upsert_all(conn: sa.Connection, reports: _Reports) -> None:
    for rota_id, (problem, _key, at) in sorted(reports.items()):
        conn.execute(_upsert(conn.dialect.name, rota_id, problem, at))


def _upsert(dialect: str, rota_id: int, problem: str, at: datetime) -> sa.Executable:
    """INSERT … ON CONFLICT (rota_id) DO UPDATE: found_at moves only when the problem changes."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(_TABLE).values(rota_id=rota_id, problem=problem, found_at=at, last_seen_at=at)
    same = _TABLE.c.problem == stmt.excluded.problem
    return stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.rota_id],
        set_={
            "problem": stmt.excluded.problem,
            "found_at": sa.case((same, _TABLE.c.found_at), else_=stmt.excluded.found_at),
            "last_seen_at": stmt.excluded.last_seen_at,
        },
    )
