"""Which numbers the service may dial: telephony is money, so only ordinary lines are called.

A number is called only when phonenumbers classifies it as fixed-line or mobile (or the
ambiguous FIXED_LINE_OR_MOBILE of some countries) AND it belongs to the Party's own country or
to a calling code the secretariat allowed for that Party (`Party.allowed_calling_codes`).
Premium-rate, shared-cost, toll-free, UAN, personal, VoIP, pager, voicemail and unknown-type
numbers are never called, nor satellite and other non-geographic networks (+870, +881, …).
Pure functions: no database, no Flask.
"""

from __future__ import annotations

from collections.abc import Iterable

import phonenumbers
from phonenumbers import PhoneNumberType as T

CALLABLE_TYPES = frozenset({T.FIXED_LINE, T.MOBILE, T.FIXED_LINE_OR_MOBILE})
TYPE_NAMES = {
    T.PREMIUM_RATE: "premium-rate",
    T.SHARED_COST: "shared-cost",
    T.TOLL_FREE: "toll-free",
    T.UAN: "UAN (universal access)",
    T.PERSONAL_NUMBER: "personal",
    T.VOIP: "VoIP",
    T.PAGER: "pager",
    T.VOICEMAIL: "voicemail",
    T.UNKNOWN: "unknown-type",
}
#: The "region" phonenumbers gives satellite and other non-geographic networks (+870, +881, …).
NON_GEOGRAPHIC = "001"


def number_kind(e164: str) -> str:
    """A short name for the number's type (for reasons and reports)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "unreadable"
    if phonenumbers.region_code_for_number(number) == NON_GEOGRAPHIC:
        return "satellite or non-geographic"
    kind = phonenumbers.number_type(number)
    if kind in CALLABLE_TYPES:
        return "mobile" if kind == T.MOBILE else "fixed-line"
    return TYPE_NAMES.get(kind, "unknown-type")


def call_refusal(
    e164: str | None, party_iso2: str, allowed_codes: Iterable[int] = ()
) -> str | None:
    """Why this number must not be called for this Party, or None when it may be."""
    if not e164:
        return "no number to call"
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return f"{e164} is not a readable phone number"
    if not phonenumbers.is_valid_number(number):
        return f"{e164} is not a valid phone number"
    region = phonenumbers.region_code_for_number(number)
    if region == NON_GEOGRAPHIC:
        return (
            f"{e164} is a satellite or non-geographic number (+{number.country_code}): never called"
        )
    kind = phonenumbers.number_type(number)
    if kind not in CALLABLE_TYPES:
        return f"{e164} is a {TYPE_NAMES.get(kind, 'unknown-type')} number: never called"
    if region == party_iso2.upper() or number.country_code in set(allowed_codes):
        return None
    return (
        f"{e164} is outside {party_iso2.upper()} (+{number.country_code}, {region}); "
        f"the secretariat can allow +{number.country_code} for this Party"
    )


def parse_calling_codes(values: Iterable[object]) -> list[int]:
    """Country calling codes as the secretariat may allow them: known, geographic, sorted."""
    codes: set[int] = set()
    for value in values:
        text = str(value).strip().lstrip("+")
        if not text.isdigit() or len(text) > 3:
            raise ValueError(f"{value!r} is not a country calling code such as 33 or 1")
        code = int(text)
        regions = phonenumbers.region_codes_for_country_code(code)
        if not regions or regions == (phonenumbers.UNKNOWN_REGION,):
            raise ValueError(f"+{code} is not a country calling code")
        if NON_GEOGRAPHIC in regions:
            raise ValueError(f"+{code} is a satellite or non-geographic network: never allowed")
        codes.add(code)
    return sorted(codes)
