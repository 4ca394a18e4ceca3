"""Boundary validators: raw text in, trusted domain values out, or ValueError with a reason."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from babel import Locale, UnknownLocaleError
from email_validator import EmailNotValidError, validate_email
from phonenumbers import PhoneNumberType, ValidationResult

_PHONE_KINDS = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
}
_POSSIBLE_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "the country calling code is not valid",
    ValidationResult.TOO_SHORT: "the number is too short",
    ValidationResult.TOO_LONG: "the number is too long",
    ValidationResult.INVALID_LENGTH: "the number has an invalid length for its region",
}


@dataclass(frozen=True)
class PhoneNumber:
    e164: str
    international: str
    kind: str
    region: str | None


def parse_phone(text: str, region: str | None) -> PhoneNumber:
    """Parse national (read in the Party's region) or international input into a valid number."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a phone number is required")
    if len(text) > 40:
        raise ValueError("a phone number is at most 40 characters")
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise ValueError(
                "not a phone number: give it in international format (+…) "
                "or in the Party's national format"
            ) from None
        raise ValueError(f"not a phone number: {exc._msg}") from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        raise ValueError(_POSSIBLE_REASONS.get(reason, "not a possible phone number"))
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or "its country code"
        raise ValueError(f"not a valid phone number for {where}")
    return PhoneNumber(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        international=phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        ),
        kind=_PHONE_KINDS.get(phonenumbers.number_type(number), "other"),
        region=phonenumbers.region_code_for_number(number),
    )


@lru_cache(maxsize=8192)
def describe_e164(e164: str) -> PhoneNumber:
    """Format a stored E.164 number for display (cached: answers show the same numbers often)."""
    return parse_phone(e164, None)


_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?$")


@lru_cache(maxsize=1)
def _english() -> Locale:
    return Locale("en")


def parse_language_tag(text: str) -> str:
    """A BCP 47 tag (language[-Script][-REGION]) that Babel knows, in canonical case."""
    if not isinstance(text, str) or not _TAG.match(text.strip()):
        raise ValueError("not a BCP 47 language tag such as 'fr', 'pt-BR' or 'sr-Latn'")
    parts = text.strip().split("-")
    language = parts[0].lower()
    script = next((p.title() for p in parts[1:] if len(p) == 4), None)
    region = next((p.upper() for p in parts[1:] if len(p) in (2, 3)), None)
    en = _english()
    if language not in en.languages or language in ("und", "zxx", "mul"):
        raise ValueError(f"unknown language {language!r}")
    if script and script not in en.scripts:
        raise ValueError(f"unknown script {script!r}")
    if region and (region not in en.territories or region == "ZZ"):
        raise ValueError(f"unknown region {region!r}")
    try:
        Locale.parse("_".join(p for p in (language, script, region) if p))
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"Babel does not know the language {text!r}") from None
    return "-".join(p for p in (language, script, region) if p)


@lru_cache(maxsize=4096)
def language_name(tag: str, locale: str = "en") -> str:
    """The tag's display name in the viewer's locale (e.g. 'français' for fr in fr)."""
    # Cached: Babel parses the tag and loads the locale's data on each call (~25 µs), and a
    # list of every person names the same few dozen languages a thousand times.
    try:
        return Locale.parse(tag, sep="-").get_display_name(locale) or tag
    except (UnknownLocaleError, ValueError):
        return tag


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_timezone(text: str) -> str:
    """An IANA zone name such as 'Europe/Paris'."""
    if not isinstance(text, str) or text not in _zones():
        raise ValueError("not an IANA time zone name such as 'Europe/Paris'")
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA time zone name such as 'Europe/Paris'") from None
    return text


def parse_email(text: str) -> str:
    """A syntactically valid e-mail address, normalized (no DNS look-up: no network here)."""
    if not isinstance(text, str) or len(text) > 320:
        raise ValueError("not an e-mail address")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def country_name(iso2: str, locale: str = "en", fallback: str | None = None) -> str:
    """The country's name in the viewer's locale."""
    try:
        return Locale.parse(locale).territories.get(iso2.upper()) or fallback or iso2
    except (UnknownLocaleError, ValueError):
        return fallback or iso2
