"""The public URLs Twilio calls back (PUBLIC_BASE_URL: what Twilio sees, not what the app sees)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WEBHOOK_PREFIX = "/twilio"


def public_url(config: Mapping[str, Any], path: str) -> str:
    """PUBLIC_BASE_URL + path (which starts with '/')."""
    return str(config["PUBLIC_BASE_URL"]).rstrip("/") + path


def voice_url(config: Mapping[str, Any], attempt_id: int) -> str:
    return public_url(config, f"{WEBHOOK_PREFIX}/voice/{attempt_id}")


def gather_url(config: Mapping[str, Any], attempt_id: int, *, again: bool = False) -> str:
    query = "?again=1" if again else ""
    return public_url(config, f"{WEBHOOK_PREFIX}/gather/{attempt_id}{query}")


def status_url(config: Mapping[str, Any], attempt_id: int) -> str:
    return public_url(config, f"{WEBHOOK_PREFIX}/status/{attempt_id}")
