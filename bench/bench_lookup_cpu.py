"""CPU per lookup request, in-process: how much the freshness flags add to the on-call answers.

Load averages skew the HTTP benchmark (bench/bench_lookup.py) when other work shares the
machine; the CPU time a request costs this process (`time.process_time`) barely moves. Run this
from two checkouts (before and after a change) on a copy of the same benchmark database:

    cp instance/bench/bench.sqlite /tmp/x.sqlite
    .venv/bin/python -m bench.bench_lookup_cpu --database-url sqlite:////tmp/x.sqlite [--confirm]

Measures, for one Party's on-call and the network-wide on-call, a cache hit (the same answer
asked again: the usual case) and a miss (the cache emptied before each request).
`--confirm` first confirms every Party (so the answers carry real blocks) — run it once, before
either measurement, so both read the same rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path.cwd()
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=400)
    parser.add_argument("--confirm", action="store_true")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdef")
    for key in ("RATELIMIT_PER_ADDRESS", "RATELIMIT_PER_TOKEN", "RATELIMIT_PER_FEED"):
        os.environ.setdefault(key, "100000 per second")
    from app import create_app
    from common.db import db
    from directory import accounts
    from directory.models import Party, User
    from rota.answer_cache import answers

    app = create_app()
    print(f"code from {Path(sys.modules['rota.lookup'].__file__).parent.parent}")
    with app.app_context():
        import sqlalchemy as sa

        user = db.session.scalar(sa.select(User).where(User.role == "secretariat"))
        if args.confirm:
            from directory import freshness

            for party in db.session.scalars(sa.select(Party)):
                freshness.confirm_party(user, party, datetime.now(UTC))
            db.session.commit()
        _token, secret = accounts.create_token(user, "cpu-bench", datetime.now(UTC))
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    for label, url in (
        ("one Party (FR)", "/api/v1/parties/FR/on-call"),
        ("network", "/api/v1/on-call"),
    ):
        for kind in ("hit", "miss"):
            repeat = (
                args.repeat
                if kind == "hit"
                else max(args.repeat // (20 if label == "network" else 4), 10)
            )
            client.get(url, headers=headers)  # warm
            samples = []
            for _ in range(repeat):
                if kind == "miss":
                    answers.clear()
                c0 = time.process_time()
                resp = client.get(url, headers=headers)
                samples.append(time.process_time() - c0)
                if resp.status_code != 200:
                    raise SystemExit(f"{url} answered {resp.status_code}: {resp.data[:200]!r}")
            median, mean = statistics.median(samples) * 1000, statistics.fmean(samples) * 1000
            print(
                f"  {label:<16} {kind:<5} CPU per request: median {median:7.2f} ms"
                f"  mean {mean:7.2f} ms  ({repeat} requests)"
            )


if __name__ == "__main__":
    main()
