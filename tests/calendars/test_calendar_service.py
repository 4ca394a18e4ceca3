"""Calendar subscriptions and feeds, read back with code independent of the generator.

Every feed is parsed with `icalendar` and expanded with `recurring_ical_events` and compared with
what `/api/v1/parties/{iso2}/shifts` answers for the same window (whole UTC days, from 30 days
before today to CALENDAR_FUTURE_DAYS after it, worked out here by hand).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote, urlsplit

import icalendar
import pytest
import recurring_ical_events
import sqlalchemy as sa

from calendars import service as calendars
from calendars.models import CalendarSubscription, PublishedShift
from common.db import db
from directory.models import User
from tests.conftest import make_party, make_person, make_user
from tests.rota.conftest import add_rotation, new_rota

# --- helpers -------------------------------------------------------------------------------


def subscribe(client, headers, **body) -> dict:
    resp = client.post("/api/v1/calendar-subscriptions", headers=headers, json=body)
    assert resp.status_code == 201, resp.json
    return resp.json


def path_of(sub: dict) -> str:
    return urlsplit(sub["url"]).path


def fetch(client, sub: dict, **headers):
    return client.get(path_of(sub), headers=headers)


def feed_of(client, sub: dict) -> bytes:
    resp = fetch(client, sub)
    assert resp.status_code == 200, resp.data[:300]
    return resp.data


def window(clock, future_days: int = 365) -> tuple[datetime, datetime]:
    """The feed window by hand: whole UTC days, 30 back, `future_days` ahead."""
    day = clock.at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=30), day + timedelta(days=future_days)


def events(
    data: bytes | icalendar.Calendar, since: datetime, until: datetime, *, cancelled: bool = False
) -> list:
    """VEVENTs overlapping [since, until), expanded independently of the writer."""
    calendar = data if isinstance(data, icalendar.Calendar) else icalendar.Calendar.from_ical(data)
    found = recurring_ical_events.of(calendar).between(since, until)
    return [e for e in found if (str(e.get("STATUS", "")) == "CANCELLED") == cancelled]


def by_uid(data: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(data)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def shifts_api(client, headers, iso2: str, since: datetime, until: datetime) -> dict:
    url = f"/api/v1/parties/{iso2}/shifts?since={quote(since.isoformat())}"
    resp = client.get(f"{url}&until={quote(until.isoformat())}", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def expected_events(answer: dict, country: str) -> list[tuple[datetime, datetime, str]]:
    out = []
    for tier in answer["tiers"]:
        for shift in tier["shifts"]:
            if shift["gap"]:
                continue
            out.append(
                (
                    datetime.fromisoformat(shift["start"]),
                    datetime.fromisoformat(shift["end"]),
                    f"{country} · {tier['rota']['name']} (tier {tier['tier']}) · "
                    f"{shift['person']['full_name']}",
                )
            )
    return sorted(out)


def actual_events(found: list) -> list[tuple[datetime, datetime, str]]:
    return sorted((e["DTSTART"].dt, e["DTEND"].dt, str(e["SUMMARY"])) for e in found)


def override(client, headers, rota_id: int, person_id: int, start: str, end: str) -> dict:
    resp = client.post(
        f"/api/v1/rotas/{rota_id}/overrides",
        headers=headers,
        json={"person_id": person_id, "start": start, "end": end},
    )
    assert resp.status_code == 201, resp.json
    return resp.json


@pytest.fixture
def weekly(weekly_rotas):
    """France: tier 1 Anne, Bruno, Carmen weekly (Monday 09:00 Paris); tier 2 Dieter daily."""
    return weekly_rotas


# --- subscriptions -------------------------------------------------------------------------


def test_subscribing_answers_a_secret_https_or_http_url_and_a_webcal_link(client, weekly):
    _rota, _tier2, _people, headers = weekly
    sub = subscribe(client, headers, scope="party", party="fr", tiers=[2, 1])
    assert sub["url"].startswith("http://art35.test/calendars/art35cal_")
    assert sub["url"].endswith(".ics")
    assert sub["webcal_url"] == "webcal://" + sub["url"][len("http://") :]
    assert sub["scope"] == "party" and sub["party"] == "FR" and sub["tiers"] == [1, 2]
    assert sub["include_contacts"] is False
    assert sub["created_at"] == "2026-11-29T12:00:00+00:00" and sub["last_used_at"] is None
    secret = path_of(sub).removeprefix("/calendars/").removesuffix(".ics")
    assert len(secret) >= 40
    stored = db.session.get(CalendarSubscription, sub["id"])
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    # The secret is nowhere in the database, not even in the audit trail.
    for table in ("calendar_subscription", "audit_entry"):
        dump = str(db.session.execute(sa.text(f"SELECT * FROM {table}")).all())  # noqa: S608
        assert secret not in dump


def test_listing_shows_ones_own_subscriptions_with_times_never_the_secret(client, weekly, clock):
    _rota, _tier2, people, headers = weekly
    mine = subscribe(client, headers, scope="person", person_id=people[0].id)
    _other_user, other = make_user("member")
    theirs = subscribe(client, other, scope="network", tiers=[1])
    clock.advance(hours=1)
    assert fetch(client, mine).status_code == 200
    listing = client.get("/api/v1/calendar-subscriptions", headers=headers).json["items"]
    assert [s["id"] for s in listing] == [mine["id"]]
    assert listing[0]["last_used_at"] == "2026-11-29T13:00:00+00:00"
    assert listing[0]["created_at"] == "2026-11-29T12:00:00+00:00"
    assert listing[0]["person"] == {"id": people[0].id, "full_name": "Anne"}
    assert "url" not in listing[0] and "webcal_url" not in listing[0]
    assert [
        s["id"] for s in client.get("/api/v1/calendar-subscriptions", headers=other).json["items"]
    ] == [theirs["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "party"}, "party"),
        ({"scope": "person"}, "person_id"),
        ({"scope": "network", "party": "FR"}, "party"),
        ({"scope": "party", "party": "FR", "person_id": 1}, "person_id"),
        ({"scope": "party", "party": "ZZ"}, "party"),
        ({"scope": "person", "person_id": 999999}, "person_id"),
        ({"scope": "party", "party": "FR", "tiers": [0]}, "tiers[0]"),
        ({"scope": "party", "party": "FR", "include_contacts": "yes"}, "include_contacts"),
        ({"scope": "team"}, "scope"),
    ],
)
def test_bad_subscriptions_are_422_naming_the_field(client, weekly, body, field):
    _rota, _tier2, _people, headers = weekly
    resp = client.post("/api/v1/calendar-subscriptions", headers=headers, json=body)
    assert resp.status_code == 422, resp.json
    assert field in {e["field"] for e in resp.json["errors"]}


def test_subscribing_needs_credentials(client, weekly):
    resp = client.post("/api/v1/calendar-subscriptions", json={"scope": "network"})
    assert resp.status_code == 401


@pytest.mark.parametrize(
    ("role", "scope", "contacts", "allowed"),
    [
        ("member", "party", True, True),
        ("member", "person", True, True),
        ("member", "network", False, True),
        ("member", "network", True, False),
        ("party_admin", "network", True, False),
        ("secretariat", "network", True, True),
    ],
)
def test_who_may_subscribe_to_what(client, weekly, role, scope, contacts, allowed):
    _rota, _tier2, people, _headers = weekly
    party = make_party("DE", "Germany") if role == "party_admin" else None
    _user, headers = make_user(role, party)
    target = {"party": {"party": "FR"}, "person": {"person_id": people[0].id}, "network": {}}
    resp = client.post(
        "/api/v1/calendar-subscriptions",
        headers=headers,
        json={"scope": scope, "include_contacts": contacts, **target[scope]},
    )
    assert resp.status_code == (201 if allowed else 403), resp.json


# --- tokens --------------------------------------------------------------------------------


def test_unknown_revoked_and_lookalike_tokens_get_the_same_bare_404(client, weekly):
    _rota, _tier2, _people, headers = weekly
    sub = subscribe(client, headers, scope="party", party="FR")
    assert fetch(client, sub).status_code == 200
    unknown = client.get("/calendars/art35cal_" + "x" * 43 + ".ics")
    api_token = headers["Authorization"].split()[1]
    as_api_token = client.get(f"/calendars/{api_token}.ics")
    huge = client.get("/calendars/" + "a" * 5000 + ".ics")
    resp = client.delete(f"/api/v1/calendar-subscriptions/{sub['id']}", headers=headers)
    assert resp.status_code == 204
    revoked = fetch(client, sub)
    for answer in (unknown, as_api_token, huge, revoked):
        assert answer.status_code == 404
        assert answer.json == unknown.json
        assert "ETag" not in answer.headers
    assert client.get("/api/v1/calendar-subscriptions", headers=headers).json["items"] == []
    again = client.delete(f"/api/v1/calendar-subscriptions/{sub['id']}", headers=headers)
    assert again.status_code == 404


def test_a_feed_token_opens_its_own_feed_only(client, weekly):
    _rota, _tier2, _people, headers = weekly
    germany = make_party("DE", "Germany")
    hans = make_person(germany, "Hans")
    rota = new_rota(client, headers, iso2="DE", timezone="Europe/Berlin")
    add_rotation(
        client,
        headers,
        rota["id"],
        members=[hans.id],
        start_local="2026-01-01T08:00",
        shift_length="P1D",
    )
    france = feed_of(client, subscribe(client, headers, scope="party", party="FR", tiers=[2]))
    summaries = {str(e["SUMMARY"]) for e in by_uid(france).values()}
    assert summaries == {"France · Duty prosecutor (tier 2) · Dieter"}
    secret = path_of(subscribe(client, headers, scope="network")).split("/")[-1][:-4]
    as_bearer = client.get("/api/v1/parties", headers={"Authorization": f"Bearer {secret}"})
    assert as_bearer.status_code == 401  # a feed secret is no API credential


def test_only_the_owner_or_the_secretariat_revokes(client, weekly):
    _rota, _tier2, _people, headers = weekly
    _member, member = make_user("member")
    sub = subscribe(client, member, scope="party", party="FR")
    _other, other = make_user("member")
    resp = client.delete(f"/api/v1/calendar-subscriptions/{sub['id']}", headers=other)
    assert resp.status_code == 404
    assert fetch(client, sub).status_code == 200
    resp = client.delete(f"/api/v1/calendar-subscriptions/{sub['id']}", headers=headers)
    assert resp.status_code == 204
    assert fetch(client, sub).status_code == 404


def test_a_feed_stops_when_its_owner_loses_the_right_to_it(client, weekly):
    _rota, _tier2, _people, _headers = weekly
    user, headers = make_user("secretariat")
    network = subscribe(client, headers, scope="network", tiers=[1], include_contacts=True)
    party = subscribe(client, headers, scope="party", party="FR", include_contacts=True)
    user.role = "member"  # demoted: network-wide contacts are the secretariat's only
    db.session.flush()
    assert fetch(client, network).status_code == 404
    assert fetch(client, party).status_code == 200
    user.active = False
    db.session.flush()
    assert fetch(client, party).status_code == 404


def test_a_persons_feed_disappears_with_the_person(client, paris):
    party, _people, headers = paris
    gone = make_person(party, "Leaving Soon")
    sub = subscribe(client, headers, scope="person", person_id=gone.id)
    assert fetch(client, sub).status_code == 200
    assert client.delete(f"/api/v1/people/{gone.id}", headers=headers).status_code == 204
    assert fetch(client, sub).status_code == 404


# --- feed content --------------------------------------------------------------------------


def test_feed_headers_and_calendar_properties(client, weekly, clock):
    _rota, _tier2, _people, headers = weekly
    sub = subscribe(client, headers, scope="party", party="FR", tiers=[1])
    resp = fetch(client, sub)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert resp.headers["ETag"].startswith('"') and resp.headers["Last-Modified"]
    assert "private" in resp.headers["Cache-Control"]
    data = resp.data
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["PRODID"]).startswith("-//Art35")
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["X-WR-CALNAME"].to_ical().decode() == "Art35 · France · tier 1"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in data
    found = calendar.walk("VEVENT")
    assert found
    for event in found:
        assert str(event["TRANSP"]) == "TRANSPARENT"
        assert str(event["X-MICROSOFT-CDO-BUSYSTATUS"]) == "FREE"
        assert event["DTSTAMP"].dt == parsedate_to_datetime(resp.headers["Last-Modified"])
        assert event["DTSTART"].dt.tzinfo is not None and event["DTSTART"].dt.utcoffset() == (
            timedelta(0)
        )
    # 2026-11-30 is a Monday, 39 weeks after the first handoff: Anne's turn from 09:00 Paris.
    (anne,) = [e for e in found if e["DTSTART"].dt == datetime(2026, 11, 30, 8, tzinfo=UTC)]
    assert str(anne["SUMMARY"]) == "France · Duty officer (tier 1) · Anne"
    assert anne["DTEND"].dt == datetime(2026, 12, 7, 8, tzinfo=UTC)
    description = str(anne["DESCRIPTION"])
    assert "Duty officer" in description and "Tier: 1" in description
    assert int(anne["SEQUENCE"]) == 0 and str(anne["STATUS"]) == "CONFIRMED"


def test_head_answers_the_headers_without_a_body(client, weekly):
    _rota, _tier2, _people, headers = weekly
    sub = subscribe(client, headers, scope="party", party="FR")
    get = fetch(client, sub)
    head = client.head(path_of(sub))
    assert head.status_code == 200 and head.data == b""
    for name in ("Content-Type", "ETag", "Last-Modified", "Content-Length"):
        assert head.headers[name] == get.headers[name]
    assert client.head(
        path_of(sub), headers={"If-None-Match": get.headers["ETag"]}
    ).status_code == (304)


ZONES = [
    # zone, ISO code, daily handoff (local) that falls inside the spring-forward gap, and the
    # Sunday shift it starts worked out by hand: RFC 5545 reads a skipped local time with the
    # offset from before the gap; the next day's handoff is at the new offset.
    ("Europe/Paris", "FR", "02:30", "2027-03-28T01:30Z", "2027-03-29T00:30Z"),  # +1 -> +2
    ("America/New_York", "US", "02:30", "2027-03-14T07:30Z", "2027-03-15T06:30Z"),  # -5 -> -4
    ("America/Santiago", "CL", "00:30", "2026-09-06T04:30Z", "2026-09-07T03:30Z"),  # -4 -> -3
    ("Australia/Lord_Howe", "AU", "02:15", "2026-10-03T15:45Z", "2026-10-04T15:15Z"),  # +10:30
    ("Pacific/Chatham", "NZ", "02:50", "2026-09-26T14:05Z", "2026-09-27T13:05Z"),  # +12:45
]


@pytest.mark.parametrize(("zone", "iso2", "handoff", "gap_start", "gap_end"), ZONES)
def test_feed_equals_the_shifts_timeline_across_dst(
    client, clock, app, monkeypatch, zone, iso2, handoff, gap_start, gap_end
):
    """Two DST changes in the window; handoffs inside the skipped hour; windows; an override."""
    # From 2026-09-01 to 2027-04-19: autumn and spring changes of both hemispheres.
    clock.set(datetime(2026, 10, 1, 15, 0, tzinfo=UTC))
    monkeypatch.setitem(app.config, "CALENDAR_FUTURE_DAYS", 200)  # /shifts serves <= 366 days
    party = make_party(iso2, "Somewhere")
    people = [make_person(party, f"Person {i}") for i in range(5)]
    _user, headers = make_user("secretariat")
    ids = [p.id for p in people]
    tier1 = new_rota(client, headers, iso2=iso2, timezone=zone)
    add_rotation(
        client,
        headers,
        tier1["id"],
        members=ids[:3],
        start_local=f"2026-01-01T{handoff}",
        shift_length="P1D",
    )
    add_rotation(  # a later layer: weeknights, weekly turns
        client,
        headers,
        tier1["id"],
        members=[ids[3], ids[0]],
        start_local="2026-01-05T09:00",
        shift_length="P7D",
        restrictions=[
            {
                "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                "from_local": "20:00",
                "to_local": "08:00",
            }
        ],
    )
    override(client, headers, tier1["id"], ids[4], "2026-11-20T10:00:00Z", "2026-11-23T10:00:00Z")
    tier2 = new_rota(client, headers, iso2=iso2, tier=2, name="Prosecutor", timezone=zone)
    add_rotation(  # office hours only: gaps every night and weekend
        client,
        headers,
        tier2["id"],
        members=[ids[1], ids[2]],
        start_local=f"2026-01-01T{handoff}",
        shift_length="PT12H",
        restrictions=[
            {
                "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                "from_local": "09:00",
                "to_local": "17:30",
            }
        ],
    )
    since, until = window(clock, 200)
    sub = subscribe(client, headers, scope="party", party=iso2)
    calendar = icalendar.Calendar.from_ical(feed_of(client, sub))
    country = calendars.party_label(iso2, "Somewhere")
    expected = expected_events(shifts_api(client, headers, iso2, since, until), country)
    found = events(calendar, since, until)
    assert actual_events(found) == expected
    assert len(expected) > 400
    sunday = (datetime.fromisoformat(gap_start), datetime.fromisoformat(gap_end))
    assert sunday in {(e["DTSTART"].dt, e["DTEND"].dt) for e in found}
    uids = [str(e["UID"]) for e in calendar.walk("VEVENT")]
    cancelled = events(calendar, since, until, cancelled=True)
    assert len(uids) == len(set(uids)) == len(found) + len(cancelled)


def test_network_feed_covers_every_party_of_the_asked_tiers(client, weekly, clock):
    _rota, _tier2, _people, headers = weekly
    germany = make_party("DE", "Germany")
    hans = make_person(germany, "Hans")
    rota = new_rota(client, headers, iso2="DE", timezone="Europe/Berlin")
    add_rotation(
        client,
        headers,
        rota["id"],
        members=[hans.id],
        start_local="2026-01-01T08:00",
        shift_length="P1D",
    )
    since, until = window(clock)
    data = feed_of(client, subscribe(client, headers, scope="network", tiers=[1]))
    found = events(data, since, until)
    summaries = {str(e["SUMMARY"]) for e in found}
    assert "Germany · Duty officer (tier 1) · Hans" in summaries
    assert "France · Duty officer (tier 1) · Anne" in summaries
    assert not any("Dieter" in s for s in summaries)  # tier 2 not asked
    middle = since + timedelta(days=200)
    for iso2, country in (("FR", "France"), ("DE", "Germany")):
        answer = shifts_api(client, headers, iso2, since, middle)
        answer["tiers"] = [t for t in answer["tiers"] if t["tier"] == 1]
        mine = [e for e in events(data, since, middle) if str(e["SUMMARY"]).startswith(country)]
        clipped = sorted((max(s, since), min(e, middle), t) for s, e, t in actual_events(mine))
        assert clipped == expected_events(answer, country)


def test_person_feed_has_their_shifts_on_every_tier(client, weekly, clock, app, monkeypatch):
    monkeypatch.setitem(app.config, "CALENDAR_FUTURE_DAYS", 300)
    _rota, tier2, people, headers = weekly
    anne = people[0]
    # Anne also covers the prosecutor for a day.
    override(client, headers, tier2["id"], anne.id, "2026-12-10T08:00:00Z", "2026-12-11T08:00:00Z")
    since, until = window(clock, 300)
    data = feed_of(client, subscribe(client, headers, scope="person", person_id=anne.id))
    found = events(data, since, until)
    assert any("Duty prosecutor (tier 2)" in str(e["SUMMARY"]) for e in found)
    answer = shifts_api(client, headers, "FR", since, until)
    annes = [x for x in expected_events(answer, "France") if x[2].endswith("· Anne")]
    assert actual_events(found) == annes
    calendar = icalendar.Calendar.from_ical(data)
    assert calendar["X-WR-CALNAME"].to_ical().decode() == "Art35 · Anne · duty"


# --- contacts ------------------------------------------------------------------------------


def test_contacts_appear_only_when_asked(client, weekly):
    _rota, _tier2, people, headers = weekly
    anne = people[0]
    anne.email = "anne.duty@cyber.fr.example"
    db.session.flush()
    plain = feed_of(client, subscribe(client, headers, scope="party", party="FR"))
    person = feed_of(client, subscribe(client, headers, scope="person", person_id=anne.id))
    network = feed_of(client, subscribe(client, headers, scope="network"))
    with_contacts = feed_of(
        client, subscribe(client, headers, scope="party", party="FR", include_contacts=True)
    )
    for data in (plain, person, network):
        text = data.decode()
        unfolded = text.replace("\r\n ", "")
        for p in people:
            digits = p.phones[0].e164
            assert digits not in unfolded and digits[3:] not in unfolded.replace(" ", "")
        assert "anne.duty" not in unfolded and "@cyber" not in unfolded
        assert "Phone" not in unfolded and "E-mail" not in unfolded
    events_with = icalendar.Calendar.from_ical(with_contacts).walk("VEVENT")
    annes = [e for e in events_with if str(e["SUMMARY"]).endswith("· Anne")]
    description = str(annes[0]["DESCRIPTION"])
    assert "Phone: +33 6 12 34 56 01 (mobile, primary)" in description
    assert "E-mail: anne.duty@cyber.fr.example" in description


# --- conditional requests --------------------------------------------------------------------


def test_304_on_if_none_match_without_building_the_feed(client, weekly, monkeypatch):
    _rota, _tier2, _people, headers = weekly
    sub = subscribe(client, headers, scope="party", party="FR")
    first = fetch(client, sub)

    def must_not_build(*args, **kwargs):
        raise AssertionError("the feed was rebuilt for a 304")

    monkeypatch.setattr(calendars, "build_feed", must_not_build)
    again = fetch(client, sub, **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    listed = fetch(client, sub, **{"If-None-Match": f'"nope", {first.headers["ETag"]}'})
    assert listed.status_code == 304
    since = fetch(client, sub, **{"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
    with pytest.raises(AssertionError, match="rebuilt"):
        fetch(
            client,
            sub,
            **{"If-None-Match": '"stale"', "If-Modified-Since": first.headers["Last-Modified"]},
        )


def test_a_change_or_a_new_day_gives_a_new_validator(client, weekly, clock):
    rota, _tier2, people, headers = weekly
    sub = subscribe(client, headers, scope="party", party="FR")
    first = fetch(client, sub)
    tag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    clock.advance(minutes=5)
    assert fetch(client, sub, **{"If-None-Match": tag}).status_code == 304
    override(client, headers, rota["id"], people[3].id, "2026-12-01T08:00:00Z", "2026-12-02T08:00Z")
    changed = fetch(client, sub, **{"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert parsedate_to_datetime(changed.headers["Last-Modified"]) == clock.at.replace(
        microsecond=0
    )
    assert fetch(client, sub, **{"If-Modified-Since": modified}).status_code == 200
    tag = changed.headers["ETag"]
    clock.advance(days=1)  # the window moved: past shifts fell out, new ones came in
    moved = fetch(client, sub, **{"If-None-Match": tag})
    assert moved.status_code == 200 and moved.headers["ETag"] != tag
    midnight = clock.at.replace(hour=0, minute=0, second=0, microsecond=0)
    assert parsedate_to_datetime(moved.headers["Last-Modified"]) == midnight
    late = format_datetime(midnight + timedelta(hours=1), usegmt=True)
    assert fetch(client, sub, **{"If-Modified-Since": late}).status_code == 304


def test_renaming_a_person_changes_the_validator(client, weekly, clock):
    _rota, _tier2, people, headers = weekly
    sub = subscribe(client, headers, scope="party", party="FR")
    tag = fetch(client, sub).headers["ETag"]
    clock.advance(seconds=1)
    resp = client.patch(
        f"/api/v1/people/{people[0].id}", headers=headers, json={"full_name": "Annie"}
    )
    assert resp.status_code == 200, resp.json
    renamed = fetch(client, sub, **{"If-None-Match": tag})
    assert renamed.status_code == 200 and b"\xc2\xb7 Annie\r\n" in renamed.data


def test_writes_that_bypass_the_services_show_within_a_minute(client, weekly, clock):
    """Validators are reused while no audit entry appears; a TTL bounds what that misses."""
    _rota, _tier2, people, headers = weekly
    sub = subscribe(client, headers, scope="party", party="FR")
    tag = fetch(client, sub).headers["ETag"]

    def rename_behind_the_back() -> None:
        """As a database fix would: the row and its updated_at, but no audit entry."""
        people[0].full_name = "Renamed Behind The Back"
        people[0].updated_at = clock.at
        db.session.flush()

    clock.advance(seconds=1)
    rename_behind_the_back()
    assert fetch(client, sub, **{"If-None-Match": tag}).status_code == 304
    rename_behind_the_back()  # the request rolled the first try back
    clock.advance(seconds=61)
    late = fetch(client, sub, **{"If-None-Match": tag})
    assert late.status_code == 200 and b"Renamed Behind The Back" in late.data


# --- versions: SEQUENCE, LAST-MODIFIED, CANCELLED --------------------------------------------


def test_an_override_bumps_sequence_and_cancels_what_it_replaces(client, weekly, clock):
    rota, _tier2, people, headers = weekly
    dieter = people[3]
    sub = subscribe(client, headers, scope="party", party="FR", tiers=[1])
    before = by_uid(feed_of(client, sub))
    week = datetime(2026, 12, 7, 8, tzinfo=UTC)  # Monday 09:00 Paris: Bruno's week
    (bruno_uid,) = [u for u, e in before.items() if e["DTSTART"].dt == week]
    anne_week = datetime(2026, 11, 30, 8, tzinfo=UTC)
    (anne_uid,) = [u for u, e in before.items() if e["DTSTART"].dt == anne_week]
    assert "Bruno" in str(before[bruno_uid]["SUMMARY"])

    clock.advance(hours=2)
    changed_at = clock.at
    # Dieter takes Bruno's whole week, and the middle of Anne's.
    override(client, headers, rota["id"], dieter.id, "2026-12-07T08:00:00Z", "2026-12-14T08:00:00Z")
    override(client, headers, rota["id"], dieter.id, "2026-12-02T08:00:00Z", "2026-12-03T08:00:00Z")
    after = by_uid(feed_of(client, sub))

    cancelled = after[bruno_uid]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 1
    assert cancelled["LAST-MODIFIED"].dt == changed_at
    assert (cancelled["DTSTART"].dt, cancelled["DTEND"].dt) == (week, week + timedelta(days=7))
    assert "Bruno" in str(cancelled["SUMMARY"])
    shortened = after[anne_uid]
    assert str(shortened["STATUS"]) == "CONFIRMED" and int(shortened["SEQUENCE"]) == 1
    assert shortened["LAST-MODIFIED"].dt == changed_at
    assert shortened["DTEND"].dt == datetime(2026, 12, 2, 8, tzinfo=UTC)
    new = [e for u, e in after.items() if u not in before]
    assert sorted((e["DTSTART"].dt, str(e["SUMMARY"]).split(" · ")[-1]) for e in new) == [
        (datetime(2026, 12, 2, 8, tzinfo=UTC), "Dieter"),
        (datetime(2026, 12, 3, 8, tzinfo=UTC), "Anne"),  # the rest of Anne's week
        (week, "Dieter"),
    ]
    assert all(int(e["SEQUENCE"]) == 0 and "LAST-MODIFIED" not in e for e in new)
    untouched = [u for u in before if u not in (bruno_uid, anne_uid)]
    assert all(int(after[u]["SEQUENCE"]) == 0 for u in untouched)

    # Deleting Bruno's replacement brings his week back under the same UID, one version later.
    listing = client.get(f"/api/v1/rotas/{rota['id']}/overrides", headers=headers).json["items"]
    (whole_week,) = [o for o in listing if o["start"] == "2026-12-07T08:00:00+00:00"]
    clock.advance(hours=1)
    resp = client.delete(f"/api/v1/overrides/{whole_week['id']}", headers=headers)
    assert resp.status_code == 204
    restored = by_uid(feed_of(client, sub))
    assert str(restored[bruno_uid]["STATUS"]) == "CONFIRMED"
    assert int(restored[bruno_uid]["SEQUENCE"]) == 2
    assert restored[bruno_uid]["LAST-MODIFIED"].dt == clock.at
    dieters = [u for u, e in after.items() if u not in before and e["DTSTART"].dt == week]
    assert str(restored[dieters[0]]["STATUS"]) == "CANCELLED"


def test_cancellations_are_sent_for_thirty_days_then_dropped(client, weekly, clock):
    rota, _tier2, people, headers = weekly
    sub = subscribe(client, headers, scope="party", party="FR", tiers=[1])
    override(client, headers, rota["id"], people[3].id, "2027-03-01T08:00:00Z", "2027-03-08T08:00Z")
    uid = next(
        u
        for u, e in by_uid(feed_of(client, sub)).items()
        if "STATUS" in e and str(e["STATUS"]) == "CANCELLED"
    )
    clock.advance(days=29)
    assert uid in by_uid(feed_of(client, sub))
    clock.advance(days=2)
    assert uid not in by_uid(feed_of(client, sub))


def test_removing_a_member_cancels_their_future_shifts(client, weekly, clock):
    rota, _tier2, people, headers = weekly
    sub = subscribe(client, headers, scope="party", party="FR", tiers=[1])
    before = by_uid(feed_of(client, sub))
    rotation_id = client.get(f"/api/v1/rotas/{rota['id']}", headers=headers).json["rotations"][0][
        "id"
    ]
    resp = client.patch(
        f"/api/v1/rotations/{rotation_id}",
        headers=headers,
        json={
            "members": [people[0].id, people[1].id],
            "members_effective_at": "2027-01-01T00:00:00Z",
        },
    )
    assert resp.status_code == 200, resp.json
    after = by_uid(feed_of(client, sub))
    gone = [u for u in before if str(after[u]["STATUS"]) == "CANCELLED"]
    assert gone
    assert all(after[u]["DTSTART"].dt >= datetime(2027, 1, 1, tzinfo=UTC) for u in gone)
    assert any("Carmen" in str(after[u]["SUMMARY"]) for u in gone)


def test_deleting_a_rota_cancels_its_shifts(client, weekly):
    rota, _tier2, _people, headers = weekly
    sub = subscribe(client, headers, scope="party", party="FR", tiers=[1])
    before = by_uid(feed_of(client, sub))
    assert client.delete(f"/api/v1/rotas/{rota['id']}", headers=headers).status_code == 204
    after = by_uid(feed_of(client, sub))
    assert set(after) == set(before)
    assert all(str(e["STATUS"]) == "CANCELLED" and int(e["SEQUENCE"]) == 1 for e in after.values())


def test_the_feed_get_writes_nothing_but_a_throttled_last_use(client, weekly, clock):
    rota, _tier2, people, headers = weekly
    sub = subscribe(client, headers, scope="party", party="FR")
    override(client, headers, rota["id"], people[3].id, "2026-12-07T08:00:00Z", "2026-12-14T08:00Z")

    def state():
        rows = db.session.execute(
            sa.select(PublishedShift.uid, PublishedShift.sequence, PublishedShift.cancelled_at)
        ).all()
        subs = db.session.execute(sa.select(CalendarSubscription.last_used_at)).all()
        return sorted(rows), subs

    db.session.expire_all()
    rows_before, _ = state()
    feed_of(client, sub)
    db.session.expire_all()
    rows_after, subs = state()
    assert rows_after == rows_before
    assert subs == [(clock.at,)]
    first_use = clock.at
    clock.advance(minutes=10)
    feed_of(client, sub)
    db.session.expire_all()
    assert state()[1] == [(first_use,)]  # throttled
    clock.advance(minutes=10)
    tag = fetch(client, sub).headers["ETag"]
    assert fetch(client, sub, **{"If-None-Match": tag}).status_code == 304
    db.session.expire_all()
    assert state()[1] == [(clock.at,)]


# --- identity --------------------------------------------------------------------------------


def test_uids_are_unique_and_stable_as_the_window_slides(client, paris, clock):
    """Office-hour windows split a weekly duty into pieces sharing one scheduled start."""
    _party, people, headers = paris
    rota = new_rota(client, headers)
    add_rotation(
        client,
        headers,
        rota["id"],
        members=[p.id for p in people[:2]],
        start_local="2026-01-05T07:00",
        shift_length="P7D",
        restrictions=[
            {
                "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                "from_local": "08:00",
                "to_local": "18:00",
            }
        ],
    )
    add_rotation(  # a single member, always on: one endless duty
        client,
        headers,
        new_rota(client, headers, tier=2, name="Always Carmen")["id"],
        members=[people[2].id],
        start_local="2026-01-01T00:00",
        shift_length="P1D",
    )
    sub = subscribe(client, headers, scope="party", party="FR")
    first = by_uid(feed_of(client, sub))
    weekday_pieces = [e for e in first.values() if "Duty officer" in str(e["SUMMARY"])]
    assert len(weekday_pieces) > 250  # five a week
    spans = {u: (e["DTSTART"].dt, e["DTEND"].dt) for u, e in first.items()}
    for days in (1, 6, 13, 27):
        clock.advance(days=days)
        later = by_uid(feed_of(client, sub))
        since, _until = window(clock)
        for uid, (start, end) in spans.items():
            if start >= since and uid in later:
                assert (later[uid]["DTSTART"].dt, later[uid]["DTEND"].dt) == (start, end)
        still_there = [(s, e) for s, e in spans.values() if s >= since]
        assert sum(1 for u in spans if u in later and spans[u][0] >= since) == len(still_there)


# --- text --------------------------------------------------------------------------------------

HOSTILE = [
    "Александра Преображенская-Белозерская, дежурный; второй уровень",
    "Παναγιώτης Χατζηδημητρίου-Καραμανλής; Υπεύθυνος, Βάρδιας",
    "ალექსანდრე ჯავახიშვილი, მორიგე ოფიცერი; კიბერდანაშაული",
    "عبد الرحمن بن محمد الهاشمي، ضابط المناوبة؛ نقطة الاتصال",
    'Jeanne "JJ" Martin, back\\slash; semi',
]


def test_hostile_names_are_escaped_and_folded(client, paris, clock):
    party, _people, headers = paris
    hostile = [make_person(party, name) for name in HOSTILE]
    rota = new_rota(client, headers, name="Duty, officer; \\night\\")
    add_rotation(
        client,
        headers,
        rota["id"],
        members=[p.id for p in hostile],
        start_local="2026-01-01T08:00",
        shift_length="P1D",
    )
    data = feed_of(client, subscribe(client, headers, scope="party", party="FR"))
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    for line in lines[:-1]:
        assert len(line) <= 75, line
        line.decode("utf-8")  # no multi-byte character split by a fold
    assert "Duty\\, officer\\; \\\\night\\\\" in data.replace(b"\r\n ", b"").decode()
    since, until = window(clock)
    summaries = {str(e["SUMMARY"]) for e in events(data, since, until)}
    assert summaries == {f"France · Duty, officer; \\night\\ (tier 1) · {name}" for name in HOSTILE}


def test_removing_a_user_removes_their_subscriptions(client, weekly):
    user, headers = make_user("member")
    sub = subscribe(client, headers, scope="party", party="FR")
    db.session.delete(db.session.get(User, user.id))
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalendarSubscription)) == 0
    assert fetch(client, sub).status_code == 404


@pytest.mark.own_app
def test_feed_and_304_on_the_apps_own_engine(fresh_database_url):
    """Outside the test transaction: PostgreSQL reads the token in autocommit."""
    from flask_migrate import upgrade

    from tests.conftest import make_app

    app = make_app(fresh_database_url)
    with app.app_context():
        upgrade(revision="heads")
        make_party("FR", "France")
        _user, headers = make_user("member")
    client = app.test_client()
    created = client.post(
        "/api/v1/calendar-subscriptions", headers=headers, json={"scope": "party", "party": "FR"}
    )
    assert created.status_code == 201, created.json
    path = urlsplit(created.json["url"]).path
    first = client.get(path)
    assert first.status_code == 200
    assert first.data.startswith(b"BEGIN:VCALENDAR")
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(path[:-10] + "x" * 6 + ".ics").status_code == 404
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
