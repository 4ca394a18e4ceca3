"""`flask reachability worker` PROCESSES on one PostgreSQL database, against the fake Twilio and
the live app: two workers never place the same call twice (nor more calls in a second than
CALLS_PER_SECOND), and a worker SIGKILLed after Twilio created a call but before it recorded the
SID finds that call when it comes back instead of ringing the person again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from common.clock import system_now
from common.db import db
from reachability import service
from reachability.models import Attempt, Campaign
from tests.conftest import PG_URL
from tests.fakes.clock import FlowingClock
from tests.reachability.conftest import FROM, Live, add_party, add_person, add_rota

pytestmark = [
    pytest.mark.own_app,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not PG_URL.startswith("postgresql"),
        reason="worker processes need a shared PostgreSQL: set TEST_DATABASE_URL=postgresql://…",
    ),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def live_clock() -> FlowingClock:
    """The worker processes read the machine's clock (nothing else can reach them), so the test
    process follows it too: the clock flows from the machine's instant at the module's start."""
    return FlowingClock(anchor=system_now())


class WorkerProcess:
    """`flask reachability worker` in its own process, output in a log file."""

    def __init__(self, live: Live, name: str, log: Path, calls_per_second: int) -> None:
        env = {
            **os.environ,
            "FLASK_APP": "app",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": live.database_url,
            "PUBLIC_BASE_URL": live.base_url,
            "TWILIO_ACCOUNT_SID": live.fake.account_sid,
            "TWILIO_AUTH_TOKEN": live.fake.auth_token,
            "TWILIO_FROM_NUMBER": FROM,
            "TWILIO_API_BASE_URL": live.fake.base_url,
            "CALLS_PER_SECOND": str(calls_per_second),
        }
        self.name = name
        self.log = log
        command = [sys.executable, "-m", "flask", "reachability", "worker"]
        with log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 -- our own interpreter and command
                [*command, "--name", name, "--poll", "0.05"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_started(self, timeout: float = 30.0) -> None:
        wait_until(lambda: f"worker {self.name} started" in self.output(), timeout, self.output)

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; its exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(15)

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no cleanup of any kind
        self.process.wait(15)


def wait_until(condition: Any, timeout: float, describe: Any = lambda: "") -> None:
    """Poll `condition` (processes and threads do not tell us when they are done)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met in {timeout}s\n{describe()}")
        threading.Event().wait(0.05)  # not time.sleep, which fails under faketime


def attempts(live: Live) -> list[Attempt]:
    with live.app.app_context():
        found = db.session.scalars(sa.select(Attempt).order_by(Attempt.id)).all()
        db.session.expunge_all()
        return list(found)


def campaign_status(live: Live, campaign_id: int) -> str:
    with live.app.app_context():
        return db.session.get(Campaign, campaign_id).status


def start_campaign(live: Live, parties: list[str]) -> int:
    """A campaign over `parties`, every slot due now (packed at the app's 50 calls/s)."""
    with live.context():
        campaign = service.create_campaign(
            None,
            live.clock().strftime("%Y-%m"),
            parties,
            "any-time",
            live.clock(),
            live.app.config,
            start_at=live.clock() - timedelta(seconds=1),
        )
        return campaign.id


def seed(live: Live, count: int) -> list[str]:
    """`count` Parties, each with a tier-1 person of their own number; their ISO2 codes."""
    codes = [f"Q{chr(ord('A') + index)}" for index in range(count)]
    with live.context():
        for index, code in enumerate(codes):
            party = add_party(code, f"Party {code}", desk=None)
            party.allowed_calling_codes = [33]  # French numbers: dialled only where allowed
            person = add_person(party, f"Person {code}", f"+336123458{index:02d}")
            add_rota(party, 1, [person])
    return codes


def test_two_worker_processes_never_place_the_same_call_twice(live, tmp_path):
    codes = seed(live, 8)
    workers = [WorkerProcess(live, name, tmp_path / f"{name}.log", 4) for name in ("w-a", "w-b")]
    for worker in workers:
        worker.wait_started()

    hold = live.fake.hold_creates()
    campaign_id = start_campaign(live, codes)  # eight calls due at once, four per second
    # A worker places its calls one after another, so two creates held at once at "Twilio" are
    # one from each worker: both are working in parallel, whatever the scheduler does.
    hold.wait_created(2, timeout=30)
    hold.release()
    wait_until(
        lambda: campaign_status(live, campaign_id) == "done",
        30,
        lambda: "\n".join(w.output() for w in workers),
    )
    live.settle()
    exit_codes = [worker.stop() for worker in workers]

    assert exit_codes == [0, 0]
    assert all(f"worker {w.name} stopped" in w.output() for w in workers)
    called = Counter(call["to"] for call in live.fake.calls)
    assert len(called) == 8 and set(called.values()) == {1}
    done = attempts(live)
    assert len(done) == 8 and {a.outcome for a in done} == {"confirmed"}
    assert len({a.twilio_sid for a in done}) == 8
    assert {a.claimed_by for a in done} == {"w-a", "w-b"}  # both worked, neither twice
    per_second = Counter(int(a.claimed_at.timestamp()) for a in done)
    assert max(per_second.values()) <= 4


def test_worker_killed_between_asking_twilio_and_recording_the_sid(live, tmp_path):
    [code] = seed(live, 1)
    hold = live.fake.hold_creates()
    first = WorkerProcess(live, "w-a", tmp_path / "first.log", 1)
    first.wait_started()

    start_campaign(live, [code])
    [sid] = hold.wait_created(timeout=30)
    first.kill()  # Twilio made the call; the worker never heard back
    [orphan] = attempts(live)
    restarted = WorkerProcess(live, "w-a", tmp_path / "restarted.log", 1)
    wait_until(lambda: attempts(live)[0].twilio_sid is not None, 30, restarted.output)
    hold.release()
    wait_until(lambda: attempts(live)[0].outcome is not None, 30, restarted.output)
    live.settle()
    exit_code = restarted.stop()

    assert orphan.state == "dialing" and orphan.twilio_sid is None
    assert orphan.claimed_by == "w-a"
    [final] = attempts(live)
    assert final.twilio_sid == sid and final.outcome == "confirmed"
    assert [call["sid"] for call in live.fake.calls] == [sid]  # rung once
    assert "recovered 1" in restarted.output()
    assert exit_code == 0
    lookups = [r for r in live.fake.api_requests if r["method"] == "GET" and "To" in r["query"]]
    assert lookups and lookups[0]["query"]["To"] == ["+33612345800"]
