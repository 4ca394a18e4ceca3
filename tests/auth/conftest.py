"""Helpers for the account-security tests: users with passwords, sign-in through the pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from common.db import db
from directory import accounts
from tests.conftest import make_user

PASSWORD = "correct horse battery staple"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def csrf_of(html: str) -> str:
    return re.search(r'name="_csrf" value="([^"]+)"', html).group(1)


def user_with_password(role: str = "member", party=None, password: str = PASSWORD):
    user = make_user(role, party)[0]
    accounts.set_password(user, password)
    db.session.commit()
    return user


def login(client, email: str, password: str = PASSWORD, address: str = "198.51.100.1"):
    """Post the login form from `address`; the response (302 on success)."""
    env = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=env)
    return client.post(
        "/login",
        data={"_csrf": csrf_of(page.text), "email": email, "password": password},
        environ_base=env,
    )


def page_csrf(client) -> str:
    with client.session_transaction() as session:
        return session["_csrf"]


@pytest.fixture
def now(clock):
    clock.set(NOW)
    return NOW


@pytest.fixture
def real_limits(app):
    """The default session limits (the suite's page tests run with very long ones)."""
    saved = {k: app.config[k] for k in ("SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_HOURS")}
    app.config.update(SESSION_IDLE_MINUTES=30, SESSION_ABSOLUTE_HOURS=12)
    yield
    app.config.update(saved)
