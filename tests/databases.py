"""Throwaway databases for tests that need one of their own (live servers, migrations, demos).

The suite runs on SQLite unless TEST_DATABASE_URL names a PostgreSQL server; a test asking for a
database of "the suite's kind" gets a file under its temporary folder, or a fresh PostgreSQL
database that is dropped (even with connections left open) when the test is done.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A fresh PostgreSQL database on TEST_DATABASE_URL's server, named `prefix_<pid>_<random>`."""
    name = f"{prefix}_{os.getpid()}_{os.urandom(4).hex()}"
    server = PG_URL.rsplit("/", 1)[0]
    admin = sa.create_engine(
        server.replace("postgresql://", "postgresql+psycopg://", 1) + "/postgres",
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def suite_database(prefix: str, folder: Path) -> Iterator[str]:
    """An empty database of the suite's kind: SQLite in `folder`, else a fresh PostgreSQL one."""
    if not PG_URL:
        yield f"sqlite:///{folder}/{prefix}.sqlite"
        return
    with postgres_database(prefix) as url:
        yield url
