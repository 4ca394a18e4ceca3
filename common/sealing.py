"""Secrets the service must read back (TOTP seeds), sealed at rest with a key from SECRET_KEY.

A copy of the database or of a backup then yields no working second factor. Keys are derived
with HKDF from `SECRET_KEY` (sealing) and `SECRET_KEY_FALLBACKS` (opening only), so rotating the
session key as docs/security.md describes keeps every sealed value readable; `reseal` moves a
value under the current key. A stored value is `s1:<Fernet token>`; anything without the prefix
is a value written before sealing existed and is read as is until it is resealed.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "s1:"


class SealError(ValueError):
    """A sealed value no configured key opens (the key it was sealed with was dropped)."""


def _fernet(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"art35 {purpose}".encode()
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _box(keys: Sequence[str], purpose: str) -> MultiFernet:
    if not keys or not keys[0]:
        raise SealError("no SECRET_KEY to seal with")
    return MultiFernet([_fernet(key, purpose) for key in keys if key])


def seal(plain: str, keys: Sequence[str], purpose: str) -> str:
    """`plain` sealed under the first key (the current SECRET_KEY)."""
    return PREFIX + _box(keys, purpose).encrypt(plain.encode()).decode()


def is_current(stored: str, keys: Sequence[str], purpose: str) -> bool:
    """True when `stored` is sealed and opens with the current key (no reseal needed)."""
    if not stored.startswith(PREFIX):
        return False
    try:
        _fernet(keys[0], purpose).decrypt(stored[len(PREFIX) :].encode())
    except InvalidToken:
        return False
    return True


def unseal(stored: str, keys: Sequence[str], purpose: str) -> str:
    """The plain value of `stored` (sealed under any configured key, or from before sealing)."""
    if not stored.startswith(PREFIX):
        return stored
    try:
        return _box(keys, purpose).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise SealError("no configured SECRET_KEY opens this value") from exc


def reseal(stored: str, keys: Sequence[str], purpose: str) -> str:
    """`stored` sealed under the current key (the same value when it already is)."""
    if is_current(stored, keys, purpose):
        return stored
    return seal(unseal(stored, keys, purpose), keys, purpose)
