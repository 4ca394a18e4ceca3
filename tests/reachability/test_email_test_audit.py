"""A campaign's e-mail test is audited: who asked, for which campaign, how many messages were
queued and to which Parties, never a link; one entry per call that queued something, whether the
API or the campaign page asked; the secretariat's audit page reads it in English and French."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from common.db import db
from directory import service as directory
from directory.models import AuditEntry
from directory.schemas import ContactPointIn
from mail.models import OutboxMessage
from reachability import service
from tests.conftest import make_party, make_user
from tests.web.conftest import form, sign_in

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ADDRESS = "24-7@ofac.example"


@pytest.fixture
def secretariat_user(clock):
    clock.set(NOW)
    return make_user("secretariat")[0]


@pytest.fixture
def campaign(secretariat_user):
    """December's campaign of France (its contact point has an address) and Germany (none)."""
    for iso2, name, email in (("FR", "France", ADDRESS), ("DE", "Germany", None)):
        body = {"unit_name": f"Unit {iso2}", "kind": "police", "timezone": "Europe/Paris"}
        directory.set_contact_point(
            secretariat_user,
            make_party(iso2, name),
            ContactPointIn().load({**body, **({"email": email} if email else {})}),
            NOW,
        )
    record = service.create_campaign(
        secretariat_user, "2026-12", ["FR", "DE"], "any-time", NOW, {"CALLS_PER_SECOND": 1}
    )
    db.session.commit()
    return record


def _entries() -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "email_test").order_by(AuditEntry.id)
        )
    )


def _no_link_in(entry: AuditEntry) -> None:
    [message] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "ack-test"))
    link = re.search(r"/mail/ack/(\S+)", message.body_text).group(1)
    text = repr((entry.before, entry.after))
    assert link not in text and "/mail/ack/" not in text


def test_the_api_call_is_audited_once_with_what_was_queued(client, campaign):
    user, headers = make_user("secretariat")
    resp = client.post(f"/api/v1/campaigns/{campaign.id}/email-test", headers=headers)
    assert resp.status_code == 200 and resp.json["sent"] == ["FR"]
    [entry] = _entries()
    assert entry.actor_email == user.email  # the token's user, not the campaign's planner
    assert (entry.entity, entry.entity_id, entry.party_id, entry.at) == (
        "reach_campaign",
        campaign.id,
        None,
        NOW,
    )
    assert entry.after == {"month": "2026-12", "queued": 1, "parties": ["FR"]}
    _no_link_in(entry)
    # Asking again queues nothing: nothing more to audit.
    again = client.post(f"/api/v1/campaigns/{campaign.id}/email-test", headers=headers)
    assert again.status_code == 200 and again.json["sent"] == []
    assert len(_entries()) == 1
    # The API's audit list shows it too.
    listed = client.get("/api/v1/audit?entity=reach_campaign", headers=headers).json["items"]
    assert listed[0]["action"] == "email_test"  # newest first


def test_the_page_call_is_audited_and_the_audit_page_reads_it(client, campaign, secretariat_user):
    sign_in(client, secretariat_user)
    resp = client.post(f"/campaigns/{campaign.id}/email-test", data=form())
    assert resp.status_code == 303
    [entry] = _entries()
    assert entry.actor_email == secretariat_user.email
    assert entry.after == {"month": "2026-12", "queued": 1, "parties": ["FR"]}
    _no_link_in(entry)
    assert client.post(f"/campaigns/{campaign.id}/email-test", data=form()).status_code == 303
    assert len(_entries()) == 1  # nothing queued the second time

    page = client.get("/secretariat/audit?entity=reach_campaign").text
    row = page.split("<tbody>")[1].split("</tr>")[0]  # newest first
    assert secretariat_user.email in row
    assert "campaign <strong>2026-12</strong> test e-mails queued" in row
    assert "Messages queued: <ins>1</ins>" in row
    assert "Parties: <ins>[&#34;FR&#34;]</ins>" in row
    assert ADDRESS not in row and "/mail/ack/" not in page


def test_the_audit_page_reads_it_in_french(client, campaign, secretariat_user):
    headers = make_user("secretariat")[1]
    client.post(f"/api/v1/campaigns/{campaign.id}/email-test", headers=headers)
    sign_in(client, secretariat_user, lang="fr")
    page = client.get("/secretariat/audit?entity=reach_campaign").text
    row = page.split("<tbody>")[1].split("</tr>")[0]
    assert "campagne <strong>2026-12</strong> e-mails de test mis en file d’envoi" in row
    assert "Messages mis en file d’envoi: <ins>1</ins>" in row
