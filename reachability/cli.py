"""Commands: `art35 reachability worker | tick | schedule --monthly`."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app

from common.cli import CommandGroup, fail
from common.clock import now
from common.db import db
from common.errors import Problem
from common.observability import configure_logging, log_level
from reachability import service
from reachability.dialer import Dialer
from reachability.planning import WINDOWS, next_month

reachability_cli = CommandGroup(
    "reachability", help="Test calls and monthly campaigns through Twilio."
)

_NAME_HELP = (
    "This worker's name, stable across restarts (default host:pid). On start it settles its own "
    "unfinished claims at once, so never give two running workers the same name."
)


def _dialer(name: str | None) -> Dialer:
    dialer = Dialer.for_app(current_app.config, now, name)
    if dialer.placer is None:
        click.echo(
            "warning: telephony is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
            "TWILIO_FROM_NUMBER): due calls are recorded as not tested",
            err=True,
        )
    return dialer


@reachability_cli.command("tick")
@click.option("--name", help=_NAME_HELP)
def tick_cmd(name: str | None) -> None:
    """One pass (for cron): take due campaign steps, place due calls, recover, then exit."""
    report = _dialer(name).tick(startup=name is not None)
    click.echo(report.summary())


@reachability_cli.command("worker")
@click.option("--name", help=_NAME_HELP)
@click.option(
    "--poll",
    type=click.FloatRange(0.01, 60),
    default=1.0,
    show_default=True,
    help="Seconds to wait when nothing is due.",
)
def worker_cmd(name: str | None, poll: float) -> None:
    """Place due calls until SIGTERM or Ctrl-C (finishing the call being placed)."""
    configure_logging(current_app.config["LOG_FORMAT"], log_level())
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    dialer = _dialer(name)
    click.echo(f"reachability worker {dialer.name} started", err=True)
    startup = name is not None
    while not stop.is_set():
        try:
            report = dialer.tick(startup=startup, should_stop=stop.is_set)
        except sa.exc.OperationalError as exc:
            # The database went away for a moment: keep the worker alive, try again.
            db.session.rollback()
            click.echo(f"database error, retrying: {exc.orig or exc}", err=True)
            stop.wait(poll)
            continue
        startup = False
        if report.busy:
            click.echo(report.summary(), err=True)
        if report.throttled:
            # Every lane of this second is taken: wait for the next second.
            stop.wait(1 - now().microsecond / 1_000_000)
        elif not report.placed:
            stop.wait(poll)
    db.session.remove()
    click.echo(f"reachability worker {dialer.name} stopped", err=True)


@reachability_cli.command("schedule")
@click.option("--monthly", is_flag=True, help="Create next month's campaign (once).")
@click.option("--window", type=click.Choice(WINDOWS), default="office-hours", show_default=True)
def schedule_cmd(monthly: bool, window: str) -> None:
    """Create next month's campaign over every Party, once however often it runs (for cron)."""
    if not monthly:
        click.echo("Error: say --monthly (the only schedule there is)", err=True)
        sys.exit(2)
    try:
        campaign, created = service.schedule_monthly(now(), window, current_app.config)
        db.session.commit()
    except sa.exc.IntegrityError:
        # Another scheduler created it between our check and our insert.
        db.session.rollback()
        found, created = service.scheduled_campaign(next_month(now())), False
        if found is None:
            fail("the campaign could not be created")
        campaign = found
    except Problem as problem:
        db.session.rollback()
        click.echo(f"Error: {problem.detail}", err=True)
        sys.exit(1)
    if campaign is None:
        click.echo("Error: the campaign could not be created", err=True)
        sys.exit(1)
    verb = "created" if created else "already scheduled:"
    click.echo(
        f"{verb} campaign {campaign.id} for {campaign.month} ({len(campaign.parties)} Parties)"
    )
