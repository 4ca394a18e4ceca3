"""Role × route matrix: every route of the URL map (and every operation of the OpenAPI document)
has a declared rule saying what each role gets, so a route added without one fails the suite.

Roles: anonymous, member, party_admin of another Party (DE), party_admin of the Party (FR),
secretariat. API routes are called with bearer tokens, pages with a server session. Each
request carries a valid body, so a refusal is the authorization speaking, not validation.

Outcomes: "ok" (let through: any status but 401/403 and never 5xx), "login" (401, or a
redirect to the sign-in page), "deny" (403), "closed" (401/403/404 for every role: secrets or
signatures decide, never a user's role).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from common.clock import now as clock_now
from common.db import db
from directory.models import Party
from reachability.models import Attempt
from tests.conftest import make_party, make_person, make_user

ROLES = ("anonymous", "member", "other_admin", "own_admin", "secretariat")
CSRF = "matrix-csrf-token"

OK, LOGIN, DENY, CLOSED = "ok", "login", "deny", "closed"
PUBLIC = (OK, OK, OK, OK, OK)
READ = (LOGIN, OK, OK, OK, OK)  # every signed-in role reads
PARTY_WRITE = (LOGIN, DENY, DENY, OK, OK)  # the Party's administrators and the secretariat
SECRETARIAT = (LOGIN, DENY, DENY, DENY, OK)
ADMINS_READ = (LOGIN, DENY, OK, OK, OK)  # administrators read (their own Party's entries)
SIGNED = (CLOSED,) * 5  # webhooks, feeds, mail links, metrics: a secret or signature decides
# Sign-in steps sent without valid credentials, and sign-out: back to the sign-in page, any role.
TO_SIGN_IN = (LOGIN,) * 5

# (METHOD, rule) → outcome per role (ROLES order), and the body a write sends.
RULES: dict[tuple[str, str], tuple[str, ...]] = {
    # --- API: directory
    ("GET", "/api/v1/audit"): ADMINS_READ,
    ("GET", "/api/v1/parties"): READ,
    ("POST", "/api/v1/parties"): SECRETARIAT,
    ("GET", "/api/v1/parties/<iso2>"): READ,
    ("PATCH", "/api/v1/parties/<iso2>"): SECRETARIAT,  # status and treaty dates
    ("POST", "/api/v1/parties/<iso2>/confirm"): PARTY_WRITE,
    ("GET", "/api/v1/parties/<iso2>/contact-point"): READ,
    ("PUT", "/api/v1/parties/<iso2>/contact-point"): PARTY_WRITE,
    ("GET", "/api/v1/parties/<iso2>/history"): READ,
    ("GET", "/api/v1/parties/<iso2>/people"): READ,
    ("POST", "/api/v1/parties/<iso2>/people"): PARTY_WRITE,
    ("GET", "/api/v1/people"): READ,
    ("GET", "/api/v1/people/<int:person_id>"): READ,
    ("PATCH", "/api/v1/people/<int:person_id>"): PARTY_WRITE,
    ("DELETE", "/api/v1/people/<int:person_id>"): PARTY_WRITE,
    ("GET", "/api/v1/health-report"): ADMINS_READ,
    ("PUT", "/api/v1/people/<int:person_id>/duty-reminders"): PARTY_WRITE,
    ("POST", "/api/v1/parties/<iso2>/verification-links"): PARTY_WRITE,
    ("GET", "/api/v1/network-settings"): READ,
    ("PATCH", "/api/v1/network-settings"): SECRETARIAT,
    # --- API: rotas and lookups
    ("GET", "/api/v1/coverage/gaps"): READ,
    ("GET", "/api/v1/on-call"): READ,
    ("GET", "/api/v1/parties/<iso2>/on-call"): READ,
    ("GET", "/api/v1/parties/<iso2>/shifts"): READ,
    ("GET", "/api/v1/parties/<iso2>/rotas"): READ,
    ("POST", "/api/v1/parties/<iso2>/rotas"): PARTY_WRITE,
    ("POST", "/api/v1/parties/<iso2>/rotas/preview"): READ,
    ("GET", "/api/v1/rotas/<int:rota_id>"): READ,
    ("PATCH", "/api/v1/rotas/<int:rota_id>"): PARTY_WRITE,
    ("DELETE", "/api/v1/rotas/<int:rota_id>"): PARTY_WRITE,
    ("GET", "/api/v1/rotas/<int:rota_id>/overrides"): READ,
    ("POST", "/api/v1/rotas/<int:rota_id>/overrides"): PARTY_WRITE,
    ("POST", "/api/v1/rotas/<int:rota_id>/rotations"): PARTY_WRITE,
    ("PATCH", "/api/v1/rotations/<int:rotation_id>"): PARTY_WRITE,
    ("DELETE", "/api/v1/rotations/<int:rotation_id>"): PARTY_WRITE,
    ("DELETE", "/api/v1/overrides/<int:override_id>"): PARTY_WRITE,
    ("POST", "/api/v1/rotas/<int:rota_id>/import-ical"): PARTY_WRITE,
    # --- API: calendars (each user's own subscriptions)
    ("GET", "/api/v1/calendar-subscriptions"): READ,
    ("POST", "/api/v1/calendar-subscriptions"): READ,
    ("DELETE", "/api/v1/calendar-subscriptions/<int:subscription_id>"): READ,
    # --- API: reachability
    ("GET", "/api/v1/parties/<iso2>/allowed-calling-codes"): READ,
    ("PUT", "/api/v1/parties/<iso2>/allowed-calling-codes"): SECRETARIAT,
    ("GET", "/api/v1/parties/<iso2>/reachability"): READ,
    ("GET", "/api/v1/reachability/campaigns"): READ,
    ("POST", "/api/v1/reachability/campaigns"): SECRETARIAT,
    ("GET", "/api/v1/reachability/campaigns/<int:campaign_id>"): READ,
    ("POST", "/api/v1/reachability/campaigns/<int:campaign_id>/cancel"): SECRETARIAT,
    ("GET", "/api/v1/reachability/campaigns/<int:campaign_id>/report"): READ,
    ("POST", "/api/v1/reachability/test-calls"): PARTY_WRITE,
    ("GET", "/api/v1/reachability/test-calls/<int:attempt_id>"): READ,
    ("POST", "/api/v1/campaigns/<int:campaign_id>/email-test"): SECRETARIAT,
    # --- documents, health, machines
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/docs"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): SIGNED,
    ("GET", "/static/<path:filename>"): PUBLIC,
    ("GET", "/assets/<path:filename>"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/calendars/<token>.ics"): SIGNED,
    ("POST", "/twilio/voice/<int:attempt_id>"): SIGNED,
    ("POST", "/twilio/gather/<int:attempt_id>"): SIGNED,
    ("POST", "/twilio/status/<int:attempt_id>"): SIGNED,
    ("GET", "/mail/ack/<secret>"): SIGNED,
    ("POST", "/mail/ack/<secret>"): SIGNED,
    ("GET", "/mail/unsubscribe/<secret>"): SIGNED,
    ("POST", "/mail/unsubscribe/<secret>"): SIGNED,
    ("GET", "/mail/verify/<secret>"): SIGNED,
    ("POST", "/mail/verify/<secret>"): SIGNED,
    # --- pages: signing in
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): TO_SIGN_IN,
    ("POST", "/login/passkey"): TO_SIGN_IN,
    ("POST", "/login/passkey/options"): TO_SIGN_IN,
    ("GET", "/login/second-factor"): TO_SIGN_IN,
    ("POST", "/login/second-factor"): TO_SIGN_IN,
    ("POST", "/logout"): TO_SIGN_IN,
    ("POST", "/preferences/timezone"): PUBLIC,
    # --- pages: one's own account (every signed-in role, for themselves)
    ("GET", "/account/security"): READ,
    ("POST", "/account/password"): READ,
    ("POST", "/account/passkeys"): READ,
    ("POST", "/account/passkeys/options"): READ,
    ("POST", "/account/passkeys/<int:passkey_id>/remove"): READ,
    ("POST", "/account/recovery-codes"): READ,
    ("POST", "/account/sign-out-everywhere"): TO_SIGN_IN,
    ("POST", "/account/totp/start"): READ,
    ("POST", "/account/totp/confirm"): READ,
    ("POST", "/account/totp/remove"): READ,
    ("GET", "/account/set-password/<token>"): SIGNED,
    ("POST", "/account/set-password/<token>"): SIGNED,
    # --- pages: reading
    ("GET", "/"): READ,
    ("GET", "/board/rows"): READ,
    ("GET", "/check/phone"): READ,
    ("GET", "/parties/<iso2>"): READ,
    ("GET", "/parties/<iso2>/rotas"): PARTY_WRITE,  # the rota editor
    ("GET", "/parties/<iso2>/review"): PARTY_WRITE,
    ("GET", "/test-calls/<int:attempt_id>"): READ,
    ("GET", "/campaigns"): READ,
    ("GET", "/campaigns/<int:campaign_id>"): READ,
    ("GET", "/campaigns/<int:campaign_id>/report"): READ,
    ("GET", "/campaigns/<int:campaign_id>/report.csv"): READ,
    ("GET", "/calendar-subscriptions"): READ,
    ("POST", "/calendar-subscriptions/<int:subscription_id>/revoke"): READ,
    ("POST", "/calendar-subscriptions/network"): READ,
    ("POST", "/parties/<iso2>/calendar-subscriptions"): READ,
    ("POST", "/people/<int:person_id>/calendar-subscriptions"): READ,
    ("POST", "/favourites/<iso2>"): READ,
    # --- pages: a Party's editors
    ("POST", "/parties/<iso2>/review"): PARTY_WRITE,
    ("POST", "/parties/<iso2>/verification-links"): PARTY_WRITE,
    ("POST", "/people/<int:person_id>/duty-reminders"): PARTY_WRITE,
    ("GET", "/parties/<iso2>/contact-point/edit"): PARTY_WRITE,
    ("POST", "/parties/<iso2>/contact-point/edit"): PARTY_WRITE,
    ("GET", "/parties/<iso2>/people/new"): PARTY_WRITE,
    ("POST", "/parties/<iso2>/people/new"): PARTY_WRITE,
    ("POST", "/parties/<iso2>/rotas/new"): PARTY_WRITE,
    ("GET", "/people/<int:person_id>/edit"): PARTY_WRITE,
    ("POST", "/people/<int:person_id>/edit"): PARTY_WRITE,
    ("POST", "/people/<int:person_id>/delete"): PARTY_WRITE,
    ("POST", "/people/<int:person_id>/test-call"): PARTY_WRITE,
    ("GET", "/rotas/<int:rota_id>/edit"): PARTY_WRITE,
    ("POST", "/rotas/<int:rota_id>/edit"): PARTY_WRITE,
    ("POST", "/rotas/<int:rota_id>/delete"): PARTY_WRITE,
    ("GET", "/rotas/<int:rota_id>/overrides/new"): PARTY_WRITE,
    ("POST", "/rotas/<int:rota_id>/overrides/new"): PARTY_WRITE,
    ("GET", "/rotas/<int:rota_id>/rotations/new"): PARTY_WRITE,
    ("POST", "/rotas/<int:rota_id>/rotations/new"): PARTY_WRITE,
    ("GET", "/rotations/<int:rotation_id>/edit"): PARTY_WRITE,
    ("POST", "/rotations/<int:rotation_id>/edit"): PARTY_WRITE,
    ("POST", "/rotations/<int:rotation_id>/delete"): PARTY_WRITE,
    ("POST", "/overrides/<int:override_id>/delete"): PARTY_WRITE,
    # --- pages: the secretariat
    ("POST", "/campaigns/new"): SECRETARIAT,
    ("POST", "/campaigns/<int:campaign_id>/cancel"): SECRETARIAT,
    ("POST", "/campaigns/<int:campaign_id>/email-test"): SECRETARIAT,
    ("GET", "/secretariat/audit"): SECRETARIAT,
    ("GET", "/secretariat/gaps"): SECRETARIAT,
    ("GET", "/secretariat/health"): SECRETARIAT,
    ("GET", "/secretariat/network-settings"): SECRETARIAT,
    ("POST", "/secretariat/network-settings"): SECRETARIAT,
    ("GET", "/secretariat/outbox"): SECRETARIAT,
    ("GET", "/secretariat/outbox/<int:message_id>"): SECRETARIAT,
    ("POST", "/secretariat/tokens/<int:token_id>/revoke"): SECRETARIAT,
    ("GET", "/secretariat/users"): SECRETARIAT,
    ("POST", "/secretariat/users/new"): SECRETARIAT,
    ("GET", "/secretariat/users/<int:user_id>"): SECRETARIAT,
    ("POST", "/secretariat/users/<int:user_id>/active"): SECRETARIAT,
    ("POST", "/secretariat/users/<int:user_id>/password"): SECRETARIAT,
    ("POST", "/secretariat/users/<int:user_id>/reset-factors"): SECRETARIAT,
    ("POST", "/secretariat/users/<int:user_id>/sign-out"): SECRETARIAT,
    ("POST", "/secretariat/users/<int:user_id>/tokens"): SECRETARIAT,
}

# Routes whose outcome for some roles differs from their profile, with the reason.
EXCEPTIONS: dict[tuple[str, str], dict[str, str]] = {}

_ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//art35//matrix//EN\r\nBEGIN:VEVENT\r\n"
    "UID:m1@art35.test\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20261210T080000Z\r\n"
    "DTEND:20261210T160000Z\r\nSUMMARY:Anne\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@dataclass
class World:
    ids: dict[str, Any]
    tokens: dict[str, dict[str, str]]
    users: dict[str, Any]


def _bodies(ids: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """A valid body for each API write (so a refusal is the authorization's)."""
    person, rotation = (
        ids["person_id"],
        {
            "members": [ids["person_id"]],
            "start_local": "2026-12-01T09:00",
            "shift_length": "P1D",
        },
    )
    return {
        ("POST", "/api/v1/parties"): {"iso2": "IT", "name": "Italy", "status": "party"},
        ("PATCH", "/api/v1/parties/<iso2>"): {"notes": "checked"},
        ("POST", "/api/v1/parties/<iso2>/confirm"): {},
        ("PUT", "/api/v1/people/<int:person_id>/duty-reminders"): {"hours": None},
        ("POST", "/api/v1/parties/<iso2>/verification-links"): {},
        ("PATCH", "/api/v1/network-settings"): {"confirmation_grace_days": 30},
        ("PUT", "/api/v1/parties/<iso2>/contact-point"): {
            "unit_name": "OFAC",
            "kind": "police",
            "timezone": "Europe/Paris",
            "desk_phone": "+33123456789",
        },
        ("POST", "/api/v1/parties/<iso2>/people"): {"full_name": "New Person"},
        ("PATCH", "/api/v1/people/<int:person_id>"): {"title": "Inspector"},
        ("POST", "/api/v1/parties/<iso2>/rotas"): {"name": "Second line", "tier": 2},
        ("POST", "/api/v1/parties/<iso2>/rotas/preview"): {
            "timezone": "Europe/Paris",
            "rotations": [rotation],
        },
        ("PATCH", "/api/v1/rotas/<int:rota_id>"): {"name": "Renamed"},
        ("POST", "/api/v1/rotas/<int:rota_id>/overrides"): {
            "person_id": person,
            "start": "2026-12-20T00:00:00Z",
            "end": "2026-12-21T00:00:00Z",
        },
        ("POST", "/api/v1/rotas/<int:rota_id>/rotations"): rotation,
        ("PATCH", "/api/v1/rotations/<int:rotation_id>"): {"shift_length": "P2D"},
        ("POST", "/api/v1/calendar-subscriptions"): {"scope": "party", "party": "FR"},
        ("PUT", "/api/v1/parties/<iso2>/allowed-calling-codes"): {"calling_codes": [49]},
        ("POST", "/api/v1/reachability/campaigns"): {"month": "2027-01", "parties": ["FR"]},
        ("POST", "/api/v1/reachability/campaigns/<int:campaign_id>/cancel"): {},
        ("POST", "/api/v1/reachability/test-calls"): {"person_id": person},
    }


@pytest.fixture
def world(clock, client) -> World:
    clock.set(datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    france, germany = make_party("FR", "France"), make_party("DE", "Germany")
    users, tokens = {}, {}
    users["member"], tokens["member"] = make_user("member")
    users["other_admin"], tokens["other_admin"] = make_user("party_admin", germany)
    users["own_admin"], tokens["own_admin"] = make_user("party_admin", france)
    users["secretariat"], tokens["secretariat"] = make_user("secretariat")
    spare, _ = make_user("member")
    person = make_person(france, "Anne Martin", phone="+33612345601")
    sec = tokens["secretariat"]
    rota = client.post(
        "/api/v1/parties/FR/rotas",
        json={"name": "Duty", "tier": 1, "timezone": "Europe/Paris"},
        headers=sec,
    ).json
    rotation = client.post(
        f"/api/v1/rotas/{rota['id']}/rotations",
        json={"members": [person.id], "start_local": "2026-12-01T09:00", "shift_length": "P1D"},
        headers=sec,
    ).json
    override = client.post(
        f"/api/v1/rotas/{rota['id']}/overrides",
        json={
            "person_id": person.id,
            "start": "2026-12-05T00:00:00Z",
            "end": "2026-12-06T00:00:00Z",
        },
        headers=sec,
    ).json
    campaign = client.post(
        "/api/v1/reachability/campaigns", json={"month": "2026-12", "parties": ["FR"]}, headers=sec
    ).json
    subscription = client.post(
        "/api/v1/calendar-subscriptions", json={"scope": "party", "party": "FR"}, headers=sec
    ).json
    attempt = Attempt(
        kind="on_demand",
        party_id=france.id,
        person_id=person.id,
        person_name=person.full_name,
        target="person",
        phone="+33612345601",
        language="fr",
        state="done",
        outcome="confirmed",
        requested_by=users["secretariat"].email,
        created_at=clock_now() - timedelta(hours=1),
        due_at=clock_now() - timedelta(hours=1),
    )
    db.session.add(attempt)
    db.session.commit()
    from directory import accounts

    token, _secret = accounts.create_token(spare, "spare", clock_now())
    db.session.commit()
    ids = {
        "iso2": "FR",
        "person_id": person.id,
        "rota_id": rota["id"],
        # Adding a rotation answers the whole rota, its rotations listed.
        "rotation_id": rotation["rotations"][0]["id"]
        if "rotations" in rotation
        else rotation["id"],
        "override_id": override["id"],
        "campaign_id": campaign["id"],
        "subscription_id": subscription["id"],
        "attempt_id": attempt.id,
        "user_id": spare.id,
        "token_id": token.id,
        "message_id": 1,
        "passkey_id": 1,
        "token": "not-a-feed-secret",
        "secret": "not-a-mail-secret",
        "filename": "web.css",
    }
    assert db.session.get(Party, france.id) is not None
    return World(ids, tokens, users)


_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_0-9]+)>")


def _url(rule: str, ids: dict[str, Any]) -> str:
    return _PARAM.sub(lambda m: str(ids[m.group(1)]), rule)


def _outcome(resp) -> str:
    status = resp.status_code
    # 503 is a deliberate answer (telephony not configured), never a crash.
    assert status < 500 or status == 503, f"{status}: {resp.get_data(as_text=True)[:300]}"
    if status == 401 or (status in (302, 303) and "/login" in resp.headers.get("Location", "")):
        return LOGIN
    if status == 403:
        return DENY
    return OK


def _call(app, world: World, role: str, method: str, rule: str) -> Any:
    client = app.test_client()
    url = _url(rule, world.ids)
    kwargs: dict[str, Any] = {}
    if url.startswith("/api/"):
        headers = dict(world.tokens.get(role, {}))
        if method != "GET":
            body = _bodies(world.ids).get((method, rule))
            if rule.endswith("/import-ical"):
                kwargs["data"] = _ICS
                headers["Content-Type"] = "text/calendar"
            elif body is not None:
                kwargs["json"] = body
        kwargs["headers"] = headers
    else:
        from directory.sessions import start_session

        with client.session_transaction() as session:
            session["_csrf"] = CSRF
            if role != "anonymous":
                secret = start_session(
                    world.users[role], clock_now(), address="127.0.0.1", browser="matrix"
                )
                db.session.commit()
                session["sid"] = secret
        if method == "POST":
            kwargs["data"] = {"_csrf": CSRF}
    return client.open(url, method=method, **kwargs)


def _all_rules(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, rule.rule))
    return found


def test_every_route_has_a_rule(app):
    missing = sorted(_all_rules(app) - set(RULES))
    assert not missing, f"routes without a rule in tests/security/test_route_matrix.py: {missing}"
    stale = sorted(set(RULES) - _all_rules(app))
    assert not stale, f"rules for routes that no longer exist: {stale}"


def test_every_documented_operation_has_a_rule(client):
    spec = client.get("/api/v1/openapi.json").json
    declared = {(m, _PARAM.sub(r"{\1}", r)) for m, r in RULES}
    missing = [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
        and (method.upper(), "/api/v1" + path if not path.startswith("/api") else path)
        not in declared
    ]
    assert not missing, f"documented operations without a rule: {missing}"


@pytest.mark.parametrize(("method", "rule"), sorted(RULES), ids=lambda v: str(v))
def test_role_matrix(app, world, method, rule):
    expected = dict(zip(ROLES, RULES[(method, rule)], strict=True))
    expected.update(EXCEPTIONS.get((method, rule), {}))
    got = {}
    for role in ROLES:
        resp = _call(app, world, role, method, rule)
        outcome = _outcome(resp)
        resp.close()
        if expected[role] == CLOSED:
            assert resp.status_code in (401, 403, 404, 405), (role, resp.status_code)
            outcome = CLOSED
        got[role] = outcome
    assert got == expected, f"got {got}"
