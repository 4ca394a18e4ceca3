"""A real SMTP server for the mail tests (aiosmtpd on 127.0.0.1), with or without STARTTLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Inbox:
    """What the server accepted, and a switch to refuse or hold messages."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse_rcpt: str | None = None  # an SMTP reply to every RCPT, e.g. "550 5.1.1 no such user"
    hold: threading.Event | None = None  # DATA waits for this event before accepting
    received: threading.Event = field(default_factory=threading.Event)
    in_data: threading.Event = field(default_factory=threading.Event)  # a DATA has arrived
    data_started: int = 0  # DATA commands begun (held ones included)

    def ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]


class Handler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.inbox.refuse_rcpt:
            return self.inbox.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.inbox.data_started += 1  # one event loop thread: no lock needed
        self.inbox.in_data.set()
        if self.inbox.hold is not None:
            import asyncio

            while not self.inbox.hold.is_set():
                await asyncio.sleep(0.01)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.inbox.messages.append(parsed)  # type: ignore[arg-type]
        self.inbox.received.set()
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself, made now (`cryptography`)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "art35 test smtp")])
    start = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # not the clock: valid on any test date
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * 100))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class SmtpServer:
    inbox: Inbox
    port: int
    ca_file: Path | None = None

    def settings(self, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_DEFAULT_SENDER": "Art35 <art35@art35.test>",
            "MAIL_TIMEOUT": 5,
        }
        if self.ca_file is not None:
            out.update(MAIL_USE_TLS=True, MAIL_TLS_CA_FILE=str(self.ca_file))
        out.update(extra)
        return out


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on a free port."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(Handler(inbox), hostname="127.0.0.1", port=port)
    controller.start()
    yield SmtpServer(inbox, port)
    if inbox.hold is not None:
        inbox.hold.set()
    controller.stop()


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login == b"relay-user" and auth_data.password == b"relay-secret"
    )
    return AuthResult(success=ok)


@pytest.fixture
def tls_smtp_server(tmp_path) -> Iterator[SmtpServer]:
    """STARTTLS required, with a self-signed certificate, and a login required after it."""
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        Handler(inbox),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=_authenticate,
        auth_required=True,
    )
    controller.start()
    yield SmtpServer(inbox, port, cert)
    controller.stop()
