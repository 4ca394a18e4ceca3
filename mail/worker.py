"""`flask worker`: one command for all background work — test calls, campaigns, mail, reminders.

Each pass: the dialer's tick (reachability/dialer.py), the outbox sender's tick (mail/sender.py),
and, at most once a minute, the periodic jobs (reminders, digest: mail/reminders.py). Every part
claims its rows with `FOR UPDATE SKIP LOCKED` or a unique key, so any number of workers (and
`flask reachability worker`, which still places calls alone) can run side by side; `--once`
does one pass for cron.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from common.cli import Command
from common.clock import now
from common.db import db
from common.observability import configure_logging, log_level
from mail.sender import Sender, transport_from_config

log = logging.getLogger(__name__)

#: How often the periodic jobs run inside a long-lived worker.
JOB_INTERVAL = timedelta(minutes=1)


def periodic_jobs() -> list[Callable[[datetime, Any], str | None]]:
    """The jobs run once a minute: each takes (now, config) and returns a summary or None."""
    from directory.sessions import run_session_purge
    from mail.reminders import run_reminders

    return [run_reminders, run_session_purge]


class Worker:
    """One pass of every kind of background work, for one named worker."""

    def __init__(self, config: Any, name: str | None, clock: Callable[[], datetime]) -> None:
        from reachability.dialer import Dialer, default_worker_name

        self.name = name or default_worker_name()
        self.dialer = Dialer.for_app(config, clock, self.name)
        self.sender = Sender(config, transport_from_config(config), self.name, clock)
        self.config = config
        self.clock = clock
        self._jobs_at: datetime | None = None

    def tick(
        self, *, startup: bool = False, should_stop: Callable[[], bool] = lambda: False
    ) -> tuple[bool, list[str]]:
        """One pass; (whether anything was done, summaries of what was done)."""
        lines: list[str] = []
        calls = self.dialer.tick(startup=startup, should_stop=should_stop)
        if calls.busy:
            lines.append("calls: " + calls.summary())
        at = self.clock()
        if self._jobs_at is None or at - self._jobs_at >= JOB_INTERVAL:
            self._jobs_at = at
            for job in periodic_jobs():
                try:
                    summary = job(at, self.config)
                    db.session.commit()
                except sa.exc.OperationalError:
                    raise  # the database went away: the loop waits and tries again
                except Exception:
                    # A bug in one job must not stop the calls and the mail: log it, go on.
                    db.session.rollback()
                    log.exception("periodic job %s failed", getattr(job, "__name__", job))
                    continue
                if summary:
                    lines.append(summary)
        mail = self.sender.tick(startup=startup, should_stop=should_stop)
        if mail.busy:
            lines.append(mail.summary())
        return bool(calls.busy or mail.busy), lines


@click.command("worker", cls=Command)
@with_appcontext
@click.option("--once", is_flag=True, help="One pass (for cron), then exit.")
@click.option(
    "--name",
    help="This worker's name, stable across restarts (default host:pid); never give two "
    "running workers the same name.",
)
@click.option(
    "--poll",
    type=click.FloatRange(0.01, 60),
    default=1.0,
    show_default=True,
    help="Seconds to wait when nothing is due.",
)
def worker_cmd(once: bool, name: str | None, poll: float) -> None:
    """Run all background work: test calls and campaigns, mail, reminders and the digest."""
    configure_logging(current_app.config["LOG_FORMAT"], log_level())
    worker = Worker(current_app.config, name, now)
    if worker.sender.transport is None:
        click.echo(
            "warning: mail is not configured (MAIL_SERVER): messages stay in the outbox, "
            "shown on the secretariat's outbox page",
            err=True,
        )
    if once:
        _busy, lines = worker.tick(startup=name is not None)
        click.echo("\n".join(lines) or "nothing to do")
        return
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"worker {worker.name} started", err=True)
    startup = name is not None
    while not stop.is_set():
        try:
            busy, lines = worker.tick(startup=startup, should_stop=stop.is_set)
        except sa.exc.OperationalError as exc:
            db.session.rollback()
            click.echo(f"database error, retrying: {exc.orig or exc}", err=True)
            stop.wait(poll)
            continue
        startup = False
        for line in lines:
            click.echo(line, err=True)
        if not busy:
            stop.wait(poll)
    db.session.remove()
    click.echo(f"worker {worker.name} stopped", err=True)
