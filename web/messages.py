"""The services' and validators' reasons, in the viewer's language.

Services speak English (the API's language). Pages show their reasons next to the fields, so
the common ones are translated here; a reason not listed is shown as the service wrote it.
"""

from __future__ import annotations

import re

from flask_babel import gettext


def N_(message: str) -> str:  # noqa: N802 -- the name gettext tools look for
    """Mark a message for the catalogue; it is translated when shown."""
    return message


_EXACT: dict[str, str] = {
    "a phone number is required": N_("a phone number is required"),
    "a phone number is at most 40 characters": N_("a phone number is at most 40 characters"),
    "not a phone number: give it in international format (+…) or in the Party's national "
    "format": N_(
        "not a phone number: give it in international format (+…) or in the Party's national format"
    ),
    "the country calling code is not valid": N_("the country calling code is not valid"),
    "the number is too short": N_("the number is too short"),
    "the number is too long": N_("the number is too long"),
    "the number has an invalid length for its region": N_(
        "the number has an invalid length for its region"
    ),
    "not a possible phone number": N_("not a possible phone number"),
    "the same number is listed twice": N_("the same number is listed twice"),
    "at most one phone can be primary": N_("at most one phone can be primary"),
    "a language is listed twice": N_("a language is listed twice"),
    "not an IANA time zone name such as 'Europe/Paris'": N_(
        "not an IANA time zone name such as 'Europe/Paris'"
    ),
    "not a BCP 47 language tag such as 'fr', 'pt-BR' or 'sr-Latn'": N_(
        "not a BCP 47 language tag such as 'fr', 'pt-BR' or 'sr-Latn'"
    ),
    "not an e-mail address": N_("not an e-mail address"),
    "Missing data for required field.": N_("required"),
    "Field may not be null.": N_("required"),
    "must be a date and time": N_("must be a date and time"),
    "must be a whole number above zero": N_("must be a whole number above zero"),
    "choose minutes, hours, days or weeks": N_("choose minutes, hours, days or weeks"),
    "must be a local date-time such as 2026-12-07T09:00": N_("must be a date and time"),
    "the record changed since you opened this form": N_(
        "someone saved a change since you opened this form: check the values shown and save again"
    ),
    "must not be empty": N_("required"),
    "must be after start": N_("must be after the start"),
    "an override lasts at most 366 days": N_("an override lasts at most 366 days"),
    "shifts shorter than 15 minutes are not supported": N_(
        "shifts shorter than 15 minutes are not supported"
    ),
    "shifts longer than a year are not supported": N_(
        "shifts longer than a year are not supported"
    ),
    "must be a local time HH:MM": N_("must be a time such as 08:00"),
    "Not a valid integer.": N_("must be a whole number"),
    "Not a valid date.": N_("must be a date"),
    "you may change only your own Party's entries": N_(
        "you may change only your own Party's entries"
    ),
    "only the network secretariat may do this": N_("only the network secretariat may do this"),
    "wrong e-mail or password": N_("wrong e-mail or password"),
    "too many failed attempts: try again later": N_("too many failed attempts: try again later"),
    "two proposed overrides overlap": N_("two proposed overrides overlap"),
    "a password needs at least 10 characters": N_("a password needs at least 10 characters"),
    "a party_admin needs --party ISO2": N_("a Party administrator needs a Party"),
    "required (no contact point zone)": N_("required while the Party has no contact point"),
    "timezone: required while the Party has no contact point": N_(
        "a time zone is required while the Party has no contact point"
    ),
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^not a valid phone number for (?P<where>.+)$"),
        N_("not a valid phone number for %(where)s"),
    ),
    (
        re.compile(r"^no person (?P<id>\d+) in this Party$"),
        N_("person %(id)s is not one of this Party's people"),
    ),
    (
        re.compile(r"^tier (?P<tier>\d+) is already rota \d+ \((?P<name>.*)\): one rota per tier$"),
        N_("tier %(tier)s is already the rota %(name)s: one rota per tier"),
    ),
    (
        re.compile(r"^overlaps override \d+ \(.*\): delete it or choose other times$"),
        N_("overlaps another override of this rota: delete it or choose other times"),
    ),
    (
        re.compile(r"^must be after (?P<date>\d{4}-\d\d-\d\d)$"),
        N_("must be after %(date)s"),
    ),
    (
        re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"),
        N_("must be %(min)s to %(max)s characters long"),
    ),
    (
        re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"),
        N_("at most %(max)s characters"),
    ),
    (
        re.compile(
            r"^Must be greater than or equal to (?P<min>\d+) and less than or equal to "
            r"(?P<max>\d+)\.$"
        ),
        N_("must be from %(min)s to %(max)s"),
    ),
    (
        re.compile(r"^Party '(?P<iso2>\w+)' not found$"),
        N_("there is no Party %(iso2)s"),
    ),
    (re.compile(r"^(?P<what>.+) not found$"), N_("not found: %(what)s")),
    (
        re.compile(r"^a user (?P<email>.+) already exists$"),
        N_("a user %(email)s already exists"),
    ),
    (
        re.compile(r"^(?P<name>.+) is a member of rotation \d+ of rota \d+: .*$"),
        N_("%(name)s is a member of a rotation: remove them from it first, or mark them inactive"),
    ),
]


def translate_reason(reason: str) -> str:
    """A service's reason in the viewer's language when it is a known one."""
    known = _EXACT.get(reason)
    if known is not None:
        return gettext(known)
    for pattern, message in _PATTERNS:
        match = pattern.match(reason)
        if match:
            return gettext(message, **match.groupdict())
    return reason
