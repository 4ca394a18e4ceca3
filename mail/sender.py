"""Sending the outbox over SMTP: claim, commit, talk to the server, record; recover after a crash.

Like the dialer (reachability/dialer.py), this is an outer layer that commits once per step and
never keeps a transaction open while the SMTP server answers:

1. claim a due row (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, then a compare-and-set
   `UPDATE … WHERE state = 'queued'` that is also sound on SQLite), count the attempt, commit
   `sending`;
2. hand the message to the server (one SMTP conversation, Message-ID fixed by the row);
3. commit `sent` — or, on a refusal, `queued` again with a backoff (`failed` after the last try
   or when the server refuses the address for good).

A worker killed during step 2 leaves a `sending` row: once its claim is older than
MAIL_CLAIM_TIMEOUT_S (or at once when a worker of the same name restarts) it is queued again and
sent again with the *same* Message-ID. The server may thus receive a message twice (if it had
accepted it just before the kill), never zero times: at least once, and a resend is
recognisable by its Message-ID. SMTP offers nothing to make it exactly once.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Protocol

import sqlalchemy as sa

from common.db import db, rowcount
from mail.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
DEFAULT_CLAIM_TIMEOUT_S = 600


def backoff(attempts: int) -> timedelta:
    """The wait after `attempts` failed tries: 1, 2, 4 … minutes, at most 6 hours."""
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class MailTransport(Protocol):
    """Hands one message to a mail server; raises on refusal."""

    def send(self, message: EmailMessage) -> None: ...


class PermanentMailError(Exception):
    """The server refused the message for good (5xx for every recipient): never retried."""


@dataclass(frozen=True)
class SmtpTransport:
    """SMTP with STARTTLS (MAIL_USE_TLS) or implicit TLS (MAIL_USE_SSL), Flask-Mailman's names."""

    host: str
    port: int
    use_tls: bool = False
    use_ssl: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None  # MAIL_TLS_CA_FILE: trust this CA too (a private relay)

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def send(self, message: EmailMessage) -> None:
        smtp: smtplib.SMTP
        if self.use_ssl:
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            smtp.ehlo()
            if self.use_tls and not self.use_ssl:
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
            try:
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _msg in exc.recipients.values()]
                if codes and all(500 <= code < 600 for code in codes):
                    raise PermanentMailError(str(exc.recipients)) from exc
                raise


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def transport_from_config(config: Mapping[str, Any]) -> MailTransport | None:
    """The configured SMTP transport, or None (mail then stays in the outbox, shown to the
    secretariat)."""
    host = config.get("MAIL_SERVER")
    if not host:
        return None
    use_ssl = _flag(config.get("MAIL_USE_SSL"))
    return SmtpTransport(
        host=str(host),
        port=int(config.get("MAIL_PORT") or (465 if use_ssl else 25)),
        use_tls=_flag(config.get("MAIL_USE_TLS")),
        use_ssl=use_ssl,
        username=config.get("MAIL_USERNAME") or None,
        password=config.get("MAIL_PASSWORD") or None,
        timeout=float(config.get("MAIL_TIMEOUT") or 30),
        ca_file=config.get("MAIL_TLS_CA_FILE") or None,
    )


def build_email(row: OutboxMessage, config: Mapping[str, Any]) -> EmailMessage:
    """The RFC 5322 message of an outbox row (text, with an HTML alternative when there is one)."""
    message = EmailMessage()
    message["From"] = row.from_addr or config.get("MAIL_DEFAULT_SENDER") or "art35@localhost"
    message["To"] = row.to_addr
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (row.headers or {}).items():
        message[name] = value
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    message["Content-Language"] = row.locale  # after set_content, which resets Content-*
    return message


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    requeued: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.sent or self.retried or self.failed or self.requeued)

    def summary(self) -> str:
        return (
            f"mail: sent {self.sent}, retry later {self.retried}, failed {self.failed}, "
            f"requeued after a crash {self.requeued}"
        )


def _take_write_lock() -> None:
    """SQLite: take the write lock before reading (no stale snapshot); PostgreSQL locks rows."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            sa.update(OutboxMessage).where(sa.false()).values(attempts=OutboxMessage.attempts)
        )


class Sender:
    """Claims due outbox rows and sends them, for one named worker."""

    def __init__(
        self,
        config: Mapping[str, Any],
        transport: MailTransport | None,
        name: str,
        now: Callable[[], datetime],
    ) -> None:
        self.config = config
        self.transport = transport
        self.name = name
        self.now = now

    @property
    def claim_timeout(self) -> timedelta:
        return timedelta(
            seconds=int(self.config.get("MAIL_CLAIM_TIMEOUT_S") or DEFAULT_CLAIM_TIMEOUT_S)
        )

    def tick(
        self,
        *,
        startup: bool = False,
        should_stop: Callable[[], bool] = lambda: False,
        limit: int = 100,
    ) -> SendReport:
        """One pass: queue dead workers' claims again, then send due rows (at most `limit`)."""
        report = SendReport()
        if self.transport is None:
            return report  # no SMTP: rows stay queued, visible on the secretariat's page
        self.recover(report, startup=startup)
        for _ in range(limit):
            if should_stop():
                break
            claimed = self.claim(self.now())
            if claimed is None:
                break
            self._send(claimed, report)
        return report

    def recover(self, report: SendReport, *, startup: bool = False) -> None:
        """Claims older than the timeout (or this worker's own, at startup) are queued again."""
        now = self.now()
        stale = OutboxMessage.claimed_at < now - self.claim_timeout
        whose = sa.or_(stale, OutboxMessage.claimed_by == self.name) if startup else stale
        _take_write_lock()
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.state == "sending", whose)
            .values(state="queued", next_attempt_at=now, claimed_at=None, claimed_by=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        report.requeued += rowcount(result)

    def claim(self, now: datetime) -> int | None:
        """Claim the earliest due row and commit it as `sending` (its attempt counted first)."""
        _take_write_lock()
        found = db.session.scalar(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.state == "queued", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if found is None:
            db.session.rollback()
            return None
        claimed = db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == found, OutboxMessage.state == "queued")
            .values(
                state="sending",
                attempts=OutboxMessage.attempts + 1,
                claimed_at=now,
                claimed_by=self.name,
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(claimed) != 1:  # taken meanwhile (SQLite has no row locks)
            db.session.rollback()
            return None
        db.session.commit()
        return found

    def _send(self, row_id: int, report: SendReport) -> None:
        row = db.session.get(OutboxMessage, row_id, populate_existing=True)
        if row is None or self.transport is None:
            db.session.rollback()
            return
        message = build_email(row, self.config)
        attempts, claimed_at, to_addr = row.attempts, row.claimed_at, row.to_addr
        db.session.rollback()  # no transaction stays open while the server answers
        error: str | None = None
        permanent = False
        try:
            self.transport.send(message)
        except PermanentMailError as exc:
            error, permanent = f"refused: {exc}", True
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        now = self.now()
        mine = (
            (OutboxMessage.id == row_id)
            & (OutboxMessage.state == "sending")
            & (OutboxMessage.claimed_by == self.name)
            & (OutboxMessage.claimed_at == claimed_at)
        )
        if error is None:
            values: dict[str, Any] = {"state": "sent", "sent_at": now, "last_error": None}
            report.sent += 1
            log.info("mail %s sent to %s", row_id, to_addr)
        elif permanent or attempts >= MAX_ATTEMPTS:
            values = {"state": "failed", "last_error": error[:1000]}
            report.failed += 1
            log.warning("mail %s failed for good: %s", row_id, error)
        else:
            values = {
                "state": "queued",
                "next_attempt_at": now + backoff(attempts),
                "last_error": error[:1000],
            }
            report.retried += 1
            log.info("mail %s: %s; retry in %s", row_id, error, backoff(attempts))
        values.update(claimed_at=None, claimed_by=None)
        _take_write_lock()
        db.session.execute(
            sa.update(OutboxMessage)
            .where(mine)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
