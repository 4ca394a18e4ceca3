"""gunicorn settings for Art35 (`art35 serve`, or `gunicorn` in a checkout via gunicorn.conf.py).

Each value can be changed through the environment (GUNICORN_*, WEB_CONCURRENCY) or gunicorn's own
command-line options, which win over this file. docs/deploy.md explains the choices.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

_env = os.environ.get

bind = _env("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: requests are short and the database is the limit; two per core plus one.
workers = int(_env("WEB_CONCURRENCY") or (2 * (os.cpu_count() or 1) + 1))
worker_class = "sync"
# A request that takes longer than this is stuck: the worker is replaced (campaign calls run in
# `art35 reachability worker`, never in a request).
timeout = int(_env("GUNICORN_TIMEOUT", "30"))
# SIGTERM: stop accepting, let running requests finish within this many seconds.
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(_env("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = int(_env("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
# One JSON line per request comes from the app (common/observability.py): no second access log.
accesslog = None
errorlog = "-"
loglevel = _env("GUNICORN_LOG_LEVEL", "info")
# The client address and scheme come from TRUSTED_PROXIES in the app (one place decides whom to
# believe), so gunicorn believes no X-Forwarded-* header itself.
forwarded_allow_ips = ""
# gunicorn's control socket defaults to one path per user, shared by every instance on the host:
# off unless GUNICORN_CONTROL_SOCKET names this instance's own path.
control_socket = _env("GUNICORN_CONTROL_SOCKET") or str(
    Path(tempfile.gettempdir()) / f"art35-gunicorn-{os.getpid()}.ctl"
)
control_socket_disable = not _env("GUNICORN_CONTROL_SOCKET")

# Prometheus multiprocess mode: every worker writes its samples under one directory per instance,
# emptied when the instance starts; a dead worker's live gauges are removed (child_exit).
_own_metrics_dir = not _env("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="art35-metrics-")


def on_starting(server: Any) -> None:
    """Start with an empty metrics directory: samples of an earlier run must not add up."""
    path = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def when_ready(server: Any) -> None:
    """Say at start, where operators look, when each worker would keep its own rate counters."""
    from common.limits import per_worker_counters_warning

    warning = per_worker_counters_warning(os.environ, server.cfg.workers)
    if warning:
        server.log.warning(warning)


def child_exit(server: Any, worker: Any) -> None:
    """Drop the live gauges of a worker that exited (its counters stay, as they must)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    """Remove the metrics directory this configuration made (a given one is left alone)."""
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
