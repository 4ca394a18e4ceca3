"""`art35 backup` then `art35 restore` onto an empty database answers the same lookups (SQLite, and
PostgreSQL through pg_dump/pg_restore)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from flask_migrate import upgrade

from common.db import db
from directory import accounts
from directory.demo import demo_document
from directory.transfer import import_document, parties_from_csv
from rota.answer_cache import AnswerCache
from rota.demo import load_demo_rotas
from tests.conftest import make_app
from tests.ops.served import ART35, ROOT, base_env

AT = datetime(2026, 12, 24, 2, 0, tzinfo=UTC)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
LOOKUPS = (
    "/api/v1/parties",
    "/api/v1/parties/FR/on-call?at=2026-12-24T03:00:00%2B01:00",
    "/api/v1/parties/DE/on-call?at=2026-12-24T03:00:00%2B01:00&lang=fr",
    "/api/v1/parties/JP/on-call?at=2026-12-25T12:00:00Z",
    "/api/v1/parties/US/on-call?at=2026-12-24T03:00:00Z",
)


PARTIES = {"FR", "DE", "JP", "US"}


def _load_some_demo_parties() -> str:
    """Four Parties of the demo (directory, rotas, overrides): quicker than the whole network."""
    import_document(demo_document([p for p in parties_from_csv() if p["iso2"] in PARTIES]), AT)
    user = accounts.create_user("ops@art35.example", "secretariat", AT)
    load_demo_rotas(user, AT)
    _token, secret = accounts.create_token(user, "ops", AT)
    db.session.commit()
    return secret


def _app(url: str) -> Flask:
    app = make_app(url)
    # Each app its own answer cache: an answer cached for one database must not answer the other.
    app.extensions["answer_cache"] = AnswerCache()
    return app


def _answers(app: Flask, token: str) -> dict[str, object]:
    client = app.test_client()
    out = {}
    for path in LOOKUPS:
        resp = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200, (path, resp.get_json())
        out[path] = resp.get_json()
    return out


def _cli(tmp: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = base_env(tmp, DATABASE_URL=url, LOG_LEVEL="")
    return subprocess.run(
        [*ART35, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def _round_trip(tmp: Path, source_url: str, target_url: str, refusals: bool = True) -> None:
    source = _app(source_url)
    with source.app_context():
        upgrade(revision="heads")
        token = _load_some_demo_parties()
        before = _answers(source, token)
        db.session.remove()
        db.engine.dispose()

    backup = tmp / "art35.backup"
    made = _cli(tmp, source_url, "backup", str(backup))
    assert made.returncode == 0, made.stderr
    assert "written to" in made.stdout and backup.stat().st_size > 0
    if refusals:
        again = _cli(tmp, source_url, "backup", str(backup))
        assert again.returncode == 1 and "exists" in again.stderr

    restored = _cli(tmp, target_url, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    target = _app(target_url)
    with target.app_context():
        after = _answers(target, token)
        db.session.remove()
        db.engine.dispose()
    assert after == before
    assert any(a.get("tiers") for a in after.values() if isinstance(a, dict))

    if refusals:
        refused = _cli(tmp, target_url, "restore", str(backup))
        assert refused.returncode == 1
        assert refused.stderr.count("\n") == 1 and "not empty" in refused.stderr


@pytest.mark.own_app
def test_sqlite_backup_restores_onto_an_empty_database(tmp_path):
    _round_trip(tmp_path, f"sqlite:///{tmp_path}/a.sqlite", f"sqlite:///{tmp_path}/b.sqlite")


@pytest.fixture
def pg_databases() -> Iterator[tuple[str, str]]:
    if shutil.which("pg_dump") is None:
        pytest.skip("needs pg_dump and pg_restore (postgresql-client)")
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    names = ("art35_ops_backup_a", "art35_ops_backup_b")
    with admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield tuple(f"postgresql://postgres@127.0.0.1:5432/{n}" for n in names)  # type: ignore[misc]
        finally:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.own_app
def test_postgresql_backup_restores_onto_an_empty_database(tmp_path, pg_databases):
    _round_trip(tmp_path, *pg_databases, refusals=False)


@pytest.mark.own_app
def test_a_backup_of_the_other_kind_is_refused(tmp_path):
    fake = tmp_path / "fake.backup"
    fake.write_bytes(b"PGDMP" + b"\0" * 100)
    result = _cli(tmp_path, f"sqlite:///{tmp_path}/c.sqlite", "restore", str(fake))
    assert result.returncode == 1 and "not a SQLite backup" in result.stderr
