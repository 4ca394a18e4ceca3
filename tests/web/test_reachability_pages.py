"""Reachability pages: the "Test call" button and a Party's history; campaigns and reports."""

from __future__ import annotations

import html as htmllib
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from common.db import db
from reachability import service
from reachability.models import Attempt, Campaign
from reachability.placer import PlacedCall
from tests.conftest import make_party, make_person, make_user
from tests.web.conftest import CSRF, field_error, form, sign_in

SID = "CA" + "5" * 32


class StubPlacer:
    """Telephony that accepts every call (what happens next is applied by the test)."""

    def __init__(self) -> None:
        self.placed: list[str] = []

    def place(self, request) -> PlacedCall:
        self.placed.append(request.to)
        return PlacedCall(SID[: -len(str(len(self.placed)))] + str(len(self.placed)), "queued")

    def fetch(self, sid):  # pragma: no cover - not reached by these tests
        raise AssertionError("not expected")

    def find_calls(self, to, created_after):  # pragma: no cover
        return []


@pytest.fixture
def telephony(app, monkeypatch) -> StubPlacer:
    """Telephony configured, calls placed by a stub (the live fake Twilio is the browser's)."""
    placer = StubPlacer()
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "token")
    monkeypatch.setitem(app.config, "TWILIO_FROM_NUMBER", "+15005550006")
    monkeypatch.setattr("reachability.dialer.call_placer_from_config", lambda config: placer)
    return placer


def _attempts() -> list[Attempt]:
    return list(db.session.scalars(sa.select(Attempt).order_by(Attempt.id)))


def _person_card(page: str, person_id: int) -> str:
    return page.split(f'id="person-{person_id}"')[1].split('class="person-card')[0]


def _call(client, person_id: int, **fields):
    return client.post(f"/people/{person_id}/test-call", data=form(**fields))


# --- the button ------------------------------------------------------------------------------


def test_the_test_call_button_is_for_the_secretariat_and_the_partys_admins(
    client, france_rota, secretariat_user, now
):
    party, people, _rota = france_rota
    germany = make_party("DE", "Germany")
    anne = people[0]
    silent = make_person(party, "Dora Sans Téléphone", phone=None)
    button = f'action="/people/{anne.id}/test-call"'
    for user, shown in (
        (secretariat_user, True),
        (make_user("party_admin", party)[0], True),
        (make_user("party_admin", germany)[0], False),
        (make_user("member")[0], False),
    ):
        sign_in(client, user)
        page = client.get("/parties/FR").text
        assert (button in page) is shown, user.role
        assert f'action="/people/{silent.id}/test-call"' not in page  # nobody to call
    sign_in(client, secretariat_user)
    card = _person_card(client.get("/parties/FR").text, anne.id)
    assert 'Test call<span class="visually-hidden"> Anne Dupont</span>' in card
    assert f'data-test-call="#call-result-{anne.id}"' in card
    assert f'id="call-result-{anne.id}" aria-live="polite"' in card


def test_members_and_other_admins_cannot_ask_for_a_test_call(client, france_rota, telephony):
    _party, people, _rota = france_rota
    germany = make_party("DE", "Germany")
    for user in (make_user("member")[0], make_user("party_admin", germany)[0]):
        sign_in(client, user)
        resp = _call(client, people[0].id)
        assert resp.status_code == 403
        assert "you may change only your own Party" in resp.text
    assert _attempts() == [] and telephony.placed == []


def test_a_test_call_needs_the_form_token(signed_in, france_rota, telephony):
    _party, people, _rota = france_rota
    resp = signed_in.post(f"/people/{people[0].id}/test-call", data={})
    assert resp.status_code == 400
    assert _attempts() == [] and telephony.placed == []


def test_without_telephony_the_page_says_so_and_records_nothing(signed_in, france_rota):
    _party, people, _rota = france_rota
    resp = _call(signed_in, people[0].id)
    assert resp.status_code == 503
    assert "telephony is not configured on this server" in resp.text
    fragment = signed_in.post(
        f"/people/{people[0].id}/test-call", data=form(), headers={"X-Fragment": "1"}
    )
    assert fragment.status_code == 503
    assert fragment.text.lstrip().startswith('<div class="call-status is-error" role="alert">')
    assert "<html" not in fragment.text
    assert _attempts() == []


def test_a_test_call_is_placed_followed_and_its_outcome_shown(
    client, france_rota, telephony, app, now
):
    party, people, _rota = france_rota
    anne = people[0]
    admin = make_user("party_admin", party)[0]
    sign_in(client, admin)

    resp = _call(client, anne.id)

    assert resp.status_code == 303
    [attempt] = _attempts()
    assert resp.headers["Location"] == f"/test-calls/{attempt.id}"
    assert telephony.placed == ["+33612345601"]
    assert (attempt.state, attempt.requested_by) == ("placed", admin.email)
    page = client.get(f"/test-calls/{attempt.id}").text
    status = page.split('class="call-status')[1].split("</div>")[0]
    assert f'data-attempt-url="/api/v1/reachability/test-calls/{attempt.id}"' in status
    assert 'data-state="placed"' in status
    assert "Test call to Anne Dupont, +33 6 12 34 56 01:" in status and "calling…" in status
    # The page's script reads the API with the session alone; writes there need the header.
    api = client.get(f"/api/v1/reachability/test-calls/{attempt.id}")
    assert api.status_code == 200 and api.json["state"] == "placed"
    no_header = client.post("/api/v1/reachability/test-calls", json={"person_id": anne.id})
    assert no_header.status_code == 403

    # Anne presses 1 (Twilio's gather callback).
    service.record_gather(attempt, {"CallSid": attempt.twilio_sid, "Digits": "1"}, now, app.config)
    db.session.commit()
    status = client.get(f"/test-calls/{attempt.id}").text.split('class="call-status')[1]
    assert status.startswith(" is-ok")
    assert "confirmed (pressed 1)" in status.split("</div>")[0]
    assert (
        client.get(f"/api/v1/reachability/test-calls/{attempt.id}").json["outcome"] == "confirmed"
    )

    # The Party page's history lists it; a second call within ten minutes is refused.
    history = client.get("/parties/FR").text.split('id="reachability-h"')[1].split("</section>")[0]
    row = history.split(f'id="history-call-{attempt.id}"')[1].split("</tr>")[0]
    assert "Anne Dupont" in row and "+33 6 12 34 56 01" in row
    assert "confirmed (pressed 1)" in row and admin.email in row and "test call" in row
    assert "Last confirmed by a test call: Tue, 1 Dec 2026 12:00." in history

    again = _call(client, anne.id)
    assert again.status_code == 429
    assert again.headers["Retry-After"] == "600"
    assert "already test-called less than 10 minutes ago. Try again in 10 minutes." in again.text
    assert len(_attempts()) == 1 and telephony.placed == ["+33612345601"]


def test_the_script_gets_a_fragment_to_put_next_to_the_button(
    client, france_rota, telephony, secretariat_user
):
    _party, people, _rota = france_rota
    carmen = people[2]
    sign_in(client, secretariat_user)

    resp = client.post(
        f"/people/{carmen.id}/test-call",
        data=form(phone="+33612345603"),
        headers={"X-Fragment": "1"},
    )

    assert resp.status_code == 201
    [attempt] = _attempts()
    assert resp.text.lstrip().startswith('<div class="call-status" id="call-')
    assert f'data-attempt-url="/api/v1/reachability/test-calls/{attempt.id}"' in resp.text
    labels = json.loads(htmllib.unescape(re.search(r"data-labels='([^']+)'", resp.text)[1]))
    assert labels["outcomes"]["confirmed"] == "confirmed (pressed 1)"
    assert labels["states"]["placed"] == "calling…"
    # Another number than the person's own is refused next to the button.
    wrong = client.post(
        f"/people/{carmen.id}/test-call",
        data=form(phone="+33699999999"),
        headers={"X-Fragment": "1"},
    )
    assert wrong.status_code == 422
    assert "+33699999999 is not one of Carmen Ruiz&#39;s numbers" in wrong.text
    assert len(_attempts()) == 1


# --- campaigns --------------------------------------------------------------------------------


@pytest.fixture
def three_parties(france_rota, germany):
    """France (a rota), Germany (a desk line only), the United States (nothing at all)."""
    france, _people, _rota = france_rota
    usa = make_party("US", "United States")
    return france, germany, usa


def _campaign_form(**fields):
    return form(**{"month": "2026-12", "window": "any-time", **fields})


def test_only_the_secretariat_plans_campaigns(client, three_parties, now):
    france = three_parties[0]
    for user in (make_user("member")[0], make_user("party_admin", france)[0]):
        sign_in(client, user)
        page = client.get("/campaigns")
        assert page.status_code == 200  # reports are open to every role, as in the API
        assert 'action="/campaigns/new"' not in page.text
        assert 'href="/campaigns"' not in page.text  # not in their menu
        resp = client.post("/campaigns/new", data=_campaign_form())
        assert resp.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


def test_plan_a_campaign_and_watch_it(signed_in, three_parties, now):
    page = signed_in.get("/campaigns").text
    assert 'href="/campaigns" aria-current="page">Campaigns</a>' in page  # the secretariat's menu
    assert 'id="f-month"' in page and 'value="2027-01"' in page  # next month by default
    assert 'type="month"' in page

    resp = signed_in.post(
        "/campaigns/new", data=_campaign_form(parties=["FR", "DE"], window="office-hours")
    )

    assert resp.status_code == 302
    campaign = db.session.scalars(sa.select(Campaign)).one()
    assert resp.headers["Location"] == f"/campaigns/{campaign.id}"
    assert (campaign.month, campaign.time_window, campaign.parties) == (
        "2026-12",
        "office-hours",
        ["FR", "DE"],
    )
    page = signed_in.get(resp.headers["Location"]).text
    assert "The campaign of December 2026 is planned: 2 Parties." in page
    live = page.split('id="campaign-live"')[1].split(">")[0]
    assert f'data-campaign-url="/api/v1/reachability/campaigns/{campaign.id}"' in live
    assert 'data-status="planned"' in live
    rows = re.findall(r'<tr data-party="(\w\w)">', page)
    assert sorted(rows) == ["DE", "FR"]
    france = page.split('<tr data-party="FR">')[1].split("</tr>")[0]
    assert "Europe/Paris" in france and "planned" in france
    # In the Party's time (the contact point gives no office hours, so any hour will do).
    assert re.search(r"Dec 2026 \d\d:\d\d", france)
    assert (
        signed_in.get(f"/api/v1/reachability/campaigns/{campaign.id}").json["status"] == "planned"
    )
    assert "December 2026" in signed_in.get("/campaigns").text


def test_every_party_with_the_status_party_by_default(signed_in, three_parties, now):
    resp = signed_in.post("/campaigns/new", data=_campaign_form())
    assert resp.status_code == 302
    assert db.session.scalars(sa.select(Campaign)).one().parties == ["DE", "FR", "US"]


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"month": "2026-13"}, "month", "the month must be between 01 and 12"),
        ({"month": "December"}, "month", "must be a month such as 2026-12"),
        ({"month": "2026-11"}, "month", "2026-11 is over: no time is left to call DE"),
        ({"parties": ["FR", "ZZ"]}, "parties", "there is no Party ZZ"),
        ({"window": "nights"}, "window", "Must be one of: office-hours, any-time."),
    ],
)
def test_a_bad_campaign_is_shown_next_to_its_field(signed_in, three_parties, fields, field, reason):
    resp = signed_in.post("/campaigns/new", data=_campaign_form(**fields))
    assert resp.status_code == 422
    assert field_error(resp.text, field) == reason
    assert 'id="error-summary"' in resp.text
    if "parties" in fields:
        assert 'value="FR" checked' in resp.text  # what was chosen stays chosen
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


def test_a_campaign_needs_the_form_token(signed_in, three_parties):
    data = _campaign_form()
    data.pop("_csrf")
    assert signed_in.post("/campaigns/new", data=data).status_code == 400
    assert signed_in.post("/campaigns/new", data={**data, "_csrf": CSRF + "x"}).status_code == 400


def _run(campaign: Campaign, now, config, sid: str) -> None:
    """Take each slot's steps as the worker would; Twilio says France pressed 1 and Germany's
    desk line answered without pressing 1 (the United States has nobody to call)."""
    for slot in campaign.slots:
        claimed = service.claim_slot(slot.id, slot.next_step_at)
        attempt = service.advance_slot(claimed, now, config, telephony_on=True)
        if attempt is None:
            continue
        service.record_placed(attempt, f"{sid}{slot.party.iso2}", now)
        form = {"CallSid": attempt.twilio_sid}
        if slot.party.iso2 == "FR":
            service.record_gather(attempt, {**form, "Digits": "1"}, now, config)
        else:
            service.record_status(attempt, {**form, "CallStatus": "completed"}, now, config)
    db.session.commit()


def test_the_report_with_its_chart_table_and_csv(signed_in, three_parties, app, now, clock):
    october = service.create_campaign(
        None, "2026-10", ["FR", "US"], "any-time", now, app.config, start_at=now
    )
    _run(october, now, app.config, "CA" + "a" * 28)
    clock.advance(minutes=20)
    december = service.create_campaign(
        None, "2026-12", None, "any-time", clock.at, app.config, start_at=clock.at
    )
    _run(december, clock.at, app.config, "CA" + "b" * 28)

    page = signed_in.get(f"/campaigns/{december.id}/report").text

    assert "Report of the campaign of December 2026" in page
    # The headline is the confirmed rate; answered (pressing 1 or not) comes second.
    assert '<span class="figure outcome-confirmed" id="confirm-rate">33.3%</span>' in page
    assert "confirmed: 1 of 3 Parties pressed 1." in page
    assert '<span class="figure" id="reach-rate">66.7%</span>' in page
    assert page.index('id="confirm-rate"') < page.index('id="reach-rate"')
    assert "answered: 2 of 3 Parties picked up" in page
    rows = dict(re.findall(r'<tr data-party="(\w\w)">(.*?)</tr>', page, re.S))
    assert list(rows) == ["FR", "DE", "US"]  # France, Germany, United States: by name
    assert "confirmed (pressed 1)" in rows["FR"] and "Bruno Petit" in rows["FR"]
    assert 'href="tel:+33612345602"' in rows["FR"] and "tier 1" in rows["FR"]
    assert "answered, did not press 1" in rows["DE"] and "the desk line" in rows["DE"]
    assert "not tested" in rows["US"] and "no tier-1 rota" in rows["US"]
    # The chart: one bar per month, this campaign's month marked, the same figures as a table.
    bars = re.findall(r'<g class="bar( current)?" data-month="([\d-]+)" data-rate="([\d.]*)"', page)
    assert bars == [("", "2026-10", "0.5"), (" current", "2026-12", "0.6666666666666666")]
    assert 'role="img"' in page.split('class="bars"')[1].split(">")[0]
    assert "Oct 2026: 50%; Dec 2026: 66.7%" in page  # the picture's description
    table = page.split('class="chart-table"')[1].split("</table>")[0]
    assert ">October 2026</th>" in table and ">December 2026</th>" in table
    # The CSV download is the API's report, byte for byte.
    csv = signed_in.get(f"/campaigns/{december.id}/report.csv")
    assert csv.mimetype == "text/csv"
    assert "attachment" in csv.headers["Content-Disposition"]
    api = signed_in.get(
        f"/api/v1/reachability/campaigns/{december.id}/report", headers={"Accept": "text/csv"}
    )
    assert csv.data == api.data
    assert csv.text.splitlines()[-1].startswith('TOTAL,"3 Parties, 3 done",reach rate 66.7%')
    assert f'href="/campaigns/{december.id}/report.csv"' in page

    # The progress page and the list agree; the Party page links its result to the report.
    progress = signed_in.get(f"/campaigns/{december.id}").text
    assert 'data-status="done"' in progress
    assert '<strong data-count="done">3</strong>' in progress
    listing = signed_in.get("/campaigns").text
    assert "66.7%" in listing and "50%" in listing
    party = signed_in.get("/parties/FR").text.split('id="reachability-h"')[1].split("</section>")[0]
    assert f'href="/campaigns/{december.id}/report">December 2026</a>' in party
    assert f'href="/campaigns/{october.id}/report">October 2026</a>' in party


def test_the_report_in_french(client, three_parties, secretariat_user, app, now):
    campaign = service.create_campaign(
        None, "2026-12", ["FR"], "any-time", now, app.config, start_at=now
    )
    _run(campaign, now, app.config, "CA" + "c" * 28)
    sign_in(client, secretariat_user, lang="fr")
    page = client.get(f"/campaigns/{campaign.id}/report").text
    assert "décembre 2026" in page
    assert '<span class="figure outcome-confirmed" id="confirm-rate">100\u00a0%</span>' in page
    assert "confirmé (a appuyé sur 1)" in page


def test_unknown_campaigns_and_calls_are_404(signed_in, now):
    for url in ("/campaigns/999", "/campaigns/999/report", "/campaigns/999/report.csv"):
        assert signed_in.get(url).status_code == 404
    assert signed_in.get("/test-calls/999").status_code == 404
    assert signed_in.post("/people/999/test-call", data=form()).status_code == 404


def test_history_shows_campaign_calls_without_a_link(signed_in, three_parties, app, now):
    campaign = service.create_campaign(
        None, "2026-12", ["FR"], "any-time", now, app.config, start_at=now
    )
    _run(campaign, now + timedelta(seconds=1), app.config, "CA" + "d" * 28)
    history = signed_in.get("/parties/FR").text.split('id="reachability-h"')[1]
    row = history.split('id="history-call-')[1].split("</tr>")[0]
    assert "campaign" in row and "/test-calls/" not in row


def test_the_monthly_schedules_campaign_says_so(signed_in, three_parties, app, now):
    campaign, made = service.schedule_monthly(now, "office-hours", app.config)
    db.session.commit()
    assert made
    row = signed_in.get("/campaigns").text.split(f'id="campaign-{campaign.id}"')[1]
    assert "January 2027" in row.split("</tr>")[0]
    assert "the monthly schedule" in row.split("</tr>")[0]
    assert "office hours" in row.split("</tr>")[0]


def test_a_month_not_run_is_not_a_zero_bar(signed_in, three_parties, app, now):
    campaign = service.create_campaign(None, "2027-01", ["FR"], "any-time", now, app.config)
    db.session.commit()

    listing = signed_in.get("/campaigns").text
    report = signed_in.get(f"/campaigns/{campaign.id}/report").text

    bar = listing.split('data-month="2027-01"')[1].split("</g>")[0]
    assert "not run" in bar and "<rect" not in bar
    assert '<span class="figure not-run" id="confirm-rate">not run</span>' in report
    assert "0%" not in report.split('id="totals-h"')[1].split("</section>")[0]


def test_report_rows_follow_the_readers_language(client, three_parties, secretariat_user, app, now):
    campaign = service.create_campaign(
        None, "2026-12", None, "any-time", now, app.config, start_at=now
    )
    _run(campaign, now, app.config, "CA" + "e" * 28)
    sign_in(client, secretariat_user, lang="fr")
    page = client.get(f"/campaigns/{campaign.id}/report").text
    rows = re.findall(r'<tr data-party="(\w\w)">', page)
    assert rows == ["DE", "US", "FR"]  # Allemagne, États-Unis, France
