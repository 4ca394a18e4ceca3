"""Calendar pages: "Subscribe" on the Party page, the link shown once, one's subscriptions."""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa

from common.db import db
from rota import calendars
from rota.calendar_models import CalendarSubscription
from tests.conftest import make_user
from tests.web.conftest import form, sign_in


def _links(page: str) -> tuple[str, str]:
    """(webcal link, https address) shown on the answer to the subscribe form."""
    webcal = re.search(r'id="webcal-link" href="([^"]+)"', page)
    url = re.search(r'id="feed-url" class="feed-url" value="([^"]+)"', page)
    assert webcal and url, page
    return htmllib.unescape(webcal.group(1)), htmllib.unescape(url.group(1))


def _subscribe(client, iso2: str = "FR", **fields):
    return client.post(f"/parties/{iso2}/calendar-subscriptions", data=form(**fields))


def _subscriptions() -> list[CalendarSubscription]:
    return list(
        db.session.scalars(sa.select(CalendarSubscription).order_by(CalendarSubscription.id))
    )


def test_the_party_page_offers_subscribe_buttons(signed_in, france_rota):
    page = signed_in.get("/parties/FR").text
    section = page.split('id="calendar-h"')[1].split("</section>")[0]
    assert 'action="/parties/FR/calendar-subscriptions"' in section
    assert 'name="tiers" value="1"' in section and "Subscribe to tier 1" in section
    assert 'name="tiers" value="all"' in section and "Subscribe to every tier" in section
    # Every user reads the directory, so a Party feed may carry contacts for anyone.
    assert 'name="include_contacts"' in section
    assert '<label for="cal-contacts">' in section
    assert 'href="/calendar-subscriptions"' in section


def test_subscribing_shows_the_link_once_and_the_feed_is_a_calendar(client, france_rota, now):
    party, _people, _rota = france_rota
    member = make_user("member")[0]
    sign_in(client, member)

    resp = _subscribe(client, tiers="1")

    assert resp.status_code == 201
    assert resp.headers["Cache-Control"] == "private, no-store"
    webcal, url = _links(resp.text)
    assert url.startswith("http://art35.test/calendars/art35cal_") and url.endswith(".ics")
    assert webcal == "webcal://" + url.split("://", 1)[1]
    assert "Art35 · France · tier 1" in resp.text
    assert "shown only this once" in resp.text
    [sub] = _subscriptions()
    assert (sub.user_id, sub.scope, sub.party_id, sub.tiers) == (member.id, "party", party.id, [1])
    assert sub.include_contacts is False
    # The secret never rides in the cookie nor in a flashed message.
    secret = urlsplit(url).path.split("/")[-1]
    with client.session_transaction() as session:
        assert secret not in repr(dict(session))
    assert secret not in client.get("/calendar-subscriptions").text
    feed = client.get(urlsplit(url).path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(feed.data)
    summaries = {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")}
    assert "France · Duty officer (tier 1) · Bruno Petit" in summaries
    assert "Phone:" not in feed.text


def test_every_tier_with_contacts(signed_in, france_rota, now):
    resp = _subscribe(signed_in, tiers="all", include_contacts="on")

    assert resp.status_code == 201
    [sub] = _subscriptions()
    assert sub.tiers is None and sub.include_contacts is True
    _webcal, url = _links(resp.text)
    assert "Phone: +33 6 12 34 56 02" in signed_in.get(urlsplit(url).path).text


def test_subscribing_needs_the_form_token(signed_in, france_rota):
    resp = signed_in.post("/parties/FR/calendar-subscriptions", data={"tiers": "1"})
    assert resp.status_code == 400
    assert "This form has expired" in resp.text
    assert _subscriptions() == []


def test_a_tampered_tier_is_refused(signed_in, france_rota):
    assert _subscribe(signed_in, tiers="12").status_code == 422
    assert _subscribe(signed_in, tiers="one").status_code == 422
    assert _subscribe(signed_in, "ZZ", tiers="1").status_code == 404
    assert _subscriptions() == []


def test_my_subscriptions_with_times_and_revoke(client, france_rota, clock, now):
    party, _people, _rota = france_rota
    user = make_user("party_admin", party)[0]
    other = make_user("member")[0]
    sign_in(client, user)
    _webcal, url = _links(_subscribe(client, tiers="1").text)
    clock.advance(hours=2)
    assert client.get(urlsplit(url).path).status_code == 200  # the calendar app reads it
    mine = calendars.list_subscriptions(user)[0]
    theirs, _secret = calendars.create_subscription(
        other, {"scope": "party", "party": "FR", "include_contacts": False}, now
    )
    db.session.commit()

    page = client.get("/calendar-subscriptions").text

    row = page.split(f'id="subscription-{mine.id}"')[1].split("</tr>")[0]
    assert "Art35 · France · tier 1" in row
    assert "Tue, 1 Dec 2026 12:00" in row  # created (viewer's zone: UTC until reported)
    assert "Tue, 1 Dec 2026 14:00" in row  # last read
    assert f'id="subscription-{theirs.id}"' not in page  # only one's own
    assert "My calendars" in page  # in everyone's menu

    resp = client.post(f"/calendar-subscriptions/{mine.id}/revoke", data=form())
    assert resp.status_code == 302
    page = client.get("/calendar-subscriptions").text
    assert "is revoked: its link no longer works" in page
    assert "You have no calendar subscription" in page
    assert client.get(urlsplit(url).path).status_code == 404
    # Nobody revokes another user's subscription from their page.
    assert (
        client.post(f"/calendar-subscriptions/{theirs.id}/revoke", data=form()).status_code == 404
    )
    assert client.post(f"/calendar-subscriptions/{theirs.id}/revoke").status_code == 400  # no token
    db.session.refresh(theirs)
    assert theirs.revoked_at is None


def test_the_french_page(client, france_rota, now):
    user = make_user("member")[0]
    sign_in(client, user, lang="fr")
    page = client.get("/parties/FR").text
    assert "S’abonner au niveau 1" in page
    assert "S’abonner à tous les niveaux" in page
    resp = _subscribe(client, tiers="1")
    assert "Ouvrir dans mon application d’agenda" in resp.text


def test_strangers_are_sent_to_sign_in(client, france_rota):
    assert client.get("/calendar-subscriptions").status_code == 302
    # Without a session there is no form token either: the POST is refused before anything.
    assert (
        client.post("/parties/FR/calendar-subscriptions", data=form(tiers="1")).status_code == 400
    )
    assert _subscriptions() == []


def test_last_use_is_never_until_the_calendar_reads_it(signed_in, france_rota, clock):
    _subscribe(signed_in, tiers="all")
    clock.advance(minutes=5)
    row = signed_in.get("/calendar-subscriptions").text.split("<tbody>")[1]
    assert "Art35 · France · all tiers" in row
    assert ">never<" in row
