"""A second factor: TOTP and recovery codes, passkeys; a setting to require one; reset."""

from __future__ import annotations

import base64
import re

import pyotp
import sqlalchemy as sa

from common.db import db
from directory import factors
from directory.models import AuditEntry, RecoveryCode, User, UserSession
from tests.auth.conftest import PASSWORD, csrf_of, login, page_csrf, user_with_password


def enrol_totp(client, clock) -> tuple[str, list[str]]:
    """Set up TOTP through /account/security; the secret and the recovery codes shown."""
    client.post("/account/totp/start", data={"_csrf": page_csrf(client)})
    page = client.get("/account/security").text
    uri = re.search(r'id="totp-uri">([^<]+)<', page).group(1).replace("&amp;", "&")
    assert uri.startswith("otpauth://totp/Art35:")
    qr = re.search(r'<img src="(data:image/svg\+xml;base64,[^"]+)"', page).group(1)
    assert base64.b64decode(qr.split(",", 1)[1]).startswith(b"<?xml")
    secret = pyotp.parse_uri(uri).secret
    code = pyotp.TOTP(secret).at(clock())
    done = client.post("/account/totp/confirm", data={"_csrf": page_csrf(client), "code": code})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.text)
    assert len(codes) == 10
    return secret, codes


def second_step(client, code: str, address: str = "198.51.100.1"):
    page = client.get("/login/second-factor", environ_base={"REMOTE_ADDR": address})
    return client.post(
        "/login/second-factor",
        data={"_csrf": csrf_of(page.text), "code": code},
        environ_base={"REMOTE_ADDR": address},
    )


def test_totp_enrolment_then_sign_in_with_a_code(app, client, clock, now):
    user = user_with_password()
    login(client, user.email)
    secret, _codes = enrol_totp(client, clock)
    db.session.refresh(user)
    assert user.totp_secret.startswith("s1:") and secret not in user.totp_secret  # sealed
    browser = app.test_client()
    step = login(browser, user.email)
    assert step.status_code == 302 and step.headers["Location"] == "/login/second-factor"
    assert browser.get("/").status_code == 302  # the password alone opens nothing
    form = browser.get("/login/second-factor").text
    assert 'name="code"' in form
    clock.advance(seconds=30)
    assert second_step(browser, "000000").status_code == 401
    done = second_step(browser, pyotp.TOTP(secret).at(clock()))
    assert done.status_code == 302 and browser.get("/").status_code == 200
    row = db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id.desc())
    ).first()
    assert row.second_factor == "totp"


def test_a_totp_code_is_accepted_only_once(app, client, clock, now):
    user = user_with_password()
    login(client, user.email)
    secret, _codes = enrol_totp(client, clock)
    clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(clock())
    first, second = app.test_client(), app.test_client()
    login(first, user.email)
    login(second, user.email, address="198.51.100.2")
    assert second_step(first, code).status_code == 302
    assert second_step(second, code, "198.51.100.2").status_code == 401  # replayed


def test_a_recovery_code_works_once_in_the_code_field(app, client, clock, now):
    user = user_with_password()
    login(client, user.email)
    _secret, codes = enrol_totp(client, clock)
    assert not db.session.scalars(
        sa.select(RecoveryCode.code_hash).where(RecoveryCode.code_hash.contains(codes[0]))
    ).first()  # only hashes are kept
    browser = app.test_client()
    login(browser, user.email)
    assert second_step(browser, codes[0].upper()).status_code == 302
    again = app.test_client()
    login(again, user.email)
    assert second_step(again, codes[0]).status_code == 401
    assert factors.recovery_codes_left(user) == 9


def test_enrolling_a_factor_ends_the_other_sessions(app, client, clock, now):
    user = user_with_password()
    login(client, user.email)
    other = app.test_client()
    login(other, user.email, address="198.51.100.3")
    enrol_totp(client, clock)
    assert other.get("/").status_code == 302 and client.get("/").status_code == 200


def test_the_setting_requires_a_second_factor_of_every_account(app, client, clock, now):
    user = user_with_password()
    app.config["REQUIRE_SECOND_FACTOR"] = True
    try:
        login(client, user.email)
        assert client.get("/").headers["Location"] == "/account/security"
        assert "requires a second factor" in client.get("/account/security").text
        refused = client.get("/api/v1/parties")  # the JSON API is no way round the gate
        assert refused.status_code == 403 and "second factor" in refused.json["detail"]
        enrol_totp(client, clock)
        assert client.get("/").status_code == 200
        assert client.get("/api/v1/parties").status_code == 200
    finally:
        app.config["REQUIRE_SECOND_FACTOR"] = False


def test_the_secretariat_resets_a_users_factors_audited(app, client, clock, now):
    user = user_with_password()
    login(client, user.email)
    enrol_totp(client, clock)
    admin = user_with_password("secretariat")
    admin_client = app.test_client()
    login(admin_client, admin.email, address="198.51.100.9")
    page = admin_client.get(f"/secretariat/users/{user.id}").text
    assert "Authenticator app: on." in page
    resp = admin_client.post(
        f"/secretariat/users/{user.id}/reset-factors", data={"_csrf": page_csrf(admin_client)}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret is None
    assert factors.recovery_codes_left(user) == 0
    assert client.get("/").status_code == 302  # their sessions ended with the reset
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "factors_reset")
    ).one()
    assert entry.actor_id == admin.id and entry.entity_id == user.id
    audit = admin_client.get("/secretariat/audit?entity=security").text
    assert "second factors reset" in audit and "signed in" in audit


def test_the_security_page_lists_recent_sign_ins(client, now):
    user = user_with_password()
    login(client, user.email, address="203.0.113.5")
    page = client.get("/account/security", headers={"User-Agent": "Firefox/140"}).text
    assert "203.0.113.5" in page and "this session" in page


def test_nothing_secret_reaches_the_audit(app, client, clock, now):
    user = user_with_password()
    login(client, user.email)
    secret, codes = enrol_totp(client, clock)
    client.post(
        "/account/password",
        data={
            "_csrf": page_csrf(client),
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
        },
    )
    text = repr([(e.before, e.after) for e in db.session.scalars(sa.select(AuditEntry))])
    for secret_text in (secret, *codes, PASSWORD, "a brand new passphrase"):
        assert secret_text not in text


def test_passkey_options_are_for_the_public_host(client, now):
    user = user_with_password()
    login(client, user.email)
    resp = client.post("/account/passkeys/options", headers={"X-CSRF-Token": page_csrf(client)})
    options = resp.get_json()
    assert options["rp"] == {"id": "art35.test", "name": "Art35"}
    assert options["user"]["name"] == user.email
    bad = client.post(
        "/account/passkeys",
        json={"name": "x", "credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key"}},
        headers={"X-CSRF-Token": page_csrf(client)},
    )
    assert bad.status_code == 422 and "could not be registered" in bad.get_json()["error"]


def test_removing_a_factor_asks_for_the_password(client, clock, now):
    user = user_with_password()
    login(client, user.email)
    enrol_totp(client, clock)
    refused = client.post("/account/totp/remove", data={"_csrf": page_csrf(client)})
    assert refused.status_code == 302
    db.session.refresh(user)
    assert user.totp_secret is not None
    assert "type your current password" in client.get("/account/security").text
    client.post(
        "/account/totp/remove", data={"_csrf": page_csrf(client), "current_password": PASSWORD}
    )
    db.session.refresh(user)
    assert user.totp_secret is None and factors.recovery_codes_left(user) == 0
    removed = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "factor_removed")
    ).one()
    assert removed.after == {"factor": "totp"}
