"""The SQLAlchemy handle, constraint naming and the aware-UTC datetime type."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def rowcount(result: sa.Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched (`Session.execute` is typed as returning any Result)."""
    count: int = result.rowcount  # type: ignore[attr-defined]
    return count


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; refuses naive ones so no local time slips in.

    SQLite has no time zone support, so values are stored there as naive UTC and
    made aware again on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime refused: {value!r}")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: A pooled connection unused this long is pinged before use; busy ones are not (like
#: pgbouncer's server_check_delay): a round trip per request would cost a quarter of a lookup.
PING_AFTER_IDLE = 10.0


def configure_engine(engine: sa.Engine, ping_after_idle: float = PING_AFTER_IDLE) -> None:
    """Ping idle pooled connections; make SQLite behave (foreign keys, savepoints, WAL)."""
    if engine.dialect.name != "sqlite":
        _ping_idle_connections(engine, ping_after_idle)
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT; take over BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A write request takes the write lock up front: in WAL mode a transaction that read
        # first cannot upgrade once another connection has committed ("database is locked").
        writing = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def _ping_idle_connections(engine: sa.Engine, idle: float) -> None:
    @sa.event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle:
            return  # new, or busy a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool drops this connection and checks out another (a new one if need be).
            raise sa.exc.DisconnectionError(str(error)) from error


def read_once(query: Any, params: dict[str, Any]) -> Any:
    """One row read on a connection of its own, outside the session.

    For the checks every request starts with (a token, the data version), so that a request
    answered from a cache never opens the ORM session: on PostgreSQL in autocommit, one round trip
    instead of BEGIN, SELECT and the teardown's ROLLBACK. Inside a transaction, or in tests whose
    session is bound to one connection, the session's own connection reads it.
    """
    bind = db.session.get_bind()
    if not isinstance(bind, sa.Engine) or db.session().in_transaction():
        return db.session.execute(query, params).first()
    conn = bind.connect()
    if bind.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
    with conn:
        return conn.execute(query, params).first()
