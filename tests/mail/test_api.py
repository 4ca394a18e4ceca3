"""Duty-reminder opt-in, verification links again, and the confirmation settings, by API."""

from __future__ import annotations

import sqlalchemy as sa

from common.db import db
from mail.models import MailPreference, OutboxMessage
from tests.conftest import make_person, make_user


def test_a_party_admin_opts_a_person_in_and_out_of_duty_reminders(client, france):
    anne = make_person(france, "Anne", email="anne@ofac.example")
    _admin, headers = make_user("party_admin", france)
    url = f"/api/v1/people/{anne.id}/duty-reminders"
    assert client.put(url, headers=headers, json={"hours": 12}).json == {
        "person_id": anne.id,
        "hours": 12,
    }
    assert db.session.get(MailPreference, anne.id).duty_reminder_hours == 12
    bad = client.put(url, headers=headers, json={"hours": 100})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "hours"
    assert client.put(url, headers=headers, json={"hours": None}).json["hours"] is None


def test_no_duty_reminders_without_an_address(client, france, secretariat):
    bruno = make_person(france, "Bruno")
    resp = client.put(
        f"/api/v1/people/{bruno.id}/duty-reminders", headers=secretariat, json={"hours": 6}
    )
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "hours"


def test_verification_links_again_for_the_partys_unverified_addresses(client, france, secretariat):
    make_person(france, "Anne", email="anne@ofac.example")
    resp = client.post("/api/v1/parties/FR/verification-links", headers=secretariat)
    assert resp.json == {"party": "FR", "queued": 1}
    [message] = db.session.scalars(sa.select(OutboxMessage))
    assert message.to_addr == "anne@ofac.example" and "/mail/verify/" in message.body_text


def test_the_secretariat_sets_the_confirmation_policy(client, secretariat, member):
    assert client.get("/api/v1/network-settings", headers=member).json == {
        "confirmation_validity_months": 6,
        "confirmation_due_soon_days": 30,
        "confirmation_grace_days": 30,
    }
    body = {"confirmation_validity_months": 12}
    assert client.patch("/api/v1/network-settings", headers=member, json=body).status_code == 403
    resp = client.patch("/api/v1/network-settings", headers=secretariat, json=body)
    assert resp.json["confirmation_validity_months"] == 12
    bad = client.patch(
        "/api/v1/network-settings", headers=secretariat, json={"confirmation_grace_days": -1}
    )
    assert bad.status_code == 422
