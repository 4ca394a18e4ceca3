"""Benchmark the lookups under gunicorn on PostgreSQL and SQLite, with /healthz as the ceiling.

For each database: build the benchmark network (`bench.network`) in a fresh database, serve the
app with gunicorn (2 workers by default), and load each route from a separate process
(`bench.loadgen`) at concurrency 16 for 20 s: the trivial JSON route `/healthz` (the ceiling),
one Party's on-call, the network-wide on-call, and one Party's 30-day shifts. Then one Party's
on-call on that network and on one with ten times the history and overrides (`--scale 10`),
served side by side and loaded in turns (half the duration each, twice), so that a change in
the machine's load weighs on both alike.
Prints requests/s and p50/p99 latency, and each target of issue 3 as met or missed.

    .venv/bin/python -m bench.bench_lookup [--duration 20] [--concurrency 16]
        [--backends postgresql,sqlite] [--pg-url postgresql://postgres@127.0.0.1:5432]
        [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

# A throwaway session key for this run: the app refuses to start without one.
os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))

BENCH_LIMITS = {
    key: os.environ.get(key, "100000 per second")
    for key in ("RATELIMIT_PER_ADDRESS", "RATELIMIT_PER_TOKEN", "RATELIMIT_PER_FEED")
}

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.network import Built, fresh_database, migrate_and_build  # noqa: E402

VENV_BIN = Path(sys.executable).parent
PARTY = "FR"
PARTY_ROUTE = f"one Party's on-call ({PARTY})"

# Issue 3, "Speed": the figures each run is judged by.
PARTY_SHARE_OF_CEILING = 0.50
PARTY_P99_MS = 25.0
NETWORK_P50_MS = 50.0
HISTORY_GROWTH = 0.25


def routes(since: datetime) -> dict[str, str]:
    until = since + timedelta(days=30)
    return {
        "ceiling /healthz": "/healthz",
        PARTY_ROUTE: f"/api/v1/parties/{PARTY}/on-call",
        "network-wide on-call": "/api/v1/on-call",
        f"one Party's 30-day shifts ({PARTY})": (
            f"/api/v1/parties/{PARTY}/shifts?since={quote(since.isoformat())}"
            f"&until={quote(until.isoformat())}"
        ),
    }


class Server:
    """gunicorn serving `app:create_app()` on one database, as README says to run it."""

    def __init__(self, url: str, port: int, workers: int, worker_class: str, log: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        env = dict(os.environ, DATABASE_URL=url)
        # One address and one token at ~1000 req/s: lift the rate limits, keep the limiter on.
        env.update(BENCH_LIMITS)
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--worker-class",
                worker_class,
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "300",
                "--log-level",
                "warning",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=self.log,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        """Until /healthz answers (not /readyz: it also wants a single migration head)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.close()
                raise SystemExit(f"gunicorn exited with {self.process.returncode}: see the log")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as resp:  # noqa: S310
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not become ready within 60 s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def load(
    base: str, path: str, token: str, args: argparse.Namespace, duration: float
) -> dict[str, Any]:
    """One run of the load generator in its own process."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.loadgen",
            base + path,
            "--concurrency",
            str(args.concurrency),
            "--duration",
            str(duration),
            "--warmup",
            str(args.warmup),
            "--header",
            f"Authorization: Bearer {token}",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def database_urls(backend: str, args: argparse.Namespace) -> tuple[str, str]:
    if backend == "postgresql":
        base = args.pg_url.rstrip("/")
        return f"{base}/art35_bench", f"{base}/art35_bench_x10"
    folder = Path(args.sqlite_dir)
    return f"sqlite:///{folder}/bench.sqlite", f"sqlite:///{folder}/bench_x10.sqlite"


def build(url: str, scale: int) -> Built:
    fresh_database(url)
    built = migrate_and_build(url, scale)
    print(f"  built scale {scale}: {built.summary()}", flush=True)
    return built


def run_route(
    server: Server, name: str, path: str, token: str, args: argparse.Namespace, duration: float
) -> dict[str, Any]:
    """Check the route answers, then load it; print and return the figures."""
    _check(server.base + path, token)
    load_before = os.getloadavg()[0]
    result = load(server.base, path, token, args, duration)
    # Other work on the machine skews the figures: keep the 1-minute load average.
    result["loadavg_before"] = round(load_before, 2)
    print(f"  {_row(name, result, None)}", flush=True)
    return result


def _merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Runs of one route taken in turns: overall throughput, mean of the percentiles."""
    seconds = sum(r["seconds"] for r in results)
    requests = sum(r["requests"] for r in results)

    def mean(key: str) -> float:
        return round(sum(r[key] for r in results) / len(results), 2)

    return {
        "runs": results,
        "seconds": round(seconds, 2),
        "requests": requests,
        "errors": sum(r["errors"] for r in results),
        "rps": round(requests / seconds, 1),
        "p50_ms": mean("p50_ms"),
        "p99_ms": mean("p99_ms"),
        "loadavg_before": mean("loadavg_before"),
    }


def backend_runs(
    backend: str, paths: dict[str, str], args: argparse.Namespace, log: Path
) -> dict[str, Any]:
    """Every route on the network, then one Party's on-call on it and on the 10× one in turns."""
    url, url10 = database_urls(backend, args)
    built = build(url, 1)
    built10 = None if args.skip_scale else build(url10, 10)
    runs: dict[str, Any] = {"scale 1": {}}
    server = Server(url, args.port, args.workers, args.worker_class, log)
    big = None
    try:
        for name, path in paths.items():
            runs["scale 1"][name] = run_route(server, name, path, built.token, args, args.duration)
        if built10 is not None:
            big = Server(url10, args.port + 1, args.workers, args.worker_class, log)
            # Both networks in turns, half the time each per round: a change in the machine's
            # load then weighs on both alike instead of on one of them.
            taken: dict[str, list[dict[str, Any]]] = {"scale 1": [], "scale 10": []}
            for _round in range(2):
                for label, srv, token in (
                    ("scale 1", server, built.token),
                    ("scale 10", big, built10.token),
                ):
                    result = run_route(
                        srv,
                        f"{PARTY_ROUTE} {label}",
                        paths[PARTY_ROUTE],
                        token,
                        args,
                        args.duration / 2,
                    )
                    taken[label].append(result)
            runs["history"] = {label: _merge(results) for label, results in taken.items()}
    finally:
        server.stop()
        if big is not None:
            big.stop()
    return runs


def _check(url: str, token: str) -> None:
    """One request first: a route that does not answer 200 is not worth loading."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310 -- local server
            resp.read()
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"{url} answered {exc.code}: {exc.read()[:300]!r}") from None


def _row(name: str, result: dict[str, Any], ceiling: float | None) -> str:
    share = f"{result['rps'] / ceiling:6.1%}" if ceiling else "      "
    errors = f"  errors {result['errors']}" if result["errors"] else ""
    return (
        f"{name:<52} {result['rps']:>8.1f} req/s {share}  "
        f"p50 {result['p50_ms']:>7.2f} ms  p99 {result['p99_ms']:>7.2f} ms{errors}"
        f"  (load avg before {result.get('loadavg_before', float('nan')):.1f})"
    )


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    info = {
        "cpus": str(os.cpu_count()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        info["cpu"] = model
    except (OSError, StopIteration):
        pass
    return info


def postgres_version(base: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(
        base.replace("postgresql://", "postgresql+psycopg://", 1) + "/postgres"
    )
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar()
    engine.dispose()
    return str(version)


def verdicts(results: dict[str, Any]) -> list[str]:
    """Each target of issue 3, met or missed, with the measured figure."""
    lines = []
    for backend, runs in results["backends"].items():
        scale1 = runs["scale 1"]
        ceiling = scale1["ceiling /healthz"]
        party = scale1[PARTY_ROUTE]
        network = scale1["network-wide on-call"]
        share = party["rps"] / ceiling["rps"]
        lines.append(
            f"{backend}: one Party's on-call at {share:.0%} of the ceiling's throughput "
            f"(target ≥ {PARTY_SHARE_OF_CEILING:.0%}): {_met(share >= PARTY_SHARE_OF_CEILING)}"
        )
        lines.append(
            f"{backend}: one Party's on-call p99 {party['p99_ms']:.1f} ms "
            f"(target < {PARTY_P99_MS:.0f} ms): {_met(party['p99_ms'] < PARTY_P99_MS)}"
        )
        lines.append(
            f"{backend}: network-wide on-call p50 {network['p50_ms']:.1f} ms "
            f"(target < {NETWORK_P50_MS:.0f} ms): {_met(network['p50_ms'] < NETWORK_P50_MS)}"
        )
        if "history" in runs:
            small, big = runs["history"]["scale 1"], runs["history"]["scale 10"]
            growth = big["p50_ms"] / small["p50_ms"] - 1
            lines.append(
                f"{backend}: 10× history changes one Party's on-call p50 by {growth:+.0%} "
                f"({small['p50_ms']:.1f} → {big['p50_ms']:.1f} ms, measured in turns; target < "
                f"{HISTORY_GROWTH:.0%}): {_met(growth < HISTORY_GROWTH)}"
            )
    return lines


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite-dir", default=str(ROOT / "instance" / "bench"))
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per route")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each route")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class")
    parser.add_argument("--port", type=int, default=8035)
    parser.add_argument("--skip-scale", action="store_true", help="no 10× history comparison")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()

    since = datetime.now(UTC).replace(second=0, microsecond=0)
    paths = routes(since)
    info = machine()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "postgresql" in backends:
        info["postgresql"] = postgres_version(args.pg_url.rstrip("/"))
    print(
        "machine: "
        + ", ".join(f"{k} {v}" for k, v in info.items())
        + f"; gunicorn {args.workers} × {args.worker_class} workers, concurrency "
        + f"{args.concurrency}, {args.duration:g} s per route (+{args.warmup:g} s warm-up)",
        flush=True,
    )
    log = Path(args.sqlite_dir) / "gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": info, "settings": vars(args), "backends": {}}
    for backend in backends:
        print(f"\n{backend}", flush=True)
        results["backends"][backend] = backend_runs(backend, paths, args, log)

    print("\nsummary (share = throughput relative to the ceiling /healthz)")
    for backend, runs in results["backends"].items():
        ceiling = runs["scale 1"]["ceiling /healthz"]["rps"]
        for name, result in runs["scale 1"].items():
            print(f"  {backend:<10} {_row(name, result, ceiling)}")
        for label, result in runs.get("history", {}).items():
            name = f"{PARTY_ROUTE}, {label} history (in turns)"
            print(f"  {backend:<10} {_row(name, result, ceiling)}")
    print("\ntargets (issue 3)")
    for line in verdicts(results):
        print(f"  {line}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
