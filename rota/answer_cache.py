"""A per-process cache of presented who-to-call-now answers.

An answer stays true while the clock is inside every duty it reports and nothing was written: every
write leaves an audit entry, so the newest audit id is the data's version. Fields that change
without an audit entry (a person's last confirmed reachability) may lag by at most `max_age`.
Entries hold plain JSON-ready dicts, never ORM objects, so they outlive the session that made them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class _Entry:
    payload: dict[str, Any]
    version: int
    valid_from: datetime | None
    valid_until: datetime | None
    stored_at: float


class AnswerCache:
    """A small LRU of answers, each valid over [valid_from, valid_until) for one data version."""

    def __init__(self, max_entries: int = 512, max_age: float = 60.0) -> None:
        self.max_entries = max_entries
        self.max_age = max_age
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: int, at: datetime) -> dict[str, Any] | None:
        """The cached payload when it holds for this version and instant, else None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            fresh = time.monotonic() - entry.stored_at < self.max_age
            inside = (entry.valid_from is None or entry.valid_from <= at) and (
                entry.valid_until is None or at < entry.valid_until
            )
            if not (fresh and inside and entry.version == version):
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry.payload

    def put(
        self,
        key: Hashable,
        version: int,
        payload: dict[str, Any],
        valid: tuple[datetime | None, datetime | None],
    ) -> None:
        with self._lock:
            self._entries[key] = _Entry(payload, version, valid[0], valid[1], time.monotonic())
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def validity(answers: Iterable[Any]) -> tuple[datetime | None, datetime | None]:
    """The span of instants over which these answers stay the same (apart from the clock)."""
    starts: list[datetime] = []
    ends: list[datetime] = []
    for answer in answers:
        for duty in answer.tiers:
            starts.append(duty.shift.start)
            if not duty.clipped_until:
                ends.append(duty.shift.end)
        language = answer.language
        if language is not None and language.next is not None:
            ends.append(language.next[2])
    return (max(starts) if starts else None, min(ends) if ends else None)


def cached_answer(
    cache: AnswerCache,
    key: Hashable,
    version: int,
    at: datetime,
    build: Callable[[], tuple[dict[str, Any], tuple[datetime | None, datetime | None]]],
) -> dict[str, Any]:
    """The cached payload for `key`, or `build()`'s, stored for next time."""
    payload = cache.get(key, version, at)
    if payload is None:
        payload, valid = build()
        cache.put(key, version, payload, valid)
    return payload


answers = AnswerCache()
