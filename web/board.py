"""The duty board: every Party's tier-1 person on duty now, searchable, refreshing itself."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from flask import g, render_template, request

from common.clock import now
from directory import freshness
from directory import service as directory
from directory.audit import latest_change_id
from directory.models import Person
from directory.present import sorted_phones
from directory.values import country_name, describe_e164, parse_language_tag
from rota import lookup
from rota.answer_cache import answers as answer_cache
from rota.answer_cache import cached_answer, validity
from web import bp
from web import formatting as fmt
from web.favourites import favourite_iso2s
from web.labels import COMMON_LANGUAGES


def fold(text: str) -> str:
    """Lower case without accents, for matching 'etats-unis' to 'États-Unis'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    """'spanish', 'espagnol', 'español' → 'es' (English, French and native names)."""
    names: dict[str, str] = {}
    for ui in ("en", "fr"):
        for tag, name in Locale.parse(ui).languages.items():
            if "_" not in tag and len(tag) <= 3:
                names.setdefault(fold(name), tag)
    for tag in COMMON_LANGUAGES:
        native = Locale.parse(tag).get_display_name(tag)
        if native:
            names.setdefault(fold(native), tag)
    return names


def language_from_input(text: str) -> str:
    """A BCP 47 tag from what was typed: a tag ('es', 'pt-BR') or a name ('Spanish')."""
    text = text.strip()
    try:
        return parse_language_tag(text)
    except ValueError:
        tag = _language_names().get(fold(text))
        if tag is None:
            raise
        return tag


@dataclass
class Duty:
    """One person on duty, as the board shows them."""

    tier: int
    name: str
    title: str | None
    phone_e164: str | None
    phone_display: str | None
    languages: list[tuple[str, str]]  # (tag, name in the viewer's language)


@dataclass
class Row:
    iso2: str
    name: str
    status: str
    search: str
    local_time: str
    offset: str
    gap: bool
    duty: Duty | None
    until: str | None
    until_relative: str | None
    source: str | None
    desk_e164: str | None
    desk_display: str | None
    fallback: Duty | None = None  # the first lower tier with someone, when tier 1 is a gap
    next_name: str | None = None
    next_from: str | None = None
    speaks_now: list[Duty] = field(default_factory=list)
    speaks_next: tuple[str, str] | None = None  # (name, from)
    no_rota: bool = False
    tz_name: str = "UTC"
    until_at: datetime | None = None  # the instant of `until`, to redraw `until_relative`
    # Freshness (directory/freshness.py): the state is redrawn per request like the clock.
    valid_until: datetime | None = None
    freshness: str = "expired"
    unreachable: bool = False  # the tier-1 person's number failed twice in a row


def _duty(tier: int, person: Person) -> Duty:
    phones = sorted_phones(person)
    primary = phones[0] if phones else None
    return Duty(
        tier=tier,
        name=person.full_name,
        title=person.title,
        phone_e164=primary.e164 if primary else None,
        phone_display=describe_e164(primary.e164).international if primary else None,
        languages=[(lang.tag, fmt.language(lang.tag)) for lang in person.languages],
    )


def board_row(answer: lookup.OnCall, at: datetime) -> Row:
    """One Party's line: tier 1 on duty (or the gap, the desk line and who else can help)."""
    party = answer.party
    tz = ZoneInfo(answer.tz_name)
    cp = party.contact_point_at(at)
    desk = describe_e164(cp.desk_phone) if cp and cp.desk_phone else None
    tier1 = next((d for d in answer.tiers if d.rota.tier == 1), None)
    names = {
        fold(party.iso2),
        fold(party.name),
        fold(country_name(party.iso2, "en", party.name)),
        fold(country_name(party.iso2, "fr", party.name)),
    }
    row = Row(
        iso2=party.iso2,
        name=fmt.country(party.iso2, party.name),
        status=party.status,
        search="|".join(sorted(names)),
        local_time=fmt.weekday_clock(at, tz),
        offset=fmt.offset(at, tz),
        gap=tier1 is None or tier1.person is None,
        duty=_duty(1, tier1.person) if tier1 and tier1.person else None,
        until=None,
        until_relative=None,
        source=tier1.shift.source if tier1 else None,
        desk_e164=desk.e164 if desk else None,
        desk_display=desk.international if desk else None,
        no_rota=tier1 is None,
        tz_name=answer.tz_name,
        valid_until=answer.confirmation.valid_until if answer.confirmation else None,
    )
    if row.duty is not None and row.duty.phone_e164:
        row.unreachable = answer.number_states.get(row.duty.phone_e164) == "unreachable"
    if tier1 is not None and not tier1.clipped_until:
        row.until = fmt.weekday_clock(tier1.shift.end, tz)
        row.until_at = tier1.shift.end
        row.until_relative = fmt.relative(tier1.shift.end - at)
        if tier1.next_shift is not None and row.gap and tier1.next_person is not None:
            row.next_name = tier1.next_person.full_name
            row.next_from = fmt.weekday_clock(tier1.next_shift.start, tz)
    if row.gap:
        other = next((d for d in answer.tiers if d.rota.tier > 1 and d.person is not None), None)
        if other is not None:
            row.fallback = _duty(other.rota.tier, other.person)  # type: ignore[arg-type]
    if answer.language is not None:
        row.speaks_now = [_duty(tier, person) for tier, person in answer.language.on_duty]
        if answer.language.next is not None:
            _tier, person, start = answer.language.next
            row.speaks_next = (person.full_name, fmt.weekday_clock(start, tz))
    return row


def board_rows_at(at: datetime, speaks: str | None) -> list[Row]:
    """Every Party's row at `at`, from the lookup's answer cache while nothing changed.

    The rows hold for one data version while `at` is inside every duty they show (as the API's
    answers); only what depends on the clock itself is redrawn.
    """

    def build() -> tuple[dict[str, Any], tuple[datetime | None, datetime | None]]:
        answers = lookup.resolve_on_call(directory.list_parties(), at, lang=speaks)
        rows = [board_row(a, at) for a in answers]
        return {"rows": rows, "policy": freshness.policy()}, validity(answers)

    key = ("board", speaks, fmt.ui_language())
    cached = cached_answer(answer_cache, key, latest_change_id(), at, build)
    present = now()
    return [_redrawn(row, at, present, cached["policy"]) for row in cached["rows"]]


def _redrawn(row: Row, at: datetime, present: datetime, policy: freshness.Policy) -> Row:
    tz = ZoneInfo(row.tz_name)
    return replace(
        row,
        local_time=fmt.weekday_clock(at, tz),
        offset=fmt.offset(at, tz),
        until_relative=fmt.relative(row.until_at - at) if row.until_at else None,
        freshness=freshness.freshness_state(present, row.valid_until, policy),
    )


def matches(row: Row, query: str) -> bool:
    """By ISO code, or by a part of the name in English or French (accents optional)."""
    folded = fold(query.strip())
    return not folded or any(folded in name for name in row.search.split("|"))


def board_context() -> dict[str, Any]:
    """Rows for the board or its refreshed fragment, after ?q= and ?speaks= filters."""
    query = (request.args.get("q") or "").strip()[:100]
    speaks_raw = (request.args.get("speaks") or "").strip()[:60]
    speaks, speaks_error = None, None
    if speaks_raw:
        try:
            speaks = language_from_input(speaks_raw)
        except ValueError:
            speaks_error = True
    at = now()
    every = sorted(board_rows_at(at, speaks), key=lambda row: fold(row.name))
    rows = [row for row in every if matches(row, query)]
    later: list[Row] = []
    if speaks:
        later = [row for row in rows if not row.speaks_now and row.speaks_next]
        rows = [row for row in rows if row.speaks_now]
    pinned_ids = favourite_iso2s(g.get("user"))
    pinned = [row for row in rows if row.iso2 in pinned_ids]
    return {
        "rows": [row for row in rows if row.iso2 not in pinned_ids],
        "pinned": pinned,
        "pinned_iso2s": pinned_ids,
        "total": len(every),
        "later": later,
        "gaps": [row for row in rows if row.gap],
        "query": query,
        "speaks_raw": speaks_raw,
        "speaks": speaks,
        "speaks_name": fmt.language(speaks) if speaks else None,
        "speaks_error": speaks_error,
        "at": at,
        "languages": sorted(
            ((tag, fmt.language(tag)) for tag in COMMON_LANGUAGES), key=lambda t: fold(t[1])
        ),
    }


#: Indentation between tags: the board has no <pre> nor <textarea>, so a run of white space that
#: holds a line break reads the same as one line break (a third of the page's bytes).
_INDENT = re.compile(r"\n\s+")


def _compact(html: str) -> str:
    return _INDENT.sub("\n", html)


@bp.get("/")
def board() -> str:
    """Whom to call now, in every Party."""
    return _compact(render_template("web/board.html", **board_context()))


@bp.get("/board/rows")
def board_rows() -> str:
    """The board's rows alone, fetched by the page every minute."""
    return _compact(render_template("web/_board_rows.html", **board_context()))
