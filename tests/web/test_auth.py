"""Signing in and out, CSRF on every form, lockout, and the remembered language."""

from __future__ import annotations

import re

from common.db import db
from directory import accounts
from tests.conftest import make_user
from tests.web.conftest import CSRF, sign_in

PASSWORD = "correct horse battery"


def _user_with_password(role="member", party=None):
    user = make_user(role, party)[0]
    accounts.set_password(user, PASSWORD)
    db.session.commit()
    return user


def _csrf_from(html: str) -> str:
    return re.search(r'name="_csrf" value="([^"]+)"', html).group(1)


def test_pages_send_strangers_to_the_login_page(client, now):
    resp = client.get("/parties/FR?tz=viewer")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")
    assert resp.headers["Location"] == "/login?next=/parties/FR?tz%3Dviewer"


def test_sign_in_with_email_and_password_then_out(client, now):
    user = _user_with_password()
    page = client.get("/login")
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.text
    resp = client.post(
        "/login",
        data={"_csrf": _csrf_from(page.text), "email": user.email.upper(), "password": PASSWORD},
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    board = client.get("/")
    assert board.status_code == 200
    assert user.email in board.text
    out = client.post("/logout", data={"_csrf": _csrf_from(board.text)})
    assert out.status_code == 302
    assert client.get("/").status_code == 302


def test_the_session_token_changes_at_sign_in(client, now):
    user = _user_with_password()
    page = client.get("/login")
    before = _csrf_from(page.text)
    client.post("/login", data={"_csrf": before, "email": user.email, "password": PASSWORD})
    assert _csrf_from(client.get("/").text) != before


def test_wrong_password_says_so_and_keeps_the_email(client, now):
    user = _user_with_password()
    page = client.get("/login")
    resp = client.post(
        "/login", data={"_csrf": _csrf_from(page.text), "email": user.email, "password": "nope"}
    )
    assert resp.status_code == 401
    assert "Wrong e-mail or password." in resp.text
    assert f'value="{user.email}"' in resp.text


def test_failures_slow_the_source_but_never_lock_out_the_owner(client, now):
    user = _user_with_password()
    token = _csrf_from(client.get("/login").text)
    for _ in range(5):
        client.post("/login", data={"_csrf": token, "email": user.email, "password": "nope"})
    resp = client.post("/login", data={"_csrf": token, "email": user.email, "password": PASSWORD})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0
    assert "Too many sign-in attempts from here" in resp.text
    # The owner, from their own address, is not locked out by the attacker's failures.
    elsewhere = client.application.test_client()
    page = elsewhere.get("/login", environ_base={"REMOTE_ADDR": "192.0.2.77"})
    resp = elsewhere.post(
        "/login",
        data={"_csrf": _csrf_from(page.text), "email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.77"},
    )
    assert resp.status_code == 302


def test_a_post_without_the_csrf_token_is_refused(client, now):
    user = _user_with_password()
    client.get("/login")
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 400
    assert "expired" in resp.text
    sign_in(client, user)
    assert client.post("/logout", data={"_csrf": "forged"}).status_code == 400
    assert client.post("/logout", data={"_csrf": CSRF}).status_code == 302


def test_next_only_leads_to_this_site(client, now):
    user = _user_with_password()
    token = _csrf_from(client.get("/login").text)
    for target, expected in (
        ("/parties/FR", "/parties/FR"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
    ):
        client.post("/logout", data={"_csrf": token})
        token = _csrf_from(client.get("/login").text)
        resp = client.post(
            "/login",
            data={"_csrf": token, "email": user.email, "password": PASSWORD, "next": target},
        )
        assert resp.headers["Location"] == expected
        token = _csrf_from(client.get("/login").text)


def test_lang_switches_the_language_and_is_remembered_for_the_user(client, now):
    user = _user_with_password()
    sign_in(client, user)
    assert "Whom to call now" in client.get("/").text
    french = client.get("/?lang=fr")
    assert "Qui appeler maintenant" in french.text
    assert '<html lang="fr"' in french.text
    assert "Qui appeler maintenant" in client.get("/").text  # remembered in the session
    assert user.locale == "fr"  # and for the user
    # A new session (another browser) starts in the user's language after signing in.
    client.post("/logout", data={"_csrf": CSRF})
    with client.session_transaction() as session:
        session.clear()
    token = _csrf_from(client.get("/login", headers={"Accept-Language": "en"}).text)
    client.post("/login", data={"_csrf": token, "email": user.email, "password": PASSWORD})
    assert "Qui appeler maintenant" in client.get("/").text


def test_the_login_page_follows_the_browser_language(client, now):
    assert "Connexion" in client.get("/login", headers={"Accept-Language": "fr-FR,fr"}).text
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "de,en;q=0.5"}).text


def test_pages_are_not_cached_and_forbid_framing(signed_in, now):
    resp = signed_in.get("/")
    assert "no-store" in resp.headers["Cache-Control"]
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]


def test_a_switched_off_account_loses_its_session(signed_in, secretariat_user, now):
    secretariat_user.active = False
    db.session.commit()
    assert signed_in.get("/").status_code == 302
