"""Dates, times, numbers, country and language names in the viewer's language.

English pages use British conventions (24-hour clock, day before month), as the Council of
Europe writes English; French pages use French ones. Every datetime helper takes the zone the
instant is shown in: nothing here guesses a zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, format_timedelta, get_timezone_gmt
from babel.numbers import format_decimal
from flask import Flask
from flask_babel import get_locale

from directory.present import sorted_phones
from directory.values import country_name, describe_e164, language_name


def format_locale() -> str:
    """The Babel locale used for formatting (en → en_GB: 24-hour clock)."""
    lang = str(get_locale() or "en")
    return "en_GB" if lang == "en" else lang


def ui_language() -> str:
    """The catalogue language: 'en' or 'fr'."""
    return str(get_locale() or "en")


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def when(at: datetime | None, tz: ZoneInfo | str) -> str:
    """'Wed 2 Dec 09:00' (en) / 'mer. 2 déc. 09:00' (fr), in zone `tz`."""
    if at is None:
        return ""
    zone = _zone(tz)
    loc = format_locale()
    return (
        f"{format_skeleton('MMMEd', at, tzinfo=zone, locale=loc)} "
        f"{format_skeleton('Hm', at, tzinfo=zone, locale=loc)}"
    )


def when_long(at: datetime | None, tz: ZoneInfo | str) -> str:
    """With the year: 'Wed, 2 Dec 2026 09:00', in zone `tz`."""
    if at is None:
        return ""
    zone = _zone(tz)
    loc = format_locale()
    return (
        f"{format_skeleton('yMMMEd', at, tzinfo=zone, locale=loc)} "
        f"{format_skeleton('Hm', at, tzinfo=zone, locale=loc)}"
    )


def clock(at: datetime | None, tz: ZoneInfo | str) -> str:
    """'09:00', in zone `tz`."""
    if at is None:
        return ""
    return format_skeleton("Hm", at, tzinfo=_zone(tz), locale=format_locale())


def weekday_clock(at: datetime | None, tz: ZoneInfo | str) -> str:
    """'Wed 09:00', in zone `tz`."""
    if at is None:
        return ""
    return format_skeleton("EHm", at, tzinfo=_zone(tz), locale=format_locale())


def day(at: datetime, tz: ZoneInfo | str, skeleton: str = "MMMEd") -> str:
    """A date label ('Wed 2 Dec'), in zone `tz`."""
    return format_skeleton(skeleton, at, tzinfo=_zone(tz), locale=format_locale())


def offset(at: datetime, tz: ZoneInfo | str) -> str:
    """The zone's UTC offset at that instant: 'GMT+01:00' / 'UTC+01:00'."""
    return get_timezone_gmt(at.astimezone(_zone(tz)), "long", locale=format_locale())


def relative(delta: timedelta) -> str:
    """'in 5 hours' / 'dans 5 heures'; '3 days ago'."""
    return format_timedelta(
        delta, granularity="minute", threshold=1.5, add_direction=True, locale=format_locale()
    )


def duration(delta: timedelta) -> str:
    """'5 hours' / '5 heures' (no direction)."""
    return format_timedelta(delta, granularity="minute", threshold=1.5, locale=format_locale())


def number(value: float, digits: int = 1) -> str:
    """A decimal with the locale's separators ('12.5' / '12,5')."""
    return format_decimal(round(value, digits), locale=format_locale())


def country(iso2: str, fallback: str | None = None) -> str:
    """The country's name in the viewer's language."""
    return country_name(iso2, ui_language(), fallback)


def language(tag: str) -> str:
    """The language's name in the viewer's language ('espagnol')."""
    return language_name(tag, ui_language())


def phone(e164: str | None) -> str:
    """A stored number in international format ('+33 1 23 45 67 89')."""
    if not e164:
        return ""
    try:
        return describe_e164(e164).international
    except ValueError:
        return e164


def date_text(value: date | None) -> str:
    """'2 Dec 2026' / '2 déc. 2026'."""
    return format_date(value, "medium", locale=format_locale()) if value else ""


def weekdays_text(codes: list[str]) -> str:
    """['mon', 'fri'] → 'Mon, Fri' in the viewer's language."""
    names = Locale.parse(format_locale()).days["format"]["abbreviated"]
    order = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return ", ".join(names[order.index(c)] for c in codes if c in order)


def init_formatting(app: Flask) -> None:
    """Make the helpers available to every template."""
    app.jinja_env.globals.update(
        when=when,
        when_long=when_long,
        clock=clock,
        weekday_clock=weekday_clock,
        day=day,
        offset=offset,
        relative=relative,
        duration=duration,
        number=number,
        country=country,
        language=language,
        phone=phone,
        date_text=date_text,
        weekdays_text=weekdays_text,
        sorted_phones=sorted_phones,
    )
