"""The services' and validators' reasons, in the viewer's language.

Services speak English (the API's language). Pages show their reasons next to the fields, so
the common ones are translated here; a reason not listed is shown as the service wrote it.
"""

from __future__ import annotations

import re

from flask_babel import gettext

from common.i18n import N_
from web.field_labels import field_label

_EXACT: dict[str, str] = {
    # directory.values.parse_phone
    "a phone number is required": N_("a phone number is required"),
    "a phone number is at most 40 characters": N_("a phone number is at most 40 characters"),
    "not a phone number: give it in international format (+…) or in the Party's national "
    "format": N_(
        "not a phone number: give it in international format (+…) or in the Party's national format"
    ),
    # parse_phone passes on the phonenumbers library's own words after "not a phone number: ".
    "not a phone number: The string supplied is too short to be a phone number.": N_(
        "the number is too short"
    ),
    "not a phone number: The string supplied is too long to be a phone number.": N_(
        "the number is too long"
    ),
    "not a phone number: Phone number had an IDD, but after this was not long enough to be a "
    "viable phone number.": N_("the number is too short after the international prefix"),
    "the country calling code is not valid": N_("the country calling code is not valid"),
    "the number is too short": N_("the number is too short"),
    "the number is too long": N_("the number is too long"),
    "the number has an invalid length for its region": N_(
        "the number has an invalid length for its region"
    ),
    "not a possible phone number": N_("not a possible phone number"),
    "not a valid phone number for its country code": N_(
        "not a valid phone number for its country code"
    ),
    "the same number is listed twice": N_("the same number is listed twice"),
    "at most one phone can be primary": N_("at most one phone can be primary"),
    "a language is listed twice": N_("a language is listed twice"),
    "not an IANA time zone name such as 'Europe/Paris'": N_(
        "not an IANA time zone name such as 'Europe/Paris'"
    ),
    "not a BCP 47 language tag such as 'fr', 'pt-BR' or 'sr-Latn'": N_(
        "not a BCP 47 language tag such as 'fr', 'pt-BR' or 'sr-Latn'"
    ),
    # directory.values.parse_email, then the email_validator library's own words
    "not an e-mail address": N_("not an e-mail address"),
    "An email address must have an @-sign.": N_("an e-mail address must contain an @ sign"),
    "There must be something before the @-sign.": N_("something is missing before the @ sign"),
    "There must be something after the @-sign.": N_("something is missing after the @ sign"),
    "The part after the @-sign is not valid. It should have a period.": N_(
        "the part after the @ sign is not valid: it should contain a dot"
    ),
    "The part after the @-sign is not valid. It is not within a valid top-level domain.": N_(
        "the part after the @ sign does not end with a valid top-level domain"
    ),
    "The part after the @-sign is a special-use or reserved name that cannot be used with "
    "email.": N_("the part after the @ sign is a reserved name that cannot receive e-mail"),
    "An email address cannot have two periods in a row.": N_(
        "an e-mail address cannot have two dots in a row"
    ),
    "An email address cannot start with a period.": N_("an e-mail address cannot start with a dot"),
    "An email address cannot end with a period.": N_("an e-mail address cannot end with a dot"),
    "An email address cannot have a period immediately before the @-sign.": N_(
        "an e-mail address cannot have a dot just before the @ sign"
    ),
    "An email address cannot have a period immediately after the @-sign.": N_(
        "an e-mail address cannot have a dot just after the @ sign"
    ),
    "An email address cannot have a hyphen immediately after the @-sign.": N_(
        "an e-mail address cannot have a hyphen just after the @ sign"
    ),
    "An email address cannot end with a hyphen.": N_("an e-mail address cannot end with a hyphen"),
    "An email address cannot have a period and a hyphen next to each other.": N_(
        "an e-mail address cannot have a dot and a hyphen next to each other"
    ),
    "A display name and angle brackets around the email address are not permitted here.": N_(
        "give the address alone, without a name or angle brackets"
    ),
    "Quoting the part before the @-sign is not allowed here.": N_(
        "quotation marks are not allowed before the @ sign"
    ),
    "A bracketed IP address after the @-sign is not allowed here.": N_(
        "an IP address is not allowed after the @ sign"
    ),
    # marshmallow's own messages, and the schemas' fields
    "Missing data for required field.": N_("required"),
    "Field may not be null.": N_("required"),
    "required": N_("required"),
    "Not a valid integer.": N_("must be a whole number"),
    "Not a valid date.": N_("must be a date"),
    "String does not match expected pattern.": N_("not in the expected format"),
    "must be an ISO2 code": N_("must be a two-letter ISO code such as FR"),
    "must be a date and time": N_("must be a date and time"),
    "must be a whole number above zero": N_("must be a whole number above zero"),
    "choose minutes, hours, days or weeks": N_("choose minutes, hours, days or weeks"),
    "must be a local date-time such as 2026-12-07T09:00": N_("must be a date and time"),
    "must not carry an offset: it is a wall-clock time in the rota's time zone": N_(
        "give a local time without a UTC offset: the rota's time zone applies"
    ),
    "must be between 1970 and 2200": N_("the year must be between 1970 and 2200"),
    "the record changed since you opened this form": N_(
        "someone saved a change since you opened this form: check the values shown and save again"
    ),
    "must not be empty": N_("required"),
    "must be after start": N_("must be after the start"),
    "must be after start, within 366 days": N_(
        "must be after the start and at most 366 days later"
    ),
    "an override lasts at most 366 days": N_("an override lasts at most 366 days"),
    "shifts shorter than 15 minutes are not supported": N_(
        "shifts shorter than 15 minutes are not supported"
    ),
    "shifts longer than a year are not supported": N_(
        "shifts longer than a year are not supported"
    ),
    "must be a local time HH:MM": N_("must be a time such as 08:00"),
    # rights and accounts
    "you may change only your own Party's entries": N_(
        "you may change only your own Party's entries"
    ),
    "only the network secretariat may do this": N_("only the network secretariat may do this"),
    "wrong e-mail or password": N_("wrong e-mail or password"),
    "too many sign-in attempts from this address: try again later": N_(
        "too many sign-in attempts from this address: try again later"
    ),
    "a password needs at least 12 characters": N_("a password needs at least 12 characters"),
    "a password has at most 128 characters": N_("a password has at most 128 characters"),
    "this password is on a list of common or breached passwords: choose another": N_(
        "this password is on a list of common or breached passwords: choose another"
    ),
    "this password is a repetition or a sequence: choose another": N_(
        "this password is a repetition or a sequence: choose another"
    ),
    "this password is mostly your e-mail or the service's name: choose another": N_(
        "this password is mostly your e-mail or the service's name: choose another"
    ),
    "the current password is not right": N_("the current password is not right"),
    "this link is unknown, used or expired: ask the secretariat for a new one": N_(
        "this link is unknown, used or expired: ask the secretariat for a new one"
    ),
    "this code does not match: check the phone's clock and try again": N_(
        "this code does not match: check the phone's clock and try again"
    ),
    "expiry must be a whole number of days from 1 to 3650": N_(
        "expiry must be a whole number of days from 1 to 3650"
    ),
    "a party_admin needs --party ISO2": N_("a Party administrator needs a Party"),
    # calendars.service.subscription_refusal
    "this account is inactive": N_("this account is switched off"),
    "only the secretariat may subscribe to the whole network with contact details": N_(
        "only the secretariat may subscribe to the whole network with contact details"
    ),
    # rotas
    "two proposed overrides overlap": N_("two proposed overrides overlap"),
    "required (no contact point zone)": N_("required while the Party has no contact point"),
    "timezone: required while the Party has no contact point": N_(
        "a time zone is required while the Party has no contact point"
    ),
}

#: `<what> <id> not found` (common.errors.not_found) of the records a page may ask for.
_MISSING: dict[str, str] = {
    "person": N_("there is no person %(id)s"),
    "rota": N_("there is no rota %(id)s"),
    "rotation": N_("there is no rotation %(id)s"),
    "override": N_("there is no override %(id)s"),
    "user": N_("there is no user account %(id)s"),
    "token": N_("there is no API token %(id)s"),
    "calendar subscription": N_("calendar subscription %(id)s does not exist or was revoked"),
    "test call": N_("there is no test call %(id)s"),
    "campaign": N_("there is no campaign %(id)s"),
}

# The first pattern that matches wins: specific ones before the catch-alls.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^not a valid phone number for (?P<where>.+)$"),
        N_("not a valid phone number for %(where)s"),
    ),
    # Any other of the phonenumbers library's reasons.
    (re.compile(r"^not a phone number: "), N_("not a phone number")),
    (
        re.compile(r"^unknown language '(?P<code>[^']*)'$"),
        N_("unknown language '%(code)s'"),
    ),
    (
        re.compile(r"^Babel does not know the language '(?P<code>[^']*)'$"),
        N_("unknown language '%(code)s'"),
    ),
    (re.compile(r"^unknown script '(?P<code>[^']*)'$"), N_("unknown script '%(code)s'")),
    (re.compile(r"^unknown region '(?P<code>[^']*)'$"), N_("unknown region '%(code)s'")),
    (
        re.compile(
            r"^The email address contains invalid characters before the @-sign: (?P<chars>.+)\.$"
        ),
        N_("invalid characters before the @ sign: %(chars)s"),
    ),
    (
        re.compile(r"^The part after the @-sign contains invalid characters: (?P<chars>.+)\.$"),
        N_("invalid characters after the @ sign: %(chars)s"),
    ),
    (re.compile(r"^The email address is too long\b"), N_("the e-mail address is too long")),
    # Any other of the email_validator library's reasons (they all start so).
    (
        re.compile(
            r"^(?:The email address |An email address |The part after the @-sign |"
            r"The display name |The IPv6 address |The address in brackets |After the @-sign|"
            r"After Unicode normalization|Internationalized characters |There can't be anything |"
            r"An open angle bracket |Extra character)"
        ),
        N_("not an e-mail address"),
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
        re.compile(r"^Must be greater than or equal to (?P<min>-?\d+)\.$"),
        N_("must be at least %(min)s"),
    ),
    # The choices are codes, which the page offers by name: the French text leaves them out.
    (re.compile(r"^Must be one of: (?P<choices>.*)\.$"), N_("Must be one of: %(choices)s.")),
    (re.compile(r"^role must be one of "), N_("choose one of the roles offered")),
    (
        re.compile(r"^Party ['\"]?(?P<iso2>[^'\"]*)['\"]? not found$"),
        N_("there is no Party %(iso2)s"),
    ),
    (re.compile(r"^no Party '(?P<iso2>\w+)'$"), N_("there is no Party %(iso2)s")),
    *(
        (re.compile(rf"^{re.escape(what)} (?P<id>\d+) not found$"), message)
        for what, message in _MISSING.items()
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

#: `field: reason; field: reason`, the detail of a 422 that lists several fields.
_FIELD_PART = re.compile(r"^(?P<field>[A-Za-z_][\w.\[\]]*): (?P<reason>.+)$")


def translated(
    reason: str, exact: dict[str, str], patterns: list[tuple[re.Pattern[str], str]]
) -> str | None:
    """The reason in the viewer's language from these tables, or None when they miss it."""
    known = exact.get(reason)
    if known is not None:
        return gettext(known)
    for pattern, message in patterns:
        match = pattern.match(reason)
        if match:
            return gettext(message, **match.groupdict())
    return None


def _known(reason: str) -> str | None:
    return translated(reason, _EXACT, _PATTERNS)


def _known_fields(detail: str) -> str | None:
    """A Problem's detail made of `field: reason` parts, each reason translated; None unless
    every one is known (a page shows it when the fields have no place of their own)."""
    parts = []
    for part in detail.split("; "):
        match = _FIELD_PART.match(part)
        reason = _known(match["reason"]) if match else None
        if match is None or reason is None:
            return None
        parts.append(
            gettext("%(field)s: %(reason)s", field=field_label(match["field"]), reason=reason)
        )
    return "; ".join(parts)


def translate_reason(reason: str) -> str:
    """A service's reason in the viewer's language when it is a known one."""
    known = _known(reason)
    if known is None:
        known = _known_fields(reason)
    return reason if known is None else known
