"""Names of stored codes (statuses, kinds, roles, fields) in the viewer's language."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from babel import Locale
from flask import Flask
from flask_babel import gettext, ngettext

from common.i18n import N_
from directory.schemas import WEEKDAYS
from web import formatting as fmt
from web.field_labels import field_label
from web.forms import field_id, shift_length_parts

#: Offered in the language box; any other BCP 47 tag or language name can be typed.
COMMON_LANGUAGES = (
    "ar", "bg", "bs", "ca", "cs", "da", "de", "el", "en", "es", "et", "fi", "fil", "fr", "ga",
    "he", "hr", "hu", "hy", "id", "is", "it", "ja", "ka", "ko", "lt", "lv", "mk", "ms", "mt",
    "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl", "sq", "sr", "sv", "th", "tr", "uk", "zh",
)  # fmt: skip


STATUSES = {
    "party": N_("Party"),
    "signatory": N_("signatory"),
    "invited": N_("invited to accede"),
    "observer": N_("observer"),
}
KINDS = {
    "police": N_("police"),
    "prosecution": N_("prosecution service"),
    "interpol_ncb": N_("INTERPOL National Central Bureau"),
    "other": N_("other"),
}
ROLES = {
    "secretariat": N_("secretariat"),
    "party_admin": N_("Party administrator"),
    "member": N_("member"),
}
LEVELS = {
    "native": N_("native"),
    "fluent": N_("fluent"),
    "working": N_("working knowledge"),
    "basic": N_("basic"),
}
PHONE_KINDS = {
    "mobile": N_("mobile"),
    "fixed_line": N_("landline"),
    "fixed_line_or_mobile": N_("landline or mobile"),
    "toll_free": N_("toll-free"),
    "voip": N_("internet telephony"),
    "pager": N_("pager"),
    "uan": N_("universal access number"),
    "personal_number": N_("personal number"),
    "other": N_("other"),
}
ENTITIES = {
    "party": N_("Party"),
    "contact_point": N_("contact point"),
    "person": N_("person"),
    "rota": N_("rota"),
    "override": N_("override"),
    "user": N_("user account"),
    "security": N_("security event"),
    "reach_campaign": N_("campaign"),
}
ACTIONS = {
    "create": N_("created"),
    "update": N_("changed"),
    "delete": N_("deleted"),
    # security events (directory.accounts.record_security)
    "sign_in": N_("signed in"),
    "sign_in_failed": N_("failed sign-in"),
    "sign_in_blocked": N_("sign-in refused: too many attempts"),
    "session_ended": N_("session ended"),
    "password_changed": N_("password changed"),
    "password_link": N_("password link made"),
    "factor_added": N_("second factor added"),
    "factor_removed": N_("second factor removed"),
    "factors_reset": N_("second factors reset"),
    "token_created": N_("API token created"),
    "token_revoked": N_("API token revoked"),
    # campaigns (reachability.email_test)
    "email_test": N_("test e-mails queued"),
}
SOURCES = {"rotation": N_("rotation"), "override": N_("override"), "gap": N_("gap")}
UNITS = {"minutes": N_("minutes"), "hours": N_("hours"), "days": N_("days"), "weeks": N_("weeks")}


def _named(table: dict[str, str]):
    def name(code: str | None) -> str:
        return gettext(table[code]) if code in table else (code or "")

    return name


def options(table: dict[str, str]) -> list[tuple[str, str]]:
    """(code, name in the viewer's language) for a <select>."""
    return [(code, gettext(label)) for code, label in table.items()]


@lru_cache(maxsize=1)
def timezones() -> list[str]:
    """IANA zone names for the zone box (Area/City ones; legacy aliases left out)."""
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


def language_options() -> list[tuple[str, str]]:
    """(tag, name in the viewer's language) of the common languages, by name."""
    return sorted(((tag, fmt.language(tag)) for tag in COMMON_LANGUAGES), key=lambda t: t[1])


def weekday_names() -> list[tuple[str, str]]:
    """('mon', 'Mon') … in the viewer's language."""
    days = Locale.parse(fmt.format_locale()).days["format"]["abbreviated"]
    return [(code, days[i]) for i, code in enumerate(WEEKDAYS)]


def every_text(iso: str | None) -> str:
    """'every week', 'every 2 weeks', 'every 12 hours': a shift length in words."""
    count, unit = shift_length_parts(iso)
    n = int(count)
    if unit == "weeks":
        return ngettext("every week", "every %(num)d weeks", n)
    if unit == "days":
        return ngettext("every day", "every %(num)d days", n)
    if unit == "hours":
        return ngettext("every hour", "every %(num)d hours", n)
    return ngettext("every minute", "every %(num)d minutes", n)


def init_labels(app: Flask) -> None:
    app.jinja_env.globals.update(
        field_id=field_id,
        field_label=field_label,
        status_name=_named(STATUSES),
        kind_name=_named(KINDS),
        role_name=_named(ROLES),
        level_name=_named(LEVELS),
        phone_kind_name=_named(PHONE_KINDS),
        entity_name=_named(ENTITIES),
        action_name=_named(ACTIONS),
        source_name=_named(SOURCES),
        unit_name=_named(UNITS),
        weekday_names=weekday_names,
        options=options,
        language_options=language_options,
        shift_parts=shift_length_parts,
        every_text=every_text,
        timezones=timezones,
        STATUSES=STATUSES,
        KINDS=KINDS,
        ROLES=ROLES,
        LEVELS=LEVELS,
        PHONE_KINDS=PHONE_KINDS,
        ENTITIES=ENTITIES,
        UNITS=UNITS,
    )
