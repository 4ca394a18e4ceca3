"""Deleting a person races naming them in a rotation: several gunicorn workers on PostgreSQL, the
two requests released together by a barrier, many rounds. Exactly one of the two wins, as if they
had come one after the other: the rotation is saved and the delete is a 409 naming it, or the
person is deleted and the rotation write a 422 naming the member. Never both (a rotation naming a
deleted person), never a 500.

Rotations keep their members as person ids in JSON, so no foreign key holds this; the writers lock
the person rows (rota.service.check_members, directory.service.delete_person). Each test prints
its tally (run with -s to see it); ROUNDS sets the rounds per race.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from tests.concurrency import test_races_pg as races
from tests.concurrency.test_races_pg import ROUNDS, Served, call, race

pytestmark = races.RACE_MARKS
#: The served app (gunicorn, several workers, a fresh PostgreSQL database) and the thread pool.
served = races.served
pool = races.pool


def _new_person(served: Served, name: str) -> int:
    resp = call(served, "POST", "/api/v1/parties/ES/people", json={"full_name": name})
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def _new_rotation(served: Served, tier: int) -> int:
    """A rota of its own for the race, with one rotation of a person never deleted."""
    rota = call(served, "POST", "/api/v1/parties/ES/rotas", json={"name": "Race", "tier": tier})
    assert rota.status_code == 201, rota.text
    resp = call(
        served,
        "POST",
        f"/api/v1/rotas/{rota.json()['id']}/rotations",
        json={
            "members": served.people["ES"][:1],
            "start_local": "2026-11-02T09:00",
            "shift_length": "P1D",
        },
    )
    assert resp.status_code == 201, resp.text
    return int(resp.json()["rotations"][0]["id"])


def _adding(served: Served, tier: int) -> Callable[[int], tuple[str, str, dict[str, Any]]]:
    """Each round adds a rotation naming the person to a rota of its own."""
    rota = call(served, "POST", "/api/v1/parties/ES/rotas", json={"name": "Adds", "tier": tier})
    assert rota.status_code == 201, rota.text
    path = f"/api/v1/rotas/{rota.json()['id']}/rotations"

    def request(person: int) -> tuple[str, str, dict[str, Any]]:
        body = {"members": [person], "start_local": "2026-11-02T09:00", "shift_length": "P7D"}
        return ("POST", path, {"json": body})

    return request


def _changing(served: Served, tier: int) -> Callable[[int], tuple[str, str, dict[str, Any]]]:
    """Each round makes the person a member of one rotation from now on (a member change)."""
    path = f"/api/v1/rotations/{_new_rotation(served, tier)}"
    first = served.people["ES"][0]

    def request(person: int) -> tuple[str, str, dict[str, Any]]:
        return ("PATCH", path, {"json": {"members": [first, person]}})

    return request


WRITERS = {"new rotation": (_adding, 5), "member change": (_changing, 6)}


def _dangling(served: Served) -> list[tuple[str, int, int]]:
    """(table, row id, person id) for each rotation member that is no person."""
    engine = sa.create_engine(
        served.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    )
    with engine.connect() as conn:
        people = set(conn.execute(sa.text("SELECT id FROM person")).scalars())
        named = [
            ("rotation", row_id, member)
            for row_id, members in conn.execute(sa.text("SELECT id, members FROM rotation"))
            for member in members
        ] + [
            ("rotation_member_change", row_id, member)
            for row_id, members in conn.execute(
                sa.text("SELECT id, members FROM rotation_member_change")
            )
            for member in members
        ]
    engine.dispose()
    return [entry for entry in named if entry[2] not in people]


def _problem(resp: requests.Response) -> dict[str, Any]:
    assert resp.headers["Content-Type"].startswith("application/problem+json"), resp.text
    body: dict[str, Any] = resp.json()
    return body


@pytest.mark.parametrize("writer", list(WRITERS))
def test_deleting_a_person_racing_their_addition_to_a_rotation(served, pool, writer):
    make, tier = WRITERS[writer]
    request_for = make(served, tier)
    tally: Counter[str] = Counter()
    both_won = []
    for round_ in range(ROUNDS):
        name = f"Racer {writer} {round_}"
        person = _new_person(served, name)
        write, delete = race(
            pool, served, request_for(person), ("DELETE", f"/api/v1/people/{person}", {})
        )
        tally[f"{write.status_code}+{delete.status_code}"] += 1
        assert write.status_code in (200, 201, 422), write.text
        assert delete.status_code in (204, 409), delete.text
        if write.status_code < 300 and delete.status_code == 204:
            both_won.append(person)
            continue
        assert (write.status_code < 300) != (delete.status_code == 204), (write.text, delete.text)
        if delete.status_code == 409:
            detail = _problem(delete)["detail"]
            assert detail.startswith(f"{name} is a member of rotation "), detail
        else:
            errors = _problem(write)["errors"]
            assert errors[0]["reason"] == f"no person {person} in this Party", errors
    print(f"\n{writer} racing a delete of its member, {ROUNDS} rounds: {dict(tally)}")
    assert not both_won, f"rotation saved and person deleted in rounds of {both_won}"
    assert _dangling(served) == []
    assert "Traceback" not in served.log.read_text(errors="replace")
