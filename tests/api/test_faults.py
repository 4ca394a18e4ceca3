"""The database goes away and comes back: 503 with Retry-After, one log line each, no restart."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import suppress
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from common.db import db
from common.faults import RETRY_AFTER_S, database_unavailable, is_unavailable
from directory import accounts
from tests.conftest import PG_URL, make_app

postgres = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (set TEST_DATABASE_URL)")


class Forwarder:
    """A TCP relay on 127.0.0.1 to the database; `stop` cuts every connection, `start` reopens."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            with suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def relayed(fresh_database_url: str) -> Iterator[tuple[Forwarder, object, dict[str, str]]]:
    """An app on a fresh PostgreSQL database reached through a Forwarder, and a token."""
    parts = urlsplit(fresh_database_url)
    forwarder = Forwarder((parts.hostname or "127.0.0.1", parts.port or 5432))
    forwarder.start()
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{forwarder.port}"
    via = urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))
    app = make_app(via, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}})
    with app.app_context():
        upgrade(revision="heads")
        user = accounts.create_user("ops@art35.example", "secretariat", _now())
        _token, secret = accounts.create_token(user, "faults", _now())
        db.session.commit()
    try:
        yield forwarder, app, {"Authorization": f"Bearer {secret}"}
    finally:
        forwarder.stop()
        with app.app_context():
            db.engine.dispose()


def _now():
    from datetime import UTC, datetime

    return datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _request_log_enabled() -> None:
    """Alembic's fileConfig (a migration run in this process) disables existing loggers."""
    logging.getLogger("art35.request").disabled = False


def _fault_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


@postgres
@pytest.mark.own_app
def test_database_outage_answers_503_once_logged_and_recovers(relayed, caplog):
    forwarder, app, headers = relayed
    client = app.test_client()
    assert client.get("/api/v1/parties", headers=headers).status_code == 200
    assert client.get("/readyz").status_code == 200

    forwarder.stop()
    _request_log_enabled()
    caplog.clear()
    caplog.set_level(logging.INFO)
    failed = 0
    for path in ("/api/v1/parties", "/api/v1/people", "/api/v1/on-call", "/api/v1/parties"):
        resp = client.get(path, headers=headers)
        assert resp.status_code == 503, resp.get_data(as_text=True)
        assert resp.mimetype == "application/problem+json"
        assert resp.headers["Retry-After"] == str(RETRY_AFTER_S)
        assert resp.json["status"] == 503
        failed += 1
    # Exactly one line per failed request (the request's own line, at warning level), no traceback.
    lines = caplog.records
    assert len(lines) == failed, [r.getMessage() for r in lines]
    assert all(r.exc_info is None for r in lines), "a traceback was logged"
    assert all(r.levelno == logging.WARNING for r in lines)
    assert all("503 database unavailable" in r.getMessage() for r in lines)

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["reason"] == "database unreachable"
    assert ready.headers["Retry-After"] == str(RETRY_AFTER_S)

    forwarder.start()  # the same port: the app's settings are unchanged, nothing restarts
    assert client.get("/api/v1/parties", headers=headers).status_code == 200
    assert client.get("/readyz").status_code == 200


@postgres
@pytest.mark.own_app
def test_a_write_during_an_outage_is_503_and_leaves_nothing_behind(relayed):
    forwarder, app, headers = relayed
    client = app.test_client()
    body = {"iso2": "ZZ", "name": "Zedland", "status": "party"}
    forwarder.stop()
    assert client.post("/api/v1/parties", headers=headers, json=body).status_code == 503
    forwarder.start()
    assert client.get("/api/v1/parties/ZZ", headers=headers).status_code == 404
    assert client.post("/api/v1/parties", headers=headers, json=body).status_code == 201


@pytest.mark.own_app
def test_readyz_says_migrations_are_not_at_head(fresh_database_url):
    app = make_app(fresh_database_url)
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.json["reason"] == "migrations not at head"
    assert resp.json["current"] is None
    with app.app_context():
        db.engine.dispose()


@pytest.mark.own_app
def test_an_unopenable_sqlite_file_is_503(tmp_path, caplog):
    app = make_app(f"sqlite:///{tmp_path}/missing/dir/art35.sqlite")
    caplog.set_level(logging.INFO)
    _request_log_enabled()
    client = app.test_client()
    resp = client.get("/api/v1/parties", headers={"Authorization": "Bearer art35_x"})
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.headers["Retry-After"] == str(RETRY_AFTER_S)
    assert len(_fault_lines(caplog)) == 1, [
        (r.name, r.levelname, r.getMessage()) for r in caplog.records
    ]
    assert client.get("/readyz").json["reason"] == "database unreachable"


def test_a_broken_query_is_not_an_outage(app):
    """SQLite reports "no such column" with the class of a lost connection: still a 500."""
    import sqlite3

    broken = sa.exc.OperationalError("SELECT x", {}, sqlite3.OperationalError("no such column: x"))
    locked = sa.exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
    assert not is_unavailable(broken)
    assert is_unavailable(locked)
    with app.test_request_context("/api/v1/parties"):
        with pytest.raises(sa.exc.OperationalError):
            database_unavailable(broken)
        assert database_unavailable(locked).status_code == 503
