"""The app under gunicorn with several workers, for tests that race real parallel requests.

`serve(env, workers, log)` starts `gunicorn tests.served_app:app` on a free port with the given
environment (DATABASE_URL, SECRET_KEY, ART35_TEST_NOW …), waits until /readyz answers and every
worker has served a few requests, yields the base URL, and stops it afterwards.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.fakes.clock import pause

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    env: Mapping[str, str], workers: int, log: Path, port: int | None = None
) -> Iterator[str]:
    """gunicorn serving tests.served_app on 127.0.0.1; its base URL while the block runs."""
    port = port or free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 -- our own interpreter and command
            [
                sys.executable,
                *("-m", "gunicorn", "--workers", str(workers)),
                *("--bind", f"127.0.0.1:{port}", "--timeout", "60"),
                "tests.served_app:app",
            ],
            cwd=ROOT,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base_url, process, log, workers)
        yield base_url
    finally:
        process.terminate()
        process.wait(30)


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log: Path, workers: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace"))
        try:
            if requests.get(base_url + "/readyz", timeout=5).status_code == 200:
                # Every worker booted: a few answers from each before racing them.
                for _ in range(4 * workers):
                    requests.get(base_url + "/healthz", timeout=5)
                return
        except requests.RequestException:
            pass
        pause(0.1)  # polling a process that does not tell us when it is up
    raise TimeoutError(log.read_text(errors="replace"))
