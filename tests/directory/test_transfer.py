"""Export, import (all-or-nothing, with a report) and the accounts commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from common.clock import now as clock_now
from common.db import db
from directory import transfer
from directory.models import ApiToken, AuditEntry, Party, Person
from rota.models import OverrideRecord, RotationRecord
from tests.conftest import PG_URL, Clock, make_app, make_party, make_person
from tests.databases import postgres_database


def _sample_document() -> dict:
    return {
        "format": "art35-directory",
        "version": 2,
        "parties": [
            {
                "iso2": "FR",
                "name": "France",
                "status": "party",
                "signed_date": "2001-11-23",
                "ratified_date": "2006-01-10",
                "in_force_date": "2006-05-01",
                "source": "CoE",
                "notes": None,
                "contact_points": [
                    {
                        "unit_name": "Old unit",
                        "kind": "police",
                        "address": None,
                        "email": None,
                        "desk_phone": "+33123456789",
                        "timezone": "Europe/Paris",
                        "office_hours": [],
                        "can_order_preservation": False,
                        "mla_authority": {"name": None, "phone": None, "email": None},
                        "effective_from": "2010-01-01",
                        "effective_to": "2020-01-01",
                    },
                    {
                        "unit_name": "OFAC",
                        "kind": "police",
                        "address": "Nanterre",
                        "email": "24-7@ofac.example",
                        "desk_phone": "+33123456780",
                        "timezone": "Europe/Paris",
                        "office_hours": [
                            {"weekdays": ["mon"], "from_local": "09:00", "to_local": "17:00"}
                        ],
                        "can_order_preservation": True,
                        "mla_authority": {
                            "name": "MoJ",
                            "phone": "+33144776060",
                            "email": "mla@justice.example",
                        },
                        "effective_from": "2020-01-01",
                        "effective_to": None,
                    },
                ],
                "people": [
                    {
                        "id": 3,
                        "full_name": "Jeanne Martin",
                        "title": "Duty officer",
                        "email": "jeanne@ofac.example",
                        "timezone": None,
                        "active": True,
                        "last_confirmed_at": "2026-10-01T08:00:00+00:00",
                        "phones": [
                            {
                                "number": "+33612345678",
                                "kind": "mobile",
                                "label": "duty",
                                "primary": True,
                            }
                        ],
                        "languages": [
                            {"tag": "fr", "level": "native"},
                            {"tag": "en", "level": "fluent"},
                        ],
                    },
                    _namesake(7),
                    _namesake(8),
                ],
                "rotas": [
                    {
                        "tier": 1,
                        "name": "Duty officer",
                        "timezone": "Europe/Paris",
                        "rotations": [
                            {
                                "name": None,
                                "start_local": "2026-03-02T09:00",
                                "shift_length": "P7D",
                                "members": [3, 7],
                                "restrictions": [],
                                "member_changes": [
                                    {"effective_at": "2026-06-01T07:00:00+00:00", "members": [7, 8]}
                                ],
                            },
                            {
                                "name": "nights",
                                "start_local": "2026-03-02T20:00",
                                "shift_length": "P1D",
                                "members": [8],
                                "restrictions": [
                                    {
                                        "weekdays": ["mon", "tue"],
                                        "from_local": "20:00",
                                        "to_local": "08:00",
                                    }
                                ],
                                "member_changes": [],
                            },
                        ],
                        "overrides": [
                            {
                                "person_id": 8,
                                "start": "2026-04-01T00:00:00+00:00",
                                "end": "2026-04-02T00:00:00+00:00",
                                "note": "swap",
                            },
                            {
                                "person_id": 7,
                                "start": "2026-04-02T00:00:00+00:00",
                                "end": "2026-04-03T12:30:00+00:00",
                                "note": None,
                            },
                        ],
                    }
                ],
            },
            {
                "iso2": "GE",
                "name": "Georgia",
                "status": "party",
                "signed_date": None,
                "ratified_date": None,
                "in_force_date": None,
                "source": None,
                "notes": None,
                "contact_points": [],
                "people": [
                    {
                        "id": 12,
                        "full_name": "ნინო ბერიძე",
                        "title": None,
                        "email": None,
                        "timezone": "Asia/Tbilisi",
                        "active": False,
                        "last_confirmed_at": None,
                        "phones": [],
                        "languages": [{"tag": "ka", "level": "native"}],
                    }
                ],
                "rotas": [],
            },
        ],
    }


def _namesake(person_id: int) -> dict:
    """Jean Dupont of France, without e-mail: there are two of them."""
    return {
        "id": person_id,
        "full_name": "Jean Dupont",
        "title": None,
        "email": None,
        "timezone": None,
        "active": True,
        "last_confirmed_at": None,
        "phones": [],
        "languages": [{"tag": "fr", "level": "native"}],
    }


def test_export_import_export_gives_the_same_document(runner, tmp_path, clock):
    report = transfer.import_document(_sample_document(), clock())
    assert report.created == {"contact_points": 2, "parties": 2, "people": 4, "rotas": 1}
    first = transfer.export_document()
    assert first == _sample_document()
    out = tmp_path / "dir.json"
    result = runner.invoke(args=["directory", "export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == first
    # Importing the same document again changes nothing.
    again = runner.invoke(args=["directory", "import", str(out)])
    assert again.exit_code == 0, again.output
    assert "created: nothing; updated: nothing" in again.output
    assert "unchanged: 2 contact_points, 2 parties, 4 people, 1 rotas" in again.output


def test_import_updates_and_reports_what_changed(runner, tmp_path, clock):
    transfer.import_document(_sample_document(), clock())
    doc = _sample_document()
    doc["parties"][0]["people"][0]["title"] = "Head of unit"
    doc["parties"][0]["name"] = "French Republic"
    path = tmp_path / "dir.json"
    path.write_text(json.dumps(doc))
    result = runner.invoke(args=["directory", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "~ party FR" in result.output
    assert "~ person FR Jeanne Martin" in result.output
    assert "updated: 1 parties, 1 people" in result.output
    assert (
        db.session.scalar(sa.select(Person.title).where(Person.email == "jeanne@ofac.example"))
        == "Head of unit"
    )


def test_import_is_all_or_nothing(runner, tmp_path):
    doc = _sample_document()
    doc["parties"][1]["people"][0]["phones"] = [{"number": "12", "primary": True}]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    result = runner.invoke(args=["directory", "import", str(path)])
    assert result.exit_code == 1
    assert "parties[1].people[0].phones[0].number: the number is too short" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_import_refuses_what_is_not_a_directory(runner, tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{nope")
    assert runner.invoke(args=["directory", "import", str(path)]).exit_code == 1
    path.write_text(json.dumps({"format": "other", "version": 1, "parties": []}))
    result = runner.invoke(args=["directory", "import", str(path)])
    assert result.exit_code == 1 and "format" in result.output


def test_dry_run_writes_nothing(runner, tmp_path):
    path = tmp_path / "dir.json"
    path.write_text(json.dumps(_sample_document()))
    result = runner.invoke(args=["directory", "import", "--dry-run", str(path)])
    assert result.exit_code == 0 and "dry run" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 0


def test_load_parties_reads_the_reference_list_once(runner):
    first = runner.invoke(args=["directory", "load-parties"])
    assert first.exit_code == 0
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Party))
    assert count >= 80
    albania = db.session.scalar(sa.select(Party).where(Party.iso2 == "AL"))
    assert albania.name == "Albania" and albania.status == "party"
    assert albania.in_force_date.isoformat() == "2004-07-01"
    second = runner.invoke(args=["directory", "load-parties"])
    assert f"0 added, {count} of the reference list's {count} already present" in second.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == count


def test_users_and_tokens_from_the_command_line(runner, client):
    make_party("FR", "France")
    result = runner.invoke(
        args=["users", "create", "admin@fr.example", "--role", "party_admin", "--party", "fr"]
    )
    assert result.exit_code == 0, result.output
    bad = runner.invoke(args=["users", "create", "x@fr.example", "--role", "party_admin"])
    assert bad.exit_code == 1 and "--party" in bad.output
    out = runner.invoke(args=["tokens", "create", "admin@fr.example", "--name", "laptop"])
    assert out.exit_code == 0
    token = out.output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/parties", headers=headers).status_code == 200
    stored = db.session.scalar(sa.select(ApiToken))
    assert token not in stored.token_hash and stored.last_used_at is not None
    assert runner.invoke(args=["tokens", "revoke", str(stored.id)]).exit_code == 0
    assert client.get("/api/v1/parties", headers=headers).status_code == 401


def test_people_of_a_party_admin_are_scoped_by_party(client):
    france, germany = make_party("FR", "France"), make_party("DE", "Germany")
    make_person(germany, "Hans")
    from tests.conftest import make_user

    _user, headers = make_user("party_admin", france)
    pid = db.session.scalar(sa.select(Person.id))
    assert (
        client.patch(f"/api/v1/people/{pid}", json={"title": "x"}, headers=headers).status_code
        == 403
    )


# --- a transfer, not a merge ------------------------------------------------------------------


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_namesakes_stay_two_even_without_ids(clock):
    doc = _sample_document()
    doc["version"] = 1
    for party in doc["parties"]:
        party.pop("rotas")
        for person in party["people"]:
            person.pop("id")
    transfer.import_document(doc, clock())
    names = db.session.scalars(sa.select(Person.full_name).order_by(Person.id)).all()
    assert names.count("Jean Dupont") == 2
    again = transfer.import_document(doc, clock())
    assert again.created == {} and again.unchanged["people"] == 4
    assert _count(Person) == 4


def test_a_changed_rota_is_updated_and_others_left_alone(clock):
    transfer.import_document(_sample_document(), clock())
    doc = _sample_document()
    rota = doc["parties"][0]["rotas"][0]
    rota["overrides"] = [
        *rota["overrides"][1:],
        {
            "person_id": 3,
            "start": "2026-04-05T00:00:00+02:00",  # an offset: stored and exported in UTC
            "end": "2026-04-06T00:00:00Z",
            "note": "added",
        },
    ]
    rota["rotations"][0]["members"] = [8, 3]
    report = transfer.import_document(doc, clock())
    assert report.updated == {"rotas": 1}
    assert "~ rota FR tier 1" in report.changes
    exported = transfer.export_document()["parties"][0]["rotas"][0]
    assert exported["rotations"][0]["members"] == [8, 3]
    assert [o["start"] for o in exported["overrides"]] == [
        "2026-04-02T00:00:00+00:00",
        "2026-04-04T22:00:00+00:00",
    ]
    assert _count(OverrideRecord) == 2
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == "rota").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.action == "update" and entry.party_id is not None
    assert transfer.import_document(doc, clock()).unchanged["rotas"] == 1


def test_an_id_held_by_another_partys_person_gets_a_new_one(clock):
    germany = make_party("DE", "Germany")
    hans = make_person(germany, "Hans")
    doc = _sample_document()
    doc["parties"][0]["people"][0]["id"] = hans.id  # Jeanne's id is Hans's here
    rota = doc["parties"][0]["rotas"][0]
    rota["rotations"][0]["members"] = [hans.id, 7]
    report = transfer.import_document(doc, clock())
    jeanne = db.session.scalar(sa.select(Person).where(Person.email == "jeanne@ofac.example"))
    assert jeanne.id != hans.id and jeanne.party.iso2 == "FR"
    assert f"+ person FR Jeanne Martin (id {hans.id} is another's here: {jeanne.id})" in (
        report.changes
    )
    members = db.session.scalar(
        sa.select(RotationRecord.members).where(RotationRecord.position == 0)
    )
    assert members == [jeanne.id, 7]


def test_rotas_must_name_the_partys_people_and_not_overlap(runner, tmp_path):
    doc = _sample_document()
    rota = doc["parties"][0]["rotas"][0]
    rota["rotations"][1]["members"] = [12]  # Nino is Georgia's
    rota["overrides"][1]["start"] = "2026-04-01T12:00:00+00:00"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    result = runner.invoke(args=["directory", "import", str(path)])
    assert result.exit_code == 1
    assert "parties[0].rotas[0].rotations[1].members: names a person who is not" in result.output
    assert "parties[0].rotas[0].overrides: two overrides overlap" in result.output
    assert _count(Party) == 0


@pytest.mark.parametrize(
    ("where", "value", "reason"),
    [
        (("people", 0, "full_name"), "Jeanne\x00Martin", "contains a NUL character"),
        (("people", 0, "title"), "Chef\ud800", "contains a lone surrogate"),
        (("people", 0, "id"), 2**40, "out of range (at most 2147483647)"),
        (("rotas", 0, "tier"), -(2**63), "out of range"),
    ],
)
def test_what_a_database_cannot_store_is_a_line_of_the_report(
    runner, tmp_path, where, value, reason
):
    doc = _sample_document()
    target = doc["parties"][0]
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))  # \ud800 is written as an escape, as a client could send it
    result = runner.invoke(args=["directory", "import", str(path)])
    assert result.exit_code == 1, result.output
    field = "parties[0]." + ".".join(
        f"{k}" if isinstance(k, str) else f"[{k}]" for k in where
    ).replace(".[", "[")
    assert f"{field}: {reason}" in result.output
    assert "Traceback" not in result.output
    assert _count(Party) == 0


# --- from one database to another ------------------------------------------------------------

needs_pg = pytest.mark.skipif(
    not PG_URL.startswith("postgresql"),
    reason="needs PostgreSQL: set TEST_DATABASE_URL=postgresql://…",
)


@contextmanager
def _empty_database(kind: str, tmp_path: Path, name: str) -> Iterator[str]:
    """A fresh database of this kind, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path}/{name}.sqlite"
        return
    with postgres_database(f"art35_transfer_{name}") as url:
        yield url


def _app_on(url: str):
    app = make_app(url, CLOCK=Clock(datetime(2026, 11, 29, 12, 0, tzinfo=UTC)))
    with app.app_context():
        upgrade(revision="heads")
    return app


@pytest.mark.own_app
@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("sqlite", "sqlite"),
        pytest.param("postgresql", "postgresql", marks=[pytest.mark.postgres, needs_pg]),
        pytest.param("sqlite", "postgresql", marks=[pytest.mark.postgres, needs_pg]),
        pytest.param("postgresql", "sqlite", marks=[pytest.mark.postgres, needs_pg]),
    ],
)
def test_export_import_into_an_empty_database_export_is_identical(source, target, tmp_path):
    with (
        _empty_database(source, tmp_path, "source") as source_url,
        _empty_database(target, tmp_path, "target") as target_url,
    ):
        apps = [_app_on(source_url), _app_on(target_url)]
        try:
            with apps[0].app_context():
                transfer.import_document(_sample_document(), clock_now())
                france = db.session.scalar(sa.select(Party).where(Party.iso2 == "FR"))
                make_person(france, "Jean Dupont", languages=("fr", "en"))  # a third one
                db.session.commit()
                first = transfer.export_document()
            with apps[1].app_context():
                report = transfer.import_document(json.loads(json.dumps(first)), clock_now())
                db.session.commit()
                assert report.created["people"] == 5
                second = transfer.export_document()
                dupont = sa.select(sa.func.count()).where(Person.full_name == "Jean Dupont")
                assert db.session.scalar(dupont) == 3
        finally:
            for app in apps:
                with app.app_context():
                    db.engine.dispose()
    assert second == first
    assert [p["id"] for p in first["parties"][0]["people"]][:3] == [3, 7, 8]
    assert first["parties"][0]["rotas"][0]["overrides"][0]["person_id"] == 8
