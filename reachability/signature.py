"""Twilio webhook signatures (X-Twilio-Signature), via twilio's own RequestValidator.

`url` must be the full public URL Twilio requested (scheme, host, path and query string), as
configured in the call, not the URL seen behind a proxy. `params` are the POST form fields
(a dict or a werkzeug MultiDict).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def compute_signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Base64 HMAC-SHA1 over the URL followed by the sorted POST params, as Twilio signs."""
    return RequestValidator(auth_token).compute_signature(url, params or {})


def is_valid_signature(
    auth_tokens: Sequence[str], url: str, params: Mapping[str, Any] | None, signature: str
) -> bool:
    """True if `signature` matches under any of `auth_tokens` (several during a token rotation).

    Empty tokens are ignored; a missing signature is never valid.
    """
    if not signature:
        return False
    if isinstance(auth_tokens, str):  # a lone token, not a sequence of its characters
        auth_tokens = (auth_tokens,)
    return any(
        RequestValidator(token).validate(url, params or {}, signature)
        for token in auth_tokens
        if token
    )
