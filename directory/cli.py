"""Commands: `flask directory …`, `flask users …`, `flask tokens …`."""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import click
import sqlalchemy as sa

from common.cli import CommandGroup, fail
from common.clock import now
from common.db import db
from common.errors import Problem
from directory import accounts, service, transfer
from directory.models import ApiToken, ContactPoint, Party, Person, User

directory_cli = CommandGroup("directory", help="Export, import and seed the directory.")
users_cli = CommandGroup("users", help="Manage user accounts.")
tokens_cli = CommandGroup("tokens", help="Manage API tokens.")

_fail = fail


def directory_totals() -> str:
    """What the directory holds now: reports say what exists as well as what changed."""
    count = {
        label: db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        for label, model in (
            ("Parties", Party),
            ("contact points", ContactPoint),
            ("people", Person),
        )
    }
    return "the directory holds " + ", ".join(f"{n} {label}" for label, n in count.items())


@directory_cli.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(allow_dash=True),
    default="-",
    help="File to write (default: standard output).",
)
def export_cmd(output: str) -> None:
    """Write the whole directory as one JSON document."""
    text = json.dumps(transfer.export_document(), ensure_ascii=False, indent=2) + "\n"
    if output == "-":
        click.echo(text, nl=False)
    else:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)


@directory_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Validate and report, write nothing.")
def import_cmd(path: str, dry_run: bool) -> None:
    """Create or update from an exported document: all or nothing."""
    try:
        with click.open_file(path, encoding="utf-8") as fh:
            raw = json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        _fail(f"{path} is not a JSON document: {exc}")
    report = transfer.import_document(raw, now())  # a refusal is one line (common.cli)
    for line in report.changes:
        click.echo(line)
    if dry_run:
        totals = directory_totals()
        db.session.rollback()
        click.echo(f"dry run, nothing written: {report.summary()}; after it {totals}")
    else:
        db.session.commit()
        click.echo(f"imported: {report.summary()}; {directory_totals()}")


@directory_cli.command("load-parties")
def load_parties_cmd() -> None:
    """Load the reference Parties list (adds missing Parties, never overwrites)."""
    existing = set(db.session.scalars(sa.select(Party.iso2)))
    reference = transfer.parties_from_csv()
    entries = [p for p in reference if p["iso2"] not in existing]
    doc = {"format": transfer.FORMAT, "version": transfer.VERSION, "parties": entries}
    transfer.import_document(doc, now())
    db.session.commit()
    click.echo(
        f"parties: {len(entries)} added, {len(reference) - len(entries)} of the reference list's "
        f"{len(reference)} already present (never overwritten); {directory_totals()}"
    )


def _read_password(from_stdin: bool) -> str:
    """A password from a hidden prompt (asked twice) or one line of stdin; never an argument."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _link_url(secret: str) -> str:
    from flask import current_app

    return current_app.config["PUBLIC_BASE_URL"] + f"/account/set-password/{secret}"


def _user(email: str) -> User:
    try:
        return accounts.get_user_by_email(email)
    except Problem as problem:
        _fail(problem.detail)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["secretariat", "party_admin", "member"]), required=True)
@click.option("--party", "party_iso2", help="ISO2 of the Party (party_admin only).")
@click.option(
    "--set-password",
    "ask_password",
    is_flag=True,
    help="Type the password at a hidden prompt now (default: print a one-time link instead).",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of stdin.")
def create_user_cmd(
    email: str, role: str, party_iso2: str | None, ask_password: bool, password_stdin: bool
) -> None:
    """Create an account; the user sets their password through a one-time link (24 hours)."""
    party = None
    if party_iso2:
        try:
            party = service.get_party(party_iso2)
        except Problem as problem:
            _fail(problem.detail)
    password = _read_password(password_stdin) if ask_password or password_stdin else None
    try:
        user = accounts.create_user(email, role, now(), party=party, password=password)
    except ValueError as exc:
        _fail(str(exc))
    link = None if password else accounts.create_password_link(user, now())
    db.session.commit()
    click.echo(f"created {user.role} {user.email}" + (f" of {party.iso2}" if party else ""))
    if link:
        click.echo("one-time link to set the password (24 hours; shown only once):")
        click.echo(_link_url(link))


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of stdin.")
def set_password_cmd(email: str, password_stdin: bool) -> None:
    """Set a user's password (hidden prompt or stdin); their sessions end."""
    from directory.sessions import end_user_sessions

    user = _user(email)
    try:
        accounts.set_password(user, _read_password(password_stdin))
    except ValueError as exc:
        _fail(str(exc))
    end_user_sessions(user, now(), "password set by the command line", None)
    accounts.record_security(None, "password_changed", user, now(), by="command line")
    db.session.commit()
    click.echo(f"password set for {email}")


@users_cli.command("password-link")
@click.argument("email")
def password_link_cmd(email: str) -> None:
    """Print a one-time link (24 hours) for the user to set a new password."""
    user = _user(email)
    secret = accounts.create_password_link(user, now())
    accounts.record_security(None, "password_link", user, now(), by="command line")
    db.session.commit()
    click.echo(_link_url(secret))


@users_cli.command("sign-out")
@click.argument("email")
def sign_out_cmd(email: str) -> None:
    """End every session of the user at once."""
    from directory.sessions import end_user_sessions

    user = _user(email)
    count = end_user_sessions(user, now(), "signed out by the command line", None)
    accounts.record_security(None, "session_ended", user, now(), reason="command line", count=count)
    db.session.commit()
    click.echo(f"{count} sessions ended for {email}")


@users_cli.command("reset-factors")
@click.argument("email")
def reset_factors_cmd(email: str) -> None:
    """Forget the user's second factors (lost phone); their sessions end."""
    from directory import factors
    from directory.sessions import end_user_sessions

    user = _user(email)
    factors.reset_factors(user)
    end_user_sessions(user, now(), "second factor reset", None)
    accounts.record_security(None, "factors_reset", user, now(), by="command line")
    db.session.commit()
    click.echo(f"second factors reset for {email}")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="cli", help="A label to recognise the token by.")
@click.option(
    "--expires-in",
    "expires_in",
    type=click.IntRange(1, 3650),
    help="Days until the token stops working (default: never).",
)
def create_token_cmd(email: str, name: str, expires_in: int | None) -> None:
    """Create an API token; the token alone is printed on the last line."""
    user = _user(email)
    at = now()
    expires_at = at + timedelta(days=expires_in) if expires_in else None
    token, secret = accounts.create_token(user, name, at, expires_at=expires_at)
    accounts.record_security(
        None,
        "token_created",
        user,
        at,
        token=token.id,
        name=name,
        expires_at=expires_at.isoformat() if expires_at else None,
    )
    db.session.commit()
    click.echo(f"token {token.id} ({name}) for {user.email}; it is shown only once:")
    click.echo(secret)


@tokens_cli.command("list")
@click.argument("email", required=False)
def list_tokens_cmd(email: str | None) -> None:
    """List tokens (never their secrets), with their last use and expiry."""
    query = sa.select(ApiToken).order_by(ApiToken.id)
    if email:
        query = query.where(ApiToken.user_id == _user(email).id)
    at = now()
    for token in db.session.scalars(query):
        if token.revoked_at:
            state = "revoked"
        elif token.expires_at and token.expires_at <= at:
            state = "expired"
        else:
            state = "active"
        used = token.last_used_at.isoformat() if token.last_used_at else "never"
        expires = token.expires_at.isoformat() if token.expires_at else "never"
        click.echo(
            f"{token.id}\t{token.user.email}\t{token.name}\t{state}\tlast used {used}"
            f"\texpires {expires}"
        )


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token_cmd(token_id: int) -> None:
    """Revoke a token at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        _fail(f"no token {token_id}")
    accounts.revoke_token(token, now())
    accounts.record_security(None, "token_revoked", token.user, now(), token=token.id)
    db.session.commit()
    click.echo(f"token {token_id} revoked")
