"""Rotas whose stored data breaks resolution are known to every worker, not only the one that met
them.

Two Flask apps on one database (a SQLite file, or a fresh PostgreSQL database with
TEST_DATABASE_URL) stand for two gunicorn workers or instances: each has its own engine and pool,
and `worker(n)` gives it the memory a process of its own would have (rota.integrity's findings,
the answer cache), so nothing passes between them but the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from common.clock import now as clock_now
from common.db import db
from rota import integrity, lookup
from rota.answer_cache import answers
from rota.models import OVERRIDE_NO_OVERLAP, OverrideRecord, RotaRecord
from tests.conftest import Clock, make_app, make_party, make_person, make_user
from tests.rota.conftest import add_rotation, new_rota

pytestmark = pytest.mark.own_app


@dataclass
class Network:
    apps: list[Flask]
    headers: dict[str, str]
    rota_id: int
    people: list[int]
    first: int  # the older of the two overlapping overrides (kept)
    overlapping: int  # the one left out
    at: str  # an instant inside the overlap
    operator: sa.Engine  # a third party reading the table (an operator's psql)
    memories: dict[int, dict[int, Any]] = field(default_factory=lambda: {0: {}, 1: {}})

    def client(self, n: int, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
        """Worker n's client, with worker n's own process memory in place."""
        monkeypatch.setattr(integrity, "_PROBLEMS", self.memories[n])
        answers.clear()
        return self.apps[n].test_client()

    def stored(self) -> dict[int, str]:
        """The shared table, read outside both apps."""
        with self.operator.connect() as conn:
            rows = conn.execute(sa.text("SELECT rota_id, problem FROM rota_problem")).all()
        return {row.rota_id: row.problem for row in rows}


@pytest.fixture
def network(
    fresh_database_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Network]:
    """France with a weekly rota whose stored overrides overlap; nobody has met it yet."""
    apps = [make_app(fresh_database_url), make_app(fresh_database_url)]
    for app in apps:
        app.config["CLOCK"] = clock
    # Alembic's fileConfig (the migrations) disables loggers that existed before it.
    monkeypatch.setattr(integrity.log, "disabled", False)
    with apps[0].app_context():
        upgrade(revision="heads")
        integrity.log.disabled = False
        party = make_party("FR", "France")
        people = [make_person(party, name) for name in ("Anne", "Bruno", "Carmen")]
        _user, headers = make_user("secretariat")
        client = apps[0].test_client()
        rota = new_rota(client, headers, timezone="Europe/Paris")
        add_rotation(
            client,
            headers,
            rota["id"],
            members=[people[0].id],
            start_local="2026-11-02T09:00",
            shift_length="P7D",
        )
        if db.engine.dialect.name == "postgresql":
            db.session.execute(
                sa.text(f"ALTER TABLE override DROP CONSTRAINT {OVERRIDE_NO_OVERLAP}")
            )
        else:
            db.session.execute(sa.text("DROP TRIGGER tr_override_no_overlap_insert"))
        start = clock_now() + timedelta(days=3)
        first = OverrideRecord(
            rota_id=rota["id"],
            person_id=people[1].id,
            start_at=start,
            end_at=start + timedelta(days=2),
            created_at=clock_now(),
        )
        overlapping = OverrideRecord(
            rota_id=rota["id"],
            person_id=people[2].id,
            start_at=start + timedelta(days=1),
            end_at=start + timedelta(days=4),
            created_at=clock_now(),
        )
        db.session.add_all([first, overlapping])
        db.session.commit()
        net = Network(
            apps=apps,
            headers=headers,
            rota_id=rota["id"],
            people=[p.id for p in people],
            first=first.id,
            overlapping=overlapping.id,
            at=(start + timedelta(days=1, hours=12)).isoformat(),
            operator=sa.create_engine(apps[0].config["SQLALCHEMY_DATABASE_URI"]),
        )
        db.session.remove()
    try:
        yield net
    finally:
        answers.clear()
        net.operator.dispose()
        for app in apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def _on_call(net: Network, n: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Worker n answers who is on call for France in the overlap; the person's id."""
    resp = net.client(n, monkeypatch).get(
        "/api/v1/parties/FR/on-call", headers=net.headers, query_string={"at": net.at}
    )
    assert resp.status_code == 200, resp.json
    person: int = resp.json["tiers"][0]["person"]["id"]
    return person


def _bad_rotas(net: Network, n: int, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    ready = net.client(n, monkeypatch).get("/readyz")
    assert ready.status_code == 200, ready.json
    found: list[dict[str, Any]] = ready.json.get("bad_rotas", [])
    return found


def test_a_bad_rota_met_by_one_worker_shows_in_every_workers_readyz(network, clock, monkeypatch):
    assert _bad_rotas(network, 1, monkeypatch) == []
    # The older override (lower id) is kept: the one the constraint would have kept.
    assert _on_call(network, 0, monkeypatch) == network.people[1]

    problems = _bad_rotas(network, 1, monkeypatch)  # worker 1 never resolved that rota
    assert [p["rota_id"] for p in problems] == [network.rota_id]
    assert (
        f"override {network.overlapping} overlaps override {network.first}"
        in (problems[0]["problem"])
    )
    assert problems[0]["found_at"] == problems[0]["last_seen_at"] == clock().isoformat()
    assert _bad_rotas(network, 0, monkeypatch) == problems


def test_a_worker_writes_its_finding_once(network, clock, monkeypatch, caplog):
    met_at = clock().isoformat()
    _on_call(network, 0, monkeypatch)
    clock.advance(hours=1)
    _on_call(network, 0, monkeypatch)  # met again by the same process: nothing written
    [row] = _bad_rotas(network, 0, monkeypatch)
    assert row["found_at"] == row["last_seen_at"] == met_at
    _on_call(network, 1, monkeypatch)  # met by another process: written, found_at kept
    [row] = _bad_rotas(network, 0, monkeypatch)
    assert (row["found_at"], row["last_seen_at"]) == (met_at, clock().isoformat())
    lines = [r for r in caplog.records if "stored data breaks resolution" in r.getMessage()]
    assert len(lines) == 2  # one per process


def test_a_repair_through_any_worker_clears_it_for_all(network, monkeypatch):
    _on_call(network, 0, monkeypatch)
    _on_call(network, 1, monkeypatch)
    assert network.stored().keys() == {network.rota_id}

    deleted = network.client(1, monkeypatch).delete(
        f"/api/v1/overrides/{network.overlapping}", headers=network.headers
    )
    assert deleted.status_code == 204
    assert _bad_rotas(network, 0, monkeypatch) == []  # worker 0 still remembers meeting it
    assert _on_call(network, 0, monkeypatch) == network.people[1]
    assert network.stored() == {}


def test_a_rota_written_but_still_broken_stays_reported_by_every_worker(
    network, clock, monkeypatch
):
    _on_call(network, 0, monkeypatch)
    clock.advance(hours=1)
    client = network.client(1, monkeypatch)
    url = f"/api/v1/rotas/{network.rota_id}"
    tag = client.get(url, headers=network.headers).headers["ETag"]
    patched = client.patch(
        url, headers={**network.headers, "If-Match": tag}, json={"name": "Renamed"}
    )
    assert patched.status_code == 200
    # The write cleared the row (it might have been the repair); resolving the rota again
    # for its calendars in the same write found it still broken.
    [row] = _bad_rotas(network, 0, monkeypatch)
    assert row["found_at"] == row["last_seen_at"] == clock().isoformat()

    # Worker 0 met this very problem before the write: the rota's new version makes it write.
    clock.advance(hours=1)
    _on_call(network, 0, monkeypatch)
    [row] = _bad_rotas(network, 1, monkeypatch)
    assert row["last_seen_at"] == clock().isoformat()


def test_a_lookup_inside_a_write_transaction_reports_after_it(network, clock, monkeypatch):
    """The caller holds SQLite's write lock (BEGIN IMMEDIATE) or a row lock: the report waits
    for its end instead of waiting on it (5 s busy timeout, or forever) from a second connection."""
    app = network.apps[0]
    monkeypatch.setattr(integrity, "_PROBLEMS", network.memories[0])
    with app.test_request_context("/", method="POST"):
        db.session.execute(
            sa.update(RotaRecord.__table__)
            .where(RotaRecord.__table__.c.id == network.rota_id)
            .values(name="Held")
        )
        since = clock()
        loaded = lookup.load_rotas(None, since, since + timedelta(days=7))
        assert [lr.problem is not None for lrs in loaded.values() for lr in lrs] == [True]
        assert network.stored() == {}  # not yet: the caller's transaction is open
        db.session.commit()
        assert network.stored().keys() == {network.rota_id}
        db.session.remove()


def test_a_report_that_cannot_be_written_breaks_no_lookup(network, monkeypatch, caplog):
    with network.apps[0].app_context():
        db.session.execute(sa.text("DROP TABLE rota_problem"))
        db.session.commit()
        db.session.remove()
    caplog.set_level(logging.WARNING, logger="rota.integrity")

    assert _on_call(network, 0, monkeypatch) == network.people[1]
    assert any("not recorded in rota_problem" in r.getMessage() for r in caplog.records)
    # /readyz stays up, showing what this process met.
    [row] = _bad_rotas(network, 0, monkeypatch)
    assert row["rota_id"] == network.rota_id
    # The finding was not kept as written: the next lookup tries again, and still answers.
    assert _on_call(network, 0, monkeypatch) == network.people[1]


def test_a_locked_table_delays_no_lookup_for_long(network, monkeypatch, caplog):
    """PostgreSQL: a lock held on the table (a migration, a dump) costs the report, not the
    answer (it waits at most rota.integrity.LOCK_TIMEOUT)."""
    with network.apps[0].app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's write lock is covered by the write-transaction test")
        with db.engine.begin() as holder:
            holder.exec_driver_sql("LOCK TABLE rota_problem IN ACCESS EXCLUSIVE MODE")
            assert _on_call(network, 0, monkeypatch) == network.people[1]
        db.session.remove()
    assert any("not recorded in rota_problem" in r.getMessage() for r in caplog.records)
    assert network.stored() == {}
    _on_call(network, 0, monkeypatch)  # retried once the lock is gone
    assert network.stored().keys() == {network.rota_id}
