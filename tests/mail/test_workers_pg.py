"""`flask worker` PROCESSES on one PostgreSQL database against a real SMTP server: two workers
never send the same message twice, and a worker SIGKILLed in the middle of an SMTP conversation
loses nothing — its message is sent again, with the same Message-ID, once the worker is back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from common.clock import system_now
from common.db import db
from mail.models import OutboxMessage
from mail.outbox import enqueue
from tests.conftest import PG_URL, make_app

pytestmark = [
    pytest.mark.own_app,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not PG_URL.startswith("postgresql"),
        reason="worker processes need a shared PostgreSQL: set TEST_DATABASE_URL=postgresql://…",
    ),
]

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition: Any, timeout: float, describe: Any = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met in {timeout}s\n{describe()}")
        threading.Event().wait(0.05)  # not time.sleep, which fails under faketime


class WorkerProcess:
    """`flask worker` in its own process, output in a log file."""

    def __init__(self, database_url: str, smtp_port: int, name: str, log: Path) -> None:
        env = {
            **os.environ,
            "FLASK_APP": "app",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "worker-test-secret-key-of-enough-length-0123456789",
            "PUBLIC_BASE_URL": "http://art35.test",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp_port),
            "MAIL_DEFAULT_SENDER": "art35@art35.test",
            "TWILIO_ACCOUNT_SID": "",
            "TWILIO_AUTH_TOKEN": "",
            "TWILIO_FROM_NUMBER": "",
        }
        self.name, self.log = name, log
        with log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 -- our own interpreter and command
                [sys.executable, "-m", "flask", "worker", "--name", name, "--poll", "0.05"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_started(self) -> None:
        wait_until(lambda: f"worker {self.name} started" in self.output(), 30, self.output)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(15)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(15)


@pytest.fixture
def pg_app(fresh_database_url):
    app = make_app(fresh_database_url)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _queue(app, count: int) -> list[str]:
    with app.app_context():
        ids = [
            enqueue(
                to=f"officer{i}@ofac.example",
                subject=f"Message {i}",
                text="Bonjour\n",
                now=system_now(),  # the worker processes read the machine's clock
                kind="test",
                config=app.config,
            ).message_id
            for i in range(count)
        ]
        db.session.commit()
        return ids


def _rows(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def test_two_worker_processes_never_send_the_same_message_twice(
    pg_app, fresh_database_url, smtp_server, tmp_path
):
    ids = _queue(pg_app, 40)
    smtp_server.inbox.hold = threading.Event()
    workers = [
        WorkerProcess(fresh_database_url, smtp_server.port, name, tmp_path / f"{name}.log")
        for name in ("w-a", "w-b")
    ]
    for worker in workers:
        worker.wait_started()
    # A worker sends one message at a time, so two DATAs held at once come from both workers.
    wait_until(
        lambda: smtp_server.inbox.data_started >= 2,
        30,
        lambda: "\n".join(w.output() for w in workers),
    )
    smtp_server.inbox.hold.set()
    wait_until(
        lambda: len(smtp_server.inbox.messages) >= 40,
        60,
        lambda: "\n".join(w.output() for w in workers),
    )
    wait_until(lambda: all(r.state == "sent" for r in _rows(pg_app)), 30)
    assert [w.stop() for w in workers] == [0, 0]
    got = Counter(smtp_server.inbox.ids())
    assert set(got) == set(ids) and set(got.values()) == {1}
    assert all(r.attempts == 1 for r in _rows(pg_app))
    assert all("mail: sent" in w.output() for w in workers)  # both took a share


def test_a_worker_killed_mid_send_loses_nothing(pg_app, fresh_database_url, smtp_server, tmp_path):
    [message_id] = _queue(pg_app, 1)
    smtp_server.inbox.hold = threading.Event()
    first = WorkerProcess(fresh_database_url, smtp_server.port, "w-a", tmp_path / "first.log")
    assert smtp_server.inbox.in_data.wait(30), first.output()
    first.kill()  # in the middle of DATA: the server has the message, the worker never heard
    [orphan] = _rows(pg_app)
    restarted = WorkerProcess(fresh_database_url, smtp_server.port, "w-a", tmp_path / "2.log")
    smtp_server.inbox.hold.set()
    wait_until(lambda: _rows(pg_app)[0].state == "sent", 30, restarted.output)
    assert restarted.stop() == 0

    assert orphan.state == "sending" and orphan.claimed_by == "w-a" and orphan.attempts == 1
    [final] = _rows(pg_app)
    assert final.attempts == 2
    # At least once: the server may have kept the first copy; every copy has the same id.
    assert set(smtp_server.inbox.ids()) == {message_id}
    assert 1 <= len(smtp_server.inbox.messages) <= 2
