"""A clock that flows at real speed from a fixed instant: tests never read the machine's date.

Elapsed time comes from the monotonic clock, so callbacks and timeouts take their real (short)
time while the date stays the same whatever day the suite runs (CI also runs it under
`faketime`, which moves the wall clock but not the monotonic one).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

#: A Tuesday at noon UTC (office hours in Europe), inside the months the tests plan campaigns for.
ANCHOR = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class FlowingClock:
    """Real elapsed time from ANCHOR plus a settable offset, optionally frozen."""

    def __init__(self, anchor: datetime = ANCHOR) -> None:
        assert anchor.tzinfo is not None
        self.anchor = anchor
        self._started = time.monotonic()
        self.offset = timedelta(0)
        self.frozen: datetime | None = None

    def _flowing(self) -> datetime:
        return self.anchor + timedelta(seconds=time.monotonic() - self._started) + self.offset

    def __call__(self) -> datetime:
        if self.frozen is not None:
            return self.frozen
        return self._flowing()

    def set(self, at: datetime) -> None:
        assert at.tzinfo is not None
        self.offset += at - self._flowing()

    def advance(self, **kwargs: float) -> datetime:
        self.offset += timedelta(**kwargs)
        if self.frozen is not None:
            self.frozen += timedelta(**kwargs)
        return self()

    def freeze(self) -> datetime:
        """Stop time (at the start of the current second), e.g. to count calls per second."""
        self.frozen = self().replace(microsecond=0)
        return self.frozen

    def reset(self) -> None:
        """Back to the anchor's flow (as if no test had moved it)."""
        self.offset = timedelta(0)
        self.frozen = None


def pause(seconds: float) -> None:
    """Wait a moment of real time (polling another process): not time.sleep, which fails under
    faketime with the monotonic clock left alone (CI's date-moved run)."""
    threading.Event().wait(seconds)
