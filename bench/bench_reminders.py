"""Benchmark the periodic mail jobs over the whole network: reminders, escalation, the digest.

Builds the benchmark network (`bench.network`: every Party, 8 people, 3 rotas, 5 years of
history) in a fresh database, spreads the Parties over every freshness state (`mail.demo`),
gives every Party two administrators and the secretariat three members, then measures the CPU
time (`time.process_time`, this process only) and wall time of:

1. computing every confirmation reminder and escalation that applies (`confirmation_messages`);
2. gathering and writing the weekly digest (`digest_data` + `digest_content`, per reader);
3. a first `run_reminders` pass (everything queued into the outbox, committed);
4. a second pass a minute later (nothing new: what every later minute costs).

    .venv/bin/python -m bench.bench_reminders [--database-url sqlite:///instance/bench/reminders.sqlite]
        [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.network import fresh_database, make_bench_app, migrate_and_build  # noqa: E402


def _measure(label: str, func, repeat: int) -> tuple[float, float]:
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        func()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    c, w = statistics.median(cpu), statistics.median(wall)
    print(f"  {label:<58} CPU {c * 1000:8.1f} ms   wall {w * 1000:8.1f} ms  (median of {repeat})")
    return c, w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=f"sqlite:///{ROOT}/instance/bench/reminders.sqlite"
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    fresh_database(args.database_url)
    built = migrate_and_build(args.database_url, 1)
    print(f"network: {built.summary()}")
    app = make_bench_app(args.database_url)
    with app.app_context():
        import sqlalchemy as sa

        from common.db import db
        from directory import accounts
        from directory.models import Party
        from mail.demo import load_freshness_demo
        from mail.models import OutboxMessage
        from mail.reminders import (
            confirmation_messages,
            digest_content,
            digest_data,
            run_reminders,
        )

        now = datetime.now(UTC).replace(microsecond=0)
        secretariat = [
            accounts.create_user(f"sec{i}@bench.example", "secretariat", now) for i in range(3)
        ]
        parties = list(db.session.scalars(sa.select(Party)))
        for party in parties:
            for i in range(2):
                user = accounts.create_user(
                    f"admin{i}.{party.iso2.lower()}@bench.example", "party_admin", now, party=party
                )
                user.locale = "fr" if i else "en"
        report = load_freshness_demo(secretariat[0], now)
        db.session.commit()
        print(f"freshness: {report.summary()[:200]}")
        config = dict(app.config)
        print(f"{len(parties)} Parties, {2 * len(parties)} administrators, 3 secretariat members")

        results = {}
        results["reminders"] = _measure(
            "confirmation reminders + escalation (every Party)",
            lambda: confirmation_messages(now, config),
            args.repeat,
        )

        def digest() -> None:
            data = digest_data(now)
            for lang in ("en", "fr", "en"):
                digest_content(data, now, lang, config)

        results["digest"] = _measure(
            "weekly digest: gather + write for 3 readers", digest, args.repeat
        )

        def first_pass() -> None:
            run_reminders(now, config)
            db.session.commit()

        results["first"] = _measure("first run_reminders pass (queue everything)", first_pass, 1)
        queued = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
        print(f"  queued {queued} messages")
        later = now + timedelta(minutes=1)
        results["later"] = _measure(
            "a later pass (nothing new to queue)",
            lambda: (run_reminders(later, config), db.session.rollback()),
            args.repeat,
        )
        total = results["reminders"][0] + results["digest"][0]
        print(f"reminders and digest for every Party: {total * 1000:.1f} ms of CPU")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
