"""A live Art35 on its own database, served from a thread, driven by Debian's Chromium.

Never a downloaded browser: the tests use /usr/bin/chromium (Debian package `chromium`) and
are skipped, saying so, where it is absent.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from common.db import db
from tests.conftest import Clock, make_app
from tests.databases import suite_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # Tuesday; 13:00 in Paris
PASSWORD = "browser-test-password"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"

#: Put on every browser test: without Debian's Chromium they are skipped, saying why.
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium)",
)


def playwright_api() -> Any:
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def browser_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database for the module's live server (PostgreSQL when the suite runs on it)."""
    with suite_database("art35_browser", tmp_path_factory.mktemp("browser")) as url:
        yield url


def seed(now: datetime) -> dict[str, Any]:
    """France (weekly rota: Anne, Bruno, Carmen), Germany (a gap), the United States; a user."""
    from directory import accounts
    from directory import service as directory
    from directory.models import Party
    from directory.schemas import ContactPointIn, PersonIn
    from rota import service as rotas
    from rota.schemas import RotationIn

    admin = accounts.create_user("sec@art35.example", "secretariat", now, password=PASSWORD)
    parties = {}
    for iso2, name, zone, desk in (
        ("FR", "France", "Europe/Paris", "+33 1 23 45 67 89"),
        ("DE", "Germany", "Europe/Berlin", "+49 30 1234567"),
        ("US", "United States", "America/New_York", "+1 202-555-0123"),
    ):
        party = Party(iso2=iso2, name=name, status="party", updated_at=now)
        db.session.add(party)
        db.session.flush()
        body = {"unit_name": f"{name} 24/7", "kind": "police", "timezone": zone, "desk_phone": desk}
        directory.set_contact_point(admin, party, ContactPointIn().load(body), now)
        parties[iso2] = party
    people = [
        directory.create_person(
            admin,
            parties["FR"],
            PersonIn().load(
                {
                    "full_name": name,
                    "phones": [{"number": number}],
                    "languages": [{"tag": t} for t in langs],
                }
            ),
            now,
        )
        for name, number, langs in (
            ("Anne Dupont", "+33612345601", ("fr", "en")),
            ("Bruno Petit", "+33612345602", ("fr",)),
            ("Carmen Ruiz", "+33612345603", ("es", "fr")),
        )
    ]
    rota = rotas.create_rota(admin, parties["FR"], {"name": "Duty officer", "tier": 1}, now)
    rotas.add_rotation(
        admin,
        rota,
        RotationIn().load(
            {
                "members": [p.id for p in people],
                "start_local": "2026-11-02T09:00",
                "shift_length": "P7D",
            }
        ),
        now,
    )
    db.session.commit()
    return {"rota_id": rota.id, "people": {p.full_name: p.id for p in people}}


class QuietHandler(WSGIRequestHandler):
    """No access log: failures show the browser's view, not a page of GET lines."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class LiveServer:
    def __init__(self, app: Any, clock: Clock, data: dict[str, Any]) -> None:
        self.app = app
        self.clock = clock
        self.data = data
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


@pytest.fixture(scope="module")
def live(browser_database_url: str) -> Iterator[LiveServer]:
    """The app on a fresh migrated database with a fixed clock, serving from a thread."""
    app = make_app(browser_database_url)
    clock = Clock(NOW)
    app.config["CLOCK"] = clock
    with app.app_context():
        upgrade(revision="heads")
        data = seed(NOW)
        db.session.remove()
    with LiveServer(app, clock, data) as server:
        yield server
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api().sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def signed_in_state(browser: Any, live: LiveServer) -> dict[str, Any]:
    """Cookies of a session signed in through the login form (once: hashing is slow)."""
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def desktop(browser: Any, live: LiveServer, signed_in_state: dict[str, Any]) -> Iterator[Any]:
    """A signed-in page on the board, 1280 px wide, in London time."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="en-GB",
        timezone_id="Europe/London",
        storage_state=signed_in_state,
    )
    page = context.new_page()
    page.goto(live.url + "/")
    yield page
    context.close()


@pytest.fixture
def phone(browser: Any, live: LiveServer, signed_in_state: dict[str, Any]) -> Iterator[Any]:
    """A signed-in page on a 360-px-wide phone screen."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id="Europe/Paris",
        storage_state=signed_in_state,
    )
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Any, live: LiveServer) -> None:
    page.goto(live.url + "/")
    assert "/login" in page.url
    page.get_by_label("E-mail").fill("sec@art35.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/")


@pytest.fixture
def expect() -> Any:
    """Playwright's retrying assertions (no eval: the pages' CSP forbids it)."""
    return playwright_api().expect


def screenshot(page: Any, name: str) -> None:
    """Keep a picture of what the user sees (screenshots/ is ignored by git)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
