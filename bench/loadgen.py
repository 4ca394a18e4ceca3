"""A small HTTP/1.1 load generator (standard library only): N connections hammer one URL.

Each of `--concurrency` connections sends a GET, waits for the whole answer, and sends the next,
keeping the connection open when the server allows it (gunicorn's sync workers close it after
every answer: the client then reconnects, and the time to connect counts in that request's
latency, as it would for a real client). Prints one JSON object: requests, errors, requests/s,
and latency percentiles in milliseconds.

    .venv/bin/python -m bench.loadgen http://127.0.0.1:8000/healthz --concurrency 16 --duration 20
        [--header "Authorization: Bearer …"] [--warmup 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    bytes: int = 0


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool, int]:
    """Read one response; return (status, whether the connection stays open, body size)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status, *_ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    keep = headers.get("connection") != "close" and version == "HTTP/1.1"
    if "content-length" in headers:
        size = int(headers["content-length"])
        await reader.readexactly(size)
    elif headers.get("transfer-encoding") == "chunked":
        size = 0
        while True:
            chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(chunk + 2)
            size += chunk
            if chunk == 0:
                break
    else:
        size = len(await reader.read())
        keep = False
    return int(status), keep, size


async def _connection(
    host: str, port: int, request: bytes, deadline: float, tally: Tally | None
) -> None:
    """One client: request after request until the deadline."""
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None  # noqa: S101 -- set together with writer
            writer.write(request)
            status, keep, size = await _read_answer(reader)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            if tally is not None:
                tally.failures[type(exc).__name__] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
            continue
        if tally is not None:
            tally.latencies.append(time.perf_counter() - started)
            tally.statuses[status] += 1
            tally.bytes += size
        if not keep:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def _request(url: str, headers: list[str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {parts.netloc}",
        "User-Agent: art35-loadgen",
        "Accept: application/json",
        *headers,
    ]
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(
    url: str, concurrency: int, duration: float, headers: list[str], warmup: float = 0.0
) -> dict[str, Any]:
    """Load `url` from `concurrency` connections for `duration` seconds; the figures."""
    host, port, request = _request(url, headers)
    if warmup > 0:
        end = time.perf_counter() + warmup
        await asyncio.gather(
            *(_connection(host, port, request, end, None) for _ in range(concurrency))
        )
    tally = Tally()
    started = time.perf_counter()
    await asyncio.gather(
        *(_connection(host, port, request, started + duration, tally) for _ in range(concurrency))
    )
    elapsed = time.perf_counter() - started
    ordered = sorted(tally.latencies)
    ok = sum(n for status, n in tally.statuses.items() if 200 <= status < 300)
    return {
        "url": url,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "requests": len(ordered),
        "ok": ok,
        "errors": len(ordered) - ok + sum(tally.failures.values()),
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "failures": dict(tally.failures),
        "rps": round(len(ordered) / elapsed, 1),
        "mean_bytes": round(tally.bytes / len(ordered)) if ordered else 0,
        "p50_ms": round(_percentile(ordered, 0.50) * 1000, 2),
        "p90_ms": round(_percentile(ordered, 0.90) * 1000, 2),
        "p99_ms": round(_percentile(ordered, 0.99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2) if ordered else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--concurrency", "-c", type=int, default=16)
    parser.add_argument("--duration", "-d", type=float, default=20.0, help="seconds")
    parser.add_argument("--warmup", type=float, default=0.0, help="seconds, not counted")
    parser.add_argument("--header", "-H", action="append", default=[], help='"Name: value"')
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.concurrency, args.duration, args.header, args.warmup))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
