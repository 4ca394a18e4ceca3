"""Actions with a net: a month is planned once (a clear message naming the campaign), a campaign
is cancelled only after a confirmation, and its calls not yet placed are then never placed."""

from __future__ import annotations

import html as htmllib

import sqlalchemy as sa

from common.db import db
from reachability.models import Attempt, Campaign
from tests.conftest import make_user
from tests.web.conftest import form, sign_in


def _plan(client, month: str = "2027-01"):
    return client.post(
        "/campaigns/new",
        data=form(month=month, window="any-time", parties=["FR"]),
        follow_redirects=False,
    )


def test_a_month_already_planned_is_refused_on_the_page(signed_in, france_rota, now):
    first = _plan(signed_in)
    again = _plan(signed_in)

    assert first.status_code == 302
    campaign_id = int(first.headers["Location"].rsplit("/", 1)[1])
    assert again.status_code == 409
    page = htmllib.unescape(again.text)
    assert f"January 2027 is already planned (campaign #{campaign_id})" in page
    assert 'id="error-summary"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 1


def test_the_refusal_in_french(client, france_rota, secretariat_user, now):
    sign_in(client, secretariat_user, lang="fr")
    _plan(client)
    page = htmllib.unescape(_plan(client).text)
    assert "janvier 2027 est déjà planifié (campagne n°\u00a0" in page


def test_cancel_asks_first_then_stops_the_campaign(signed_in, france_rota, now):
    campaign_id = int(_plan(signed_in).headers["Location"].rsplit("/", 1)[1])
    page = signed_in.get(f"/campaigns/{campaign_id}").text
    assert 'id="cancel-campaign"' in page and 'name="confirm"' in page

    unconfirmed = signed_in.post(f"/campaigns/{campaign_id}/cancel", data=form())
    assert db.session.get(Campaign, campaign_id).cancelled_at is None
    confirmed = signed_in.post(
        f"/campaigns/{campaign_id}/cancel", data=form(confirm="yes"), follow_redirects=True
    )

    assert unconfirmed.status_code == 303
    assert confirmed.status_code == 200
    assert "is cancelled: no further call will be placed" in htmllib.unescape(confirmed.text)
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign.cancelled_at is not None and campaign.status == "done"
    assert all(slot.next_step_at is None for slot in campaign.slots)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0
    assert 'id="cancel-campaign"' not in confirmed.text
    assert _plan(signed_in).status_code == 302  # the month is free again


def test_only_the_secretariat_cancels(client, france_rota, secretariat_user, now):
    sign_in(client, secretariat_user)
    campaign_id = int(_plan(client).headers["Location"].rsplit("/", 1)[1])
    sign_in(client, make_user("member")[0])
    resp = client.post(f"/campaigns/{campaign_id}/cancel", data=form(confirm="yes"))
    assert resp.status_code == 403
    assert db.session.get(Campaign, campaign_id).cancelled_at is None
