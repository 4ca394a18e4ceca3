"""Which numbers the service may dial: telephony is money, so only ordinary lines are called.

A number is called only when phonenumbers classifies it as fixed-line or mobile (or the
ambiguous FIXED_LINE_OR_MOBILE of some countries) AND it belongs to the Party's own country or
to a calling code the secretariat allowed for that Party (`Party.allowed_calling_codes`).
Premium-rate, shared-cost, toll-free, UAN, personal, VoIP, pager, voicemail and unknown-type
numbers are never called, nor satellite and other non-geographic networks (+870, +881, …).
Pure functions: no database, no app. Each reason is a template marked for the catalogue (`N_`):
the API says it in English as it is, the pages translate it (`web.reachability_pages`).
"""

from __future__ import annotations

from collections.abc import Iterable

import phonenumbers
from phonenumbers import PhoneNumberType as T

from common.i18n import N_

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
#: Why a number is never called, by its type; `number` is the E.164 number.
TYPE_REFUSALS = {
    T.PREMIUM_RATE: N_("%(number)s is a premium-rate number: never called"),
    T.SHARED_COST: N_("%(number)s is a shared-cost number: never called"),
    T.TOLL_FREE: N_("%(number)s is a toll-free number: never called"),
    T.UAN: N_("%(number)s is a UAN (universal access) number: never called"),
    T.PERSONAL_NUMBER: N_("%(number)s is a personal number: never called"),
    T.VOIP: N_("%(number)s is a VoIP number: never called"),
    T.PAGER: N_("%(number)s is a pager number: never called"),
    T.VOICEMAIL: N_("%(number)s is a voicemail number: never called"),
    # "a unknown-type" (sic): the API has always said so, and clients may match it.
    T.UNKNOWN: N_("%(number)s is a unknown-type number: never called"),
}
NO_NUMBER = N_("no number to call")
UNREADABLE = N_("%(number)s is not a readable phone number")
INVALID = N_("%(number)s is not a valid phone number")
SATELLITE = N_("%(number)s is a satellite or non-geographic number (+%(code)s): never called")
OUTSIDE = N_(
    "%(number)s is outside %(party)s (+%(code)s, %(region)s); "
    "the secretariat can allow +%(code)s for this Party"
)
#: Every reason `call_refusal` gives, as templates (the pages match and translate them).
REFUSALS = (NO_NUMBER, UNREADABLE, INVALID, SATELLITE, OUTSIDE, *TYPE_REFUSALS.values())
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
    """Why this number must not be called for this Party (English), or None when it may be."""
    if not e164:
        return NO_NUMBER
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return UNREADABLE % {"number": e164}
    if not phonenumbers.is_valid_number(number):
        return INVALID % {"number": e164}
    region = phonenumbers.region_code_for_number(number)
    if region == NON_GEOGRAPHIC:
        return SATELLITE % {"number": e164, "code": number.country_code}
    kind = phonenumbers.number_type(number)
    if kind not in CALLABLE_TYPES:
        return TYPE_REFUSALS.get(kind, TYPE_REFUSALS[T.UNKNOWN]) % {"number": e164}
    if region == party_iso2.upper() or number.country_code in set(allowed_codes):
        return None
    return OUTSIDE % {
        "number": e164,
        "party": party_iso2.upper(),
        "code": number.country_code,
        "region": region,
    }


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
