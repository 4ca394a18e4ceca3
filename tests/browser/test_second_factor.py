"""TOTP and passkey sign-in in Debian's Chromium (passkeys with its virtual authenticator)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask_migrate import upgrade

from common.db import db
from tests.browser.conftest import NOW, PASSWORD, LiveServer, needs_chromium, screenshot
from tests.conftest import Clock, make_app

pytestmark = [pytest.mark.browser, pytest.mark.own_app, needs_chromium]

TOTP_USER = "totp@art35.example"
PASSKEY_USER = "passkey@art35.example"
BOARD_USER = "board@art35.example"


@pytest.fixture(scope="module")
def live2fa(browser_database_url: str) -> Iterator[LiveServer]:
    """The app on its own database, reached as http://localhost:PORT (a WebAuthn origin)."""
    from directory import accounts

    app = make_app(browser_database_url)
    clock = Clock(NOW)
    app.config["CLOCK"] = clock
    with app.app_context():
        upgrade(revision="heads")
        for email in (TOTP_USER, PASSKEY_USER, BOARD_USER):
            accounts.create_user(email, "member", NOW, password=PASSWORD)
        db.session.commit()
        db.session.remove()
    with LiveServer(app, clock, {}) as server:
        port = server.server.server_port
        server.url = f"http://localhost:{port}"
        app.config["PUBLIC_BASE_URL"] = server.url
        yield server
    with app.app_context():
        db.engine.dispose()


def _password_step(page: Any, live: LiveServer, email: str) -> None:
    page.goto(live.url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_totp_enrolment_and_sign_in(browser: Any, live2fa: LiveServer, expect: Any) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    _password_step(page, live2fa, TOTP_USER)
    page.wait_for_url(live2fa.url + "/")
    page.goto(live2fa.url + "/account/security")
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.locator("img.qr")).to_be_visible()
    uri = page.locator("#totp-uri").inner_text()
    secret = pyotp.parse_uri(uri).secret
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).at(live2fa.clock()))
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    screenshot(page, "account-security-totp")
    context.close()

    live2fa.clock.advance(seconds=30)  # a new time step: the enrolment code is spent
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    _password_step(page, live2fa, TOTP_USER)
    page.wait_for_url(live2fa.url + "/login/second-factor")
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).at(live2fa.clock()))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(live2fa.url + "/")
    expect(page.locator(".who")).to_have_text(TOTP_USER)
    context.close()


def test_passkey_registration_and_sign_in(browser: Any, live2fa: LiveServer, expect: Any) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    _password_step(page, live2fa, PASSKEY_USER)
    page.wait_for_url(live2fa.url + "/")
    page.goto(live2fa.url + "/account/security")
    page.get_by_label("Name of a new passkey").fill("virtual key")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkeys tbody tr")).to_have_count(1)
    expect(page.locator("#passkeys tbody th")).to_have_text("virtual key")
    credentials = cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]}
    )
    assert len(credentials["credentials"]) == 1
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.wait_for_url(live2fa.url + "/login")

    _password_step(page, live2fa, PASSKEY_USER)
    page.wait_for_url(live2fa.url + "/login/second-factor")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(live2fa.url + "/")
    expect(page.locator(".who")).to_have_text(PASSKEY_USER)
    context.close()


def test_a_board_whose_session_ended_says_so(
    browser: Any, live2fa: LiveServer, expect: Any
) -> None:
    from directory import accounts, sessions

    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.clock.install()
    _password_step(page, live2fa, BOARD_USER)
    page.wait_for_url(live2fa.url + "/")
    expect(page.locator("#board-stale")).to_be_hidden()
    with live2fa.app.app_context():
        user = accounts.get_user_by_email(BOARD_USER)
        sessions.end_user_sessions(user, live2fa.clock(), "signed out everywhere", None)
        db.session.commit()
    page.clock.fast_forward("01:05")  # the board's own refresh, a minute later
    expect(page.locator("#board-stale")).to_contain_text("Your session has ended")
    expect(page.locator("#board-rows tr")).to_have_count(0)
    screenshot(page, "board-session-ended")
    context.close()
