"""Secrets: API tokens (stored as hashes) and passwords."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

TOKEN_PREFIX = "art35_"  # noqa: S105 -- a public prefix that makes leaked tokens greppable


def new_secret(prefix: str = TOKEN_PREFIX) -> str:
    """A fresh high-entropy secret for API tokens and calendar URLs."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """SHA-256 is enough for 256-bit random secrets: no need for a slow hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    return bool(password_hash) and check_password_hash(password_hash or "", password)
