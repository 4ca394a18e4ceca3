"""Benchmark the calendar feeds on a realistic network (run by hand; never by the test suite).

    .venv/bin/python bench/bench_calendar.py                     # fresh SQLite file, in-process
    .venv/bin/python bench/bench_calendar.py --server            # … and through gunicorn
    .venv/bin/python bench/bench_calendar.py --database-url postgresql://postgres@127.0.0.1/bench

The network: every Party of `directory/data/budapest_parties.csv` with the demo directory
(`directory.demo.demo_document`: 3-6 people each), three rotas per Party of two rotations each
(tier 1: weekly duty officer under a weeknight "after hours" layer; tier 2: daily prosecutor
under a weekend layer; tier 3: fortnightly head of unit under a Friday-night-to-Monday layer) and
five upcoming overrides per Party, all created through the services (audited, versioned by the
calendar listener), plus `--history` past overrides per rota inserted directly (they must not
slow the feeds down). Measured: a one-Party feed (all tiers, the default 30 days back and 365
ahead) and the network-wide tier-1 feed, cold and with a matching If-None-Match (304), next to
/healthz as the ceiling of the same app.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

# A throwaway session key for this run: the app refuses to start without one.
os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))

BENCH_LIMITS = {
    key: os.environ.get(key, "100000 per second")
    for key in ("RATELIMIT_PER_ADDRESS", "RATELIMIT_PER_TOKEN", "RATELIMIT_PER_FEED")
}

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from calendars import service as calendars  # noqa: E402
from common.clock import system_now  # noqa: E402
from common.db import db  # noqa: E402
from directory import accounts  # noqa: E402
from directory.demo import demo_document  # noqa: E402
from directory.models import Party  # noqa: E402
from directory.transfer import import_document, parties_from_csv  # noqa: E402
from rota import service  # noqa: E402
from rota.models import OverrideRecord  # noqa: E402
from rota.resolution import to_utc  # noqa: E402

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
ANCHOR = date(2024, 1, 1)  # a Monday


def window(days: list[str], start: str, end: str) -> dict[str, Any]:
    from datetime import time as clock

    return {
        "weekdays": days,
        "from_local": clock.fromisoformat(start),
        "to_local": clock.fromisoformat(end),
    }


def rotations_of(tier: int, people: list[int]) -> list[dict[str, Any]]:
    """Two layers per rota; the later one wins where it is active."""
    turn = people[1:] + people[:1]

    def at(clock: str) -> datetime:
        return datetime.fromisoformat(f"{ANCHOR.isoformat()}T{clock}")

    if tier == 1:
        return [
            {"members": people, "start_local": at("09:00"), "shift_length": "P7D"},
            {
                "members": turn,
                "start_local": at("18:00"),
                "shift_length": "P1D",
                "restrictions": [window(WEEKDAYS, "18:00", "08:00")],
            },
        ]
    if tier == 2:
        return [
            {"members": list(reversed(people)), "start_local": at("08:00"), "shift_length": "P1D"},
            {
                "members": turn,
                "start_local": at("08:00"),
                "shift_length": "P7D",
                "restrictions": [window(["sat", "sun"], "08:00", "08:00")],
            },
        ]
    return [
        {"members": people[:2], "start_local": at("09:00"), "shift_length": "P14D"},
        {
            "members": list(reversed(people[:3])),
            "start_local": at("18:00"),
            "shift_length": "P7D",
            "restrictions": [
                window(["fri"], "18:00", "08:00"),
                window(["sat", "sun"], "08:00", "08:00"),
            ],
        },
    ]


def build_network(history: int) -> dict[str, Any]:
    """Directory + rotas + overrides through the services; answers what the runs need."""
    now = system_now()
    started = time.perf_counter()
    if db.session.scalar(sa.select(sa.func.count(Party.id))):  # --reuse: already built
        actor = accounts.get_user_by_email("bench-secretariat@art35.example")
        return {"counts": {"reused": True}, **subscribe(actor, now)}
    import_document(demo_document(parties_from_csv()), now)
    actor = accounts.create_user("bench-secretariat@art35.example", "secretariat", now)
    rng = random.Random(35)
    counts = {"parties": 0, "people": 0, "rotas": 0, "rotations": 0, "overrides": 0}
    for party in db.session.scalars(sa.select(Party).order_by(Party.iso2)):
        people = [p.id for p in party.people if p.active]
        cp = party.contact_point_at(now)
        if len(people) < 3 or cp is None:
            continue
        counts["parties"] += 1
        counts["people"] += len(people)
        tz = ZoneInfo(cp.timezone)
        for tier, name in ((1, "Duty officer"), (2, "Duty prosecutor"), (3, "Head of unit")):
            rota = service.create_rota(actor, party, {"name": name, "tier": tier}, now)
            counts["rotas"] += 1
            for layer in rotations_of(tier, people):
                service.add_rotation(actor, rota, layer, now)
                counts["rotations"] += 1
            if tier == 1:
                local_today = now.astimezone(tz).date()
                for week in rng.sample(range(1, 40), 5):
                    day = local_today + timedelta(weeks=week, days=rng.randrange(4))
                    start = to_utc(datetime.combine(day, datetime.min.time()).replace(hour=18), tz)
                    service.create_override(
                        actor,
                        rota,
                        {
                            "person_id": rng.choice(people),
                            "start": start,
                            "end": start + timedelta(hours=rng.choice((14, 24, 62))),
                            "note": "bench",
                        },
                        now,
                    )
                    counts["overrides"] += 1
            past = [
                OverrideRecord(
                    rota_id=rota.id,
                    person_id=rng.choice(people),
                    start_at=now - timedelta(days=60 + 3 * i),
                    end_at=now - timedelta(days=60 + 3 * i) + timedelta(hours=12),
                    note="history",
                    created_at=now,
                )
                for i in range(history)
            ]
            db.session.add_all(past)
            counts["overrides"] += len(past)
    db.session.commit()
    counts["build_seconds"] = round(time.perf_counter() - started, 1)
    return {"counts": counts, **subscribe(actor, now)}


def subscribe(actor: Any, now: datetime) -> dict[str, str]:
    """The two measured feeds (with contacts: the largest descriptions)."""
    _party_sub, party_secret = calendars.create_subscription(
        actor, {"scope": "party", "party": "FR", "include_contacts": True}, now
    )
    _network_sub, network_secret = calendars.create_subscription(
        actor, {"scope": "network", "tiers": [1], "include_contacts": True}, now
    )
    db.session.commit()
    return {
        "party_path": f"/calendars/{party_secret}.ics",
        "network_path": f"/calendars/{network_secret}.ics",
    }


# --- measuring -------------------------------------------------------------------------------


def timed(
    run: Callable[[], tuple[int, dict[str, str], bytes]],
    repeat: int,
    before: Callable[[], None] | None = None,
    warm_up: bool = True,
) -> dict[str, Any]:
    """Median, 95th percentile and min of `repeat` runs, in milliseconds (wall and CPU)."""
    if warm_up:
        status, headers, body = run()
    samples = []
    cpu = []
    for _ in range(repeat):
        if before is not None:
            before()
        started, started_cpu = time.perf_counter(), time.process_time()
        status, headers, body = run()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    samples.sort()
    return {
        "cpu": statistics.median(cpu),
        "status": status,
        "bytes": len(body),
        "events": body.count(b"BEGIN:VEVENT"),
        "median": statistics.median(samples),
        "p95": samples[min(len(samples) - 1, int(len(samples) * 0.95))],
        "min": samples[0],
        "etag": headers.get("ETag") or headers.get("etag"),
    }


def forget() -> None:
    """Empty this process's memo of resolved timelines and validators (a fresh worker)."""
    calendars._MEMO.clear()
    calendars._VALIDATORS.clear()


def in_process(app: Any, paths: dict[str, str], repeat: int) -> list[tuple[str, dict]]:
    client = app.test_client()

    def get(path: str, **headers: str) -> Callable[[], tuple[int, dict[str, str], bytes]]:
        def run() -> tuple[int, dict[str, str], bytes]:
            resp = client.get(path, headers=headers)
            return resp.status_code, dict(resp.headers), resp.data

        return run

    rows = [("ceiling: GET /healthz", timed(get("/healthz"), repeat * 5))]
    for label, path in (
        ("one Party, all tiers", paths["party_path"]),
        ("network, tier 1", paths["network_path"]),
    ):
        rows.append((f"{label}: first build", timed(get(path), max(3, repeat // 4), forget)))
        cold = timed(get(path), repeat)
        rows.append((f"{label}: cold", cold))
        not_modified = get(path, **{"If-None-Match": cold["etag"]})
        rows.append((f"{label}: If-None-Match (304)", timed(not_modified, repeat * 5)))
    return rows


def over_http(base: str, paths: dict[str, str], repeat: int) -> list[tuple[str, dict]]:
    host = urlsplit(base)

    def get(path: str, **headers: str) -> Callable[[], tuple[int, dict[str, str], bytes]]:
        def run() -> tuple[int, dict[str, str], bytes]:
            conn = HTTPConnection(host.hostname, host.port, timeout=60)
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            return resp.status, dict(resp.getheaders()), body

        return run

    # The worker has just started: its first requests resolve every timeline.
    first_network = timed(get(paths["network_path"]), 1, warm_up=False)
    first_party = timed(get(paths["party_path"]), 1, warm_up=False)
    rows = [("ceiling: GET /healthz", timed(get("/healthz"), repeat * 5))]
    for label, path, first in (
        ("one Party, all tiers", paths["party_path"], first_party),
        ("network, tier 1", paths["network_path"], first_network),
    ):
        rows.append((f"{label}: first request of a worker", first))
        cold = timed(get(path), repeat)
        rows.append((f"{label}: cold", cold))
        not_modified = get(path, **{"If-None-Match": cold["etag"]})
        rows.append((f"{label}: If-None-Match (304)", timed(not_modified, repeat * 5)))
    return rows


def report(title: str, rows: list[tuple[str, dict]]) -> None:
    print(f"\n{title}")
    print(
        f"{'request':46} {'status':>6} {'events':>7} {'KiB':>7} {'median ms':>10} {'min ms':>8} "
        f"{'p95 ms':>8} {'cpu ms':>8}"
    )
    for label, r in rows:
        print(
            f"{label:46} {r['status']:>6} {r['events']:>7} {r['bytes'] / 1024:>7.0f} "
            f"{r['median']:>10.2f} {r['min']:>8.2f} {r['p95']:>8.2f} {r['cpu']:>8.2f}"
        )
    ceiling = rows[0][1]["median"]
    for label, r in rows[1:]:
        if "304" in label:
            print(f"  {label}: {r['median'] / ceiling:.2f}× the ceiling")


def serve(url: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    # One address at full speed: lift the rate limits, keep the limiter on.
    env.update(BENCH_LIMITS)
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        help="an empty database (default: a fresh SQLite file); one built by an earlier run "
        "is reused as it is",
    )
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--history", type=int, default=100, help="past overrides per rota")
    parser.add_argument("--server", action="store_true", help="also measure through gunicorn")
    parser.add_argument("--port", type=int, default=8735)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="profile one cold network feed")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="art35-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
    settings = {
        "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{args.port}",
    }
    app = create_app(settings)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        built = build_network(args.history)
    print(f"database: {url.split('@')[-1]}")
    print("network:", ", ".join(f"{k} {v}" for k, v in built["counts"].items()))

    if args.profile:
        import cProfile
        import pstats

        client = app.test_client()
        client.get(built["network_path"])
        profiler = cProfile.Profile()
        profiler.enable()
        client.get(built["network_path"])
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)

    report("in-process (Flask test client)", in_process(app, built, args.repeat))
    with app.app_context():
        db.engine.dispose()
    if args.server:
        proc = serve(url, args.port, args.workers)
        try:
            report(
                f"gunicorn ({args.workers} sync worker(s), a new connection per request; "
                "CPU column: the client's)",
                over_http(f"http://127.0.0.1:{args.port}", built, args.repeat),
            )
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
