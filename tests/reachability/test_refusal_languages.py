"""Toll-fraud and quota refusals: pages say them in the viewer's language (French under
?lang=fr), while the API's problem+json keeps its English words, which clients match."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from common.db import db
from reachability import quotas, tollfraud
from reachability import service as reach
from reachability.models import Attempt
from rota import service as rotas
from rota.schemas import RotationIn
from tests.conftest import make_party, make_person, make_user
from tests.web.conftest import form, sign_in
from tests.web.test_reason_translations import english_left
from web.reachability_pages import reason_text

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PREMIUM = "+33891123456"
#: Numbers and what the API has always said of them (exactly: clients rely on these words).
REFUSED = [
    (None, "FR", "no number to call"),
    ("abc", "FR", "abc is not a readable phone number"),
    ("+3312", "FR", "+3312 is not a valid phone number"),
    (
        "+881612345678",
        "FR",
        "+881612345678 is a satellite or non-geographic number (+881): never called",
    ),
    (PREMIUM, "FR", f"{PREMIUM} is a premium-rate number: never called"),
    ("+33810123456", "FR", "+33810123456 is a shared-cost number: never called"),
    ("+33800123456", "FR", "+33800123456 is a toll-free number: never called"),
    ("+447012345678", "GB", "+447012345678 is a personal number: never called"),
    ("+445612345678", "GB", "+445612345678 is a VoIP number: never called"),
    ("+447640123456", "GB", "+447640123456 is a pager number: never called"),
    ("+445512345678", "GB", "+445512345678 is a UAN (universal access) number: never called"),
    (
        "+4930123456",
        "FR",
        "+4930123456 is outside FR (+49, DE); the secretariat can allow +49 for this Party",
    ),
]


@pytest.fixture
def now(clock):
    clock.set(NOW)
    return NOW


@pytest.fixture
def telephony(app, monkeypatch):
    """Telephony configured (a refused request never reaches it)."""
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "token")
    monkeypatch.setitem(app.config, "TWILIO_FROM_NUMBER", "+15005550006")


def french(app, reason: str) -> str:
    with app.test_request_context(), force_locale("fr"):
        return reason_text(reason)


def _alert(page: str) -> str:
    return page.split('role="alert"><p>')[1].split("</p>")[0]


# --- the reasons themselves ------------------------------------------------------------------


@pytest.mark.parametrize(("number", "party", "english"), REFUSED)
def test_the_api_words_are_unchanged_and_pages_translate_them(app, number, party, english):
    assert tollfraud.call_refusal(number, party) == english
    shown = french(app, english)
    assert shown != english and english_left(shown) == set(), shown
    with app.test_request_context(), force_locale("en"):
        assert reason_text(english) == english


def test_every_refusal_template_has_a_french_text_with_its_placeholders(app):
    templates = [*tollfraud.REFUSALS, *quotas.SPENT.values()]
    assert len(templates) == 20
    with app.test_request_context(), force_locale("fr"):
        for template in templates:
            text = gettext(template)
            words = PLACEHOLDER.sub("", text)
            assert text != template and english_left(words) == set(), template
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(template))


def test_a_campaign_step_not_called_reads_in_french(app):
    step = f"not called: {PREMIUM} is a premium-rate number: never called"
    assert french(app, step) == (
        f"non appelé : {PREMIUM} est un numéro surtaxé : il n’est jamais appelé"
    )


# --- through the pages and the API -----------------------------------------------------------


def test_a_refused_number_on_the_french_test_call_page_and_in_the_api(client, app, now):
    france = make_party("FR", "France")
    person = make_person(france, "Paul Surtaxe", phone=PREMIUM)
    user, headers = make_user("secretariat")
    sign_in(client, user, lang="fr")

    page = client.post(f"/people/{person.id}/test-call", data=form())
    fragment = client.post(
        f"/people/{person.id}/test-call", data=form(), headers={"X-Fragment": "1"}
    )

    for resp in (page, fragment):
        assert resp.status_code == 422
        assert _alert(resp.text) == (f"{PREMIUM} est un numéro surtaxé : il n’est jamais appelé")
    api = client.post(
        "/api/v1/reachability/test-calls",
        json={"person_id": person.id},
        headers={**headers, "Accept-Language": "fr"},
    )
    assert api.status_code == 422
    assert api.json["errors"] == [
        {"field": "phone", "reason": f"{PREMIUM} is a premium-rate number: never called"}
    ]


def test_a_spent_quota_on_the_french_test_call_page_and_in_the_api(
    client, app, now, telephony, monkeypatch
):
    monkeypatch.setitem(app.config, "REACH_QUOTA_USER_HOUR", 1)
    france = make_party("FR", "France")
    person = make_person(france, "Anne Dupont", phone="+33612345601")
    user, headers = make_user("party_admin", france)
    quotas.take_unit(f"user:{user.id}:hour", 1, "hour", now)  # the hour's one call, spent
    db.session.commit()
    sign_in(client, user, lang="fr")

    page = client.post(f"/people/{person.id}/test-call", data=form())

    assert page.status_code == 429 and page.headers["Retry-After"] == "3600"
    assert _alert(page.text) == (
        "Appel de test refusé : vous avez atteint votre quota d’appels de test pour cette "
        "heure (1). Réessayez dans 60 minutes."
    )
    api = client.post(
        "/api/v1/reachability/test-calls",
        json={"person_id": person.id},
        headers={**headers, "Accept-Language": "fr"},
    )
    assert api.status_code == 429
    assert api.json["detail"] == (
        "your test calls for this hour are used up (1); try again in 3600 seconds"
    )
    assert api.json["quota"] == "REACH_QUOTA_USER_HOUR"
    assert db.session.scalars(sa.select(Attempt)).all() == []


def test_a_campaign_report_shows_a_refused_number_in_french(client, app, now):
    france = make_party("FR", "France")
    person = make_person(france, "Paul Surtaxe", phone=PREMIUM)
    secretariat = make_user("secretariat")[0]
    rota = rotas.create_rota(
        secretariat, france, {"name": "Duty", "tier": 1, "timezone": "Europe/Paris"}, now
    )
    rotas.add_rotation(
        secretariat,
        rota,
        RotationIn().load(
            {"members": [person.id], "start_local": "2026-11-02T09:00", "shift_length": "P7D"}
        ),
        now,
    )
    campaign = reach.create_campaign(
        None, "2026-12", ["FR"], "any-time", now, app.config, start_at=now
    )
    for slot in campaign.slots:
        reach.advance_slot(
            reach.claim_slot(slot.id, slot.next_step_at), now, app.config, telephony_on=False
        )
    db.session.commit()
    english = f"not called: {PREMIUM} is a premium-rate number: never called"
    assert english in [a.reason for slot in campaign.slots for a in slot.attempts]
    sign_in(client, secretariat, lang="fr")

    report = client.get(f"/campaigns/{campaign.id}/report").text

    assert f"(non appelé : {PREMIUM} est un numéro surtaxé : il n’est jamais appelé)" in report
    assert "never called" not in report
