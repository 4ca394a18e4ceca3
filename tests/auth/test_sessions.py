"""Sessions held by the server: ended everywhere at once, idle and absolute limits."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from common.db import db
from directory import accounts
from directory.models import AuditEntry, UserSession
from tests.auth.conftest import PASSWORD, login, page_csrf, user_with_password
from tests.conftest import make_user


def _cookie_of(client) -> str:
    return client.get_cookie("session").value


def _client_with(app, cookie: str):
    """Another browser holding a copy of the cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def test_sign_in_keeps_a_server_session_and_the_cookie_holds_only_its_secret(client, now):
    user = user_with_password()
    assert login(client, user.email).status_code == 302
    row = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == user.id))
    assert row.address == "198.51.100.1" and row.ended_at is None
    with client.session_transaction() as session:
        assert "user_id" not in session and session["sid"].startswith("s_")


def test_sign_out_ends_the_session_for_a_copied_cookie_too(app, client, now):
    user = user_with_password()
    login(client, user.email)
    copy = _client_with(app, _cookie_of(client))
    assert copy.get("/").status_code == 200
    client.post("/logout", data={"_csrf": page_csrf(client)})
    assert copy.get("/").status_code == 302
    assert copy.get("/api/v1/parties").status_code == 401


def test_a_password_change_ends_the_other_sessions(app, client, now):
    user = user_with_password()
    login(client, user.email)
    laptop = app.test_client()
    login(laptop, user.email, address="198.51.100.2")
    resp = client.post(
        "/account/password",
        data={
            "_csrf": page_csrf(client),
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
        },
    )
    assert resp.status_code == 302
    assert client.get("/").status_code == 200  # the one that changed it goes on
    assert laptop.get("/").status_code == 302
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.entity_id == user.id)
    )
    assert {"password_changed", "session_ended"} <= set(actions)


def test_the_current_password_is_needed_to_change_it(client, now):
    user = user_with_password()
    login(client, user.email)
    resp = client.post(
        "/account/password",
        data={"_csrf": page_csrf(client), "current_password": "wrong", "new_password": "x" * 20},
    )
    assert resp.status_code == 422 and "current password is not right" in resp.text


def test_deactivation_and_sign_out_everywhere_end_every_session(app, client, now):
    user = user_with_password()
    admin = user_with_password("secretariat")
    login(client, user.email)
    admin_client = app.test_client()
    login(admin_client, admin.email, address="198.51.100.9")
    resp = admin_client.post(
        f"/secretariat/users/{user.id}/sign-out", data={"_csrf": page_csrf(admin_client)}
    )
    assert resp.status_code == 302
    assert client.get("/").status_code == 302
    ended = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == user.id))
    assert ended.ended_by_id == admin.id and ended.ended_reason == "signed out by the secretariat"
    login(client, user.email)
    admin_client.post(
        f"/secretariat/users/{user.id}/active", data={"_csrf": page_csrf(admin_client)}
    )
    assert client.get("/").status_code == 302


def test_idle_sessions_end_after_30_minutes(client, clock, now, real_limits):
    user = user_with_password()
    login(client, user.email)
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200  # activity: the idle clock restarts
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    clock.advance(minutes=30)
    assert client.get("/").status_code == 302
    row = db.session.scalar(sa.select(UserSession).where(UserSession.user_id == user.id))
    assert row.ended_reason == "idle"


def test_sessions_end_after_12_hours_whatever_the_activity(client, clock, now, real_limits):
    user = user_with_password()
    login(client, user.email)
    for _ in range(47):  # 11 h 45 min of steady use
        clock.advance(minutes=15)
        assert client.get("/account/security").status_code == 200
    clock.advance(minutes=14)
    assert client.get("/").status_code == 200
    clock.advance(minutes=1)
    assert client.get("/").status_code == 302


def test_the_boards_background_refresh_is_not_activity(client, clock, now, real_limits):
    user = user_with_password()
    login(client, user.email)
    background = {"X-Art35-Background": "1"}
    for _ in range(2):
        clock.advance(minutes=10)
        assert client.get("/board/rows", headers=background).status_code == 200
    # 30 minutes of refreshes only: the session is idle, and the board is told so plainly.
    clock.advance(minutes=10)
    ended = client.get("/board/rows", headers=background)
    assert ended.status_code == 401
    assert "Your session has ended" in ended.text
    assert client.get("/").status_code == 302


def test_api_tokens_expire_and_record_their_last_use(client, clock, now):
    user = make_user("member")[0]
    _token, secret = accounts.create_token(user, "ci", now, expires_at=now + timedelta(days=1))
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/parties", headers=headers).status_code == 200
    assert _token.last_used_at is not None or db.session.refresh(_token) is None
    db.session.refresh(_token)
    assert _token.last_used_at == now
    clock.advance(days=1)
    assert client.get("/api/v1/parties", headers=headers).status_code == 401
