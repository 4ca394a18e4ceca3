"""The duty board in a pocket (issue 13), in Chromium at 360 px and 1280 px: filters by English and
French name and ISO code, favourites, focus and filter kept across a refresh, the stale warning,
timeline labels of at least 12 px, a month planned once, a campaign cancelled."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.conftest import needs_chromium, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.own_app, needs_chromium]


def visible_rows(page: Any) -> list[str]:
    """The ISO codes of the board's rows a reader can see (rendered, not hidden)."""
    return page.eval_on_selector_all(
        "tr[id^=row-]",
        "rows => rows.filter(r => r.offsetParent !== null && r.getClientRects().length)"
        ".map(r => r.id.slice(4))",
    )


def rows_become(page: Any, expected: list[str], timeout: float = 5.0) -> list[str]:
    """Wait until the visible rows are `expected` (typing may ask the server once)."""
    deadline = time.monotonic() + timeout
    seen = visible_rows(page)
    while seen != expected and time.monotonic() < deadline:
        page.wait_for_timeout(50)
        seen = visible_rows(page)
    return seen


def test_phone_filters_by_english_and_french_name_and_iso_code(phone, live):
    page = phone
    page.goto(live.url + "/")
    assert sorted(visible_rows(page)) == ["DE", "FR", "US"]
    box = page.get_by_label("Country")
    for typed, expected in (
        ("germ", ["DE"]),
        ("Allemagne", ["DE"]),
        ("us", ["US"]),
        ("etats-unis", ["US"]),
        ("fr", ["FR"]),
        ("zz", []),
    ):
        box.fill(typed)
        assert rows_become(page, expected) == expected, typed
    box.fill("")
    assert sorted(rows_become(page, ["DE", "US", "FR"])) == ["DE", "FR", "US"]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    # One thumb: the call button is big and the first thing after who is on duty.
    call = page.locator("#row-FR a.call").first
    box_ = call.bounding_box()
    assert box_["height"] >= 44 and box_["width"] >= 200
    screenshot(page, "board-phone-filtered")


def test_the_filter_works_without_javascript(browser, live, signed_in_state):
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        java_script_enabled=False,
        storage_state=signed_in_state,
    )
    page = context.new_page()
    page.goto(live.url + "/?q=allemagne")
    assert visible_rows(page) == ["DE"]
    page.goto(live.url + "/?q=US&speaks=")
    assert visible_rows(page) == ["US"]
    context.close()


def test_favourites_are_pinned_on_top_and_remembered(phone, live):
    page = phone
    page.goto(live.url + "/")
    page.locator("#pin-US").click()
    page.locator("section.pinned #row-US").wait_for()
    assert page.locator("#pin-US").get_attribute("aria-pressed") == "true"
    assert page.evaluate("document.activeElement.id") == "pin-US"
    first = page.locator("tr[id^=row-]").first.get_attribute("id")
    assert first == "row-US"
    page.reload()  # remembered by the server, for this user
    assert page.locator("section.pinned tr[id^=row-]").evaluate_all(
        "rows => rows.map(r => r.id)"
    ) == ["row-US"]
    screenshot(page, "board-phone-favourite")
    page.locator("#pin-US").click()
    page.locator("section.pinned").wait_for(state="detached")


def test_favourites_without_javascript(browser, live, signed_in_state):
    context = browser.new_context(java_script_enabled=False, storage_state=signed_in_state)
    page = context.new_page()
    page.goto(live.url + "/")
    page.locator("#pin-DE").click()
    assert page.locator("section.pinned #row-DE").count() == 1
    page.locator("#pin-DE").click()
    assert page.locator("section.pinned").count() == 0
    context.close()


def test_focus_filter_and_scroll_are_kept_across_a_refresh(phone, live, expect):
    page = phone
    page.clock.install()
    page.goto(live.url + "/?q=fr")
    assert visible_rows(page) == ["FR"]
    link = page.locator("#row-FR a.call").first
    link.focus()
    page.evaluate("window.stillTheSamePage = true")
    page.clock.run_for(61_000)  # the minute refresh
    expect(page.locator("#board-updated-at")).to_be_visible()
    page.wait_for_timeout(300)
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.get_by_label("Country").input_value() == "fr"
    assert visible_rows(page) == ["FR"]
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == link.get_attribute("href")
    assert page.evaluate("document.activeElement.closest('tr').id") == "row-FR"


def test_a_failed_refresh_says_the_board_is_stale(phone, live, expect):
    page = phone
    page.goto(live.url + "/")
    stale = page.locator("#board-stale")
    assert stale.is_hidden()
    page.route("**/board/rows*", lambda route: route.abort())
    page.get_by_role("button", name="Refresh now").click()
    expect(stale).to_be_visible()
    expect(stale).to_contain_text("Not updated since")
    assert page.locator("#board-updated-at").is_visible()  # "Updated at hh:mm" stays
    screenshot(page, "board-phone-stale")
    page.unroute("**/board/rows*")
    page.get_by_role("button", name="Refresh now").click()
    expect(stale).to_be_hidden()


def test_the_updated_time_stays_in_view_while_scrolling(phone, live):
    page = phone
    page.goto(live.url + "/")
    page.mouse.wheel(0, 2000)
    page.wait_for_timeout(200)
    top = page.locator("#board-status").bounding_box()["y"]
    assert 0 <= top < 740


def _label_sizes(page: Any) -> list[float]:
    """On-screen size (px) of every visible timeline label: picture font size × picture scale."""
    return page.eval_on_selector_all(
        "svg.timeline text",
        """els => els.filter(e => e.getClientRects().length).map(e => {
             const svg = e.ownerSVGElement;
             const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
             return parseFloat(getComputedStyle(e).fontSize) * scale; })""",
    )


def test_timeline_labels_are_at_least_12_px(desktop, phone, live):
    desktop.goto(live.url + "/parties/FR")
    sizes = _label_sizes(desktop)
    assert sizes and min(sizes) >= 12, sizes
    legend = desktop.locator(".lane-legend")
    bars = desktop.locator("svg.timeline g.shift text.bar-label")
    assert bars.count() + legend.count() >= 1
    region = desktop.locator(".timeline-scroll").first
    assert region.get_attribute("tabindex") == "0"
    # On a phone: a day-by-day list, "now" marked, at a readable size.
    phone.goto(live.url + "/parties/FR")
    assert phone.locator("svg.timeline").first.is_hidden()
    days = phone.locator(".narrow-only .day-list").first
    assert days.is_visible()
    assert phone.locator(".narrow-only .now-flag").first.is_visible()
    small = days.evaluate(
        "list => [...list.querySelectorAll('li')]"
        ".map(e => parseFloat(getComputedStyle(e).fontSize)).filter(s => s < 12)"
    )
    assert small == []
    screenshot(phone, "party-phone-days")


def test_a_month_is_planned_once_then_cancelled(desktop, live):
    page = desktop
    page.goto(live.url + "/campaigns")
    page.get_by_label("Month (required)").fill("2027-03")
    page.get_by_role("button", name="Plan the campaign").click()
    page.wait_for_url("**/campaigns/*")
    campaign_url = page.url
    page.goto(live.url + "/campaigns")
    page.get_by_label("Month (required)").fill("2027-03")
    page.get_by_role("button", name="Plan the campaign").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "March 2027 is already planned (campaign #" in summary.inner_text()
    screenshot(page, "campaign-planned-twice-desktop")

    page.goto(campaign_url)
    page.locator("#cancel-campaign summary").click()
    page.get_by_label("Yes, cancel the campaign of March 2027").check()
    page.get_by_role("button", name="Cancel the campaign").click()
    assert "is cancelled: no further call will be placed" in page.locator(".flash").inner_text()
    assert page.locator("#cancel-campaign").count() == 0
    # The month is free again.
    page.goto(live.url + "/campaigns")
    page.get_by_label("Month (required)").fill("2027-03")
    page.get_by_role("button", name="Plan the campaign").click()
    page.wait_for_url("**/campaigns/*")
    assert page.url != campaign_url
