"""Real races on PostgreSQL: several gunicorn workers, two requests released together by a
barrier, many rounds. Exactly one of two overlapping overrides is saved (the other a 409 naming
it), exactly one of two writes from one ETag succeeds (the other a 412), concurrent deletes
answer 404/409/412 and never 500, and every Party's on-call answer stays 200 throughout.

Each test prints its tally (run with -s to see it); ROUNDS sets the rounds per race.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask_migrate import upgrade

from common.db import db
from tests.conftest import PG_URL, make_app, make_party, make_person, make_user
from tests.databases import postgres_database
from tests.fakes.clock import pause
from tests.gunicorn import free_port, serve

#: The race modules' marks: their own gunicorn and database, PostgreSQL only.
RACE_MARKS = [
    pytest.mark.own_app,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not PG_URL.startswith("postgresql"),
        reason="races need PostgreSQL and real workers: set TEST_DATABASE_URL=postgresql://…",
    ),
]
pytestmark = RACE_MARKS

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
ROUNDS = int(os.environ.get("ROUNDS", "30"))
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
CODES = ("FR", "DE", "IT", "ES")


@dataclass
class Served:
    base: str
    headers: dict[str, str]
    people: dict[str, list[int]]  # Party code -> person ids
    rotas: dict[str, int]  # Party code -> tier-1 rota id
    log: Path
    database_url: str

    def url(self, path: str) -> str:
        return self.base + path


_local = threading.local()


def _http() -> requests.Session:
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def call(served: Served, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {**served.headers, **kwargs.pop("headers", {})}
    return _http().request(method, served.url(path), headers=headers, timeout=30, **kwargs)


def _seed(url: str) -> tuple[dict[str, str], dict[str, list[int]], dict[str, int]]:
    app = make_app(url)
    app.config["CLOCK"] = lambda: NOW
    with app.app_context():
        upgrade()
        _user, headers = make_user("secretariat")
        db.session.remove()
    client = app.test_client()
    people: dict[str, list[int]] = {}
    rotas: dict[str, int] = {}
    with app.app_context():
        for code in CODES:
            party = make_party(code, f"Party {code}")
            resp = client.put(
                f"/api/v1/parties/{code}/contact-point",
                headers=headers,
                json={"unit_name": f"Unit {code}", "kind": "police", "timezone": "Europe/Paris"},
            )
            assert resp.status_code == 200, resp.json
            people[code] = [
                make_person(party, f"Person {code} {i}", languages=("en",)).id for i in range(4)
            ]
            rota = client.post(
                f"/api/v1/parties/{code}/rotas", headers=headers, json={"name": "Duty", "tier": 1}
            ).json
            resp = client.post(
                f"/api/v1/rotas/{rota['id']}/rotations",
                headers=headers,
                json={
                    "members": people[code][:2],
                    "start_local": "2026-11-02T09:00",
                    "shift_length": "P7D",
                },
            )
            assert resp.status_code == 201, resp.json
            rotas[code] = rota["id"]
        db.session.remove()
        db.engine.dispose()
    return headers, people, rotas


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app under gunicorn with WORKERS sync workers on a fresh PostgreSQL database."""
    with postgres_database("art35_races") as url:
        headers, people, rotas = _seed(url)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "ART35_TEST_NOW": NOW.isoformat(),
            "RATELIMIT_ENABLED": "0",
            "SECRET_KEY": "races-" + os.urandom(16).hex(),  # at least 32 characters
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }
        log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
        with serve(env, WORKERS, log, port) as base_url:
            yield Served(base_url, headers, people, rotas, log, url)


@pytest.fixture(scope="module")
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


def race(
    pool: ThreadPoolExecutor, served: Served, *requests_: tuple[str, str, dict[str, Any]]
) -> list[requests.Response]:
    """Send the requests (method, path, keywords) at one instant: threads released by a barrier."""
    barrier = threading.Barrier(len(requests_))

    def released(method: str, path: str, kwargs: dict[str, Any]) -> requests.Response:
        barrier.wait()
        return call(served, method, path, **kwargs)

    futures = [pool.submit(released, *request) for request in requests_]
    return [f.result() for f in futures]


def _no_server_error(served: Served) -> None:
    text = served.log.read_text(errors="replace")
    assert "Traceback" not in text, text[-4000:]


def _everyone_answers(served: Served, at: datetime) -> None:
    params = {"at": at.isoformat()}
    network = call(served, "GET", "/api/v1/on-call", params=params)
    assert network.status_code == 200, network.text
    assert {row["party"] for row in network.json()["items"]} == set(CODES)
    for code in CODES:
        resp = call(served, "GET", f"/api/v1/parties/{code}/on-call", params=params)
        assert resp.status_code == 200, (code, resp.text)


@pytest.mark.parametrize("days_ahead", [30, 500])
def test_of_two_overlapping_overrides_exactly_one_is_saved(served, pool, days_ahead):
    rota = served.rotas["FR"]
    anne, bruno = served.people["FR"][2:4]
    tally: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        start = NOW + timedelta(days=days_ahead, hours=7 * round_)
        bodies = [
            {
                "person_id": anne,
                "start": start.isoformat(),
                "end": (start + timedelta(hours=4)).isoformat(),
            },
            {
                "person_id": bruno,
                "start": (start + timedelta(hours=2)).isoformat(),
                "end": (start + timedelta(hours=6)).isoformat(),
            },
        ]
        a, b = race(
            pool,
            served,
            *[("POST", f"/api/v1/rotas/{rota}/overrides", {"json": body}) for body in bodies],
        )
        statuses = sorted([a.status_code, b.status_code])
        tally[f"{statuses[0]}+{statuses[1]}"] += 1
        assert statuses == [201, 409], (a.text, b.text)
        won, lost = (a, b) if a.status_code == 201 else (b, a)
        assert lost.headers["Content-Type"].startswith("application/problem+json")
        conflict = lost.json()["conflict"]
        assert conflict["id"] == won.json()["id"]
        assert conflict["person_id"] == won.json()["person_id"]
        _everyone_answers(served, start + timedelta(hours=3))
    listed = call(
        served,
        "GET",
        f"/api/v1/rotas/{rota}/overrides",
        params={
            "since": (NOW + timedelta(days=days_ahead - 1)).isoformat(),
            "until": (NOW + timedelta(days=days_ahead + 10 + ROUNDS)).isoformat(),
        },
    )
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == ROUNDS
    _everyone_answers(served, NOW)
    _no_server_error(served)
    print(f"\noverride race, {days_ahead} days ahead, {ROUNDS} rounds: {dict(tally)}")


WRITES = {
    "person": lambda s: (
        f"/api/v1/people/{s.people['DE'][0]}",
        "PATCH",
        lambda i: {"title": f"T{i}"},
    ),
    "party": lambda s: ("/api/v1/parties/IT", "PATCH", lambda i: {"notes": f"note {i}"}),
    "rota": lambda s: (f"/api/v1/rotas/{s.rotas['ES']}", "PATCH", lambda i: {"name": f"Duty {i}"}),
    "contact point": lambda s: (
        "/api/v1/parties/DE/contact-point",
        "PUT",
        lambda i: {"unit_name": f"Unit {i}", "kind": "police", "timezone": "Europe/Berlin"},
    ),
}


@pytest.mark.parametrize("record", list(WRITES))
def test_of_two_writes_from_one_etag_exactly_one_succeeds(served, pool, record):
    path, method, body_of = WRITES[record](served)
    tally: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        tag = call(served, "GET", path).headers["ETag"]
        bodies = [body_of(f"{round_}a"), body_of(f"{round_}b")]
        a, b = race(
            pool,
            served,
            *[(method, path, {"json": body, "headers": {"If-Match": tag}}) for body in bodies],
        )
        statuses = sorted([a.status_code, b.status_code])
        tally[f"{statuses[0]}+{statuses[1]}"] += 1
        assert statuses == [200, 412], (a.text, b.text)
        won = a if a.status_code == 200 else b
        assert call(served, "GET", path).json() == won.json()
    _no_server_error(served)
    print(f"\nIf-Match race on a {record}, {ROUNDS} rounds: {dict(tally)}")


def _new_person(served: Served, i: int) -> int:
    resp = call(served, "POST", "/api/v1/parties/ES/people", json={"full_name": f"Temp {i}"})
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def _new_override(served: Served, i: int) -> int:
    start = NOW + timedelta(days=900, hours=3 * i)
    body = {
        "person_id": served.people["ES"][0],
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
    }
    resp = call(served, "POST", f"/api/v1/rotas/{served.rotas['ES']}/overrides", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def _new_rota(served: Served, _i: int) -> int:
    resp = call(served, "POST", "/api/v1/parties/IT/rotas", json={"name": "Spare", "tier": 7})
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


DELETES = {
    "person": (_new_person, "/api/v1/people/{}"),
    "override": (_new_override, "/api/v1/overrides/{}"),
    "rota": (_new_rota, "/api/v1/rotas/{}"),
}


@pytest.mark.parametrize("record", list(DELETES))
def test_concurrent_deletes_answer_404_or_409_never_500(served, pool, record):
    make, template = DELETES[record]
    tally: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        path = template.format(make(served, round_))
        a, b = race(pool, served, ("DELETE", path, {}), ("DELETE", path, {}))
        statuses = sorted([a.status_code, b.status_code])
        tally[f"{statuses[0]}+{statuses[1]}"] += 1
        assert statuses[0] == 204 and statuses[1] in (404, 409), (a.text, b.text)
        assert call(served, "GET", path).status_code in (404, 405)
    _everyone_answers(served, NOW)
    _no_server_error(served)
    print(f"\nconcurrent deletes of a {record}, {ROUNDS} rounds: {dict(tally)}")


def test_a_write_racing_a_delete_never_500s(served, pool):
    tally: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        path = f"/api/v1/people/{_new_person(served, 1000 + round_)}"
        tag = call(served, "GET", path).headers["ETag"]
        patch, delete = race(
            pool,
            served,
            ("PATCH", path, {"json": {"title": "X"}, "headers": {"If-Match": tag}}),
            ("DELETE", path, {"headers": {"If-Match": tag}}),
        )
        tally[f"{patch.status_code}+{delete.status_code}"] += 1
        assert patch.status_code in (200, 404, 409, 412), patch.text
        assert delete.status_code in (204, 404, 409, 412), delete.text
        assert (patch.status_code == 200) != (delete.status_code == 204), (patch.text, delete.text)
    _no_server_error(served)
    print(f"\nPATCH racing DELETE of a person, {ROUNDS} rounds: {dict(tally)}")


def test_an_override_insert_aborted_as_a_deadlock_is_retried_into_a_409(served):
    """Two overlapping inserts can wait for each other inside the exclusion check; PostgreSQL
    aborts one. Made certain here: a transaction holds an uncommitted override, the request's
    insert waits for it, then that transaction inserts over the request's own tuple."""
    import sqlalchemy as sa

    rota = served.rotas["IT"]
    person = served.people["IT"][0]
    start = NOW + timedelta(days=700)
    engine = sa.create_engine(
        served.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    )
    insert = sa.text(
        "INSERT INTO override (rota_id, person_id, start_at, end_at, created_at) "
        "VALUES (:rota, :person, :start, :end, :start) RETURNING id"
    )
    with engine.connect() as other, ThreadPoolExecutor(max_workers=1) as executor:
        held = other.execute(
            insert,
            {"rota": rota, "person": person, "start": start, "end": start + timedelta(hours=2)},
        ).scalar_one()
        # The request overlaps the held override, and the second insert below overlaps the
        # request's own (uncommitted) tuple: each waits for the other.
        body = {
            "person_id": person,
            "start": (start + timedelta(hours=1)).isoformat(),
            "end": (start + timedelta(hours=6)).isoformat(),
        }
        future = executor.submit(call, served, "POST", f"/api/v1/rotas/{rota}/overrides", json=body)
        _wait_for_a_lock_wait(other)
        other.execute(
            insert,
            {
                "rota": rota,
                "person": person,
                "start": start + timedelta(hours=4),
                "end": start + timedelta(hours=5),
            },
        )
        other.commit()
        resp = future.result(timeout=30)
    engine.dispose()
    assert resp.status_code == 409, resp.text
    assert resp.json()["conflict"]["id"] == held
    _no_server_error(served)


def _wait_for_a_lock_wait(conn: Any) -> None:
    """Until some other backend waits for a lock (the request's insert, waiting for ours)."""
    import sqlalchemy as sa

    deadline = time.monotonic() + 20
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )
    while time.monotonic() < deadline:
        with conn.engine.connect() as probe:
            if probe.execute(query).scalar_one():
                return
        pause(0.02)  # polling another process's state
    raise TimeoutError("the request never waited for the held override")
