"""The database holds the invariants, and what it refuses answers 409/412/404, never 500.

These run on the suite's database (SQLite by default, PostgreSQL with TEST_DATABASE_URL): the
races themselves are simulated by writing behind the request's back between its read and its
write, which is exactly what a second worker does. tests/concurrency/test_races_pg.py runs
the real thing against several gunicorn workers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from common.clock import now as clock_now
from common.concurrency import violated_constraint
from common.db import db
from directory import service as directory_service
from directory.models import ContactPoint, Party, Person
from rota import integrity
from rota import service as rota_service
from rota.models import OVERRIDE_NO_OVERLAP, OverrideRecord, RotaRecord
from tests.conftest import make_party, make_person, make_user
from tests.rota.conftest import add_rotation, new_rota

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _override(rota_id: int, person_id: int, start: datetime, end: datetime) -> OverrideRecord:
    return OverrideRecord(
        rota_id=rota_id, person_id=person_id, start_at=start, end_at=end, created_at=clock_now()
    )


def _refused_by(*records: object) -> str | None:
    """Insert the records behind the services' back; the constraint that refused them."""
    try:
        with db.session.begin_nested():
            db.session.add_all(records)
    except sa.exc.IntegrityError as error:
        return violated_constraint(error)
    return None


@pytest.fixture
def rota_with_people(client, paris):
    party, people, headers = paris
    rota = new_rota(client, headers)
    return party, people, headers, rota


# --- the constraints themselves -------------------------------------------------------------


def test_the_database_refuses_overlapping_overrides_of_one_rota(rota_with_people):
    _party, people, _headers, rota = rota_with_people
    first = _override(rota["id"], people[0].id, T0, T0 + timedelta(hours=10))
    assert _refused_by(first) is None
    clash = _override(rota["id"], people[1].id, T0 + timedelta(hours=9), T0 + timedelta(hours=20))
    assert _refused_by(clash) == OVERRIDE_NO_OVERLAP


def test_half_open_overrides_may_touch_and_other_rotas_may_overlap(client, rota_with_people):
    _party, people, headers, rota = rota_with_people
    other = new_rota(client, headers, tier=2, name="Backup")
    first = _override(rota["id"], people[0].id, T0, T0 + timedelta(hours=10))
    touching = _override(rota["id"], people[1].id, T0 + timedelta(hours=10), T0 + timedelta(days=1))
    elsewhere = _override(other["id"], people[2].id, T0, T0 + timedelta(hours=10))
    assert _refused_by(first, touching, elsewhere) is None


def test_moving_an_override_onto_another_is_refused(rota_with_people):
    _party, people, _headers, rota = rota_with_people
    first = _override(rota["id"], people[0].id, T0, T0 + timedelta(hours=10))
    later = _override(rota["id"], people[1].id, T0 + timedelta(days=2), T0 + timedelta(days=3))
    assert _refused_by(first, later) is None
    try:
        with db.session.begin_nested():
            later.start_at = T0 + timedelta(hours=5)
    except sa.exc.IntegrityError as error:
        refused = violated_constraint(error)
    else:
        refused = None
    assert refused == OVERRIDE_NO_OVERLAP


def test_one_rota_per_tier_is_held_by_the_database(rota_with_people):
    party, _people, _headers, _rota = rota_with_people
    twin = RotaRecord(
        party_id=party.id,
        name="Twin",
        tier=1,
        timezone="Europe/Paris",
        created_at=clock_now(),
        updated_at=clock_now(),
    )
    assert _refused_by(twin) == "uq_rota_party_id_tier"


def test_one_current_designation_per_party_is_held_by_the_database(paris):
    party, _people, _headers = paris
    second = ContactPoint(
        party_id=party.id,
        unit_name="Second",
        kind="police",
        timezone="Europe/Paris",
        effective_from=clock_now().date(),
        updated_at=clock_now(),
    )
    assert _refused_by(second) == "uq_contact_point_current"


def test_one_party_per_code_is_held_by_the_database(paris):
    assert _refused_by(Party(iso2="FR", name="Twin", status="party", updated_at=clock_now())) == (
        "uq_party_iso2"
    )


# --- races lost between the services' check and their write --------------------------------


def _first_call_skipped(monkeypatch, module, name):
    """The service's read-then-check sees nothing the first time (the other writer had not
    committed yet), as in a race; the database must still refuse the write."""
    real = getattr(module, name)
    calls = {"n": 0}

    def skipped_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            return None
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, skipped_once)
    return calls


def test_an_override_race_loser_gets_409_naming_the_winner(client, rota_with_people, monkeypatch):
    _party, people, headers, rota = rota_with_people
    body = {"person_id": people[0].id, "start": T0.isoformat(), "end": "2027-03-02T09:00:00Z"}
    won = client.post(f"/api/v1/rotas/{rota['id']}/overrides", headers=headers, json=body)
    assert won.status_code == 201
    calls = _first_call_skipped(monkeypatch, rota_service, "_overlap_refused")
    lost = client.post(
        f"/api/v1/rotas/{rota['id']}/overrides",
        headers=headers,
        json={**body, "person_id": people[1].id, "start": "2027-03-01T20:00:00Z"},
    )
    assert calls["n"] == 2  # refused by the database, then the winner read for the answer
    assert lost.status_code == 409
    assert lost.mimetype == "application/problem+json"
    conflict = lost.json["conflict"]
    assert conflict["id"] == won.json["id"]
    assert conflict["person_id"] == people[0].id
    assert {conflict["start"], conflict["end"]} == {won.json["start"], won.json["end"]}
    listed = client.get(f"/api/v1/rotas/{rota['id']}/overrides", headers=headers).json["items"]
    assert [o["id"] for o in listed] == [won.json["id"]]


def test_a_tier_race_loser_gets_409_naming_the_rota(client, rota_with_people, monkeypatch):
    _party, _people, headers, rota = rota_with_people
    _first_call_skipped(monkeypatch, rota_service, "_tier_taken")
    lost = client.post("/api/v1/parties/FR/rotas", headers=headers, json={"name": "B", "tier": 1})
    assert lost.status_code == 409
    assert lost.json["conflict"] == {"rota_id": rota["id"]}
    moved = new_rota(client, headers, tier=2, name="Backup")
    _first_call_skipped(monkeypatch, rota_service, "_tier_taken")
    lost = client.patch(f"/api/v1/rotas/{moved['id']}", headers=headers, json={"tier": 1})
    assert lost.status_code == 409
    assert lost.json["conflict"] == {"rota_id": rota["id"]}


def test_a_party_race_loser_gets_409(client, secretariat, monkeypatch):
    real = db.session.scalar
    skipped = {"done": False}

    def blind_once(query, *args, **kwargs):
        # create_party's existence check comes first: answer "none" once, as in a race.
        if not skipped["done"] and "party.iso2" in str(query):
            skipped["done"] = True
            return None
        return real(query, *args, **kwargs)

    make_party("DE", "Germany")
    monkeypatch.setattr(db.session, "scalar", blind_once)
    lost = client.post(
        "/api/v1/parties", headers=secretariat, json={"iso2": "DE", "name": "X", "status": "party"}
    )
    assert skipped["done"]
    assert lost.status_code == 409, lost.json


# --- one winner per ETag ----------------------------------------------------------------------


def _written_behind(table: sa.Table, row_id: int, **values: object) -> None:
    """Another worker's committed write: the row's version moves on."""
    db.session.execute(
        sa.update(table).where(table.c.id == row_id).values(version=table.c.version + 1, **values)
    )


@pytest.mark.parametrize("if_match", [True, False], ids=["if-match", "no-if-match"])
def test_a_person_write_from_a_stale_version_is_refused(client, paris, monkeypatch, if_match):
    _party, people, headers = paris
    person = people[0]
    url = f"/api/v1/people/{person.id}"
    tag = client.get(url, headers=headers).headers["ETag"]
    real = directory_service._apply_person_fields

    def after_another_write(record, data, region):
        _written_behind(Person.__table__, record.id, title="Set by the other writer")
        return real(record, data, region)

    monkeypatch.setattr(directory_service, "_apply_person_fields", after_another_write)
    sent = {**headers, "If-Match": tag} if if_match else headers
    resp = client.patch(url, headers=sent, json={"title": "Mine"})
    assert resp.status_code == (412 if if_match else 409)
    assert resp.mimetype == "application/problem+json"
    monkeypatch.setattr(directory_service, "_apply_person_fields", real)
    # (The other write shared this test's transaction, so the refusal rolled it back too.)
    assert client.get(url, headers=headers).json["title"] != "Mine"


def test_a_rota_write_from_a_stale_version_is_refused(client, rota_with_people, monkeypatch):
    _party, people, headers, rota = rota_with_people
    url = f"/api/v1/rotas/{rota['id']}"
    tag = client.get(url, headers=headers).headers["ETag"]
    real = rota_service._snapshot

    def after_another_write(record):
        _written_behind(RotaRecord.__table__, record.id, name="Theirs")
        return real(record)

    monkeypatch.setattr(rota_service, "_snapshot", after_another_write)
    resp = client.patch(url, headers={**headers, "If-Match": tag}, json={"name": "Mine"})
    assert resp.status_code == 412
    body = {
        "members": [people[0].id],
        "start_local": "2026-01-05T09:00",
        "shift_length": "P7D",
    }
    resp = client.post(f"{url}/rotations", headers={**headers, "If-Match": tag}, json=body)
    assert resp.status_code == 412
    monkeypatch.setattr(rota_service, "_snapshot", real)
    shown = client.get(url, headers=headers).json
    assert shown["name"] != "Mine"
    assert shown["rotations"] == []


def test_a_party_write_from_a_stale_version_is_refused(client, paris, monkeypatch):
    _party, _people, headers = paris
    tag = client.get("/api/v1/parties/FR", headers=headers).headers["ETag"]
    real = directory_service.present_party

    def after_another_write(record, *args, **kwargs):
        if not getattr(after_another_write, "done", False):
            after_another_write.done = True
            _written_behind(Party.__table__, record.id, notes="theirs")
        return real(record, *args, **kwargs)

    monkeypatch.setattr(directory_service, "present_party", after_another_write)
    resp = client.patch("/api/v1/parties/FR", headers={**headers, "If-Match": tag}, json={})
    assert resp.status_code == 412, resp.json


def test_a_contact_point_write_from_a_stale_version_is_refused(client, paris, monkeypatch):
    party, _people, headers = paris
    url = "/api/v1/parties/FR/contact-point"
    tag = client.get(url, headers=headers).headers["ETag"]
    cp_id = party.contact_point_at(clock_now()).id
    real = directory_service._phone_or_problem

    def after_another_write(*args, **kwargs):
        if not getattr(after_another_write, "done", False):
            after_another_write.done = True
            _written_behind(ContactPoint.__table__, cp_id, unit_name="Theirs")
        return real(*args, **kwargs)

    monkeypatch.setattr(directory_service, "_phone_or_problem", after_another_write)
    body = {"unit_name": "Mine", "kind": "police", "timezone": "Europe/Paris"}
    resp = client.put(url, headers={**headers, "If-Match": tag}, json=body)
    assert resp.status_code == 412, resp.json


def test_every_write_moves_the_version_even_in_the_same_second(client, paris):
    _party, people, headers = paris
    url = f"/api/v1/people/{people[0].id}"
    versions = []
    for title in ("A", "A", "B"):  # the same title twice: still a new version
        tag = client.get(url, headers=headers).headers["ETag"]
        resp = client.patch(url, headers={**headers, "If-Match": tag}, json={"title": title})
        assert resp.status_code == 200
        versions.append(db.session.get(Person, people[0].id).version)
    assert versions == sorted(set(versions))


# --- concurrent deletes -------------------------------------------------------------------------


def test_a_person_deleted_meanwhile_answers_409_not_500(client, paris, monkeypatch):
    party, _people, headers = paris
    person = make_person(party, "Gone Soon", languages=())

    def deleted_by_another(record):
        db.session.execute(sa.delete(Person.__table__).where(Person.__table__.c.id == record.id))

    monkeypatch.setattr(directory_service, "PERSON_DELETE_GUARDS", [deleted_by_another])
    resp = client.delete(f"/api/v1/people/{person.id}", headers=headers)
    assert resp.status_code in (404, 409)
    assert resp.mimetype == "application/problem+json"


def test_an_override_deleted_meanwhile_answers_404(client, rota_with_people, monkeypatch):
    _party, people, headers, rota = rota_with_people
    body = {"person_id": people[0].id, "start": T0.isoformat(), "end": "2027-03-02T09:00:00Z"}
    made = client.post(f"/api/v1/rotas/{rota['id']}/overrides", headers=headers, json=body).json
    real = rota_service._snapshot

    def after_another_delete(record):
        table = OverrideRecord.__table__
        db.session.execute(sa.delete(table).where(table.c.id == made["id"]))
        return real(record)

    monkeypatch.setattr(rota_service, "_snapshot", after_another_delete)
    resp = client.delete(f"/api/v1/overrides/{made['id']}", headers=headers)
    assert resp.status_code == 404
    assert resp.mimetype == "application/problem+json"


def test_a_rota_deleted_meanwhile_answers_409_not_500(client, rota_with_people, monkeypatch):
    _party, _people, headers, rota = rota_with_people
    real = rota_service._snapshot

    def after_another_write(record):
        _written_behind(RotaRecord.__table__, record.id)
        return real(record)

    monkeypatch.setattr(rota_service, "_snapshot", after_another_write)
    resp = client.delete(f"/api/v1/rotas/{rota['id']}", headers=headers)
    assert resp.status_code == 409
    assert resp.mimetype == "application/problem+json"


# --- stored data the core refuses breaks only its own rota --------------------------------------


def _without_the_overlap_rule() -> None:
    """Rows written behind the services' and the database's back (a restore, a hand edit)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text(f"ALTER TABLE override DROP CONSTRAINT {OVERRIDE_NO_OVERLAP}"))
    else:
        db.session.execute(sa.text("DROP TRIGGER tr_override_no_overlap_insert"))


def test_a_rota_with_overlapping_stored_overrides_breaks_no_other_answer(
    client, paris, caplog, monkeypatch
):
    _france, people, headers = paris
    rota = new_rota(client, headers)
    add_rotation(
        client,
        headers,
        rota["id"],
        members=[people[0].id, people[1].id],
        start_local="2026-11-02T09:00",
        shift_length="P7D",
    )
    germany = make_party("DE", "Germany")
    hans = make_person(germany, "Hans", languages=("de",))
    _user, de_headers = make_user("party_admin", germany)
    de_rota = new_rota(client, de_headers, iso2="DE", name="Bereitschaft", timezone="Europe/Berlin")
    add_rotation(
        client,
        de_headers,
        de_rota["id"],
        members=[hans.id],
        start_local="2026-11-02T09:00",
        shift_length="P7D",
    )
    _without_the_overlap_rule()
    start = clock_now() + timedelta(days=3)
    first = _override(rota["id"], people[2].id, start, start + timedelta(days=2))
    overlapping = _override(
        rota["id"], people[3].id, start + timedelta(days=1), start + timedelta(days=4)
    )
    db.session.add_all([first, overlapping])
    db.session.commit()
    integrity._PROBLEMS.clear()
    # Alembic's fileConfig (the session's migrations) disables loggers that existed before it.
    monkeypatch.setattr(integrity.log, "disabled", False)

    at = (start + timedelta(days=1, hours=12)).isoformat()
    network = client.get("/api/v1/on-call", headers=headers, query_string={"at": at})
    assert network.status_code == 200
    rows = {row["party"]: row for row in network.json["items"]}
    assert set(rows) == {"FR", "DE"}
    de = client.get("/api/v1/parties/DE/on-call", headers=headers, query_string={"at": at})
    assert de.status_code == 200
    assert de.json["tiers"][0]["person"]["id"] == hans.id
    fr = client.get("/api/v1/parties/FR/on-call", headers=headers, query_string={"at": at})
    assert fr.status_code == 200
    # The older override (lower id) is kept: the one the constraint would have kept.
    assert fr.json["tiers"][0]["person"]["id"] == people[2].id

    problems = integrity.bad_rotas()
    assert [p["rota_id"] for p in problems] == [rota["id"]]
    assert f"override {overlapping.id} overlaps override {first.id}" in problems[0]["problem"]
    assert any("stored data breaks resolution" in r.getMessage() for r in caplog.records), [
        (r.name, r.getMessage()) for r in caplog.records
    ]
    ready = client.get("/readyz")
    assert ready.json["bad_rotas"] == problems

    gaps = client.get(
        "/api/v1/coverage/gaps",
        headers=headers,
        query_string={"since": start.isoformat(), "until": (start + timedelta(days=7)).isoformat()},
    )
    assert gaps.status_code == 200
    flagged = [g for g in gaps.json["items"] if g.get("problem")]
    assert [g["rota"]["id"] for g in flagged] == [rota["id"]]

    # The rota can still be changed and deleted (its snapshot no longer raises).
    tag = client.get(f"/api/v1/rotas/{rota['id']}", headers=headers).headers["ETag"]
    patched = client.patch(
        f"/api/v1/rotas/{rota['id']}", headers={**headers, "If-Match": tag}, json={"name": "Fixed"}
    )
    assert patched.status_code == 200
    assert client.delete(f"/api/v1/overrides/{overlapping.id}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/rotas/{rota['id']}", headers=headers).status_code == 204
    integrity._PROBLEMS.clear()


def test_two_writes_in_one_second_both_change_the_feed_validator(client, weekly_rotas, clock):
    """The feed's validator used max(updated_at): a second write in the same second kept it."""
    from tests.calendars.test_calendar_service import fetch, subscribe

    _rota, _tier2, people, headers = weekly_rotas
    sub = subscribe(client, headers, scope="party", party="FR")
    clock.advance(seconds=1)
    url = f"/api/v1/people/{people[0].id}"
    assert client.patch(url, headers=headers, json={"full_name": "Annie"}).status_code == 200
    tag = fetch(client, sub).headers["ETag"]
    assert client.patch(url, headers=headers, json={"full_name": "Anna"}).status_code == 200
    again = fetch(client, sub, **{"If-None-Match": tag})
    assert again.status_code == 200
    assert b"\xc2\xb7 Anna\r\n" in again.data
