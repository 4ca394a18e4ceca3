"""One-time link secrets: random, stored as SHA-256 hashes, expiring, used at most once.

A link opens a page whose button does the deed (POST): mail scanners that fetch every link
in a message (GET) use nothing up. Using is one conditional UPDATE, so two clicks racing
still use a token once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from common.db import db, rowcount
from mail.models import MailToken

LIFETIMES = {
    "verify": timedelta(days=7),
    "unsubscribe": timedelta(days=400),
    "ack": timedelta(days=30),
}
#: Secrets are 43 URL-safe characters; anything longer is refused before hashing.
MAX_SECRET = 100


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    purpose: str,
    address: str,
    now: datetime,
    *,
    person_id: int | None = None,
    party_id: int | None = None,
    ack_id: int | None = None,
) -> str:
    """A new secret for a link (only its hash is kept), valid for the purpose's lifetime."""
    secret = secrets.token_urlsafe(32)
    db.session.add(
        MailToken(
            purpose=purpose,
            token_hash=token_hash(secret),
            address=address.strip().lower(),
            person_id=person_id,
            party_id=party_id,
            ack_id=ack_id,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    db.session.flush()
    return secret


def peek_token(purpose: str, secret: str, now: datetime) -> MailToken | None:
    """The token if still usable (unused, unexpired), without using it: for the GET page."""
    if not secret or len(secret) > MAX_SECRET:
        return None
    return db.session.scalar(
        sa.select(MailToken).where(
            MailToken.token_hash == token_hash(secret),
            MailToken.purpose == purpose,
            MailToken.used_at.is_(None),
            MailToken.expires_at > now,
        )
    )


def use_token(purpose: str, secret: str, now: datetime) -> MailToken | None:
    """Use the token once (None when unknown, expired or already used)."""
    if not secret or len(secret) > MAX_SECRET:
        return None
    digest = token_hash(secret)
    result = db.session.execute(
        sa.update(MailToken)
        .where(
            MailToken.token_hash == digest,
            MailToken.purpose == purpose,
            MailToken.used_at.is_(None),
            MailToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return None
    return db.session.scalar(
        sa.select(MailToken)
        .where(MailToken.token_hash == digest)
        .execution_options(populate_existing=True)
    )
