"""The CLI's manners: one line on stderr and a non-zero exit for every error; --help everywhere."""

from __future__ import annotations

import json

import click
import pytest
import sqlalchemy as sa

from common.cli import explain
from common.errors import Problem
from common.settings import SettingsError
from tests.conftest import make_party


def _error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("Error:")]


def test_tokens_list_of_an_unknown_user_is_one_line(runner):
    result = runner.invoke(args=["tokens", "list", "nobody@example.org"])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0, result.output
    assert result.output.startswith("Error: ") and "not found" in result.output
    assert "Traceback" not in result.output


def test_gaps_fail_on_gaps_exits_1_only_when_there_are_gaps(runner):
    quiet = runner.invoke(args=["rota", "gaps", "--fail-on-gaps"])
    assert quiet.exit_code == 0 and "no gaps" in quiet.output
    make_party("FR", "France")
    report = runner.invoke(args=["rota", "gaps"])
    assert report.exit_code == 0 and "FR" in report.output
    alert = runner.invoke(args=["rota", "gaps", "--fail-on-gaps"])
    assert alert.exit_code == 1 and "gap(s)" in alert.output


def test_load_parties_twice_says_what_exists(runner):
    runner.invoke(args=["directory", "load-parties"])
    second = runner.invoke(args=["directory", "load-parties"])
    assert second.exit_code == 0
    assert "0 added" in second.output and "already present" in second.output
    assert "the directory holds" in second.output and "0 contact points" in second.output


def test_import_reports_totals_and_refuses_in_one_line(runner, tmp_path):
    export = runner.invoke(args=["directory", "export"])
    doc = json.loads(export.output)
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(args=["directory", "import", "--dry-run", str(path)])
    assert result.exit_code == 0 and "the directory holds" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "nope"}), encoding="utf-8")
    refused = runner.invoke(args=["directory", "import", str(bad)])
    assert refused.exit_code == 1
    assert len(_error_lines(refused)) == 1 and refused.output.count("\n") == 1


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


def test_every_command_has_help(app, runner):
    paths = list(_all_commands(app.cli))
    assert ("rota", "gaps") in paths and ("users", "set-password") in paths
    for path in paths:
        result = runner.invoke(args=[*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


def test_art35_group_has_its_own_commands_and_help():
    from art35_cli import _register_operations, cli

    _register_operations()
    for name in ("serve", "backup", "restore"):
        assert name in cli.commands
        assert cli.commands[name].help


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (SettingsError("PUBLIC_BASE_URL must start with http://"), "PUBLIC_BASE_URL"),
        (Problem(404, "user nobody@example.org not found"), "not found"),
        (
            sa.exc.OperationalError("SELECT 1", {}, Exception("no such table: api_token")),
            "run `art35 db upgrade`",
        ),
        (
            sa.exc.OperationalError(
                "connect", {}, Exception('connection failed: FATAL:  database "x" does not exist')
            ),
            'database "x" does not exist: create it',
        ),
        (
            sa.exc.OperationalError(
                "connect", {}, Exception('connection failed: FATAL:  role "nobody" does not exist')
            ),
            "check the user and password in DATABASE_URL",
        ),
        (
            sa.exc.OperationalError(
                "connect", {}, Exception("connection failed: Connection refused\n\tIs it up?")
            ),
            "check DATABASE_URL and that the server runs",
        ),
    ],
)
def test_explain_names_the_fix(exc, expected):
    message = explain(exc)
    assert message is not None and expected in message and "\n" not in message


def test_explain_leaves_bugs_alone():
    assert explain(KeyError("x")) is None
