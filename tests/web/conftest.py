"""Helpers for page tests: a signed-in browser session, a small directory with a weekly rota."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, datetime

import pytest

from common.db import db
from directory import service as directory
from directory.schemas import ContactPointIn
from rota import service as rotas
from rota.schemas import RotationIn
from tests.conftest import make_party, make_person, make_user

CSRF = "test-csrf-token"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # a Tuesday; 13:00 in Paris


def sign_in(client, user, lang: str | None = None) -> None:
    """Start a server session for the user and put it in the client's cookie, as sign-in does."""
    from common.clock import now as clock_now
    from directory.sessions import start_session

    secret = start_session(user, clock_now(), address="127.0.0.1", browser="test client")
    db.session.commit()
    with client.session_transaction() as session:
        session["sid"] = secret
        session["_csrf"] = CSRF
        if lang:
            session["lang"] = lang


def form(**fields):
    """Form fields plus the CSRF token every POST needs."""
    return {"_csrf": CSRF, **fields}


def field_error(html: str, name: str) -> str | None:
    """The reason shown next to the input named `name` (None when there is none)."""
    field = "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")
    match = re.search(rf'id="{re.escape(field)}-error">(?:<span[^>]*>[^<]*</span>)?([^<]+)<', html)
    return htmllib.unescape(match.group(1)).strip() if match else None


def input_value(html: str, name: str) -> str | None:
    """The value of the input named `name`, as the browser would send it."""
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    return htmllib.unescape(match.group(1)) if match else None


@pytest.fixture
def now(clock):
    clock.set(NOW)
    return NOW


@pytest.fixture
def secretariat_user():
    return make_user("secretariat")[0]


@pytest.fixture
def france_rota(now, secretariat_user):
    """France: a Paris contact point, three people, a weekly tier-1 rota (Anne, Bruno, Carmen)."""
    party = make_party("FR", "France")
    directory.set_contact_point(
        secretariat_user,
        party,
        ContactPointIn().load(
            {
                "unit_name": "OFAC 24/7",
                "kind": "police",
                "timezone": "Europe/Paris",
                "desk_phone": "+33 1 23 45 67 89",
                "mla_authority": {"name": "Ministère de la Justice", "phone": "+33 1 44 77 60 60"},
            }
        ),
        now,
    )
    people = [
        make_person(party, "Anne Dupont", languages=("fr", "en"), phone="+33612345601"),
        make_person(party, "Bruno Petit", languages=("fr",), phone="+33612345602"),
        make_person(party, "Carmen Ruiz", languages=("es", "fr"), phone="+33612345603"),
    ]
    rota = rotas.create_rota(secretariat_user, party, {"name": "Duty officer", "tier": 1}, now)
    rotas.add_rotation(
        secretariat_user,
        rota,
        RotationIn().load(
            {
                "members": [p.id for p in people],
                # Monday 2 Nov 09:00: on Tue 1 Dec, week 5 → Bruno (A, B, C, A, B).
                "start_local": "2026-11-02T09:00",
                "shift_length": "P7D",
            }
        ),
        now,
    )
    db.session.commit()
    return party, people, rota


@pytest.fixture
def germany(now, secretariat_user):
    """Germany with a contact point and a desk line but no rota: a gap."""
    party = make_party("DE", "Germany")
    directory.set_contact_point(
        secretariat_user,
        party,
        ContactPointIn().load(
            {
                "unit_name": "BKA",
                "kind": "police",
                "timezone": "Europe/Berlin",
                "desk_phone": "+49 30 1234567",
            }
        ),
        now,
    )
    db.session.commit()
    return party


@pytest.fixture
def signed_in(client, secretariat_user):
    sign_in(client, secretariat_user)
    return client


def person_form(**overrides):
    """A complete person form (as the page posts it)."""
    fields = {
        "full_name": "Dora Lang",
        "title": "",
        "email": "",
        "timezone": "",
        "active": "on",
        "phones[0].number": "06 12 34 56 99",
        "phones[0].kind": "",
        "phones[0].label": "",
        "primary_phone": "0",
        "phones[1].number": "",
        "languages[0].tag": "de",
        "languages[0].level": "fluent",
        "languages[1].tag": "",
        "languages[1].level": "working",
    }
    fields.update(overrides)
    return form(**fields)
