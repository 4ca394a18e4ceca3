"""What a duty officer and a Party administrator do, in a real browser (Chromium)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser.conftest import PASSWORD, needs_chromium, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.own_app, needs_chromium]


def test_sign_in_with_email_and_password(browser, live):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live.url + "/parties/FR")
    assert "/login" in page.url
    page.get_by_label("E-mail").fill("sec@art35.example")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong e-mail or password."
    assert page.get_by_label("E-mail").input_value() == "sec@art35.example"
    screenshot(page, "login-desktop")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/parties/FR")  # back where they were going
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live.url + "/login")
    context.close()


def _visible_rows(page) -> list[str]:
    return page.eval_on_selector_all(
        "tr[id^=row-]", "rows => rows.filter(r => !r.hidden).map(r => r.id.slice(4))"
    )


def test_find_a_country_on_the_board_in_english_and_in_french(desktop, live):
    page = desktop
    assert page.get_by_role("heading", level=1).inner_text() == "Whom to call now"
    france = page.locator("#row-FR")
    assert "Bruno Petit" in france.inner_text()
    assert france.locator("a[href^='tel:']").first.get_attribute("href") == "tel:+33612345602"
    assert "NOBODY ON DUTY" in page.locator("#row-DE").inner_text()
    screenshot(page, "board-desktop-en")
    page.get_by_label("Country").fill("germ")
    assert _visible_rows(page) == ["DE"]
    page.get_by_label("Country").fill("US")
    assert _visible_rows(page) == ["US"]
    page.get_by_role("link", name="Français").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Qui appeler maintenant"
    page.get_by_label("Pays").fill("")
    assert _visible_rows(page) == ["DE", "US", "FR"]  # Allemagne, États-Unis, France
    page.get_by_label("Pays").fill("Allemagne")
    assert _visible_rows(page) == ["DE"]
    page.get_by_label("Pays").fill("etats")
    assert _visible_rows(page) == ["US"]
    page.get_by_label("Pays").fill("")
    assert "AUCUNE PERMANENCE ASSURÉE" in page.locator("#row-DE").inner_text()
    screenshot(page, "board-desktop-fr")
    page.goto(live.url + "/?lang=en")


def test_the_board_refreshes_itself_without_a_reload(desktop, live, expect):
    page = desktop
    page.clock.install()
    page.goto(live.url + "/")
    page.evaluate("window.stillTheSamePage = true")
    assert "Bruno Petit" in page.locator("#row-FR").inner_text()
    live.clock.advance(days=6)  # past Monday's handoff: Carmen's week
    try:
        page.clock.run_for(61_000)
        expect(page.locator("#row-FR")).to_contain_text("Carmen Ruiz")
        assert page.evaluate("window.stillTheSamePage") is True
    finally:
        live.clock.set(live.clock.at - timedelta(days=6))


def test_the_language_filter_answers_who_speaks_spanish(desktop, live):
    page = desktop
    page.get_by_label("Speaks").fill("Spanish")
    page.get_by_role("button", name="Show").click()
    assert "Nobody on duty now speaks Spanish." in page.content()
    assert "Carmen Ruiz from Mon 09:00" in page.locator("ul.later").inner_text()


def test_open_a_party_page(desktop, live):
    page = desktop
    page.locator("#row-FR").get_by_role("link", name="France").click()
    page.wait_for_url(live.url + "/parties/FR")
    assert page.get_by_role("heading", level=1).inner_text().startswith("France")
    on_duty = page.locator("section.now-card").inner_text()
    assert "Bruno Petit" in on_duty and "until Mon 09:00" in on_duty
    lanes = page.locator("svg.timeline")
    assert lanes.count() == 1
    assert lanes.first.locator("g.shift").count() == 3
    assert page.locator("svg.timeline line[stroke-width='3']").count() == 1  # now
    screenshot(page, "party-desktop")
    page.get_by_label("my time zone (Europe/London)").check()
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("Times in Europe/London.").wait_for()  # after the form's navigation


def test_a_page_drawn_before_the_zone_was_known_names_the_browser_zone(
    browser, live, signed_in_state
):
    context = browser.new_context(
        locale="en-GB", timezone_id="Asia/Tokyo", storage_state=signed_in_state
    )
    page = context.new_page()
    page.goto(live.url + "/parties/FR")  # the first page: the session does not know the zone yet
    page.get_by_label("my time zone (Asia/Tokyo)").check()
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("Times in Asia/Tokyo.").wait_for()  # after the form's navigation
    context.close()


def test_a_bad_number_is_shown_next_to_its_field_and_the_typed_values_stay(desktop, live, expect):
    page = desktop
    anne = live.data["people"]["Anne Dupont"]
    page.goto(f"{live.url}/people/{anne}/edit")
    page.get_by_label("Title or function").fill("Commissaire")
    number = page.get_by_label("Phone 1, number")
    number.fill("+33 6 12")
    # Checked as you type (the page's CSP forbids eval, so no wait_for_function here).
    expect(page.locator("#f-phones-0-number-check")).to_contain_text("the number is too short")
    screenshot(page, "person-typing-desktop")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#f-phones-0-number-error")
    assert " ".join(error.text_content().split()) == "Error: the number is too short"
    assert page.get_by_label("Phone 1, number").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Phone 1, number").input_value() == "+33 6 12"
    assert page.get_by_label("Title or function").input_value() == "Commissaire"
    assert page.locator("#error-summary").is_visible()
    screenshot(page, "person-error-desktop")
    number.fill("+33 6 12 34 56 11")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live.url}/parties/FR#person-{anne}")
    assert "+33 6 12 34 56 11" in page.locator(f"#person-{anne}").inner_text()


def test_an_override_shows_in_the_preview_and_then_on_the_timeline(desktop, live):
    page = desktop
    page.goto(live.url + "/parties/FR")
    assert page.locator("g.shift[data-source=override]").count() == 0
    page.get_by_role("link", name="Manage rotas and overrides").click()
    page.get_by_role("link", name="Add an override").click()
    page.get_by_label("Person").select_option(label="Anne Dupont")
    page.get_by_label("From").fill("2026-12-08T20:00")
    page.get_by_label("Until").fill("2026-12-09T08:00")
    page.get_by_label("Note").fill("I cover Tuesday night")
    preview = page.locator("#preview g.shift[data-source=override][data-person='Anne Dupont']")
    preview.first.wait_for()  # drawn live, before saving
    screenshot(page, "override-preview-desktop")
    page.get_by_role("button", name="Save the override").click()
    page.wait_for_url(live.url + "/parties/FR#timeline-h")
    bar = page.locator("g.shift[data-source=override]")
    assert bar.count() == 1
    assert bar.get_attribute("data-person") == "Anne Dupont"
    assert "Tue 8 Dec 20:00 – Wed 9 Dec 08:00" in bar.locator("title").text_content()


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/", "board-phone"),
        ("/parties/FR", "party-phone"),
        ("/people/{anne}/edit", "person-phone"),
        ("/secretariat/gaps", "gaps-phone"),
    ],
)
def test_pages_fit_a_phone_screen(phone, live, path, name):
    page = phone
    page.goto(live.url + path.format(anne=live.data["people"]["Anne Dupont"]))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{path} is {width} px wide"
    screenshot(page, name)


def test_keyboard_users_can_skip_to_the_content(desktop, live):
    page = desktop
    page.goto(live.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
