"""Pooled PostgreSQL connections: idle ones are checked before use, busy ones are not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from common.db import configure_engine
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="needs PostgreSQL: set TEST_DATABASE_URL=postgresql://…"
)


@pytest.fixture
def pool(request: pytest.FixtureRequest) -> Iterator[tuple[sa.Engine, list[int]]]:
    """An engine of one pooled connection, pinging after `idle` seconds; counts its pings."""
    engine = sa.create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), pool_size=1, max_overflow=0
    )
    configure_engine(engine, ping_after_idle=request.param)
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return real(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    yield engine, pings
    engine.dispose()


def backend_pid(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


@pytest.mark.parametrize("pool", [0.0], indirect=True)
def test_an_idle_connection_the_server_dropped_is_replaced_without_an_error(pool):
    engine, pings = pool
    first = backend_pid(engine)
    admin = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_terminate_backend({first})")
    assert backend_pid(engine) != first
    assert pings == [1]


@pytest.mark.parametrize("pool", [60.0], indirect=True)
def test_a_connection_used_a_moment_ago_is_not_pinged(pool):
    engine, pings = pool
    assert backend_pid(engine) == backend_pid(engine) == backend_pid(engine)
    assert pings == []
