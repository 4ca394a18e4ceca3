"""The lock files hold every pin of requirements*.txt: a stale lock fails here (`make lock`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)")


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def pins(path: Path) -> dict[str, str]:
    """Name → version of every `name==version` line (extras and markers dropped)."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            out[_name(match.group(1))] = match.group(2)
    return out


def locked(path: Path) -> dict[str, str]:
    """Name → version of a lock file, checking each entry carries at least one hash."""
    text = path.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    out: dict[str, str] = {}
    for entry in entries:
        match = PIN.match(entry)
        if match:
            assert "--hash=sha256:" in entry, f"{path.name}: {match.group(1)} has no hash"
            out[_name(match.group(1))] = match.group(2)
    return out


@pytest.mark.parametrize(
    ("lock", "inputs"),
    [
        ("requirements.lock", ["requirements.txt", "requirements-build.txt"]),
        (
            "requirements-dev.lock",
            [
                "requirements.txt",
                "requirements-build.txt",
                "requirements-dev.txt",
                "requirements-tools.txt",
            ],
        ),
    ],
)
def test_every_pin_is_in_the_lock(lock, inputs):
    have = locked(ROOT / lock)
    for name in inputs:
        for package, version in pins(ROOT / name).items():
            assert have.get(package) == version, (
                f"{name} pins {package}=={version} but {lock} has "
                f"{have.get(package) or 'nothing'}: run `make lock` and commit the lock files"
            )


def test_runtime_and_dev_locks_agree():
    runtime = locked(ROOT / "requirements.lock")
    dev = locked(ROOT / "requirements-dev.lock")
    assert {k: dev.get(k) for k in runtime} == runtime


def test_requirement_files_are_plain_lines():
    """pyproject.toml reads them as dependencies: no `-r`, no option lines, no duplicates."""
    seen: dict[str, str] = {}
    for name in ("requirements.txt", "requirements-dev.txt", "requirements-tools.txt"):
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            assert not line.startswith("-"), f"{name}: {line!r}"
            match = PIN.match(line)
            assert match, f"{name}: {line!r} is not an exact pin"
            package = _name(match.group(1))
            assert package not in seen, f"{package} is pinned in {seen[package]} and {name}"
            seen[package] = name


def test_the_stale_check_can_fail(tmp_path):
    stale = tmp_path / "requirements.lock"
    stale.write_text("flask==0.1 \\\n    --hash=sha256:00\n", encoding="utf-8")
    assert locked(stale) == {"flask": "0.1"}
    assert pins(ROOT / "requirements.txt")["flask"] != "0.1"
