"""Commands: `flask directory …`, `flask users …`, `flask tokens …`."""

from __future__ import annotations

import json

import click
import sqlalchemy as sa

from common.cli import CommandGroup, fail
from common.clock import now
from common.db import db
from common.errors import Problem
from directory import accounts, service, transfer
from directory.models import ApiToken, ContactPoint, Party, Person

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


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["secretariat", "party_admin", "member"]), required=True)
@click.option("--party", "party_iso2", help="ISO2 of the Party (party_admin only).")
@click.option("--password", help="Password for browser login (at least 10 characters).")
def create_user_cmd(email: str, role: str, party_iso2: str | None, password: str | None) -> None:
    """Create an account."""
    party = None
    if party_iso2:
        try:
            party = service.get_party(party_iso2)
        except Problem as problem:
            _fail(problem.detail)
    try:
        user = accounts.create_user(email, role, now(), party=party, password=password)
    except ValueError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"created {user.role} {user.email}" + (f" of {party.iso2}" if party else ""))


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def set_password_cmd(email: str, password: str) -> None:
    """Set a user's password."""
    try:
        accounts.set_password(accounts.get_user_by_email(email), password)
    except (ValueError, Problem) as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"password set for {email}")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="cli", help="A label to recognise the token by.")
def create_token_cmd(email: str, name: str) -> None:
    """Create an API token; the token alone is printed on the last line."""
    try:
        user = accounts.get_user_by_email(email)
    except Problem as problem:
        _fail(problem.detail)
    token, secret = accounts.create_token(user, name, now())
    db.session.commit()
    click.echo(f"token {token.id} ({name}) for {user.email}; it is shown only once:")
    click.echo(secret)


@tokens_cli.command("list")
@click.argument("email", required=False)
def list_tokens_cmd(email: str | None) -> None:
    """List tokens (never their secrets)."""
    query = sa.select(ApiToken).order_by(ApiToken.id)
    if email:
        query = query.where(ApiToken.user_id == accounts.get_user_by_email(email).id)
    for token in db.session.scalars(query):
        state = "revoked" if token.revoked_at else "active"
        used = token.last_used_at.isoformat() if token.last_used_at else "never"
        click.echo(f"{token.id}\t{token.user.email}\t{token.name}\t{state}\tlast used {used}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token_cmd(token_id: int) -> None:
    """Revoke a token at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        _fail(f"no token {token_id}")
    accounts.revoke_token(token, now())
    db.session.commit()
    click.echo(f"token {token_id} revoked")
