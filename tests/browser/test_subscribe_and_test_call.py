"""Calendars and reachability in a real browser (Debian's Chromium): subscribe to a Party's
rota and read the feed over plain HTTP; run a test call through the fake Twilio and watch its
outcome arrive; plan a campaign, watch it progress and read its report."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from common.db import db
from reachability.models import Campaign
from tests.browser.conftest import NOW, LiveServer, needs_chromium, screenshot, seed
from tests.conftest import Clock, make_app
from tests.fakes.fake_twilio import FakeTwilio, Scenario

pytestmark = [pytest.mark.browser, pytest.mark.own_app, needs_chromium]

US_DESK = "+12025550123"
DE_DESK = "+49301234567"


@pytest.fixture(scope="module")
def live(browser_database_url: str) -> Iterator[LiveServer]:
    """The app with telephony pointed at the fake Twilio, which calls back the app's own URL."""
    clock = Clock(NOW)
    with FakeTwilio(webhook_timeout_s=5.0, clock=clock) as fake:
        app = make_app(
            browser_database_url,
            TWILIO_ACCOUNT_SID=fake.account_sid,
            TWILIO_AUTH_TOKEN=fake.auth_token,
            TWILIO_FROM_NUMBER="+15005550006",
            TWILIO_API_BASE_URL=fake.base_url,
            CALLS_PER_SECOND=50,
        )
        app.config["CLOCK"] = clock
        with app.app_context():
            upgrade(revision="heads")
            data = seed(NOW)
            db.session.remove()
        server = LiveServer(app, clock, data)
        app.config["PUBLIC_BASE_URL"] = server.url  # what Twilio calls back, and feeds' URLs
        server.fake = fake  # type: ignore[attr-defined]
        with server:
            yield server
        with app.app_context():
            db.engine.dispose()


def _fits(page, width: int = 360) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide"


def _get(url: str) -> tuple[int, str]:
    """A plain HTTP GET, as a calendar app makes it (no cookie, no browser)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 -- our test server
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_subscribe_to_a_partys_rota_and_read_the_feed(desktop, phone, live, expect):
    page = desktop
    page.goto(live.url + "/parties/FR")
    section = page.locator("section.calendar-card")
    expect(section.get_by_role("heading", name="Calendar")).to_be_visible()
    screenshot(page, "party-subscribe-desktop")
    # Keyboard only: focus the button and press Enter.
    section.get_by_role("button", name="Subscribe to tier 1").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your new calendar")

    webcal = page.locator("#webcal-link").get_attribute("href")
    url = page.get_by_label(re.compile("^Or paste this address")).input_value()
    assert url.startswith(live.url + "/calendars/art35cal_") and url.endswith(".ics")
    assert webcal == "webcal://" + url.split("://", 1)[1]
    assert "Art35 · France · tier 1" in page.locator("#new-calendar").inner_text()
    screenshot(page, "calendar-subscribed-desktop")

    status, body = _get(url)
    assert status == 200
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.rstrip().endswith("END:VCALENDAR")
    assert "SUMMARY:France · Duty officer (tier 1) · Bruno Petit" in body
    assert "Phone:" not in body  # no contacts were asked for

    page.get_by_role("link", name="My calendar subscriptions").click()
    row = page.locator("table.subscriptions tbody tr", has_text="Art35 · France · tier 1")
    expect(row).to_contain_text("Tue, 1 Dec 2026")  # created and just read by "the calendar"
    assert "never" not in row.inner_text()
    row.get_by_role("button", name=re.compile("^Revoke")).click()
    expect(page.get_by_role("status").first).to_contain_text("is revoked")
    assert _get(url)[0] == 404

    phone.goto(live.url + "/parties/FR")
    expect(phone.locator("section.calendar-card")).to_be_visible()
    _fits(phone)
    screenshot(phone, "party-subscribe-phone")


def test_a_test_call_is_confirmed_on_the_page_without_a_reload(desktop, live, expect):
    page = desktop
    anne = live.data["people"]["Anne Dupont"]
    page.goto(live.url + "/parties/FR")
    page.evaluate("window.stillTheSamePage = true")
    card = page.locator(f"#person-{anne}")
    card.get_by_role("button", name="Test call Anne Dupont").click()

    result = page.locator(f"#call-result-{anne}")
    expect(result).to_contain_text("Test call to Anne Dupont, +33 6 12 34 56 01:")
    expect(result.locator(".call-state")).to_have_text("confirmed (pressed 1)", timeout=15_000)
    assert page.evaluate("window.stillTheSamePage") is True
    [call] = [c for c in live.fake.calls if c["to"] == "+33612345601"]
    assert live.fake.digits(call["sid"]) == ["1"]
    assert live.fake.spoken(call["sid"])[0][1] == "fr-FR"  # Anne speaks French first
    screenshot(page, "test-call-confirmed-desktop")

    # Again within ten minutes: refused, and said so next to the button.
    card.get_by_role("button", name="Test call Anne Dupont").click()
    expect(result.get_by_role("alert")).to_contain_text(
        "already test-called less than 10 minutes ago. Try again in 10 minutes."
    )
    assert len([c for c in live.fake.calls if c["to"] == "+33612345601"]) == 1

    page.reload()
    history = page.locator("section.reachability-card")
    expect(history).to_contain_text("Last confirmed by a test call: Tue, 1 Dec 2026 12:00.")
    row = history.locator("table.calls tbody tr").first
    expect(row).to_contain_text("Anne Dupont")
    expect(row).to_contain_text("confirmed (pressed 1)")
    expect(page.locator(f"#person-{anne}")).to_contain_text("Last confirmed reachable")
    screenshot(page, "party-reachability-desktop")


def _run_campaign(live: LiveServer, campaign_id: int) -> None:
    """The worker's passes (`flask reachability tick`) until every Party is done."""
    app = live.app
    runner = app.test_cli_runner()
    for _pass in range(10):
        result = runner.invoke(args=["reachability", "tick", "--name", "browser-worker"])
        assert result.exit_code == 0, result.output
        live.fake.wait_idle(10)
        with app.app_context():
            status = db.session.get(Campaign, campaign_id).status
            db.session.remove()
        if status == "done":
            return
    raise AssertionError("the campaign did not finish")


def _drill(live: LiveServer, month: str, parties: list[str]) -> None:
    """A past month's campaign, its calls packed at the current instant, run to its end."""
    from reachability import service

    with live.app.app_context():
        at = live.clock()
        campaign = service.create_campaign(
            None, month, parties, "any-time", at, live.app.config, start_at=at
        )
        db.session.commit()
        campaign_id = campaign.id
        db.session.remove()
    _run_campaign(live, campaign_id)


def test_plan_a_campaign_watch_it_and_read_the_report(desktop, phone, live, expect):
    # Two earlier months, for the chart: everyone answers in October; in November Germany's
    # desk line is busy and nobody answers in the United States.
    _drill(live, "2026-10", ["FR", "DE"])
    live.fake.set_scenario(DE_DESK, Scenario("busy"))
    live.fake.set_scenario(US_DESK, Scenario("no_answer"))
    _drill(live, "2026-11", ["FR", "DE", "US"])
    live.fake.set_scenario(DE_DESK, Scenario("confirm"))

    page = desktop
    page.clock.install()
    page.goto(live.url + "/campaigns")
    page.get_by_label("Month (required)").fill("2026-12")
    page.get_by_label("any time (24/7)").check()
    page.get_by_text("Choose the Parties").click()
    for name in ("France", "Germany", "United States"):
        page.get_by_label(name, exact=True).check()
    page.get_by_role("button", name="Plan the campaign").click()
    page.wait_for_url(re.compile(r"/campaigns/\d+$"))
    campaign_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("status").first).to_contain_text(
        "The campaign of December 2026 is planned: 3 Parties."
    )
    expect(page.locator("[data-field=status]")).to_have_text("planned")
    page.evaluate("window.stillTheSamePage = true")

    # The month goes by: the worker calls each Party (the US desk line still does not answer).
    live.clock.set(datetime(2027, 1, 1, 6, 0, tzinfo=UTC))
    _run_campaign(live, campaign_id)
    page.clock.run_for(5_000)  # the page's next look at the API

    expect(page.locator("[data-field=status]")).to_have_text("finished")
    expect(page.locator("[data-count=done]")).to_have_text("3")
    expect(page.locator('tr[data-party="US"] .slot-outcome')).to_have_text("no answer")
    expect(page.locator('tr[data-party="FR"] .slot-outcome')).to_have_text("confirmed (pressed 1)")
    assert page.evaluate("window.stillTheSamePage") is True
    screenshot(page, "campaign-progress-desktop")

    page.get_by_role("link", name="Report", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Report of the campaign of December 2026"
    )
    expect(page.locator("#reach-rate")).to_have_text("66.7%")
    bars = page.locator("svg.bars g.bar")
    assert [bars.nth(i).get_attribute("data-month") for i in range(3)] == [
        "2026-10",
        "2026-11",
        "2026-12",
    ]
    assert page.locator("svg.bars g.bar.current").get_attribute("data-month") == "2026-12"
    assert page.locator("svg.bars desc").text_content() == (
        "Oct 2026: 100%; Nov 2026: 33.3%; Dec 2026: 66.7%"
    )
    assert page.locator("svg.bars").get_attribute("role") == "img"
    germany = page.locator('table.report tr[data-party="DE"]')
    expect(germany).to_contain_text("confirmed (pressed 1)")
    expect(germany).to_contain_text("the desk line")
    screenshot(page, "campaign-report-desktop")

    href = page.get_by_role("link", name="Download the report (CSV)").get_attribute("href")
    csv = page.context.request.get(live.url + href)
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text().splitlines()
    assert lines[0].startswith("party,party_name,outcome,reached,phone")
    assert lines[-1].startswith('TOTAL,"3 Parties, 3 done",reach rate 66.7%')

    phone.goto(f"{live.url}/campaigns/{campaign_id}/report")
    expect(phone.locator("#reach-rate")).to_have_text("66.7%")
    _fits(phone)
    screenshot(phone, "campaign-report-phone")
    phone.goto(f"{live.url}/campaigns")
    _fits(phone)
    screenshot(phone, "campaigns-phone")
    try:  # French words are longer: the pages still fit
        for path in (f"/campaigns/{campaign_id}/report", "/parties/FR", "/campaigns"):
            phone.goto(f"{live.url}{path}?lang=fr")
            _fits(phone)
        expect(phone.get_by_role("heading", level=1)).to_have_text("Campagnes de joignabilité")
        screenshot(phone, "campaigns-phone-fr")
    finally:
        phone.goto(f"{live.url}/campaigns?lang=en")
    with live.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 3
        db.session.remove()
