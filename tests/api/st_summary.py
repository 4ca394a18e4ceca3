"""One line per schemathesis run for CI logs and the closing note: operations, cases, failures."""

from __future__ import annotations

import re
import sys
from pathlib import Path


def summary(name: str, text: str) -> str:
    """'schemathesis sqlite: 47/47 operations tested, 374 test cases, 0 failures, 0 errors'."""
    ops = re.search(r"Tested:\s*(\d+)", text)
    selected = re.search(r"Selected:\s*\d+/(\d+)", text)
    cases = re.search(r"(\d+) generated", text)
    failures = re.search(r"found (\d+) unique failures?", text)
    errors = re.search(r"(\d+) errors?\b", text.split("SUMMARY")[-1])
    failed = int(failures.group(1)) if failures else 0
    return (
        f"schemathesis {name}: {ops.group(1) if ops else '?'}"
        f"/{selected.group(1) if selected else '?'} operations tested, "
        f"{cases.group(1) if cases else '?'} test cases, {failed} failures, "
        f"{errors.group(1) if errors else 0} errors"
    )


if __name__ == "__main__":
    run_name, output = sys.argv[1], Path(sys.argv[2])
    print(summary(run_name, output.read_text(errors="replace") if output.exists() else ""))
