"""A month is planned once per Party (409 naming the campaign); a campaign can be cancelled and its
calls not yet placed are then never placed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from common.clock import now
from common.db import db
from reachability import service
from reachability.dialer import Dialer
from reachability.models import Attempt, Campaign, Slot
from tests.reachability.conftest import add_party, add_person, add_rota

CAMPAIGNS = "/api/v1/reachability/campaigns"


@pytest.fixture
def parties():
    france = add_party("FR", "France")
    add_rota(france, 1, [add_person(france, "Anne Martin", "+33612345601", languages=("fr",))])
    add_party("DE", "Germany", tz="Europe/Berlin")
    db.session.commit()


def test_a_month_already_planned_is_refused_with_409_naming_the_campaign(
    client, parties, secretariat
):
    first = client.post(
        CAMPAIGNS, json={"month": "2027-01", "parties": ["FR"]}, headers=secretariat
    )
    again = client.post(
        CAMPAIGNS, json={"month": "2027-01", "parties": ["DE", "FR"]}, headers=secretariat
    )
    other_party = client.post(
        CAMPAIGNS, json={"month": "2027-01", "parties": ["DE"]}, headers=secretariat
    )

    assert first.status_code == 201, first.json
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert f"campaign {first.json['id']}" in again.json["detail"]
    assert again.json["errors"][0]["field"] == "month"
    assert other_party.status_code == 201
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 2


def test_the_database_holds_one_plan_per_party_and_month(app, parties, clock):
    service.create_campaign(None, "2027-02", ["FR"], "any-time", clock.at, app.config)
    campaign = db.session.scalars(sa.select(Campaign)).one()
    party_id = campaign.slots[0].party_id
    db.session.add(
        Slot(
            campaign_id=campaign.id,
            party_id=party_id,
            planned_at=clock.at,
            timezone="UTC",
            plan_month="2027-02",
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_cancelled_campaign_places_no_call_and_frees_its_month(
    app, client, parties, secretariat, member, clock
):
    campaign = service.create_campaign(
        None, "2026-11", ["FR"], "any-time", clock.at, app.config, start_at=clock.at
    )
    db.session.commit()
    campaign_id = campaign.id

    refused = client.post(f"{CAMPAIGNS}/{campaign_id}/cancel", headers=member)
    cancelled = client.post(f"{CAMPAIGNS}/{campaign_id}/cancel", headers=secretariat)
    twice = client.post(f"{CAMPAIGNS}/{campaign_id}/cancel", headers=secretariat)
    clock.advance(seconds=5)
    report = Dialer.for_app(app.config, now, "test").tick()
    replanned = client.post(
        CAMPAIGNS, json={"month": "2026-12", "parties": ["FR"]}, headers=secretariat
    )

    assert refused.status_code == 403
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "done" and cancelled.json["cancelled_at"]
    assert twice.status_code == 409
    assert report.steps == 0 and report.placed == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0
    assert replanned.status_code == 201


def test_queued_calls_of_a_cancelled_campaign_are_never_claimed(app, parties, clock, secretariat):
    campaign = service.create_campaign(
        None, "2026-11", ["FR"], "any-time", clock.at, app.config, start_at=clock.at
    )
    [slot] = campaign.slots
    attempt = Attempt(
        kind="campaign",
        party_id=slot.party_id,
        slot_id=slot.id,
        target="person",
        language="fr",
        phone="+33612345601",
        state="queued",
        requested_by="system",
        created_at=clock.at,
        due_at=clock.at,
    )
    db.session.add(attempt)
    campaign.cancelled_at = clock.at  # as if cancelled between queueing and claiming
    db.session.commit()

    status, claimed = Dialer.for_app(app.config, now, "test").claim(clock.at)

    assert (status, claimed) == ("idle", None)
