"""`pip install .` gives a working `art35` anywhere: every file of the packages is shipped, and the
installed command speaks in one line when a setting or the database is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SHIPPED = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
MODULES = PYPROJECT["tool"]["setuptools"]["py-modules"]
PIP = (sys.executable, "-m", "pip")
NOT_SHIPPED = {"tests", "bench", "build"}


def _tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return out.stdout.splitlines()


def test_every_package_of_the_checkout_is_declared():
    top = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_SHIPPED and not path.parent.name.startswith(".")
    }
    assert top <= set(SHIPPED), f"add {sorted(top - set(SHIPPED))} to pyproject.toml"
    modules = {p.stem for p in ROOT.glob("*.py")} - {"gunicorn.conf"}
    assert modules <= set(MODULES), f"add {sorted(modules - set(MODULES))} to py-modules"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [*PIP, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("art35-*.whl"))


def test_the_wheel_ships_every_file_of_the_packages(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    roots = tuple(f"{p.replace('.', '/')}/" for p in SHIPPED)
    expected = {
        f
        for f in _tracked_files()
        if f.startswith(roots) and "__pycache__" not in f and (ROOT / f).exists()
    }
    assert expected, "no package files found"
    missing = sorted(expected - names)
    assert not missing, f"not in the wheel: {missing[:10]}"
    for must in (
        "web/templates/web/base.html",
        "web/static/web.css",
        "translations/fr/LC_MESSAGES/messages.mo",
        "reachability/translations/fr/LC_MESSAGES/calls.mo",
        "directory/data/budapest_parties.csv",
        "migrations/alembic.ini",
        "migrations/env.py",
        "common/templates/common/apidocs.html",
        "app.py",
        "art35_cli.py",
    ):
        assert must in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "art35 = art35_cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.fixture(scope="module")
def art35(wheel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed into a fresh venv; dependencies seen through a path entry (no index)."""
    env = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    subprocess.run(
        [*PIP, "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Only the dependencies: .pth files in this folder (the checkout's editable install) are
    # not read from a path entry, so `import app` finds the installed copy.
    deps = sysconfig.get_paths()["purelib"]
    (Path(purelib) / "zz_art35_test_deps.pth").write_text(deps + "\n", encoding="utf-8")
    return env / "bin" / "art35"


def _run(art35: Path, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "PUBLIC_BASE_URL", "SECRET_KEY", "ART35_"))
    }
    base.update(
        SECRET_KEY="k" * 40,
        ART35_INSTANCE_PATH=str(cwd / "instance"),
        # Never the checkout (the installed copy must be used); keep what the run put there
        # (CI's date-moved run mends time.sleep through it).
        PYTHONPATH=os.pathsep.join(
            p
            for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
            if p and Path(p).resolve() != ROOT
        ),
    )
    base.update(env)
    return subprocess.run(
        [str(art35), *args], cwd=cwd, env=base, capture_output=True, text=True, timeout=120
    )


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_installed_art35_runs_from_any_directory(art35, tmp_path):
    python = str(art35.parent / "python")
    where = _run(Path(python), tmp_path, "-c", "import app; print(app.__file__)")
    assert where.returncode == 0, where.stderr
    assert str(ROOT) not in where.stdout and "site-packages" in where.stdout
    assert "art35 db upgrade" in _run(art35, tmp_path, "tokens", "list").stderr
    migrated = _run(art35, tmp_path, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "instance" / "art35.sqlite").exists()
    loaded = _run(art35, tmp_path, "directory", "load-parties")
    assert loaded.returncode == 0 and "added" in loaded.stdout, loaded.stderr
    pages = _run(
        Path(python),
        tmp_path,
        "-c",
        "from app import create_app; c = create_app().test_client(); "
        "r = c.get('/login?lang=fr'); "
        "css = c.get('/assets/web.css').status_code; "
        "print(r.status_code, 'Connexion' in r.get_data(True), css)",
    )
    assert pages.stdout.split() == ["200", "True", "200"], pages.stderr


def test_installed_art35_says_which_setting_is_wrong(art35, tmp_path):
    line = _one_error_line(_run(art35, tmp_path, "tokens", "list", DATABASE_URL="mysql://x/y"))
    assert "DATABASE_URL" in line and "postgresql://" in line
    line = _one_error_line(_run(art35, tmp_path, "tokens", "list", PUBLIC_BASE_URL="art35.example"))
    assert "PUBLIC_BASE_URL" in line
    line = _one_error_line(_run(art35, tmp_path, "--help", DATABASE_URL="mysql://x/y"))
    assert "DATABASE_URL" in line


def test_installed_art35_says_to_migrate(art35, tmp_path):
    line = _one_error_line(_run(art35, tmp_path, "tokens", "list", "nobody@example.org"))
    assert "art35 db upgrade" in line


def test_installed_art35_names_a_missing_postgresql_database(art35, tmp_path):
    import psycopg

    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    url = "postgresql://postgres@127.0.0.1:5432/art35_ops_no_such_database"
    line = _one_error_line(_run(art35, tmp_path, "tokens", "list", DATABASE_URL=url))
    assert 'database "art35_ops_no_such_database" does not exist' in line
