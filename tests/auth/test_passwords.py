"""Passwords by NIST SP 800-63B / ASVS 2.1; argon2id with rehashing; one-time set-password links."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from common.auth import PASSWORDS, check_password, hash_password
from common.db import db
from directory import accounts
from directory.models import AuditEntry
from directory.passwords import common_passwords, password_problem
from tests.auth.conftest import PASSWORD, csrf_of, login, page_csrf, user_with_password
from tests.conftest import make_user


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("1234567890", "at least 12 characters"),
        ("short pass", "at least 12 characters"),
        ("password1234", "common or breached"),
        ("iloveyou1234", "common or breached"),
        ("123456789012", "repetition or a sequence"),
        ("zzzzzzzzzzzzzz", "repetition or a sequence"),
        ("art35art35art35", "service's name"),
        ("x" * 129, "at most 128"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    assert reason in (password_problem(password) or "")


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "no composition rules", "Ünïcödé pässphrase ✓"]
)
def test_long_passphrases_need_no_composition_rules(password):
    assert password_problem(password) is None


def test_the_blocklist_is_bundled_and_large():
    assert len(common_passwords()) >= 10_000
    assert "qwertyuiop" in common_passwords()


def test_passwords_are_hashed_with_argon2id():
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert "m=65536,t=3,p=4" in stored
    assert check_password(stored, PASSWORD) and not check_password(stored, "wrong")


def test_an_old_scrypt_hash_still_verifies_and_is_upgraded_at_sign_in(client, now):
    user = make_user("member")[0]
    user.password_hash = generate_password_hash(PASSWORD, method="scrypt")
    db.session.commit()
    assert login(client, user.email).status_code == 302
    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")


def test_a_hash_made_with_other_parameters_is_rehashed_at_sign_in(client, now):
    from argon2 import PasswordHasher

    user = make_user("member")[0]
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    db.session.commit()
    assert login(client, user.email).status_code == 302
    db.session.refresh(user)
    assert not PASSWORDS.check_needs_rehash(user.password_hash)


def test_a_new_account_gets_a_one_time_link_shown_once(app, client, now):
    admin = user_with_password("secretariat")
    login(client, admin.email)
    resp = client.post(
        "/secretariat/users/new",
        data={"_csrf": page_csrf(client), "email": "new@art35.example", "role": "member"},
    )
    assert resp.status_code == 200
    assert 'name="password"' not in resp.text
    link = resp.text.split('id="password-link">')[1].split("<")[0]
    assert link.startswith("http://art35.test/account/set-password/pw_")
    path = link.removeprefix("http://art35.test")
    newcomer = app.test_client()
    page = newcomer.get(path)
    assert page.status_code == 200 and "new@art35.example" in page.text
    weak = newcomer.post(path, data={"_csrf": csrf_of(page.text), "new_password": "1234567890"})
    assert weak.status_code == 422 and "at least 12 characters" in weak.text
    done = newcomer.post(
        path, data={"_csrf": csrf_of(page.text), "new_password": "my own long passphrase"}
    )
    assert done.status_code == 302
    assert login(newcomer, "new@art35.example", "my own long passphrase").status_code == 302
    # Used once: the link is dead now; and only its hash was ever stored.
    assert app.test_client().get(path).status_code == 404
    audit = db.session.scalars(sa.select(AuditEntry)).all()
    assert not any(path.rsplit("/", 1)[1] in repr((a.before, a.after)) for a in audit)


def test_a_password_link_expires_after_24_hours(client, clock, now):
    user = make_user("member")[0]
    secret = accounts.create_password_link(user, now)
    db.session.commit()
    clock.advance(hours=23, minutes=59)
    assert accounts.password_link_user(secret, clock()) is not None
    clock.advance(minutes=1)
    assert client.get(f"/account/set-password/{secret}").status_code == 404


def test_a_reset_link_replaces_the_earlier_one(now):
    user = make_user("member")[0]
    first = accounts.create_password_link(user, now)
    second = accounts.create_password_link(user, now)
    assert accounts.password_link_user(first, now) is None
    assert accounts.password_link_user(second, now) is not None


def test_a_mail_sender_gets_the_link_when_one_is_configured(now, monkeypatch):
    sent = []
    monkeypatch.setattr(
        accounts, "PASSWORD_LINK_SENDERS", [lambda u, url: sent.append(url) or True]
    )
    user = make_user("member")[0]
    assert accounts.send_password_link(user, "http://x/account/set-password/pw_1") is True
    assert sent == ["http://x/account/set-password/pw_1"]


def test_the_cli_never_takes_a_password_as_an_argument(runner, now):
    made = runner.invoke(args=["users", "create", "cli@art35.example", "--role", "member"])
    assert made.exit_code == 0, made.output
    assert "/account/set-password/pw_" in made.output
    argument = runner.invoke(
        args=["users", "create", "x@art35.example", "--role", "member", "--password", "p" * 20]
    )
    assert argument.exit_code != 0 and "No such option" in argument.output
    weak = runner.invoke(
        args=["users", "set-password", "cli@art35.example", "--password-stdin"],
        input="1234567890\n",
    )
    assert weak.exit_code == 1 and "at least 12 characters" in weak.output
    ok = runner.invoke(
        args=["users", "set-password", "cli@art35.example", "--password-stdin"],
        input="a long enough passphrase\n",
    )
    assert ok.exit_code == 0, ok.output
    prompted = runner.invoke(
        args=["users", "set-password", "cli@art35.example"],
        input="another long passphrase\nanother long passphrase\n",
    )
    assert prompted.exit_code == 0 and "another long passphrase" not in prompted.output
    user = accounts.get_user_by_email("cli@art35.example")
    assert check_password(user.password_hash, "another long passphrase")


def test_tokens_from_the_cli_can_expire(runner, clock, now):
    make_user("member", email="tok@art35.example")
    made = runner.invoke(args=["tokens", "create", "tok@art35.example", "--expires-in", "7"])
    assert made.exit_code == 0, made.output
    listed = runner.invoke(args=["tokens", "list", "tok@art35.example"])
    assert "expires 2026-12-08T12:00:00+00:00" in listed.output
    assert "last used never" in listed.output
    clock.advance(days=8)
    assert "\texpired\t" in runner.invoke(args=["tokens", "list", "tok@art35.example"]).output


def test_a_password_link_never_reaches_the_logs():
    from common.observability import redact

    line = 'GET /account/set-password/pw_AbC-123_xyz HTTP/1.1" 200'
    assert "pw_AbC" not in redact(line)
    assert "/account/set-password/[redacted]" in redact(line)


def test_with_mail_configured_the_link_is_e_mailed_not_shown(app, client, now):
    from mail.models import OutboxMessage

    admin = user_with_password("secretariat")
    login(client, admin.email)
    app.config["MAIL_SERVER"] = "smtp.art35.test"
    try:
        resp = client.post(
            "/secretariat/users/new",
            data={"_csrf": page_csrf(client), "email": "mailed@art35.example", "role": "member"},
        )
    finally:
        app.config["MAIL_SERVER"] = None
    assert resp.status_code == 200 and 'id="password-link"' not in resp.text
    message = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_addr == "mailed@art35.example")
    ).one()
    assert message.kind == "password" and "/account/set-password/pw_" in message.body_text
