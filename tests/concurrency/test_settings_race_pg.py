"""Two secretariat members change the network settings at once from the same read: several
gunicorn workers on PostgreSQL, the two PATCHes released together by a barrier, many rounds.
Exactly one succeeds and the other is a 412 every round (the version row's conditional UPDATE
decides, not a read in Python), and what stays stored is the winner's answer.

The served app and the barrier are tests/concurrency/test_races_pg.py's. The test prints its
tally (run with -s to see it); ROUNDS sets the rounds.
"""

from __future__ import annotations

from collections import Counter

from tests.concurrency import test_races_pg as races
from tests.concurrency.test_races_pg import ROUNDS, call, race

pytestmark = races.RACE_MARKS
#: The served app (gunicorn, several workers, a fresh PostgreSQL database) and the thread pool.
served = races.served
pool = races.pool

URL = "/api/v1/network-settings"


def test_of_two_settings_changes_from_one_etag_exactly_one_succeeds(served, pool):
    tally: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        tag = call(served, "GET", URL).headers["ETag"]
        grace = 1 + (2 * round_) % 300  # two new values each round (from 0 to 365 allowed)
        bodies = [{"confirmation_grace_days": grace}, {"confirmation_grace_days": grace + 1}]
        a, b = race(
            pool,
            served,
            *[("PATCH", URL, {"json": body, "headers": {"If-Match": tag}}) for body in bodies],
        )
        statuses = sorted([a.status_code, b.status_code])
        tally[f"{statuses[0]}+{statuses[1]}"] += 1
        assert statuses == [200, 412], (round_, a.text, b.text)
        won, lost = (a, b) if a.status_code == 200 else (b, a)
        assert lost.headers["Content-Type"].startswith("application/problem+json")
        assert call(served, "GET", URL).json() == won.json()
    races._no_server_error(served)
    print(f"\nIf-Match race on the network settings, {ROUNDS} rounds: {dict(tally)}")
