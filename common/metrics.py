"""Prometheus metrics at `GET /metrics`, only with `Authorization: Bearer <METRICS_TOKEN>`.

Counters and histograms live in this process (prometheus-client); under gunicorn every worker
writes them to files in PROMETHEUS_MULTIPROC_DIR (set by common/gunicorn_config.py) and a scrape
adds up all workers. Values that the database knows (campaign progress, mail outbox depth) are read
at scrape time through `SCRAPE_COLLECTORS`, so they are right whichever worker answers.
Without METRICS_TOKEN the route answers 404; with a wrong token 401.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from common.errors import Problem

#: Every metric of the app; a scrape reads this registry (or, under gunicorn, the files).
REGISTRY = CollectorRegistry(auto_describe=True)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_SECONDS = Histogram(
    "art35_http_request_duration_seconds",
    "Time to answer a request, by route (the URL rule, never the raw path) and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
REQUESTS = Counter(
    "art35_http_requests",
    "Requests answered, by route, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
ANSWER_CACHE = Counter(
    "art35_answer_cache_lookups",
    "Lookups of the on-call answer cache (rota/answer_cache.py), by result (hit or miss).",
    ["result"],
    registry=REGISTRY,
)
DB_CONNECTIONS_OPEN = Gauge(
    "art35_db_pool_connections_open",
    "Database connections the pools hold open (all workers).",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
DB_CONNECTIONS_IN_USE = Gauge(
    "art35_db_pool_connections_in_use",
    "Database connections checked out of the pools right now (all workers).",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
DB_CHECKOUTS = Counter(
    "art35_db_pool_checkouts",
    "Connections taken from the pools.",
    registry=REGISTRY,
)
TWILIO_ERRORS = Counter(
    "art35_twilio_errors",
    "Errors from Twilio's API or on the way to it, by kind and Twilio error code.",
    ["kind", "code"],
    registry=REGISTRY,
)

#: Callables yielding metric families read from the database at scrape time (in an app context).
#: Domain packages add theirs when the app is built: campaign progress (reachability/metrics.py),
#: the mail outbox's depth (mail/metrics.py).
SCRAPE_COLLECTORS: list[Callable[[], Iterable[Metric]]] = []


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    REQUEST_SECONDS.labels(route, method).observe(seconds)
    REQUESTS.labels(route, method, str(status)).inc()


def count_cache_lookup(hit: bool) -> None:
    """One lookup of the answer cache."""
    ANSWER_CACHE.labels("hit" if hit else "miss").inc()


def count_twilio_error(kind: str, code: int | None) -> None:
    """One error from Twilio (`kind`: rest, service, transport)."""
    TWILIO_ERRORS.labels(kind, str(code) if code is not None else "none").inc()


def watch_pool(engine: sa.Engine) -> None:
    """Follow the engine's pool: connections open and checked out."""
    if getattr(engine, "_art35_pool_watched", False):
        return
    engine._art35_pool_watched = True  # type: ignore[attr-defined]

    @sa.event.listens_for(engine, "connect")
    def _connect(*_args: Any) -> None:
        DB_CONNECTIONS_OPEN.inc()

    @sa.event.listens_for(engine, "close")
    def _close(*_args: Any) -> None:
        DB_CONNECTIONS_OPEN.dec()

    @sa.event.listens_for(engine, "close_detached")
    def _close_detached(*_args: Any) -> None:
        DB_CONNECTIONS_OPEN.dec()

    @sa.event.listens_for(engine, "checkout")
    def _checkout(*_args: Any) -> None:
        DB_CONNECTIONS_IN_USE.inc()
        DB_CHECKOUTS.inc()

    @sa.event.listens_for(engine, "checkin")
    def _checkin(*_args: Any) -> None:
        DB_CONNECTIONS_IN_USE.dec()


class _ScrapeCollector:
    """Adapts `SCRAPE_COLLECTORS` to prometheus-client's collector protocol."""

    def collect(self) -> Iterable[Metric]:
        for collector in SCRAPE_COLLECTORS:
            yield from collector()


def render() -> bytes:
    """The exposition text: this process's (or every worker's) metrics and the scrape-time ones."""
    multiproc = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=multiproc)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    scraped = CollectorRegistry()
    scraped.register(_ScrapeCollector())
    return text + generate_latest(scraped)


bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus exposition, for the holder of METRICS_TOKEN only."""
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        raise Problem(404, "not found")
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        offered.strip().encode(), str(expected).encode()
    ):
        raise Problem(
            401,
            "a valid metrics token is required (Authorization: Bearer <METRICS_TOKEN>)",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    response = Response(render(), mimetype=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_metrics(app: Flask) -> None:
    """Serve /metrics and follow the database pool."""
    app.config.setdefault("METRICS_TOKEN", os.environ.get("METRICS_TOKEN") or None)
    app.register_blueprint(bp)
    from common.db import db

    with app.app_context():
        watch_pool(db.engine)
