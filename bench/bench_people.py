"""The directory's lists (`GET /api/v1/people` above all) on the demo data; /healthz the ceiling.

For each database: load the demo (`art35 demo load`: the 87 Parties of the reference list,
~400 people with their phones and languages) into a fresh database, then

1. in-process (Flask's test client, no HTTP server): each route with an API token of a member,
   of France's administrator and of the secretariat — the SQL statements one request sends
   (SQLAlchemy's `before_cursor_execute`, transaction control left out), the answer's size,
   and the median wall-clock and CPU time of a request over `--rounds` requests, as a ratio
   to `/healthz` measured the same way in the same run;
2. with `--http`, under gunicorn (2 sync workers, as README runs it) loaded by `bench.loadgen`
   at concurrency 16: requests/s, p50/p99 and the share of the ceiling's throughput.

    .venv/bin/python -m bench.bench_people [--backends postgresql,sqlite]
        [--pg-url postgresql://postgres@127.0.0.1:5432] [--rounds 15] [--http --duration 10]
        [--json FILE]

The PostgreSQL database `art35_bench_people` is dropped and recreated; the SQLite file is
`instance/bench/people.sqlite`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
os.environ.setdefault("LOG_LEVEL", "warning")

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_lookup import Server, _row, load, machine, postgres_version  # noqa: E402
from bench.network import fresh_database, make_bench_app  # noqa: E402

CEILING = "ceiling /healthz"
ROUTES = {
    CEILING: "/healthz",
    "every person": "/api/v1/people",
    "every Party": "/api/v1/parties",
    "France's people": "/api/v1/parties/FR/people",
    "France (with its people)": "/api/v1/parties/FR",
}
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
ROLES = {
    "member": "member@art35.example",
    "party_admin FR": "admin.fr@art35.example",
    "secretariat": "secretariat@art35.example",
}


def build_demo(url: str) -> dict[str, str]:
    """A fresh database with the demo loaded; an API token per demo role."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from common.db import db
    from demo_cli import load_demo
    from directory import accounts
    from directory.models import Person, User

    fresh_database(url)
    app = make_bench_app(url)
    at = datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        upgrade(revision="heads")
        load_demo(at)
        db.session.commit()
        tokens = {}
        for role, email in ROLES.items():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            tokens[role] = accounts.create_token(user, "bench-people", at)[1]
        db.session.commit()
        people = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        db.session.remove()
        db.engine.dispose()
    print(f"  demo loaded: {people} people", flush=True)
    return tokens


def in_process(url: str, tokens: dict[str, str], rounds: int) -> dict[str, Any]:
    """Statements, size and time of each route for each role, through the test client."""
    import sqlalchemy as sa

    from common.db import db

    app = make_bench_app(url)
    print(f"  code from {Path(sys.modules['directory.service'].__file__ or '').parent.parent}")
    sent: list[str] = []
    with app.app_context():
        # Transaction control left out: SQLite's explicit BEGIN is no query (common/db.py).
        sa.event.listen(
            db.engine,
            "before_cursor_execute",
            lambda *a: None if a[2].lstrip().upper().startswith(CONTROL) else sent.append(a[2]),
        )
    client = app.test_client()
    out: dict[str, Any] = {}
    for role, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        figures: dict[str, Any] = {}
        for name, path in ROUTES.items():
            for _ in range(2):  # warm: a token's first use is recorded, caches filled
                resp = client.get(path, headers=headers)
                if resp.status_code != 200:
                    raise SystemExit(f"{path} answered {resp.status_code}: {resp.data[:300]!r}")
            walls, cpus, counts = [], [], []
            for _ in range(rounds):
                sent.clear()
                wall, cpu = time.perf_counter(), time.process_time()
                resp = client.get(path, headers=headers)
                cpus.append(time.process_time() - cpu)
                walls.append(time.perf_counter() - wall)
                counts.append(len(sent))
            figures[name] = {
                "statements": max(counts),
                "bytes": len(resp.data),
                "wall_ms": round(statistics.median(walls) * 1000, 2),
                "cpu_ms": round(statistics.median(cpus) * 1000, 2),
            }
        ceiling = figures[CEILING]["wall_ms"]
        for name, f in figures.items():
            f["ratio"] = round(f["wall_ms"] / ceiling, 1)
            print(
                f"  {role:<15} {name:<26} {f['statements']:>3} statements {f['bytes']:>8} B"
                f"  wall {f['wall_ms']:>7.2f} ms ({f['ratio']:>6.1f}× ceiling)"
                f"  CPU {f['cpu_ms']:>7.2f} ms",
                flush=True,
            )
        out[role] = figures
    with app.app_context():
        db.engine.dispose()
    return out


def over_http(url: str, token: str, args: argparse.Namespace, log: Path) -> dict[str, Any]:
    """Each route under gunicorn, loaded from another process (secretariat's token)."""
    server = Server(url, args.port, args.workers, "sync", log)
    out: dict[str, Any] = {}
    try:
        for name, path in ROUTES.items():
            load_before = os.getloadavg()[0]
            result = load(server.base, path, token, args, args.duration)
            result["loadavg_before"] = round(load_before, 2)
            out[name] = result
            print(f"  {_row(name, result, out[CEILING]['rps'])}", flush=True)
    finally:
        server.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite-dir", default=str(ROOT / "instance" / "bench"))
    parser.add_argument("--rounds", type=int, default=15, help="requests per route and role")
    parser.add_argument("--http", action="store_true", help="also load each route via gunicorn")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per route (HTTP)")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8037)
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()

    info = machine()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "postgresql" in backends:
        info["postgresql"] = postgres_version(args.pg_url.rstrip("/"))
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    log = Path(args.sqlite_dir) / "gunicorn-people.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": info, "settings": vars(args), "backends": {}}
    for backend in backends:
        if backend == "postgresql":
            url = args.pg_url.rstrip("/") + "/art35_bench_people"
        else:
            url = f"sqlite:///{args.sqlite_dir}/people.sqlite"
        print(f"\n{backend} (load average {os.getloadavg()[0]:.1f})", flush=True)
        tokens = build_demo(url)
        runs: dict[str, Any] = {"in_process": in_process(url, tokens, args.rounds)}
        if args.http:
            runs["http"] = over_http(url, tokens["secretariat"], args, log)
        results["backends"][backend] = runs
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
