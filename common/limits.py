"""Request rate limits (Flask-Limiter) and the client address behind trusted proxies.

Counters live in Redis when `RATELIMIT_STORAGE_URI` or `REDIS_URL` is set, so every worker and
instance shares them; without either they live in the worker's memory, which is only right for
local development (one process) — docs/security.md says so. Four limits, all settings:

- `RATELIMIT_PER_ADDRESS`: every request from one client address (static files and health
  checks excepted);
- `RATELIMIT_PER_TOKEN`: every request carrying one bearer token (counted on a hash of it);
- `RATELIMIT_BAD_CREDENTIALS`: per address, counted only when a bearer token was refused (401)
  or a calendar feed URL's secret was unknown (404), so guessing tokens meets 429 quickly;
- `RATELIMIT_PER_FEED`: each calendar feed URL (calendar clients poll every few minutes).

A refusal is a 429 problem with `Retry-After` (seconds).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, g, request
from flask_limiter import ApplicationLimit, Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from common.budget import DEFAULT_ICAL_OCCURRENCES, DEFAULT_SHIFT_BUDGET
from common.errors import Problem, problem_response

DEFAULTS = {
    "RATELIMIT_PER_ADDRESS": "100 per second;3000 per minute",
    "RATELIMIT_PER_TOKEN": "50 per second;1500 per minute",
    "RATELIMIT_BAD_CREDENTIALS": "20 per minute;100 per hour",
    "RATELIMIT_PER_FEED": "30 per minute",
}
#: Work budgets per request (see common/budget.py).
BUDGET_DEFAULTS = {
    "WORK_BUDGET_SHIFTS": DEFAULT_SHIFT_BUDGET,
    "ICAL_MAX_OCCURRENCES": DEFAULT_ICAL_OCCURRENCES,
}
EXEMPT_ENDPOINTS = frozenset({"static", "web.static", "health.healthz", "health.readyz"})
FEED_ENDPOINT = "calendar_feeds.feed"


class SettingsError(RuntimeError):
    """A rate-limit or proxy setting is malformed."""


def limit_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The rate-limit and proxy settings from the environment, with their defaults."""
    out: dict[str, Any] = {
        key: (env.get(key) or default).strip() for key, default in DEFAULTS.items()
    }
    out["RATELIMIT_STORAGE_URI"] = env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL") or ""
    out["RATELIMIT_ENABLED"] = (env.get("RATELIMIT_ENABLED") or "1").lower() not in (
        "0",
        "false",
        "no",
        "off",
    )
    out["TRUSTED_PROXIES"] = (env.get("TRUSTED_PROXIES") or "0").strip()
    # Several deployments may share one Redis: each counts under its own prefix.
    out["RATELIMIT_KEY_PREFIX"] = env.get("RATELIMIT_KEY_PREFIX") or "art35"
    for key, default in BUDGET_DEFAULTS.items():
        raw = (env.get(key) or "").strip()
        if raw and not raw.isdigit():
            raise SettingsError(f"{key} must be a whole number, got {raw!r}")
        out[key] = int(raw) if raw else default
    return out


def per_worker_counters_warning(env: Mapping[str, str], workers: int) -> str | None:
    """The warning for a server whose workers would each count in their own memory (no Redis):
    every limit is then multiplied by the number of workers. None when counters are shared."""
    settings = limit_settings(env)
    if not settings["RATELIMIT_ENABLED"] or settings["RATELIMIT_STORAGE_URI"] or workers < 2:
        return None
    return (
        f"rate limits are counted in each of the {workers} workers' memory, so every limit is "
        "multiplied by the number of workers: set REDIS_URL (docs/security.md)"
    )


# --- client address --------------------------------------------------------------------------


Networks = list[ipaddress.IPv4Network | ipaddress.IPv6Network]


def parse_trusted_proxies(raw: str | int) -> int | Networks:
    """`TRUSTED_PROXIES`: a number of proxy hops, or a comma-separated list of networks."""
    text = str(raw).strip()
    if text.isdigit():
        return int(text)
    try:
        return [ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",")]
    except ValueError:
        raise SettingsError(
            "TRUSTED_PROXIES must be a number of proxy hops (e.g. 1) or a list of proxy "
            f"addresses or networks (e.g. 10.0.0.5,10.1.0.0/16), got {text!r}"
        ) from None


def _in(networks: list[Any], address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


class TrustedProxies:
    """ProxyFix that believes X-Forwarded-* only as far as the chain is made of known proxies."""

    def __init__(self, wsgi_app: Callable[..., Any], networks: list[Any]) -> None:
        self.wsgi_app = wsgi_app
        self.networks = networks
        self.fixers: dict[int, ProxyFix] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        hops = 0
        if _in(self.networks, environ.get("REMOTE_ADDR", "")):
            hops = 1
            chain = [a for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
            # Each further hop counts only while the address that handed it on is a proxy too.
            while hops < len(chain) and _in(self.networks, chain[-hops]):
                hops += 1
        if hops == 0:
            return self.wsgi_app(environ, start_response)
        fixer = self.fixers.get(hops)
        if fixer is None:
            fixer = self.fixers[hops] = ProxyFix(self.wsgi_app, x_for=hops, x_proto=1, x_host=1)
        return fixer(environ, start_response)


def trust_proxies(app: Flask) -> None:
    """Read the client address from X-Forwarded-* only behind the configured proxies."""
    trusted = parse_trusted_proxies(app.config.get("TRUSTED_PROXIES", "0"))
    if isinstance(trusted, int):
        if trusted > 0:
            app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
                app.wsgi_app, x_for=trusted, x_proto=1, x_host=1
            )
    else:
        app.wsgi_app = TrustedProxies(app.wsgi_app, trusted)  # type: ignore[method-assign]


def client_address() -> str:
    """The client's address (after the trusted-proxy fix-up)."""
    return request.remote_addr or "unknown"


# --- limits ----------------------------------------------------------------------------------


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _token_key() -> str:
    token = _bearer() or ""
    return "tok:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def _feed_key() -> str:
    secret = (request.view_args or {}).get("token", "")
    return "feed:" + hashlib.sha256(str(secret).encode()).hexdigest()[:32]


def _exempt() -> bool:
    return request.endpoint in EXEMPT_ENDPOINTS


def _no_bearer() -> bool:
    return _exempt() or _bearer() is None


def _not_feed() -> bool:
    return request.endpoint != FEED_ENDPOINT


def _credential_refused(resp: Response) -> bool:
    if request.endpoint == FEED_ENDPOINT:
        return resp.status_code == 404
    return resp.status_code == 401 and _bearer() is not None


def _credential_exempt() -> bool:
    return _exempt() or (_bearer() is None and request.endpoint != FEED_ENDPOINT)


def _remember_retry(limit: RequestLimit) -> None:
    g.ratelimit_retry_after = max(1, math.ceil(limit.reset_at - time.time()))


def _too_many(error: RateLimitExceeded) -> Response:
    retry = getattr(g, "ratelimit_retry_after", 60)
    problem = Problem(
        429,
        f"too many requests ({error.description}); retry after {retry} s",
        headers={"Retry-After": str(retry)},
    )
    return problem_response(problem)


def init_limits(app: Flask) -> Limiter:
    """Attach the limiter; call before the API's authentication so refusals cost no lookup."""
    config = app.config
    for key, default in limit_settings({}).items():
        config.setdefault(key, default)
    storage = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    config["RATELIMIT_STORAGE_URI"] = storage
    limiter = Limiter(
        key_func=client_address,
        strategy="fixed-window",
        storage_uri=storage,
        key_prefix=config.get("RATELIMIT_KEY_PREFIX") or "art35",
        headers_enabled=False,
        fail_on_first_breach=True,
        # Redis unreachable: count in memory meanwhile rather than answer 500.
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        on_breach=_remember_retry,
        application_limits=[
            ApplicationLimit(
                lambda: config["RATELIMIT_PER_ADDRESS"], scope="address", exempt_when=_exempt
            ),
            ApplicationLimit(
                lambda: config["RATELIMIT_PER_TOKEN"],
                key_function=_token_key,
                scope="token",
                exempt_when=_no_bearer,
            ),
            ApplicationLimit(
                lambda: config["RATELIMIT_BAD_CREDENTIALS"],
                scope="bad-credentials",
                exempt_when=_credential_exempt,
                deduct_when=_credential_refused,
            ),
            ApplicationLimit(
                lambda: config["RATELIMIT_PER_FEED"],
                key_function=_feed_key,
                scope="feed",
                exempt_when=_not_feed,
            ),
        ],
    )
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.extensions["art35_limiter"] = limiter
    return limiter
