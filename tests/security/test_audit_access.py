"""GET /api/v1/audit: the secretariat reads all, a Party administrator their own Party's
entries only, members nothing; a Party's history lists changes to its editors only."""

from __future__ import annotations

from tests.conftest import make_party, make_user


def _write_some(client, secretariat):
    for iso2, name in (("FR", "France"), ("DE", "Germany")):
        make_party(iso2, name)
        resp = client.post(
            f"/api/v1/parties/{iso2}/people",
            json={"full_name": f"Someone of {iso2}", "phones": [], "languages": []},
            headers=secretariat,
        )
        assert resp.status_code == 201, resp.json


def test_who_reads_the_audit(client):
    _user, secretariat = make_user("secretariat")
    _write_some(client, secretariat)
    import sqlalchemy as sa

    from common.db import db
    from directory.models import Party

    france = db.session.scalar(sa.select(Party).where(Party.iso2 == "FR"))
    _u, fr_admin = make_user("party_admin", france)
    _u, member = make_user("member")

    everything = client.get("/api/v1/audit", headers=secretariat)
    assert everything.status_code == 200
    assert {e["party_id"] for e in everything.json["items"]} >= {france.id}
    assert len({e["party_id"] for e in everything.json["items"]}) >= 2

    own = client.get("/api/v1/audit", headers=fr_admin)
    assert own.status_code == 200
    assert own.json["items"] and {e["party_id"] for e in own.json["items"]} == {france.id}
    assert client.get("/api/v1/audit?party=FR", headers=fr_admin).status_code == 200
    other = client.get("/api/v1/audit?party=DE", headers=fr_admin)
    assert other.status_code == 403
    assert other.mimetype == "application/problem+json"

    assert client.get("/api/v1/audit", headers=member).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401


def test_party_history_shows_changes_to_editors_only(client):
    _user, secretariat = make_user("secretariat")
    _write_some(client, secretariat)
    _u, member = make_user("member")
    assert client.get("/api/v1/parties/FR/history", headers=secretariat).json["changes"]
    assert client.get("/api/v1/parties/FR/history", headers=member).json["changes"] == []
