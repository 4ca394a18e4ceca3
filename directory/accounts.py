"""Users, API tokens, password checks and one-time password links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from common.auth import (
    burn_password_check,
    check_password,
    hash_password,
    hash_secret,
    new_secret,
    password_needs_rehash,
)
from common.db import db, read_once
from common.errors import Problem, not_found
from directory import throttle
from directory.audit import record_change
from directory.models import ROLES, ApiToken, AuditEntry, Party, PasswordLink, User
from directory.passwords import MAX_LENGTH, password_problem
from directory.values import parse_email

#: Longer "tokens" are not ours: refused before hashing.
MAX_TOKEN_LENGTH = 200
PASSWORD_LINK_LIFETIME = timedelta(hours=24)
PASSWORD_LINK_PREFIX = "pw_"  # noqa: S105 -- a public prefix, not a secret
#: Who can deliver a password link by e-mail: `sender(user, url) -> bool` (the mail package
#: appends one when mail is configured). With none, the secretariat passes the link on.
PASSWORD_LINK_SENDERS: list[Callable[[User, str], bool]] = []


def create_user(
    email: str, role: str, now: datetime, *, party: Party | None = None, password: str | None = None
) -> User:
    """A new account; party_admins must name their Party, others must not."""
    email = parse_email(email)
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "party_admin" and party is None:
        raise ValueError("a party_admin needs --party ISO2")
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise ValueError(f"a user {email} already exists")
    user = User(
        email=email, role=role, party=party if role == "party_admin" else None, created_at=now
    )
    if password:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Hash and keep a password that meets the rules (ValueError says why not)."""
    problem = password_problem(password, email=user.email)
    if problem:
        raise ValueError(problem)
    user.password_hash = hash_password(password)


def record_security(
    actor: User | None,
    action: str,
    user: User | None,
    now: datetime,
    **details: Any,
) -> AuditEntry:
    """A security event in the audit (never a password, code or secret: only what happened)."""
    return record_change(
        actor,
        action,
        "security",
        user.id if user else None,
        party_id=user.party_id if user else None,
        before=None,
        after={k: v for k, v in details.items() if v is not None},
        now=now,
    )


# --- one-time links to set one's own password -----------------------------------------------


def create_password_link(user: User, now: datetime) -> str:
    """A link secret valid 24 hours (earlier links of the user stop working); shown once."""
    db.session.execute(
        sa.update(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
        .values(used_at=now)
    )
    secret = new_secret(PASSWORD_LINK_PREFIX)
    db.session.add(
        PasswordLink(
            user_id=user.id,
            token_hash=hash_secret(secret),
            created_at=now,
            expires_at=now + PASSWORD_LINK_LIFETIME,
        )
    )
    db.session.flush()
    return secret


def send_password_link(user: User, url: str) -> bool:
    """E-mail the link when a sender is configured; False means: show it to the secretariat."""
    return any(sender(user, url) for sender in PASSWORD_LINK_SENDERS)


def password_link_user(secret: str, now: datetime) -> User | None:
    """The active user of an unused, unexpired link, else None."""
    if not secret.startswith(PASSWORD_LINK_PREFIX) or len(secret) > MAX_TOKEN_LENGTH:
        return None
    query = (
        sa.select(User)
        .join(PasswordLink, PasswordLink.user_id == User.id)
        .where(
            PasswordLink.token_hash == hash_secret(secret),
            PasswordLink.used_at.is_(None),
            PasswordLink.expires_at > now,
            User.active.is_(True),
        )
    )
    return db.session.scalar(query)


def use_password_link(secret: str, password: str, now: datetime) -> User:
    """Set the password through a link, once (a conditional update: never twice)."""
    user = password_link_user(secret, now)
    if user is None:
        raise Problem(
            404, "this link is unknown, used or expired: ask the secretariat for a new one"
        )
    try:
        set_password(user, password)
    except ValueError as exc:
        raise Problem(422, str(exc), errors=[{"field": "password", "reason": str(exc)}]) from None
    done = db.session.execute(
        sa.update(PasswordLink)
        .where(PasswordLink.token_hash == hash_secret(secret), PasswordLink.used_at.is_(None))
        .values(used_at=now)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise Problem(
            404, "this link is unknown, used or expired: ask the secretariat for a new one"
        )
    return user


def get_user_by_email(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise not_found(f"user {email}")
    return user


def create_token(
    user: User, name: str, now: datetime, *, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new API token; the secret is returned once and only its hash is kept."""
    secret = new_secret()
    token = ApiToken(
        user=user, name=name, token_hash=hash_secret(secret), created_at=now, expires_at=expires_at
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke_token(token: ApiToken, now: datetime) -> None:
    if token.revoked_at is None:
        token.revoked_at = now


@dataclass(frozen=True)
class TokenCheck:
    """An accepted API token, and the data version read in the same round trip."""

    token_id: int
    user_id: int
    last_used_at: datetime | None
    data_version: int


#: Token, owner and the newest audit id in one statement: a cached lookup needs nothing else.
_TOKEN_CHECK = (
    sa.select(
        ApiToken.id,
        ApiToken.user_id,
        ApiToken.last_used_at,
        sa.select(sa.func.max(AuditEntry.id)).scalar_subquery(),
    )
    .join(User, User.id == ApiToken.user_id)
    .where(
        ApiToken.token_hash == sa.bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > sa.bindparam("now")),
        User.active.is_(True),
    )
)


def check_token(secret: str, now: datetime) -> TokenCheck | None:
    """The unrevoked token of an active user, else None; records its use once a minute."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None
    row = read_once(_TOKEN_CHECK, {"token_hash": hash_secret(secret), "now": now})
    if row is None:
        return None
    check = TokenCheck(row[0], row[1], row[2], row[3] or 0)
    # Write the last use at most once a minute: reads should not all become writes.
    if check.last_used_at is None or now - check.last_used_at > timedelta(minutes=1):
        db.session.execute(
            sa.update(ApiToken).where(ApiToken.id == check.token_id).values(last_used_at=now)
        )
        try:
            db.session.commit()
        except sa.exc.OperationalError:
            # SQLite refuses the write while another process writes ("database is locked"):
            # the use is recorded by a later request, this one is still answered.
            db.session.rollback()
    return check


def user_for_token(secret: str, now: datetime) -> User | None:
    """The active user owning this unrevoked token; records its use."""
    check = check_token(secret, now)
    return None if check is None else db.session.get(User, check.user_id)


def authenticate_password(
    email: str, password: str, now: datetime, *, address: str = "?", browser: str | None = None
) -> User:
    """Check a password; failures slow down and then block their source, never the account.

    Known and unknown e-mails get the same answer after the same work (a dummy hash is checked).
    """
    email = email.strip().lower()[:320]
    verdict = throttle.record_attempt(email, address, now)
    db.session.commit()  # the count holds even if this request dies; no row lock kept meanwhile
    if not verdict.allowed:
        record_security(
            None, "sign_in_blocked", None, now, email=email, address=address, browser=browser
        )
        db.session.commit()
        raise Problem(
            429,
            "too many sign-in attempts from this address: try again later",
            headers={"Retry-After": str(verdict.retry_after)},
        )
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if len(password) > MAX_LENGTH:
        password = password[:MAX_LENGTH]  # bounded work; such a password never matches anyway
        user = None
    if user is None or not user.active or not user.password_hash:
        burn_password_check(password)
        ok = False
    else:
        ok = check_password(user.password_hash, password)
    if not ok or user is None:
        record_security(
            None,
            "sign_in_failed",
            user,
            now,
            email=email,
            address=address,
            browser=browser,
        )
        db.session.commit()
        raise Problem(401, "wrong e-mail or password")
    if user.password_hash and password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    throttle.forget_success(email, address)
    return user


def change_password(user: User, current: str, new: str, now: datetime) -> None:
    """The user's own change: the current password first (ASVS 2.1.6)."""
    if not check_password(user.password_hash, current):
        raise Problem(
            422,
            "the current password is not right",
            errors=[{"field": "current_password", "reason": "the current password is not right"}],
        )
    try:
        set_password(user, new)
    except ValueError as exc:
        raise Problem(
            422, str(exc), errors=[{"field": "new_password", "reason": str(exc)}]
        ) from None


def list_users() -> list[User]:
    """Every account, by e-mail."""
    return list(db.session.scalars(sa.select(User).order_by(User.email)))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise not_found(f"user {user_id}")
    return user


def list_tokens(user: User) -> list[ApiToken]:
    """A user's API tokens, newest first (the secrets themselves are never kept)."""
    query = sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(db.session.scalars(query))


def get_token(token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise not_found(f"token {token_id}")
    return token


def set_active(user: User, active: bool) -> None:
    """Switch an account off (its sessions and tokens stop working at once) or on again."""
    user.active = active
