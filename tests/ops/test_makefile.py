"""`make run`'s guards: the Python version first, a busy port before anything else, a broken .venv
recreated (the install itself is exercised by CI's `make dev`)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    # As a person runs it: not as a sub-make of `make test` (which would say "make[1]: …").
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_an_old_python_is_named_in_one_line(tmp_path):
    fake = tmp_path / "python3.10"
    fake.write_text('#!/bin/sh\n[ "$1" = "-V" ] && echo "Python 3.10.12" && exit 0\nexit 1\n')
    fake.chmod(0o755)
    result = _make("run", f"PYTHON={fake}", f"VENV={tmp_path}/venv")
    assert result.returncode != 0
    (line,) = [x for x in result.stderr.splitlines() if not re.match(r"make(\[\d+\])?:", x)]
    assert "needs Python 3.11 or newer" in line and "Python 3.10.12" in line
    assert not (tmp_path / "venv").exists() and result.stdout == ""


def test_a_busy_port_fails_before_anything_else():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _make("port-free", f"PORT={port}")
    assert result.returncode != 0 and result.stdout == ""
    assert f"port {port} on 127.0.0.1 is busy" in result.stderr
    assert f"PORT={port}" not in result.stderr and "PORT=5001" in result.stderr


def test_a_broken_venv_is_recreated(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to("/nonexistent/python3")
    (venv / ".runtime-installed").touch()  # a stamp must not make a broken venv look fine
    result = _make("venv", f"VENV={venv}")
    assert result.returncode == 0, result.stderr
    assert "creating" in result.stdout
    assert not (venv / ".runtime-installed").exists()
    done = subprocess.run([str(venv / "bin" / "python"), "-c", "print(1)"], capture_output=True)
    assert done.stdout.strip() == b"1"
    again = _make("venv", f"VENV={venv}")
    assert again.returncode == 0 and "creating" not in again.stdout
