"""The only place that reads the wall clock; everything else takes `now` as an argument."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app


def system_now() -> datetime:
    """The current instant, aware UTC."""
    return datetime.now(UTC)


def now() -> datetime:
    """The app's notion of now (aware UTC); tests replace `app.config["CLOCK"]`."""
    clock: Callable[[], datetime] = current_app.config.get("CLOCK") or system_now
    return clock()
