"""The `art35` command: the Flask CLI with the app chosen, plus `serve`, `backup`, `restore`.

`art35 db upgrade`, `art35 users create …`, `art35 rota gaps …` are the app's own commands;
`art35 serve` runs gunicorn with the project's settings (common/gunicorn_config.py). Errors an
operator can fix end as one line on stderr and exit 1 (common/cli.py); set ART35_TRACEBACK=1 to see
the whole traceback of an unexpected one.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo

from common.cli import explain


def _create_app() -> Flask:
    from app import create_app

    return create_app()


class Art35Group(FlaskGroup):
    """FlaskGroup whose app-loading errors are one line, even under --help."""

    def _load(self, ctx: click.Context) -> None:
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except Exception as exc:
            message = explain(exc)
            if message is None:
                raise
            raise click.ClickException(message) from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load(ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands:
            self._load(ctx)
        return super().get_command(ctx, name)


cli = Art35Group(
    name="art35",
    create_app=_create_app,
    load_dotenv=False,
    set_debug_flag=False,
    help=(
        "Art35: the directory and on-call rotas of the 24/7 Network. Settings come from the "
        "environment (DATABASE_URL, SECRET_KEY, PUBLIC_BASE_URL, …; docs/operations.md); the "
        "instance folder (default SQLite database) is ART35_INSTANCE_PATH, else ./instance in a "
        "source checkout, else <venv>/var/app-instance."
    ),
)


@cli.command(
    "serve",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def serve_cmd(ctx: click.Context, gunicorn_args: tuple[str, ...]) -> None:
    """Serve with gunicorn and common/gunicorn_config.py (further arguments go to gunicorn).

    Binds GUNICORN_BIND (default 127.0.0.1:8000) with WEB_CONCURRENCY workers (default from the
    core count); e.g. `art35 serve --bind 0.0.0.0:8000 --workers 4`.
    """
    cli._load(ctx)  # settings errors as one line here, not once per worker
    if _metrics_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:common.gunicorn_config",
        *gunicorn_args,
        "app:create_app()",
    ]
    os.execv(sys.executable, argv)  # noqa: S606 -- our own interpreter, fixed arguments


def _register_operations() -> None:
    from common.backup import backup_cmd, restore_cmd

    cli.add_command(backup_cmd)
    cli.add_command(restore_cmd)


#: gunicorn's metrics folder is for its workers only (`serve` hands it on): a command's samples
#: would be mixed into the service's, and the folder may not exist yet.
_metrics_dir = os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


def main(argv: list[str] | None = None) -> Any:
    """Entry point of `art35`: one line on stderr and exit 1 for errors an operator can fix."""
    _register_operations()
    try:
        return cli.main(args=argv, prog_name="art35")
    except Exception as exc:
        message = explain(exc)
        if message is None:
            if os.environ.get("ART35_TRACEBACK"):
                raise
            first = next((line for line in str(exc).splitlines() if line.strip()), "")
            message = f"{type(exc).__name__}: {first} (ART35_TRACEBACK=1 shows the traceback)"
        click.echo(f"Error: {message}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
