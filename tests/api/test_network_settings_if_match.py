"""`PATCH /api/v1/network-settings` honours If-Match as the other writes do: the ETag of the read
is accepted once (also in its compressed form), a stale one is a 412 problem and writes nothing,
no If-Match still writes (If-Match is optional everywhere), and a change that lands between the
request's read and its write is refused by the database's version check."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from common.db import db
from directory import freshness
from directory.models import AuditEntry, NetworkSettingsVersion
from tests.conftest import make_party, make_person

URL = "/api/v1/network-settings"


def _audited() -> list[dict]:
    return [
        e.after
        for e in db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity == "network_setting")
            .order_by(AuditEntry.id)
        )
    ]


def test_the_read_etag_is_accepted_once_then_stale(client, secretariat):
    tag = client.get(URL, headers=secretariat).headers["ETag"]
    first = client.patch(
        URL, headers={**secretariat, "If-Match": tag}, json={"confirmation_grace_days": 45}
    )
    assert first.status_code == 200, first.json
    assert first.headers["ETag"] != tag
    assert first.json["confirmation_grace_days"] == 45
    stale = client.patch(
        URL, headers={**secretariat, "If-Match": tag}, json={"confirmation_validity_months": 9}
    )
    assert stale.status_code == 412
    assert stale.mimetype == "application/problem+json"
    assert stale.json["status"] == 412 and "fetch it again" in stale.json["detail"]
    assert stale.headers["ETag"] == first.headers["ETag"]  # the current version, to retry from
    assert freshness.setting("confirmation_validity_months") == 6
    assert _audited() == [{"key": "confirmation_grace_days", "value": 45}]


def test_a_compressed_etag_names_the_same_version(client, secretariat):
    """Flask-Compress sends '"<tag>:gzip"' for a compressed answer: a write accepts it."""
    tag = client.get(URL, headers=secretariat).headers["ETag"]
    gzip_tag = tag[:-1] + ':gzip"'
    resp = client.patch(
        URL, headers={**secretariat, "If-Match": gzip_tag}, json={"confirmation_grace_days": 40}
    )
    assert resp.status_code == 200, resp.json
    again = client.patch(
        URL, headers={**secretariat, "If-Match": gzip_tag}, json={"confirmation_grace_days": 41}
    )
    assert again.status_code == 412


def test_a_weak_etag_is_read_as_the_person_write_reads_it(client, secretariat):
    """If-Match compares strongly (RFC 9110 §13.1.1): a weak W/"…" tag matches no version,
    here as for a person; this write does whatever the others do with it."""
    headers = secretariat
    person_url = f"/api/v1/people/{make_person(make_party('FR', 'France'), 'Anne').id}"
    weak_person = "W/" + client.get(person_url, headers=headers).headers["ETag"]
    weak_settings = "W/" + client.get(URL, headers=headers).headers["ETag"]
    person = client.patch(
        person_url, headers={**headers, "If-Match": weak_person}, json={"title": "Cdt"}
    )
    settings = client.patch(
        URL, headers={**headers, "If-Match": weak_settings}, json={"confirmation_grace_days": 40}
    )
    assert settings.status_code == person.status_code == 412, (person.json, settings.json)


@pytest.mark.parametrize("if_match", [None, "*"], ids=["no-if-match", "star"])
def test_if_match_is_optional_as_elsewhere(client, secretariat, if_match):
    headers = {**secretariat, **({"If-Match": if_match} if if_match else {})}
    resp = client.patch(URL, headers=headers, json={"confirmation_due_soon_days": 20})
    assert resp.status_code == 200, resp.json
    assert freshness.setting("confirmation_due_soon_days") == 20


def test_the_database_refuses_a_change_that_landed_after_the_read(client, secretariat, monkeypatch):
    """What a second worker does between this request's read and its write: the read passed the
    If-Match check, the conditional UPDATE of the version row matches nothing: 412, and 409
    without If-Match (a lost race, as for a person)."""
    real = freshness.set_settings

    def after_another_write(*args, **kwargs):
        db.session.execute(
            sa.update(NetworkSettingsVersion).values(version=NetworkSettingsVersion.version + 1)
        )
        return real(*args, **kwargs)

    monkeypatch.setattr(freshness, "set_settings", after_another_write)
    tag = client.get(URL, headers=secretariat).headers["ETag"]
    body = {"confirmation_grace_days": 50}
    resp = client.patch(URL, headers={**secretariat, "If-Match": tag}, json=body)
    assert resp.status_code == 412 and resp.mimetype == "application/problem+json"
    assert client.patch(URL, headers=secretariat, json=body).status_code == 409
    monkeypatch.setattr(freshness, "set_settings", real)
    assert freshness.setting("confirmation_grace_days") == 30 and _audited() == []


def test_a_stale_etag_from_someone_not_secretariat_writes_nothing(client, secretariat, member):
    tag = client.get(URL, headers=member).headers["ETag"]
    client.patch(URL, headers=secretariat, json={"confirmation_grace_days": 33})
    resp = client.patch(
        URL, headers={**member, "If-Match": tag}, json={"confirmation_grace_days": 1}
    )
    assert resp.status_code in (403, 412)
    assert freshness.setting("confirmation_grace_days") == 33


def test_every_write_moves_the_version(client, secretariat):
    before = freshness.settings_version()
    for _ in range(2):  # the same value twice: still a new version
        client.patch(URL, headers=secretariat, json={"confirmation_grace_days": 30})
    assert freshness.settings_version() == before + 2


def test_the_openapi_document_names_the_412(client):
    operation = client.get("/api/v1/openapi.json").json["paths"][URL]["patch"]
    assert "412" in operation["responses"]
    assert "If-Match" in operation["summary"] + operation.get("description", "")
