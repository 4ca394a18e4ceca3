"""axe-core, injected into every page, finds no violation: at 360 px and 1280 px, in English and
French, light and dark. A screenshot of every page at both widths is kept under screenshots/.

axe-core comes from npm (`npm ci --prefix tests/browser`, CI step 35); without it these tests are
skipped, saying so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from common.db import db
from tests.browser.conftest import LiveServer, needs_chromium, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.own_app, needs_chromium]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
needs_axe = pytest.mark.skipif(
    not AXE.exists(),
    reason="axe-core is not installed: run `npm ci --prefix tests/browser` (CI step 35)",
)

#: Every page a signed-in secretariat user can open (ids filled in from the live data).
PAGES = (
    ("board", "/"),
    ("board-filtered", "/?q=fr"),
    ("board-speaks", "/?speaks=Spanish"),
    ("party", "/parties/FR"),
    ("party-gap", "/parties/DE"),
    ("rotas", "/parties/FR/rotas"),
    ("rotation-edit", "/rotations/{rotation}/edit"),
    ("rotation-new", "/rotas/{rota}/rotations/new"),
    ("override-new", "/rotas/{rota}/overrides/new"),
    ("rota-edit", "/rotas/{rota}/edit"),
    ("person-edit", "/people/{anne}/edit"),
    ("person-new", "/parties/FR/people/new"),
    ("contact-point", "/parties/FR/contact-point/edit"),
    ("gaps", "/secretariat/gaps"),
    ("audit", "/secretariat/audit"),
    ("users", "/secretariat/users"),
    ("network-settings", "/secretariat/network-settings"),
    ("user", "/secretariat/users/{user}"),
    ("campaigns", "/campaigns"),
    ("campaign", "/campaigns/{campaign}"),
    ("report", "/campaigns/{campaign}/report"),
    ("calendars", "/calendar-subscriptions"),
    ("security", "/account/security"),
    ("api-docs", "/api/v1/docs"),
)

AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "")),
  }));
}"""


@pytest.fixture(scope="module")
def ids(live: LiveServer) -> dict[str, int]:
    """The ids the page addresses need; a planned campaign for the campaign pages."""
    from directory.models import User
    from reachability import service
    from rota.models import RotationRecord

    with live.app.app_context():
        campaign = service.create_campaign(
            None, "2027-01", ["FR", "DE"], "any-time", live.clock(), live.app.config
        )
        db.session.commit()
        found = {
            "campaign": campaign.id,
            "rota": live.data["rota_id"],
            "anne": live.data["people"]["Anne Dupont"],
            "rotation": db.session.scalar(sa.select(RotationRecord.id).limit(1)),
            "user": db.session.scalar(sa.select(User.id).order_by(User.id).limit(1)),
        }
        db.session.remove()
    return found


def violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN)


@needs_axe
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("width", [360, 1280])
def test_no_axe_violation_on_any_page(browser, live, signed_in_state, ids, width, lang, scheme):
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        color_scheme=scheme,
        bypass_csp=True,  # lets the test inject axe-core; the pages' own CSP is tested elsewhere
        locale="en-GB",
        timezone_id="Europe/Paris",
        storage_state=signed_in_state,
    )
    page = context.new_page()
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        page.goto(f"{live.url}/?lang={lang}")
        for name, path in PAGES:
            page.goto(live.url + path.format(**ids))
            assert page.evaluate("document.documentElement.lang") in (lang, "en"), path
            bad = violations(page)
            if bad:
                found[path] = bad
            assert page.evaluate("document.documentElement.scrollWidth") <= width, path
            if lang == "en":
                screenshot(page, f"{name}-{width}-{scheme}")
        page.context.clear_cookies()
        page.goto(f"{live.url}/login?lang={lang}")
        bad = violations(page)
        if bad:
            found["/login"] = bad
        if lang == "en":
            screenshot(page, f"login-{width}-{scheme}")
    finally:
        context.close()
        _back_to_english(browser, live, signed_in_state)
    report = [
        f"{path}: {v['id']} ({v['impact']}) {node}"
        for path, found_here in found.items()
        for v in found_here
        for node in v["nodes"]
    ]
    assert report == [], "\n".join(report)


def _back_to_english(browser: Any, live: LiveServer, state: dict[str, Any]) -> None:
    """The language chosen is remembered for the user: leave it as the other tests expect."""
    context = browser.new_context(storage_state=state)
    context.new_page().goto(f"{live.url}/?lang=en")
    context.close()
