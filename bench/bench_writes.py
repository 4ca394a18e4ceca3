"""Benchmark one Party's on-call while writes happen: none, one a second to another Party, one a
second to the same Party, one a second network-wide.

Builds the benchmark network (`bench.network`) in a fresh database, serves the app with gunicorn
(2 sync workers by default, as `bench.bench_lookup` does), and loads `/api/v1/parties/FR/on-call`
from a separate process (`bench.loadgen`, concurrency 16) while a thread of this process sends
one `PATCH /api/v1/people/<id>` a second (an audited write: a person's title) to a person of
Germany (another Party) or of France (the same Party), or one network-wide write a second
(`PATCH /api/v1/network-settings`: every Party's answer depends on it, so it drops every cached
answer, as every write did before issue 12). The cases are loaded in turns
(each case `--rounds` times, `--duration / rounds` seconds a turn), so that a change in the
machine's load weighs on all alike; `/healthz` is loaded in each round too, as the ceiling.
Prints requests/s and p50/p99 per case, each case's share of the write-free throughput and of
the ceiling, the server CPU a write costs, and the target of issue 12 (at least 70 %) as met or
missed.

    .venv/bin/python -m bench.bench_writes [--duration 45] [--rounds 9] [--concurrency 16]
        [--backend postgresql|sqlite] [--pg-url postgresql://postgres@127.0.0.1:5432]
        [--db-name art35_bench_writes] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_lookup import Server, _check, load, machine, postgres_version  # noqa: E402
from bench.network import fresh_database, migrate_and_build  # noqa: E402

PARTY = "FR"
OTHER = "DE"
ROUTE = f"/api/v1/parties/{PARTY}/on-call"
#: Issue 12: with one write a second, a Party's on-call keeps at least this share.
KEPT_SHARE = 0.70
CASES = (
    "no writes",
    f"1 write/s to another Party ({OTHER})",
    f"1 write/s to the same Party ({PARTY})",
    "1 write/s network-wide (as every write before)",
    "ceiling /healthz",
)
#: The trivial JSON route, loaded in each round like the cases: what the machine allowed then.
CEILING = CASES[-1]


def _request(
    base: str, token: str, method: str, path: str, body: Any | None = None
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 -- the local server
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()[:300]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(server: Server, url: str) -> list[int]:
    """The gunicorn workers and the database backends serving them (PostgreSQL)."""
    master = server.process.pid
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    if url.startswith("postgresql"):
        import sqlalchemy as sa

        base, name = url.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)
        engine = sa.create_engine(base + "/postgres")
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :name"), {"name": name}
            )
            pids += [row[0] for row in rows]
        engine.dispose()
    return pids


def person_of(base: str, token: str, iso2: str) -> int:
    status, body = _request(base, token, "GET", f"/api/v1/parties/{iso2}/people")
    if status != 200 or not body["items"]:
        raise SystemExit(f"no person of {iso2}: {status} {body!r}")
    return int(body["items"][0]["id"])


class Writer(threading.Thread):
    """One audited write a second until stopped: a person's title, or (person None) the
    network's confirmation grace period, which every Party's answer depends on."""

    def __init__(self, base: str, token: str, person_id: int | None) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.person_id = base, token, person_id
        self.stopping = threading.Event()
        self.statuses: dict[int, int] = {}

    def run(self) -> None:
        tick = time.monotonic()
        count = 0
        while not self.stopping.is_set():
            count += 1
            if self.person_id is None:
                path, body = "/api/v1/network-settings", {"confirmation_grace_days": 30 + count % 2}
            else:
                path, body = f"/api/v1/people/{self.person_id}", {"title": f"Duty officer {count}"}
            status, _ = _request(self.base, self.token, "PATCH", path, body)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            tick += 1.0
            self.stopping.wait(max(0.0, tick - time.monotonic()))

    def stop(self) -> dict[int, int]:
        self.stopping.set()
        self.join(35)
        return self.statuses


def merge(results: list[dict[str, Any]], writes: dict[int, int]) -> dict[str, Any]:
    seconds = sum(r["seconds"] for r in results)
    requests = sum(r["requests"] for r in results)
    return {
        "seconds": round(seconds, 2),
        "requests": requests,
        "errors": sum(r["errors"] for r in results),
        "rps": round(requests / seconds, 1),
        "p50_ms": round(sum(r["p50_ms"] for r in results) / len(results), 2),
        "p99_ms": round(sum(r["p99_ms"] for r in results) / len(results), 2),
        "server_cpu_ms": round(
            sum(r["server_cpu_ms"] * r["requests"] for r in results) / max(1, requests), 3
        ),
        "writes": {str(k): v for k, v in sorted(writes.items())},
        "turns": results,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.backend == "postgresql":
        url = args.pg_url.rstrip("/") + "/" + args.db_name
    else:
        url = f"sqlite:///{args.sqlite_dir}/bench_writes.sqlite"
    fresh_database(url)
    built = migrate_and_build(url, 1)
    print(f"  built: {built.summary()}", flush=True)
    log = Path(args.sqlite_dir) / "gunicorn-writes.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = Server(url, args.port, args.workers, args.worker_class, log)
    try:
        _check(server.base + ROUTE, built.token)
        people: dict[str, int | None] = {
            CASES[1]: person_of(server.base, built.token, OTHER),
            CASES[2]: person_of(server.base, built.token, PARTY),
            CASES[3]: None,
        }
        turns: dict[str, list[dict[str, Any]]] = {case: [] for case in CASES}
        writes: dict[str, dict[int, int]] = {case: {} for case in CASES}
        turn = args.duration / args.rounds
        for _round in range(args.rounds):
            for case in CASES:
                writer = None
                if case in people:
                    writer = Writer(server.base, built.token, people[case])
                    writer.start()
                pids = server_pids(server, url)
                cpu_before = {pid: _cpu_seconds(pid) for pid in pids}
                route = "/healthz" if case == CEILING else ROUTE
                result = load(server.base, route, built.token, args, turn)
                # Server CPU per answer (workers + database backends, writes included): unlike
                # requests/s, barely moved by other work on the machine.
                after = {pid: _cpu_seconds(pid) for pid in cpu_before}
                # A process gone meanwhile (a recycled database connection) is left out.
                spent = sum(after[pid] - cpu for pid, cpu in cpu_before.items() if after[pid])
                result["server_cpu_ms"] = round(spent * 1000 / max(1, result["requests"]), 3)
                if writer is not None:
                    for status, n in writer.stop().items():
                        writes[case][status] = writes[case].get(status, 0) + n
                turns[case].append(result)
                print(
                    f"  {case:<42} {result['rps']:>8.1f} req/s  p50 {result['p50_ms']:>6.2f} ms"
                    f"  p99 {result['p99_ms']:>7.2f} ms  server CPU "
                    f"{result['server_cpu_ms']:.2f} ms/answer  errors {result['errors']}",
                    flush=True,
                )
    finally:
        server.stop()
    return {case: merge(turns[case], writes[case]) for case in CASES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--db-name", default="art35_bench_writes", help="PostgreSQL database")
    parser.add_argument("--sqlite-dir", default=str(ROOT / "instance" / "bench"))
    parser.add_argument("--duration", type=float, default=45.0, help="seconds per case in all")
    parser.add_argument("--rounds", type=int, default=9, help="turns per case")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds before each turn")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--port", type=int, default=8045)
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()

    info = machine()
    if args.backend == "postgresql":
        info["postgresql"] = postgres_version(args.pg_url.rstrip("/"))
    print(
        "machine: "
        + ", ".join(f"{k} {v}" for k, v in info.items())
        + f"; {args.backend}, gunicorn {args.workers} × {args.worker_class} workers, "
        + f"concurrency {args.concurrency}, {args.duration:g} s per case in {args.rounds} turns",
        flush=True,
    )
    results = run(args)
    free = results[CASES[0]]["rps"]
    free_cpu = results[CASES[0]]["server_cpu_ms"]
    print(
        f"\nsummary ({args.backend}; share = throughput relative to no writes; CPU share = "
        "server CPU per answer without writes / with them, the throughput a server kept busy "
        "by this load alone would keep)"
    )
    ceiling = results[CEILING]["rps"]
    for case, result in results.items():
        print(
            f"  {case:<42} {result['rps']:>8.1f} req/s {result['rps'] / free:6.1%} "
            f"({result['rps'] / ceiling:5.1%} of the ceiling)  "
            f"p50 {result['p50_ms']:>6.2f} ms  p99 {result['p99_ms']:>7.2f} ms  "
            f"CPU {result['server_cpu_ms']:.2f} ms/answer "
            f"{free_cpu / result['server_cpu_ms'] if result['server_cpu_ms'] else 0:6.1%}  "
            f"errors {result['errors']}  writes {result['writes'] or '-'}"
        )
    for case in CASES[1:4]:
        # Server CPU a write costs (its own and the rebuilds it causes): the extra CPU per
        # answer times the answers, over the writes of the same seconds.
        result = results[case]
        written = sum(result["writes"].values()) / result["seconds"]
        extra = (result["server_cpu_ms"] - free_cpu) * result["rps"] / max(written, 1e-9)
        print(f"{case}: ≈ {extra:.1f} ms of server CPU per write ({written:.2f} writes/s)")
    for case in CASES[1:3]:  # the target is for Party writes; network-wide ones change every answer
        share = results[case]["rps"] / free
        cpu_share = free_cpu / results[case]["server_cpu_ms"] if free_cpu else 0.0
        verdict = "met" if min(share, cpu_share) >= KEPT_SHARE else "MISSED"
        print(
            f"{case}: {share:.0%} of the write-free throughput, {cpu_share:.0%} by server CPU "
            f"per answer (target ≥ 70%): {verdict}"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"machine": info, "settings": vars(args), "results": results}, indent=2)
        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
