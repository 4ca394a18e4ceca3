"""A write drops only the cached answers it can change: its Party's and the network-wide ones.

Other Parties' answers stay cached, in this process and in every other app instance on the same
database (each instance reads which Parties the new audit entries touched, once per version).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from common.db import db
from directory.audit import NO_PARTY, parties_changed
from directory.models import AuditEntry, Party, Person
from rota.answer_cache import NETWORK, AnswerCache, cached_answer
from tests.conftest import Clock, make_app, make_party, make_person, make_user
from tests.reachability.conftest import _database
from tests.rota.conftest import add_rotation, new_rota
from tests.rota.test_rota_api import q

AT = "2026-03-31T10:00:00Z"
LATER = datetime(2026, 3, 31, 10, 30, tzinfo=UTC)
ALWAYS = (None, None)


# --- the cache alone --------------------------------------------------------------------------


class Changes:
    """Stands in for the audit trail: audit id → Party id (None: network-wide)."""

    def __init__(self) -> None:
        self.entries: dict[int, int | None] = {}
        self.reads: list[tuple[int, int, frozenset[int]]] = []

    def __call__(self, after: int, upto: int, also: frozenset[int]):
        self.reads.append((after, upto, also))
        return {i: p for i, p in self.entries.items() if after < i <= upto or i in also}


def filled(changes: Changes, version: int = 1) -> AnswerCache:
    cache = AnswerCache()
    cache.sync(version, changes)
    cache.put("A", version, {"who": "a"}, ALWAYS, scope=1)
    cache.put("B", version, {"who": "b"}, ALWAYS, scope=2)
    cache.put("net", version, {"who": "all"}, ALWAYS, scope=NETWORK)
    return cache


def kept(cache: AnswerCache, version: int) -> set[str]:
    return {k for k in ("A", "B", "net") if cache.get(k, version, LATER) is not None}


def test_a_write_to_one_party_drops_its_answers_and_the_network_ones():
    changes = Changes()
    cache = filled(changes)
    changes.entries[2] = 1
    cache.sync(2, changes)
    assert kept(cache, 2) == {"B"}
    assert changes.reads == [(1, 2, frozenset())]
    cache.sync(2, changes)  # the same version again: nothing to read
    assert len(changes.reads) == 1


def test_a_network_wide_write_drops_everything():
    changes = Changes()
    cache = filled(changes)
    changes.entries[2] = None
    cache.sync(2, changes)
    assert kept(cache, 2) == set()


def test_entries_no_answer_shows_drop_nothing():
    """Failed sign-ins and other security events must not empty the cache (an attacker's lever)."""
    changes = Changes()
    cache = filled(changes)
    changes.entries[2] = NO_PARTY
    changes.entries[3] = NO_PARTY
    cache.sync(3, changes)
    assert kept(cache, 3) == {"A", "B", "net"}


def test_a_security_event_reads_as_no_party(app):
    from directory.accounts import record_security

    before = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
    record_security(None, "sign_in_failed", None, datetime(2026, 3, 31, tzinfo=UTC))
    db.session.flush()
    after = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    assert parties_changed(before, after) == {after: NO_PARTY}


def test_too_many_writes_to_read_drop_everything():
    cache = filled(Changes())
    cache.sync(5000, lambda *_: None)
    assert kept(cache, 5000) == set()


def test_an_answer_built_before_a_newer_version_was_synced_is_not_kept():
    changes = Changes()
    cache = filled(changes)
    changes.entries[2] = 1
    cache.sync(2, changes)
    cache.put("A", 1, {"who": "a, read before write 2"}, ALWAYS, scope=1)
    assert cache.get("A", 2, LATER) is None
    cache.put("A", 2, {"who": "a"}, ALWAYS, scope=1)
    assert cache.get("A", 2, LATER) == {"who": "a"}
    assert cache.get("A", 1, LATER) == {"who": "a"}  # an older request may read newer data
    assert cache.get("A", 3, LATER) is None  # a newer one must sync first


def test_an_id_committed_late_is_read_again_with_the_next_version():
    changes = Changes()
    cache = filled(changes)
    changes.entries[3] = 2  # id 2 is not committed yet when version 3 is seen
    cache.sync(3, changes)
    assert kept(cache, 3) == {"A"}
    cache.put("B", 3, {"who": "b"}, ALWAYS, scope=2)
    cache.put("net", 3, {"who": "all"}, ALWAYS, scope=NETWORK)
    changes.entries[2] = 1  # …and commits later, on Party 1
    changes.entries[4] = 2
    cache.sync(4, changes)
    assert changes.reads[-1] == (3, 4, frozenset({2}))
    assert kept(cache, 4) == set()


# --- through the API, one app -----------------------------------------------------------------


def german_rota(client, headers) -> Person:
    """Germany with a Berlin contact point and one person always on duty."""
    party = make_party("DE", "Germany")
    resp = client.put(
        "/api/v1/parties/DE/contact-point",
        headers=headers,
        json={"unit_name": "BKA", "kind": "police", "timezone": "Europe/Berlin"},
    )
    assert resp.status_code == 200, resp.json
    person = make_person(party, "Greta", languages=("de",), phone="+4915112345678")
    rota = new_rota(client, headers, iso2="DE")
    add_rotation(
        client,
        headers,
        rota["id"],
        members=[person.id],
        start_local="2026-01-01T00:00",
        shift_length="P1D",
    )
    return person


def get(client, headers, path: str) -> dict:
    resp = client.get(f"{path}?at={q(AT)}", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def tier1(answer: dict) -> str:
    return answer["tiers"][0]["person"]["full_name"]


def test_a_write_to_party_a_keeps_party_b_cached(client, weekly_rotas, monkeypatch):
    rota, _tier2, people, headers = weekly_rotas
    german_rota(client, headers)
    from rota import lookup

    builds: list[list[str]] = []
    real = lookup.resolve_on_call

    def counted(parties, *args, **kwargs):
        builds.append([p.iso2 for p in parties])
        return real(parties, *args, **kwargs)

    monkeypatch.setattr(lookup, "resolve_on_call", counted)
    assert tier1(get(client, headers, "/api/v1/parties/FR/on-call")) == "Bruno"
    assert tier1(get(client, headers, "/api/v1/parties/DE/on-call")) == "Greta"
    get(client, headers, "/api/v1/on-call")
    assert len(builds) == 3

    resp = client.post(
        f"/api/v1/rotas/{rota['id']}/overrides",
        headers=headers,
        json={"person_id": people[3].id, "start": "2026-03-31T00:00:00Z", "end": AT},
    )
    assert resp.status_code == 201
    resp = client.post(
        f"/api/v1/rotas/{rota['id']}/overrides",
        headers=headers,
        json={"person_id": people[2].id, "start": AT, "end": "2026-04-01T00:00:00Z"},
    )
    assert resp.status_code == 201

    assert tier1(get(client, headers, "/api/v1/parties/DE/on-call")) == "Greta"
    assert len(builds) == 3  # Germany's answer is still the cached one
    assert tier1(get(client, headers, "/api/v1/parties/FR/on-call")) == "Carmen"
    assert builds[3:] == [["FR"]]  # France's is fresh
    network = get(client, headers, "/api/v1/on-call")
    assert len(builds) == 5  # and so is the network-wide one
    france = next(item for item in network["items"] if item["party"] == "FR")
    assert tier1(france) == "Carmen"


# --- two app instances on one database --------------------------------------------------------


@pytest.fixture(scope="module")
def shared_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of the suite's kind, for two app instances."""
    yield from _database(tmp_path_factory)


@pytest.mark.own_app
def test_two_instances_keep_the_other_partys_answer(shared_database):
    clock = Clock(datetime(2026, 3, 31, 12, 0, tzinfo=UTC))
    one, two = (make_app(shared_database, CLOCK=clock) for _ in range(2))
    for app in (one, two):
        app.extensions["answer_cache"] = AnswerCache()  # as in two processes
    with one.app_context():
        upgrade(revision="heads")
    try:
        with one.app_context():
            client = one.test_client()
            _user, headers = make_user("secretariat")
            make_party("FR", "France")  # committed: both instances see it
            resp = client.put(
                "/api/v1/parties/FR/contact-point",
                headers=headers,
                json={"unit_name": "OFAC", "kind": "police", "timezone": "Europe/Paris"},
            )
            assert resp.status_code == 200, resp.json
            fr = db.session.scalar(sa.select(Party).where(Party.iso2 == "FR"))
            anne = make_person(fr, "Anne", languages=("fr",), phone="+33612345601")
            bruno = make_person(fr, "Bruno", languages=("fr",), phone="+33612345602")
            rota = new_rota(client, headers)
            add_rotation(
                client,
                headers,
                rota["id"],
                members=[anne.id],
                start_local="2026-01-01T00:00",
                shift_length="P1D",
            )
            greta = german_rota(client, headers)
            ids = {"anne": anne.id, "greta": greta.id, "bruno": bruno.id, "rota": rota["id"]}

        def read(app, path: str) -> dict:
            with app.app_context():
                return get(app.test_client(), headers, path)

        for app in (one, two):  # both instances cache both Parties and the network
            assert tier1(read(app, "/api/v1/parties/FR/on-call")) == "Anne"
            assert tier1(read(app, "/api/v1/parties/DE/on-call")) == "Greta"
            read(app, "/api/v1/on-call")

        # Renamed without an audit entry: invisible while an answer stays cached.
        with one.app_context():
            for key, name in (("anne", "Anne (renamed)"), ("greta", "Greta (renamed)")):
                db.session.execute(
                    sa.update(Person).where(Person.id == ids[key]).values(full_name=name)
                )
            db.session.commit()
            assert tier1(get(client, headers, "/api/v1/parties/DE/on-call")) == "Greta"

            # A write to France through instance one.
            resp = client.post(
                f"/api/v1/rotas/{ids['rota']}/overrides",
                headers=headers,
                json={
                    "person_id": ids["bruno"],
                    "start": "2026-03-31T09:00:00Z",
                    "end": "2026-03-31T11:00:00Z",
                },
            )
            assert resp.status_code == 201, resp.json

        for app in (two, one):
            assert tier1(read(app, "/api/v1/parties/DE/on-call")) == "Greta"  # still cached
            assert tier1(read(app, "/api/v1/parties/FR/on-call")) == "Bruno"  # fresh
            network = read(app, "/api/v1/on-call")  # fresh too
            germany = next(i for i in network["items"] if i["party"] == "DE")
            assert tier1(germany) == "Greta (renamed)"
    finally:
        for app in (one, two):
            with app.app_context():
                db.engine.dispose()


def test_a_build_without_a_party_is_network_wide(app):
    cache = AnswerCache()
    with app.app_context():
        cached_answer(cache, "k", 0, LATER, lambda: ({"x": 1}, ALWAYS))
    assert cache._entries["k"].scope is NETWORK
