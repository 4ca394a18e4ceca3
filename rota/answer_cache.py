"""A per-process cache of presented who-to-call-now answers.

Every write leaves an audit entry, so the newest audit id is the data's version, and each audit
entry names the Party it changed (none: a network-wide change). When a request brings a newer
version, the cache reads which Parties the new entries touched (one statement per process and
version, never per request) and drops only the answers those writes can change: that Party's,
and the network-wide ones (board, every Party at once). Other Parties' answers stay cached.
An answer also stays only while the clock is inside every duty it reports. Fields that change
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

from flask import current_app, has_app_context

from common.metrics import count_cache_lookup
from directory.audit import NO_PARTY, parties_changed

#: Which Party a cached answer depends on; NETWORK: every Party (any write can change it).
NETWORK = None

#: Audit ids missing from a range read (a transaction not yet committed, or rolled back) are
#: read again with the next versions, for this long: longer than any request's transaction.
_PENDING_S = 120.0

#: (after_id, upto_id, also) → {audit id: Party id or None}, or None for "everything changed".
ChangesReader = Callable[[int, int, frozenset[int]], dict[int, int | None] | None]


@dataclass(frozen=True)
class _Entry:
    payload: dict[str, Any]
    scope: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    stored_at: float


class AnswerCache:
    """A small LRU of answers, each valid over [valid_from, valid_until) until a write touches
    its scope (a Party id, or NETWORK)."""

    def __init__(self, max_entries: int = 512, max_age: float = 60.0) -> None:
        self.max_entries = max_entries
        self.max_age = max_age
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        # The data version every entry is known to hold for; None before the first request.
        self._version: int | None = None
        self._pending: dict[int, float] = {}  # audit id missing from a read → when first missed
        self._lock = threading.Lock()

    @property
    def version(self) -> int | None:
        return self._version

    def sync(self, version: int, read_changes: ChangesReader) -> None:
        """Bring the entries up to `version`: drop those the writes since can change."""
        with self._lock:
            known = self._version
            if known is not None and version <= known:
                return
            if known is None or not self._entries:
                # Nothing cached: nothing to check (and never a read of the whole history).
                self._version = version
                return
            # One statement, under the lock so that no answer is stored meanwhile; it runs once
            # per process and new version, whatever the number of requests.
            changes = read_changes(known, version, frozenset(self._pending))
            self._version = version
            touched = set(changes.values()) - {NO_PARTY} if changes is not None else set()
            if changes is None or NETWORK in touched:
                self._entries.clear()
                self._pending.clear()
                return
            if touched:
                for key in [
                    k for k, e in self._entries.items() if e.scope is NETWORK or e.scope in touched
                ]:
                    del self._entries[key]
            self._note_missing(known, version, changes)

    def _note_missing(self, known: int, version: int, changes: dict[int, int | None]) -> None:
        """Remember ids missing from the read (not committed yet?) to read them again later."""
        clock = time.monotonic()
        for audit_id in list(self._pending):
            if audit_id in changes or clock - self._pending[audit_id] > _PENDING_S:
                del self._pending[audit_id]
        if version - known <= 1000:
            for audit_id in range(known + 1, version + 1):
                if audit_id not in changes:
                    self._pending.setdefault(audit_id, clock)

    def get(self, key: Hashable, version: int, at: datetime) -> dict[str, Any] | None:
        """The cached payload when it holds for this version and instant, else None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self._version is None or version > self._version:
                return None  # not synced up to this version: cannot tell
            fresh = time.monotonic() - entry.stored_at < self.max_age
            inside = (entry.valid_from is None or entry.valid_from <= at) and (
                entry.valid_until is None or at < entry.valid_until
            )
            if not (fresh and inside):
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
        scope: int | None = NETWORK,
    ) -> None:
        """Keep an answer built from data at least as new as `version`, unless a newer version
        was synced meanwhile (its writes may have come after this answer's reads)."""
        with self._lock:
            if self._version is None or version != self._version:
                return
            self._entries[key] = _Entry(payload, scope, valid[0], valid[1], time.monotonic())
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._pending.clear()
            self._version = None


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
        # A designation announced ahead changes the desk line and zone at its instant.
        change = getattr(answer, "designation_change_at", None)
        if change is not None:
            ends.append(change)
    return (max(starts) if starts else None, min(ends) if ends else None)


Built = tuple[dict[str, Any], tuple[datetime | None, datetime | None]]


def cached_answer(
    cache: AnswerCache,
    key: Hashable,
    version: int,
    at: datetime,
    build: Callable[
        [], Built | tuple[dict[str, Any], tuple[datetime | None, datetime | None], int]
    ],
) -> dict[str, Any]:
    """The cached payload for `key`, or `build()`'s, stored for next time.

    `build` returns (payload, validity) for a network-wide answer, or (payload, validity, Party
    id) for an answer that only that Party's writes can change.
    """
    # An app may carry its own cache (two app instances in one process, as the tests run them).
    cache = current_app.extensions.get("answer_cache", cache) if has_app_context() else cache
    cache.sync(version, parties_changed)
    payload = cache.get(key, version, at)
    count_cache_lookup(hit=payload is not None)
    if payload is None:
        built = build()
        payload, valid = built[0], built[1]
        scope = built[2] if len(built) == 3 else NETWORK
        cache.put(key, version, payload, valid, scope)
    return payload


answers = AnswerCache()
