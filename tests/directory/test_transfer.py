"""Export, import (all-or-nothing, with a report) and the accounts commands."""

from __future__ import annotations

import json

import sqlalchemy as sa

from common.db import db
from directory import transfer
from directory.models import ApiToken, AuditEntry, Party, Person
from tests.conftest import make_party, make_person


def _sample_document() -> dict:
    return {
        "format": "art35-directory",
        "version": 1,
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
            },
        ],
    }


def test_export_import_export_gives_the_same_document(runner, tmp_path, clock):
    report = transfer.import_document(_sample_document(), clock())
    assert report.created == {"contact_points": 2, "parties": 2, "people": 2}
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
