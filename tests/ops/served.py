"""A real `art35 serve` (gunicorn, several workers) on a fresh SQLite database, for ops tests."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakes.clock import pause

ROOT = Path(__file__).resolve().parents[2]
ART35 = (sys.executable, "-m", "art35_cli")
SECRET_KEY = "ops-test-" + "k" * 40
METRICS_TOKEN = "metrics-test-token"
TWILIO_AUTH_TOKEN = "twilio-test-auth-token"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def base_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The service's environment: its own database, instance folder and metrics folder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "TEST_DATABASE_URL", "PROMETHEUS_", "TWILIO_"))
    }
    env.update(
        SECRET_KEY=SECRET_KEY,
        ART35_INSTANCE_PATH=str(tmp / "instance"),
        DATABASE_URL=f"sqlite:///{tmp}/served.sqlite",
        PUBLIC_BASE_URL="http://127.0.0.1",
        METRICS_TOKEN=METRICS_TOKEN,
        LOG_FORMAT="json",
        LOG_LEVEL="info",
        RATELIMIT_ENABLED="0",
        # Keep what the run put there (CI's date-moved run mends time.sleep through it).
        PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
    )
    env.update(extra)
    return env


def art35(env: dict[str, str], *args: str) -> str:
    """Run one `art35` command of this checkout; its standard output."""
    done = subprocess.run(
        [*ART35, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Served:
    port: int
    log: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far (gunicorn's own text lines skipped)."""
        out = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    source: str = "127.0.0.2",
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request from `source` (another loopback address than the proxy's)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def wait_until_up(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(encoding='utf-8')[-2000:]}")
        try:
            status, _, _ = request(port, "GET", "/healthz", source="127.0.0.1")
            if status == 200:
                return
        except OSError:
            pass
        pause(0.2)
    raise RuntimeError(f"server did not answer within 60 s: {log.read_text(encoding='utf-8')}")


@contextmanager
def serve(tmp: Path, workers: int = 2, **extra_env: str) -> Iterator[Served]:
    """`art35 serve` with `workers` gunicorn workers on a migrated database."""
    env = base_env(tmp, PROMETHEUS_MULTIPROC_DIR=str(tmp / "metrics"), **extra_env)
    art35(env, "db", "upgrade")
    port = free_port()
    log = tmp / "served.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*ART35, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(port, process, log)
        yield Served(port, log, process, env)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
