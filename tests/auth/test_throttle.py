"""Throttling that slows the attacker's source and never locks out the account's owner."""

from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import sqlalchemy as sa

from common.db import db
from directory import throttle
from directory.models import AuditEntry
from tests.auth.conftest import PASSWORD, login, user_with_password


def test_five_free_attempts_then_a_doubling_wait_then_a_block(clock, now):
    verdicts = [throttle.record_attempt("a@x.org", "192.0.2.1", now) for _ in range(5)]
    assert all(v.allowed for v in verdicts)
    sixth = throttle.record_attempt("a@x.org", "192.0.2.1", now)
    assert not sixth.allowed and sixth.retry_after == 30 and not sixth.blocked
    clock.advance(seconds=60)  # the 7th attempt may come 60 s after the window began
    assert throttle.record_attempt("a@x.org", "192.0.2.1", clock()).allowed
    for _ in range(3):
        throttle.record_attempt("a@x.org", "192.0.2.1", clock())
    blocked = throttle.record_attempt("a@x.org", "192.0.2.1", clock())
    assert blocked.blocked and blocked.retry_after == 14 * 60
    # The window ends: the source starts afresh.
    clock.advance(minutes=15)
    assert throttle.record_attempt("a@x.org", "192.0.2.1", clock()).allowed


def test_the_same_account_from_another_address_is_not_slowed(now):
    for _ in range(12):
        throttle.record_attempt("a@x.org", "192.0.2.1", now)
    assert throttle.record_attempt("a@x.org", "192.0.2.2", now).allowed


def test_one_address_trying_many_accounts_is_slowed_too(now):
    for i in range(30):
        assert throttle.record_attempt(f"u{i}@x.org", "192.0.2.3", now).allowed
    assert not throttle.record_attempt("u99@x.org", "192.0.2.3", now).allowed


def test_a_right_password_clears_its_own_counter(client, now):
    user = user_with_password()
    for _ in range(4):
        login(client, user.email, "wrong password here")
    assert login(client, user.email).status_code == 302
    assert throttle.attempts(throttle.keys_for(user.email, "198.51.100.1")[1]) == 0


def _answer(html: str, email: str) -> str:
    """The page without what differs per browser (its CSRF token) or per e-mail typed."""
    return re.sub(r'(data-csrf|name="_csrf" value)="[^"]+"', "", html.replace(email, "E"))


def test_unknown_and_known_emails_get_the_same_answers(app, now):
    user = user_with_password()
    known, unknown = app.test_client(), app.test_client()
    for _ in range(5):
        a = login(known, user.email, "not the password", address="192.0.2.10")
        b = login(unknown, "nobody@art35.example", "not the password", address="192.0.2.11")
        assert a.status_code == b.status_code == 401
        assert _answer(a.text, user.email) == _answer(b.text, "nobody@art35.example")
    a = login(known, user.email, PASSWORD, address="192.0.2.10")
    b = login(unknown, "nobody@art35.example", PASSWORD, address="192.0.2.11")
    assert a.status_code == b.status_code == 429
    assert a.headers["Retry-After"] == b.headers["Retry-After"]


def test_unknown_and_known_emails_take_about_the_same_time(app, now):
    user = user_with_password()

    def timed(email: str, address: str) -> float:
        client = app.test_client()
        start = time.perf_counter()
        login(client, email, "not the password", address=address)
        return time.perf_counter() - start

    known = statistics.median(timed(user.email, f"192.0.2.{20 + i}") for i in range(5))
    unknown = statistics.median(
        timed("nobody@art35.example", f"192.0.2.{40 + i}") for i in range(5)
    )
    # Both verify one argon2id hash (the unknown one a dummy): within a factor of 2.
    assert 0.5 < unknown / known < 2, (known, unknown)


def test_failures_and_blocks_are_in_the_audit_without_the_password(client, now):
    user = user_with_password()
    for _ in range(6):
        login(client, user.email, "s3cret-guess-123")
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == "security").order_by(AuditEntry.id)
    ).all()
    actions = [e.action for e in entries]
    assert actions.count("sign_in_failed") == 5 and actions[-1] == "sign_in_blocked"
    assert entries[0].after["address"] == "198.51.100.1" and entries[0].after["email"] == user.email
    assert not any("s3cret-guess-123" in repr((e.before, e.after)) for e in entries)


def test_the_window_is_fifteen_minutes():
    assert timedelta(minutes=15) == throttle.WINDOW
