"""`art35 backup FILE` and `art35 restore FILE`: a consistent copy of the database while it serves.

SQLite is copied with its online backup API (a consistent snapshot while others write; the file is a
plain SQLite database). PostgreSQL goes through `pg_dump --format=custom` and `pg_restore`, which
must be on the PATH and of the server's major version or newer. A restore goes only onto an empty
database (no tables), in one transaction: it never mixes a backup with existing data.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from common.cli import Command, fail

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


def _pg_target(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (which goes into the environment, not argv)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        fail(f"{name} is not on the PATH: install the PostgreSQL client (postgresql-client)")
    return path


def backup_database(engine: sa.Engine, target: Path) -> None:
    """Write a consistent copy of the database behind `engine` to `target`."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        try:
            with sqlite3.connect(target) as dest:
                raw.driver_connection.backup(dest)  # type: ignore[union-attr]
            dest.close()
        finally:
            raw.close()
        return
    url, env = _pg_target(engine.url)
    subprocess.run(  # noqa: S603 -- fixed program, our own arguments
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), url],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def table_names(engine: sa.Engine) -> list[str]:
    """The tables of the database (empty for a database never migrated)."""
    return sa.inspect(engine).get_table_names()


def restore_database(engine: sa.Engine, source: Path) -> None:
    """Load a backup made by `backup_database` into the empty database behind `engine`."""
    with open(source, "rb") as fh:
        head = fh.read(16)
    if engine.dialect.name == "sqlite":
        if head != SQLITE_MAGIC:
            fail(f"{source} is not a SQLite backup (a PostgreSQL backup restores only there)")
        raw = engine.raw_connection()
        try:
            with sqlite3.connect(source) as src:
                src.backup(raw.driver_connection)  # type: ignore[arg-type]
            src.close()
        finally:
            raw.close()
        return
    if not head.startswith(PGDUMP_MAGIC):
        fail(
            f"{source} is not a pg_dump custom-format backup (a SQLite backup restores only there)"
        )
    url, env = _pg_target(engine.url)
    subprocess.run(  # noqa: S603 -- fixed program, our own arguments
        [
            _tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            url,
            str(source),
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def _engine() -> sa.Engine:
    from common.db import db

    return db.engine


def _run(action: str, step: Callable[[], None]) -> None:
    try:
        step()
    except subprocess.CalledProcessError as exc:
        first = next((line for line in (exc.stderr or "").splitlines() if line.strip()), "")
        fail(f"{action} failed: {first or exc}")
    except (OSError, sqlite3.Error) as exc:
        fail(f"{action} failed: {exc}")


@click.command("backup", cls=Command)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@with_appcontext
def backup_cmd(file: Path, force: bool) -> None:
    """Write a consistent backup of the database to FILE while the service runs."""
    engine = _engine()
    if file.exists() and not force:
        fail(f"{file} exists: choose another name or add --force")
    if file.exists():
        file.unlink()
    _run("backup", lambda: backup_database(engine, file))
    size = file.stat().st_size
    click.echo(f"backup of the {engine.dialect.name} database written to {file} ({size} bytes)")


@click.command("restore", cls=Command)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_cmd(file: Path) -> None:
    """Restore a backup made by `art35 backup` onto an empty database (DATABASE_URL)."""
    engine = _engine()
    existing = table_names(engine)
    if existing:
        fail(
            f"the database is not empty ({len(existing)} tables): restore only onto an empty "
            "database (create a new one and point DATABASE_URL at it)"
        )
    _run("restore", lambda: restore_database(engine, file))
    engine.dispose()
    tables = len(table_names(engine))
    click.echo(f"restored {file} into the {engine.dialect.name} database ({tables} tables)")
