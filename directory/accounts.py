"""Users, API tokens and password checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from common.auth import check_password, hash_password, hash_secret, new_secret
from common.db import db, read_once
from common.errors import Problem, not_found
from directory.models import ROLES, ApiToken, AuditEntry, Party, User
from directory.values import parse_email

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
#: Longer "tokens" are not ours: refused before hashing.
MAX_TOKEN_LENGTH = 200


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
    if len(password) < 10:
        raise ValueError("a password needs at least 10 characters")
    user.password_hash = hash_password(password)


def get_user_by_email(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise not_found(f"user {email}")
    return user


def create_token(user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new API token; the secret is returned once and only its hash is kept."""
    secret = new_secret()
    token = ApiToken(user=user, name=name, token_hash=hash_secret(secret), created_at=now)
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
        User.active.is_(True),
    )
)


def check_token(secret: str, now: datetime) -> TokenCheck | None:
    """The unrevoked token of an active user, else None; records its use once a minute."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None
    row = read_once(_TOKEN_CHECK, {"token_hash": hash_secret(secret)})
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


def authenticate_password(email: str, password: str, now: datetime) -> User:
    """Check a login; lock the account for a while after repeated failures."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        raise Problem(401, "wrong e-mail or password")
    if user.locked_until and user.locked_until > now:
        raise Problem(
            429,
            "too many failed attempts: try again later",
            headers={"Retry-After": str(int((user.locked_until - now).total_seconds()))},
        )
    if not check_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        db.session.commit()
        raise Problem(401, "wrong e-mail or password")
    user.failed_logins = 0
    user.locked_until = None
    return user


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
    """Switch an account off (its session and tokens stop working) or on again; on also unlocks."""
    user.active = active
    if active:
        user.failed_logins = 0
        user.locked_until = None
