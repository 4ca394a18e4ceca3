"""Benchmark a reachability campaign over every Party (run by hand; never by the test suite).

    .venv/bin/python bench/bench_campaign.py                          # SQLite file, 1 call/s
    .venv/bin/python bench/bench_campaign.py --cps 5 --workers 2
    .venv/bin/python bench/bench_campaign.py --database-url postgresql://postgres@127.0.0.1:5432/bench

The network: every Party of the reference list (`directory.transfer.parties_from_csv`) with the
demo directory (`directory.demo.demo_document`) and one tier-1 rota per Party with status party
(its active people with a phone, daily turns). The campaign covers every Party with status party,
packed from now at CALLS_PER_SECOND (`create_campaign(start_at=…)`, what a drill would do), and is
worked by real `flask reachability worker` processes against the fake Twilio of the tests, which
rings each number for a random 3–8 s (`--ring`) before the callee listens and presses 1 after
1–2 s (`--answer`); callbacks reach the app over HTTP, as Twilio's would.

Measured: wall time from the first slot to the campaign being done (every Party confirmed or not
tested), next to the bound the calls-per-second limit and the ring times impose,
(calls − 1) / cps + longest ring + longest answer, and to the sum of the call times (what placing
one call after another would cost).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# A throwaway session key for this run: the app refuses to start without one.
os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402 -- after the path set-up above
from flask_migrate import upgrade  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from common.db import db  # noqa: E402
from directory.demo import demo_document  # noqa: E402
from directory.models import Party  # noqa: E402
from directory.transfer import import_document, parties_from_csv  # noqa: E402
from reachability import service  # noqa: E402
from reachability.models import Attempt, Campaign, Slot  # noqa: E402
from rota.models import RotaRecord, RotationRecord  # noqa: E402
from tests.fakes.fake_twilio import FakeTwilio, Scenario  # noqa: E402

FROM = "+15005550006"
WORKER = [sys.executable, "-m", "flask", "reachability", "worker"]


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def fresh_database(url: str) -> None:
    if url.startswith("postgresql"):
        engine = sa.create_engine(sqlalchemy_url(url))
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()


def build_network(now: datetime) -> list[str]:
    """Import the demo directory; a daily tier-1 rota per Party. The Parties' ISO2 codes."""
    import_document(demo_document(parties_from_csv()), now)
    parties = db.session.scalars(sa.select(Party).where(Party.status == "party")).all()
    for party in parties:
        members = [p.id for p in party.people if p.active and p.phones]
        cp = party.contact_point_at(now)
        if not members or cp is None:
            continue
        rota = RotaRecord(
            party_id=party.id,
            name="Duty officer",
            tier=1,
            timezone=cp.timezone,
            created_at=now,
            updated_at=now,
        )
        rota.rotations.append(
            RotationRecord(
                position=0,
                start_local=datetime(2026, 1, 1, 8, 0),  # noqa: DTZ001 -- local wall-clock time
                shift_length="P1D",
                members=members,
                restrictions=[],
                updated_at=now,
            )
        )
        db.session.add(rota)
    db.session.commit()
    return [party.iso2 for party in parties]


def numbers_to_ring() -> list[str]:
    """Every number a campaign step may call: people's phones and desk lines."""
    from directory.models import ContactPoint, Phone

    phones = db.session.scalars(sa.select(Phone.e164)).all()
    desks = db.session.scalars(
        sa.select(ContactPoint.desk_phone).where(ContactPoint.desk_phone.is_not(None))
    ).all()
    return sorted(set(phones) | set(desks))


def start_workers(count: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen]:
    workers = []
    for index in range(count):
        out = (logs / f"worker-{index}.log").open("wb")
        workers.append(
            subprocess.Popen(
                [*WORKER, "--name", f"bench-{index}", "--poll", "0.1"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        )
    deadline = time.monotonic() + 60
    for index in range(count):
        log = logs / f"worker-{index}.log"
        while "started" not in log.read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise SystemExit(f"worker {index} did not start:\n{log.read_text()}")
            time.sleep(0.1)
    return workers


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="art35-bench-campaign-"))
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite"
    fresh_database(url)
    # The worker processes read the machine's clock, so the fake Twilio does too.
    with FakeTwilio(webhook_timeout_s=10, clock=lambda: datetime.now(UTC)) as fake:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url),
                "TWILIO_ACCOUNT_SID": fake.account_sid,
                "TWILIO_AUTH_TOKEN": fake.auth_token,
                "TWILIO_FROM_NUMBER": FROM,
                "TWILIO_API_BASE_URL": fake.base_url,
                "CALLS_PER_SECOND": args.cps,
            }
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        public = f"http://127.0.0.1:{server.server_port}"
        app.config["PUBLIC_BASE_URL"] = public
        threading.Thread(target=server.serve_forever, daemon=True).start()

        with app.app_context():
            upgrade(revision="heads")
            codes = build_network(datetime.now(UTC))
            rings, answers = {}, {}
            for number in numbers_to_ring():
                rings[number] = rng.uniform(*args.ring)
                answers[number] = rng.uniform(*args.answer)
                fake.set_scenario(
                    number,
                    Scenario("confirm", ring_s=rings[number], answer_delay_s=answers[number]),
                )
        env = {
            **os.environ,
            "FLASK_APP": "app",
            "PYTHONUNBUFFERED": "1",
            # Every webhook comes from one address here: lift the rate limits.
            "RATELIMIT_PER_ADDRESS": os.environ.get("RATELIMIT_PER_ADDRESS", "100000 per second"),
            "DATABASE_URL": url,
            "PUBLIC_BASE_URL": public,
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_FROM_NUMBER": FROM,
            "TWILIO_API_BASE_URL": fake.base_url,
            "CALLS_PER_SECOND": str(args.cps),
        }
        workers = start_workers(args.workers, env, workdir)
        try:
            with app.app_context():
                start = datetime.now(UTC) + timedelta(seconds=1)
                campaign = service.create_campaign(
                    None,
                    start.strftime("%Y-%m"),
                    codes,
                    "any-time",
                    start,
                    app.config,
                    start_at=start,
                )
                db.session.commit()
                campaign_id = campaign.id
                first_slot = min(slot.planned_at for slot in campaign.slots)
            while True:
                with app.app_context():
                    status = db.session.get(Campaign, campaign_id).status
                if status == "done":
                    break
                time.sleep(0.05)
            with app.app_context():
                finished = db.session.get(Campaign, campaign_id).finished_at
                slots = db.session.scalars(sa.select(Slot)).all()
                called = db.session.scalars(
                    sa.select(Attempt).where(Attempt.twilio_sid.is_not(None))
                ).all()
                outcomes = Counter(slot.best_outcome for slot in slots)
                per_second = Counter(int(a.claimed_at.timestamp()) for a in called)
                to_confirm = sorted(
                    a.seconds_to_confirm for a in called if a.seconds_to_confirm is not None
                )
                numbers = [a.phone for a in called]
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(30)
            fake.wait_idle(60)
            server.shutdown()
    wall = (finished - first_slot).total_seconds()
    calls = len(numbers)
    longest = max((rings[n] + answers[n] for n in numbers), default=0.0)
    bound = (calls - 1) / args.cps + longest if calls else 0.0
    return {
        "parties": len(slots),
        "calls": calls,
        "outcomes": dict(outcomes),
        "cps": args.cps,
        "workers": args.workers,
        "wall_s": wall,
        "bound_s": bound,
        "sum_s": sum(rings[n] + answers[n] for n in numbers),
        "max_per_second": max(per_second.values(), default=0),
        "median_to_confirm_s": to_confirm[len(to_confirm) // 2] if to_confirm else None,
        "database": "PostgreSQL" if url.startswith("postgresql") else "SQLite",
    }


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per webhook otherwise
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cps", type=int, default=1, help="CALLS_PER_SECOND (default 1)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--ring", type=float, nargs=2, default=(3.0, 8.0), metavar=("MIN", "MAX"))
    parser.add_argument("--answer", type=float, nargs=2, default=(1.0, 2.0), metavar=("MIN", "MAX"))
    parser.add_argument("--database-url", help="postgresql://… (emptied!); default a SQLite file")
    parser.add_argument("--seed", type=int, default=35)
    args = parser.parse_args()
    result = run(args)
    print(
        f"{result['parties']} Parties, {result['calls']} calls, {result['cps']} call(s)/s, "
        f"{result['workers']} worker(s), {result['database']}"
    )
    print(f"outcomes: {result['outcomes']}")
    print(f"max calls started in one second: {result['max_per_second']}")
    print(f"median time to confirm:   {result['median_to_confirm_s']:.1f} s")
    print(f"measured wall time:       {result['wall_s']:.1f} s")
    print(f"bound (n-1)/cps + ring:   {result['bound_s']:.1f} s")
    print(f"calls one after another:  {result['sum_s']:.1f} s")


if __name__ == "__main__":
    main()
