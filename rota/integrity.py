"""Rotas whose stored data breaks the resolution core's preconditions, as this process met them.

The database refuses such data (rota/models.py), but rows written behind the services' back
(a restore, a hand edit, a constraint dropped) must not turn other Parties' answers into 500s:
the lookup resolves what it can of the rota, and the rota is named here, in one log line per
problem and process, in /readyz and in the coverage gaps report.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

#: rota id -> what is wrong; bounded so bad data cannot grow it without end.
_PROBLEMS: dict[int, str] = {}
_LIMIT = 1000
_LOCK = threading.Lock()


def report(rota_id: int, problem: str) -> None:
    """Remember and log (once per rota and problem) that this rota's data is unusable as stored."""
    with _LOCK:
        if _PROBLEMS.get(rota_id) == problem:
            return
        if len(_PROBLEMS) >= _LIMIT and rota_id not in _PROBLEMS:
            return
        _PROBLEMS[rota_id] = problem
    log.error("rota %s: stored data breaks resolution (%s); resolved without it", rota_id, problem)


def cleared(rota_id: int) -> None:
    """The rota resolved cleanly again (its data was repaired)."""
    with _LOCK:
        _PROBLEMS.pop(rota_id, None)


def bad_rotas() -> list[dict[str, object]]:
    """What /readyz shows: each rota this process found broken, with the reason."""
    with _LOCK:
        items = sorted(_PROBLEMS.items())
    return [{"rota_id": rota_id, "problem": problem} for rota_id, problem in items]
