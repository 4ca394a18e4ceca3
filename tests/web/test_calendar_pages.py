"""Calendar pages: "Subscribe" on the Party page, the link shown once, one's subscriptions."""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa

from calendars import service as calendars
from calendars.models import CalendarSubscription
from common.db import db
from rota import service as rotas
from rota.schemas import RotationIn
from tests.conftest import make_person, make_user
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


# --- a person's shifts and the whole network --------------------------------------------------


def _summaries(client, url: str) -> set[str]:
    feed = client.get(urlsplit(url).path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    return {str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(feed.data).walk("VEVENT")}


def _person_card(page: str, person_id: int) -> str:
    """One person's card on the Party page (where `web.hooks.PERSON_ACTIONS` render)."""
    return (
        page.split(f'id="person-{person_id}"')[1]
        .split('class="person-card')[0]
        .split("</section>")[0]
    )


def test_each_person_offers_their_shifts_as_a_calendar(client, france_rota):
    _party, people, _rota = france_rota
    sign_in(client, make_user("member")[0])

    page = client.get("/parties/FR").text

    for person in people:
        card = _person_card(page, person.id)
        assert f'action="/people/{person.id}/calendar-subscriptions"' in card
        assert "Subscribe to this person's shifts" in card
        assert f'<span class="visually-hidden"> ({person.full_name})</span>' in card
        assert 'name="_csrf" value="test-csrf-token"' in card.split("calendar-subscriptions")[1]
        # Every user reads the directory, so a person's feed may carry contacts for anyone.
        assert f'id="cal-person-contacts-{person.id}" name="include_contacts"' in card


def test_a_member_subscribes_to_a_persons_shifts(client, france_rota):
    _party, people, _rota = france_rota
    carmen = people[2]
    member = make_user("member")[0]
    sign_in(client, member)

    resp = client.post(f"/people/{carmen.id}/calendar-subscriptions", data=form())

    assert resp.status_code == 201
    assert "Art35 · Carmen Ruiz · duty" in resp.text
    assert f'href="/parties/FR#person-{carmen.id}">Carmen Ruiz</a>' in resp.text  # crumbs
    webcal, url = _links(resp.text)
    assert url.startswith("http://art35.test/calendars/art35cal_") and url.endswith(".ics")
    assert webcal == "webcal://" + url.split("://", 1)[1]
    [sub] = _subscriptions()
    assert (sub.user_id, sub.scope, sub.person_id, sub.party_id) == (
        member.id,
        "person",
        carmen.id,
        None,
    )
    assert sub.tiers is None and sub.include_contacts is False
    summaries = _summaries(client, url)
    assert summaries == {"France · Duty officer (tier 1) · Carmen Ruiz"}
    assert "Phone:" not in client.get(urlsplit(url).path).text


def test_a_persons_shifts_with_contacts(signed_in, france_rota):
    _party, people, _rota = france_rota
    resp = signed_in.post(
        f"/people/{people[1].id}/calendar-subscriptions", data=form(include_contacts="on")
    )
    assert resp.status_code == 201
    [sub] = _subscriptions()
    assert sub.include_contacts is True
    _webcal, url = _links(resp.text)
    feed = signed_in.get(urlsplit(url).path).text
    assert "Phone: +33 6 12 34 56 02" in feed
    assert "Phone: +33 6 12 34 56 01" not in feed  # Anne's number: not her feed


def test_an_unknown_person_is_a_404_page(signed_in, france_rota):
    resp = signed_in.post("/people/99999/calendar-subscriptions", data=form())
    assert resp.status_code == 404
    assert "there is no person 99999" in resp.text
    assert _subscriptions() == []


def test_person_and_network_subscriptions_need_the_form_token(signed_in, france_rota):
    _party, people, _rota = france_rota
    resp = signed_in.post(f"/people/{people[0].id}/calendar-subscriptions", data={})
    assert resp.status_code == 400 and "This form has expired" in resp.text
    resp = signed_in.post("/calendar-subscriptions/network", data={"tiers": "1"})
    assert resp.status_code == 400 and "This form has expired" in resp.text
    assert _subscriptions() == []


def test_the_network_form_on_my_subscriptions(client, france_rota, secretariat_user):
    member = make_user("member")[0]
    sign_in(client, member)
    page = client.get("/calendar-subscriptions").text
    section = page.split('id="network-calendar"')[1].split("</section>")[0]
    assert 'action="/calendar-subscriptions/network"' in section
    assert 'name="_csrf" value="test-csrf-token"' in section
    assert 'id="net-tier-1" name="tiers" value="1" checked>' in section
    assert 'id="net-tier-2" name="tiers" value="2">' in section
    assert 'id="net-tier-3" name="tiers" value="3">' in section
    # Network-wide contacts are the secretariat's only: not even offered to a member.
    assert 'name="include_contacts"' not in section

    sign_in(client, secretariat_user)
    section = client.get("/calendar-subscriptions").text.split('id="network-calendar"')[1]
    assert 'id="net-contacts" name="include_contacts"' in section.split("</section>")[0]


def test_the_secretariat_subscribes_to_the_network_tier_1(
    signed_in, france_rota, germany, secretariat_user, now
):
    _party, people, _rota = france_rota
    hans = make_person(germany, "Hans Weber", languages=("de",), phone="+4915112345678")
    admin = secretariat_user
    for party, members, name, tier in (
        (germany, [hans], "Bereitschaft", 1),
        (france_rota[0], [people[0]], "Prosecutor", 2),
    ):
        rota = rotas.create_rota(admin, party, {"name": name, "tier": tier}, now)
        rotas.add_rotation(
            admin,
            rota,
            RotationIn().load(
                {
                    "members": [m.id for m in members],
                    "start_local": "2026-11-02T09:00",
                    "shift_length": "P7D",
                }
            ),
            now,
        )
    db.session.commit()

    resp = signed_in.post(
        "/calendar-subscriptions/network", data=form(tiers="1", include_contacts="on")
    )

    assert resp.status_code == 201
    assert "Art35 · 24/7 Network · tier 1" in resp.text
    webcal, url = _links(resp.text)
    assert webcal == "webcal://" + url.split("://", 1)[1]
    [sub] = _subscriptions()
    assert (sub.scope, sub.tiers, sub.include_contacts) == ("network", [1], True)
    assert sub.party_id is None and sub.person_id is None
    summaries = _summaries(signed_in, url)
    assert "France · Duty officer (tier 1) · Bruno Petit" in summaries
    assert "Germany · Bereitschaft (tier 1) · Hans Weber" in summaries
    assert not any("Prosecutor" in s for s in summaries)  # tier 2 was not asked for
    feed = icalendar.Calendar.from_ical(signed_in.get(urlsplit(url).path).data)
    hans_events = [e for e in feed.walk("VEVENT") if "Hans Weber" in str(e["SUMMARY"])]
    assert hans_events and all(
        "Phone: +49 1511 2345678" in str(e["DESCRIPTION"]) for e in hans_events
    )


def test_a_member_asking_for_network_contacts_is_refused(client, france_rota):
    sign_in(client, make_user("member")[0])

    resp = client.post(
        "/calendar-subscriptions/network", data=form(tiers="1", include_contacts="on")
    )

    assert resp.status_code == 403
    assert "Not allowed" in resp.text
    assert (
        "only the secretariat may subscribe to the whole network with contact details" in resp.text
    )
    assert 'id="feed-url"' not in resp.text
    assert _subscriptions() == []


def test_a_member_may_have_the_network_without_contacts(client, france_rota):
    member = make_user("member")[0]
    sign_in(client, member)

    resp = client.post("/calendar-subscriptions/network", data=form(tiers=["1", "2"]))

    assert resp.status_code == 201
    assert "Art35 · 24/7 Network · tiers 1, 2" in resp.text
    assert 'href="/calendar-subscriptions">My calendar subscriptions</a> ›' in resp.text  # crumbs
    [sub] = _subscriptions()
    assert (sub.user_id, sub.scope, sub.tiers, sub.include_contacts) == (
        member.id,
        "network",
        [1, 2],
        False,
    )
    _webcal, url = _links(resp.text)
    assert "France · Duty officer (tier 1) · Bruno Petit" in _summaries(client, url)
    assert "Phone:" not in client.get(urlsplit(url).path).text


def test_bad_network_tiers_are_refused(signed_in, france_rota):
    resp = signed_in.post("/calendar-subscriptions/network", data=form())
    assert resp.status_code == 422 and "Choose at least one tier." in resp.text
    for bad, reason in (
        ("0", "must be from 1 to 9"),
        ("12", "must be from 1 to 9"),
        ("one", "must be a whole number"),
    ):
        resp = signed_in.post("/calendar-subscriptions/network", data=form(tiers=["1", bad]))
        assert resp.status_code == 422, bad
        assert f'<p class="error-message">tiers[1]: {reason}</p>' in resp.text
    assert _subscriptions() == []


def test_the_person_and_network_forms_in_french(client, france_rota):
    _party, people, _rota = france_rota
    sign_in(client, make_user("member")[0], lang="fr")
    assert "S’abonner aux permanences de cette personne" in client.get("/parties/FR").text
    page = client.get("/calendar-subscriptions").text
    assert "S’abonner à tout le réseau" in page and "Niveau 2" in page
    resp = client.post("/calendar-subscriptions/network", data=form())
    assert "Choisissez au moins un niveau." in resp.text
    resp = client.post(
        "/calendar-subscriptions/network", data=form(tiers="1", include_contacts="on")
    )
    assert resp.status_code == 403
    assert "seul le secrétariat peut s’abonner à l’ensemble du réseau" in resp.text
    resp = client.post(f"/people/{people[0].id}/calendar-subscriptions", data=form())
    assert "Ouvrir dans mon application d’agenda" in resp.text
