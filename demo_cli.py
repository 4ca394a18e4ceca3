"""Command `art35 demo load`: demo data to try Art35, loaded only into an empty database.

It loads the reference Parties list with a fictional directory (`directory.demo`), demo rotas
(`rota.demo`), three demo accounts sharing `DEMO_PASSWORD`, and prints an API token for the
secretariat so the API can be tried at once. A database that already holds Parties or accounts
is left untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import click
import sqlalchemy as sa
from flask import current_app

from common.cli import CommandGroup, fail
from common.clock import now
from common.db import db
from directory import accounts, service
from directory.demo import demo_document
from directory.models import Party, User
from directory.transfer import ImportReport, import_document, parties_from_csv
from mail.demo import FreshnessDemoReport, load_freshness_demo
from rota.demo import DemoRotasReport, load_demo_rotas

demo_cli = CommandGroup(
    "demo", help="Demo data for trying Art35 (never into a database with data)."
)

#: The password of every demo account, printed by `art35 demo load` (a published demo value).
DEMO_PASSWORD = "art35-demo-password"  # noqa: S105 -- a published demo password, not a secret
#: (e-mail, role, Party of a party_admin)
DEMO_ACCOUNTS = (
    ("secretariat@art35.example", "secretariat", None),
    ("admin.fr@art35.example", "party_admin", "FR"),
    ("member@art35.example", "member", None),
)
_ROLE_NOTES = {
    "secretariat": "edits everything",
    "party_admin": "edits {party} only",
    "member": "reads",
}


@dataclass
class DemoLoad:
    directory: ImportReport
    rotas: DemoRotasReport
    users: list[User]
    token: str  # the secretariat's API token, shown once
    freshness: FreshnessDemoReport | None = None


def database_has_data() -> bool:
    """True when any Party or account exists: the demo must never mix with real data."""
    return any(
        db.session.scalar(sa.select(model.id).limit(1)) is not None for model in (Party, User)
    )


def load_demo(at: datetime) -> DemoLoad:
    """Load the whole demo at instant `at` (aware): directory, accounts, rotas, a token."""
    report = import_document(demo_document(parties_from_csv()), at)
    users = [
        accounts.create_user(
            email,
            role,
            at,
            party=service.get_party(iso2) if iso2 else None,
            password=DEMO_PASSWORD,
        )
        for email, role, iso2 in DEMO_ACCOUNTS
    ]
    secretariat = users[0]
    rotas = load_demo_rotas(secretariat, at)
    fresh = load_freshness_demo(secretariat, at)
    _token, secret = accounts.create_token(secretariat, "demo", at)
    return DemoLoad(report, rotas, users, secret, fresh)


@demo_cli.command("load")
@click.option(
    "--skip-if-data",
    is_flag=True,
    help="Exit 0 with a note when the database already holds data (what `make run` uses).",
)
def load_cmd(skip_if_data: bool) -> None:
    """Load demo data into an empty database; print the demo logins and an API token."""
    if database_has_data():
        if skip_if_data:
            click.echo("The database already holds data: demo data not loaded (as asked).")
            return
        fail(
            "the database already holds data: demo data not loaded, nothing changed "
            "(point DATABASE_URL at an empty database to try the demo)"
        )
    loaded = load_demo(now())
    db.session.commit()

    base = current_app.config["PUBLIC_BASE_URL"]
    click.echo("Demo directory: " + loaded.directory.summary())
    click.echo("Demo rotas: " + loaded.rotas.summary())
    click.echo("Deliberate gaps in coverage (see `art35 rota gaps --all-tiers`):")
    for line in loaded.rotas.deliberate_gaps:
        click.echo(f"  {line}")
    if loaded.freshness is not None:
        click.echo("Demo confirmations (docs/freshness.md): " + loaded.freshness.summary())
    click.echo(f"Demo accounts, all with the password {DEMO_PASSWORD!r}:")
    for user in loaded.users:
        note = _ROLE_NOTES[user.role].format(party=user.party.iso2 if user.party else "")
        click.echo(f"  {user.email:<28} {user.role} ({note})")
    click.echo(f"Log in at {base}/login with one of them.")
    click.echo("Try the API as the secretariat:")
    click.echo(f'  curl -H "Authorization: Bearer {loaded.token}" {base}/api/v1/parties/FR/on-call')
    click.echo(f"API token of {loaded.users[0].email} (shown only once):")
    click.echo(loaded.token)
