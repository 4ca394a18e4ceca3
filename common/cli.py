"""Commands with manners: an error is one line on stderr and a non-zero exit, never a traceback.

Every command group of the app is a `CommandGroup`; its commands turn the errors an operator can
fix (a setting, an unmigrated or missing database, a refused input) into `click.ClickException`,
which click prints as `Error: …` and exits 1. `art35_cli.main` does the same for errors raised
before a command runs (settings read by `create_app`, Flask-Migrate's own commands).
"""

from __future__ import annotations

import logging
import os
import re
import time
from typing import Any, NoReturn

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from common.errors import Problem

COMMAND_LOGGER = "art35.command"


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), text.strip())


def _database_message(exc: sa.exc.DBAPIError | sa.exc.SQLAlchemyError) -> str | None:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    if re.search(r"no such table|relation \S+ does not exist|UndefinedTable", text):
        return "the database is not migrated yet: run `art35 db upgrade`"
    if re.search(r"no such column|column \S+ does not exist|UndefinedColumn", text):
        return "the database is behind this version of Art35: run `art35 db upgrade`"
    missing = re.search(r'database "([^"]+)" does not exist', text)
    if missing:
        name = missing.group(1)
        return (
            f'PostgreSQL database "{name}" does not exist: create it (createdb {name}) '
            "or point DATABASE_URL at an existing one"
        )
    if re.search(r"password authentication failed|role \"[^\"]+\" does not exist", text):
        return (
            f"the database refused the login ({_first_line(text)}): check the user and password "
            "in DATABASE_URL"
        )
    if re.search(r"connection refused|could not connect|connection failed|timeout expired", text):
        return (
            f"cannot reach the database ({_first_line(text)}): check DATABASE_URL and that the "
            "server runs"
        )
    if "unable to open database file" in text:
        return (
            "cannot open the SQLite database file: check DATABASE_URL "
            "(sqlite:////absolute/path.sqlite) and that its folder exists and is writable"
        )
    return None


def explain(exc: BaseException) -> str | None:
    """One line saying what went wrong and how to fix it, or None for a bug (keep the traceback)."""
    if type(exc).__name__ == "SettingsError":  # common.settings and common.limits each have one
        return str(exc)
    if isinstance(exc, Problem):
        fields = "; ".join(f"{e['field']}: {e['reason']}" for e in exc.errors)
        return f"{exc.detail} ({fields})" if fields and fields not in exc.detail else exc.detail
    if isinstance(exc, sa.exc.NoSuchModuleError | sa.exc.ArgumentError):
        return (
            f"DATABASE_URL is not a database URL Art35 can use ({_first_line(str(exc))}): "
            "use sqlite:////path/art35.sqlite or postgresql://user@host/dbname"
        )
    if isinstance(exc, sa.exc.SQLAlchemyError):
        return _database_message(exc)
    return None


class Command(click.Command):
    """A click command whose fixable errors end as one line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        started = time.perf_counter()
        status = 1
        try:
            result = super().invoke(ctx)
            status = 0
            return result
        except click.exceptions.Exit as exc:
            status = exc.exit_code
            raise
        except (click.ClickException, click.Abort):
            raise
        except Exception as exc:
            message = explain(exc)
            if message is None:
                raise
            _rollback()
            raise click.ClickException(message) from exc
        finally:
            # Typed at a terminal, stderr is kept for the one error line; cron and systemd units
            # set LOG_LEVEL (e.g. info) to get the command's structured line as well.
            if os.environ.get("LOG_LEVEL"):
                _log_command(ctx, status, started)


def _log_command(ctx: click.Context, status: int | Any, started: float) -> None:
    """The command's one structured line: what ran, its exit status, how long it took."""
    logging.getLogger(COMMAND_LOGGER).info(
        "%s exited %s",
        ctx.command_path,
        status,
        extra={
            "event": "command",
            "command": ctx.command_path,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )


class CommandGroup(AppGroup):
    """`AppGroup` (commands run in an app context) whose commands are `Command`s."""

    command_class = Command


def _rollback() -> None:
    from flask import has_app_context

    from common.db import db

    if has_app_context():
        db.session.rollback()


def fail(message: str, code: int = 1) -> NoReturn:
    """End the command with one line on stderr and a non-zero exit."""
    click.echo(f"Error: {message}", err=True)
    raise click.exceptions.Exit(code)
