"""Reachability settings: defaults, read from the environment unless create_app() was given them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from common.settings import SettingsError

#: Seconds unless said otherwise.
DEFAULTS = {
    "REACH_RETRY_DELAY_S": 600,  # wait before calling the same tier-1 target again
    "REACH_RETRIES": 2,  # tier-1 retries before escalating to tier 2
    "REACH_RING_TIMEOUT_S": 30,  # how long a call rings before Twilio gives up (no-answer)
    "REACH_RATE_LIMIT_S": 600,  # at most one test call per number in this time
    "REACH_CLAIM_TIMEOUT_S": 60,  # a claim older than this without a SID belongs to a dead worker
    "REACH_STALE_CALL_S": 900,  # ask Twilio about a placed call with no final callback by then
    # Test calls per user, per Party and for the whole service (0 = no limit; reachability.quotas)
    "REACH_QUOTA_USER_HOUR": 20,
    "REACH_QUOTA_USER_DAY": 60,
    "REACH_QUOTA_PARTY_HOUR": 30,
    "REACH_QUOTA_PARTY_DAY": 100,
    "REACH_QUOTA_SERVICE_HOUR": 200,
    "REACH_QUOTA_SERVICE_DAY": 1000,
}


def configure(app: Flask) -> None:
    """Fill in the reachability settings that create_app() was not given, from the environment."""
    for key, default in DEFAULTS.items():
        if app.config.get(key) is None:
            raw = os.environ.get(key)
            try:
                app.config[key] = int(raw) if raw not in (None, "") else default
            except ValueError:
                raise SettingsError(f"{key} must be a whole number, got {raw!r}") from None
        if app.config[key] < 0:
            raise SettingsError(f"{key} must not be negative")


def setting(config: Mapping[str, Any], key: str) -> int:
    """A reachability setting (its default when the app was built without configure())."""
    value = config.get(key)
    return DEFAULTS[key] if value is None else int(value)


def calls_per_second(config: Mapping[str, Any]) -> int:
    """CALLS_PER_SECOND, at least 1."""
    return max(1, int(config.get("CALLS_PER_SECOND") or 1))
