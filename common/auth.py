"""Secrets: API tokens (stored as hashes) and passwords."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

TOKEN_PREFIX = "art35_"  # noqa: S105 -- a public prefix that makes leaked tokens greppable


def new_secret(prefix: str = TOKEN_PREFIX) -> str:
    """A fresh high-entropy secret for API tokens and calendar URLs."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """SHA-256 is enough for 256-bit random secrets: no need for a slow hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


#: argon2id with RFC 9106's second recommended option (t=3, 64 MiB, p=4): argon2-cffi's default.
PASSWORDS = PasswordHasher()
#: Verified when the e-mail is unknown, so that both answers take the same time.
_DUMMY_HASH = PASSWORDS.hash("not-a-password: equalises the timing of unknown accounts")


def hash_password(password: str) -> str:
    """An argon2id hash at the current cost."""
    return PASSWORDS.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; older werkzeug (scrypt/pbkdf2) hashes still verify."""
    if not password_hash:
        _burn(password)
        return False
    if password_hash.startswith("$argon2"):
        try:
            return PASSWORDS.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
    return check_password_hash(password_hash, password)


def _burn(password: str) -> None:
    """Spend the time of one real verification (the answer is thrown away)."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        PASSWORDS.verify(_DUMMY_HASH, password)


def burn_password_check(password: str) -> None:
    """For unknown accounts: the same work as checking a real password."""
    _burn(password)


def password_needs_rehash(password_hash: str) -> bool:
    """True for werkzeug hashes and argon2 hashes made with other parameters."""
    if not password_hash.startswith("$argon2"):
        return True
    try:
        return PASSWORDS.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
