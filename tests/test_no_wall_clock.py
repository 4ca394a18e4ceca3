"""No test reads the machine's clock: time comes from the `clock` fixture or a FlowingClock.

The suite must pass on any date (CI also runs it with the date moved a year ahead), so a test
that reads today's date is a test that will fail some day.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent

#: Reading the wall clock, or sleeping (time.sleep fails under faketime; wait on an event).
WALL_CLOCK = re.compile(
    r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|time\.time\(|time\.time_ns\(|"
    r"time\.sleep\(|system_now\("
)

#: The only places allowed, each with its reason.
ALLOWED = {
    # Their worker processes are real `flask` processes that read the machine's clock.
    "reachability/test_workers_pg.py": 1,
    "mail/test_workers_pg.py": 1,
    # This file names the patterns it looks for.
    "test_no_wall_clock.py": 0,
}


def test_no_test_reads_the_machine_clock():
    found: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        name = path.relative_to(TESTS).as_posix()
        if name == "test_no_wall_clock.py":
            continue
        lines = [
            f"{number}: {line.strip()}"
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if WALL_CLOCK.search(line) and not line.lstrip().startswith("#")
        ]
        if len(lines) > ALLOWED.get(name, 0):
            found[name] = lines
    assert found == {}, (
        "read the test clock (tests/conftest.py Clock, tests/fakes/clock.py FlowingClock) and "
        "wait with tests/fakes/clock.py pause()"
    )


def test_the_check_can_fail():
    assert WALL_CLOCK.search("before = datetime.now(UTC)")
    assert WALL_CLOCK.search("time.sleep(0.1)")
    assert not WALL_CLOCK.search("deadline = time.monotonic() + 2")
