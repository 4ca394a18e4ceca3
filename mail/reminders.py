"""Reminders, escalation, the weekly digest, duty reminders and verification links.

Run once a minute by `flask worker` (`run_reminders`). Every message carries a dedupe key naming
its reminder period (e.g. `confirm-due:FR:20270529:17`: this Party, this validity, this reader),
and the outbox's unique constraint on it is what guarantees that a reminder is queued once, ever,
however many workers run. Each pass reads everything it needs in a handful of queries, so the
whole network costs milliseconds (bench/bench_reminders.py).

Who reads what: a Party's administrators get only their own Party's entries; the secretariat
(which sees everything) gets escalations and the digest; a person gets only their own duty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from common.db import db
from directory import freshness
from directory import service as directory
from directory.models import (
    ContactPoint,
    NumberState,
    Party,
    Person,
    PersonLanguage,
    Phone,
    User,
)
from directory.values import country_name
from mail.models import MailPreference, OutboxMessage, VerifiedEmail
from mail.outbox import enqueue
from mail.render import Content, render_html, render_text
from mail.texts import STATE_WORDS, day, language_of, minute, t
from mail.tokens import issue_token

#: The secretariat hears of an unconfirmed Party this long after its validity ran out.
ESCALATE_AFTER = timedelta(days=7)
DIGEST_GAP_DAYS = 14
#: Duty reminders may be asked for 1 to 72 hours ahead.
DUTY_HOURS = (1, 72)


@dataclass
class Outgoing:
    """A message about to be queued, with the key of its reminder period."""

    key: str
    to: str
    lang: str
    kind: str
    content: Content
    party_id: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _base(config: Mapping[str, Any]) -> str:
    return str(config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")


def _name(party: Party, lang: str) -> str:
    return country_name(party.iso2, language_of(lang), party.name)


def queue_messages(outgoing: list[Outgoing], now: datetime, config: Mapping[str, Any]) -> int:
    """Queue the messages whose key was never queued; the count queued."""
    if not outgoing:
        return 0
    keys = [o.key for o in outgoing]
    seen: set[str] = set()
    for i in range(0, len(keys), 500):
        seen.update(
            db.session.scalars(
                sa.select(OutboxMessage.dedupe_key).where(
                    OutboxMessage.dedupe_key.in_(keys[i : i + 500])
                )
            )
        )
    queued = 0
    for o in outgoing:
        if o.key in seen:
            continue
        headers = dict(o.headers)
        if "unsubscribe_for" in headers:  # a fresh single-use link, only for a message sent
            person_id = int(headers.pop("unsubscribe_for"))
            secret = issue_token("unsubscribe", o.to, now, person_id=person_id)
            url = f"{_base(config)}/mail/unsubscribe/{secret}"
            headers["List-Unsubscribe"] = f"<{url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            o.content.footer.append(f"{t(o.lang, 'unsubscribe')}: {url}")
        if o.kind == "verify":
            secret = issue_token("verify", o.to, now, party_id=o.party_id)
            o.content.link = (t(o.lang, "verify.link"), f"{_base(config)}/mail/verify/{secret}")
        done = enqueue(
            to=o.to,
            subject=o.content.subject,
            text=render_text(o.content),
            html=render_html(o.content),
            now=now,
            kind=o.kind,
            locale=language_of(o.lang),
            party_id=o.party_id,
            dedupe_key=o.key,
            headers=headers,
            config=config,
        )
        queued += done is not None
    return queued


# --- confirmation reminders and escalation ---------------------------------------------------


def confirmation_messages(now: datetime, config: Mapping[str, Any]) -> list[Outgoing]:
    """Every confirmation reminder and escalation that applies at `now` (queued or not)."""
    policy = freshness.policy()
    parties = directory.list_parties()
    confs = freshness.latest_confirmations()
    users = list(db.session.scalars(sa.select(User).where(User.active.is_(True))))
    admins: dict[int, list[User]] = defaultdict(list)
    secretariat = [u for u in users if u.role == "secretariat"]
    for user in users:
        if user.role == "party_admin" and user.party_id is not None:
            admins[user.party_id].append(user)
    out: list[Outgoing] = []
    link_of = lambda party: f"{_base(config)}/parties/{party.iso2}/review"  # noqa: E731
    for party in parties:
        conf = confs.get(party.id)
        until = conf.valid_until if conf else None
        state = freshness.freshness_state(now, until, policy)
        if state == "current":
            continue
        stamp = until.strftime("%Y%m%d") if until else "never"
        kind = {"due_soon": "due", "overdue": "overdue", "expired": "overdue"}[state]
        if conf is None:
            kind = "never"
        for user in admins.get(party.id, []):
            lang = user.locale or "en"
            values = {
                "party": _name(party, lang),
                "until": day(until, lang),
                "confirmed": day(conf.confirmed_at if conf else None, lang),
                "by": conf.confirmed_by if conf else "—",
            }
            out.append(
                Outgoing(
                    key=f"confirm-{kind}:{party.iso2}:{stamp}:{user.id}",
                    to=user.email,
                    lang=lang,
                    kind=f"reminder-{kind}",
                    party_id=party.id,
                    content=Content(
                        subject=t(lang, f"{kind}.subject", **values),
                        greeting=t(lang, "hello"),
                        paragraphs=[t(lang, f"{kind}.body", **values)],
                        link=(t(lang, "review_link"), link_of(party)),
                        footer=[t(lang, "why_admin", **values), t(lang, "signature")],
                    ),
                )
            )
        if conf is not None and now >= conf.valid_until + ESCALATE_AFTER:
            for user in secretariat:
                lang = user.locale or "en"
                names = ", ".join(u.email for u in admins.get(party.id, [])) or "—"
                values = {
                    "party": _name(party, lang),
                    "until": day(until, lang),
                    "confirmed": day(conf.confirmed_at, lang),
                    "by": conf.confirmed_by,
                    "admins": names,
                }
                out.append(
                    Outgoing(
                        key=f"confirm-escalate:{party.iso2}:{stamp}:{user.id}",
                        to=user.email,
                        lang=lang,
                        kind="reminder-escalate",
                        party_id=party.id,
                        content=Content(
                            subject=t(lang, "escalate.subject", **values),
                            greeting=t(lang, "hello"),
                            paragraphs=[t(lang, "escalate.body", **values)]
                            if admins.get(party.id)
                            else [
                                t(lang, "escalate.body", **values).split(";")[0] + ".",
                                t(lang, "no_admins"),
                            ],
                            link=(t(lang, "review_link"), link_of(party)),
                            footer=[t(lang, "why_secretariat"), t(lang, "signature")],
                        ),
                    )
                )
    return out


# --- the weekly digest -----------------------------------------------------------------------


@dataclass
class DigestData:
    """What the digest reports, gathered once for every secretariat reader."""

    stale: list[tuple[Party, str, Any]]  # (party, state, confirmation or None)
    unreachable: list[tuple[Party, Person, str, NumberState]]
    unverified: dict[int, list[str]]  # party id → addresses
    gaps: list[Any]
    parties: dict[int, Party]


def digest_data(now: datetime) -> DigestData:
    """Overdue Parties, unreachable numbers, unverified addresses and gaps, in a few queries."""
    from rota import lookup

    policy = freshness.policy()
    parties = {p.id: p for p in directory.list_parties()}
    confs = freshness.latest_confirmations()
    stale = []
    for party in parties.values():
        conf = confs.get(party.id)
        state = freshness.freshness_state(now, conf.valid_until if conf else None, policy)
        if state in ("overdue", "expired"):
            stale.append((party, state, conf))
    rows = db.session.execute(
        sa.select(Person, Phone.e164, NumberState)
        .join(Phone, Phone.person_id == Person.id)
        .join(NumberState, NumberState.e164 == Phone.e164)
        .where(NumberState.failures_in_row >= 2, Person.active.is_(True))
        .order_by(Person.party_id, Person.full_name)
    ).all()
    unreachable = [(parties[p.party_id], p, e164, st) for p, e164, st in rows]
    gaps = lookup.coverage_gaps(now, now + timedelta(days=DIGEST_GAP_DAYS))
    return DigestData(stale, unreachable, unverified_addresses(), gaps, parties)


def unverified_addresses() -> dict[int, list[str]]:
    """Per Party, the addresses of its active people and current contact point not verified."""
    verified = set(db.session.scalars(sa.select(VerifiedEmail.address)))
    out: dict[int, list[str]] = defaultdict(list)
    for party_id, email in listed_addresses():
        if email.strip().lower() not in verified:
            out[party_id].append(email)
    return out


def listed_addresses() -> list[tuple[int, str]]:
    people = db.session.execute(
        sa.select(Person.party_id, Person.email).where(
            Person.active.is_(True), Person.email.is_not(None)
        )
    ).all()
    points = db.session.execute(
        sa.select(ContactPoint.party_id, ContactPoint.email).where(
            ContactPoint.effective_to.is_(None), ContactPoint.email.is_not(None)
        )
    ).all()
    seen: set[tuple[int, str]] = set()
    out = []
    for party_id, email in [*people, *points]:
        key = (party_id, (email or "").strip().lower())
        if email and key not in seen:
            seen.add(key)
            out.append((party_id, email))
    return out


def digest_content(
    data: DigestData, now: datetime, lang: str, config: Mapping[str, Any]
) -> Content:
    year, week, _ = now.isocalendar()
    words = STATE_WORDS[language_of(lang)]
    stale_lines = [
        t(lang, "digest.never_line", party=_name(p, lang))
        if conf is None
        else t(
            lang,
            "digest.stale_line",
            party=_name(p, lang),
            state=words[state],
            until=day(conf.valid_until, lang),
            by=conf.confirmed_by,
        )
        for p, state, conf in data.stale
    ]
    unreachable_lines = [
        t(
            lang,
            "digest.unreachable_line",
            party=_name(p, lang),
            name=person.full_name,
            number=e164,
            failures=st.failures_in_row,
            last=minute(st.last_result_at),
        )
        for p, person, e164, st in data.unreachable
    ]
    unverified_lines = [
        t(
            lang,
            "digest.unverified_line",
            party=_name(data.parties[pid], lang),
            count=len(addresses),
            examples=", ".join(addresses[:3]) + (", …" if len(addresses) > 3 else ""),
        )
        for pid, addresses in sorted(data.unverified.items(), key=lambda i: data.parties[i[0]].iso2)
    ]
    gap_lines = [
        t(
            lang,
            "digest.gap_line",
            party=_name(g.party, lang),
            tier=g.tier,
            start=minute(g.start),
            end=minute(g.end),
        )
        for g in data.gaps
    ]
    n_unverified = sum(len(a) for a in data.unverified.values())
    return Content(
        subject=t(lang, "digest.subject", week=f"{year}-W{week:02d}"),
        greeting=t(lang, "hello"),
        paragraphs=[t(lang, "digest.intro", date=day(now, lang))],
        sections=[
            (t(lang, "digest.stale", n=len(stale_lines)), stale_lines),
            (t(lang, "digest.unreachable", n=len(unreachable_lines)), unreachable_lines),
            (t(lang, "digest.unverified", n=n_unverified), unverified_lines),
            (t(lang, "digest.gaps", n=len(gap_lines)), gap_lines),
        ],
        link=(t(lang, "digest.link"), f"{_base(config)}/secretariat/health"),
        footer=[t(lang, "why_secretariat"), t(lang, "signature")],
    )


def digest_messages(now: datetime, config: Mapping[str, Any]) -> list[Outgoing]:
    """This ISO week's digest for each secretariat member (computed only when one is missing)."""
    year, week, _ = now.isocalendar()
    readers = list(
        db.session.scalars(sa.select(User).where(User.role == "secretariat", User.active.is_(True)))
    )
    keys = {u.id: f"digest:{year}-W{week:02d}:{u.id}" for u in readers}
    sent = set(
        db.session.scalars(
            sa.select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys.values()))
        )
    )
    missing = [u for u in readers if keys[u.id] not in sent]
    if not missing:
        return []
    data = digest_data(now)
    return [
        Outgoing(
            key=keys[u.id],
            to=u.email,
            lang=u.locale or "en",
            kind="digest",
            content=digest_content(data, now, u.locale or "en", config),
        )
        for u in missing
    ]


# --- duty reminders -------------------------------------------------------------------------


def duty_messages(now: datetime, config: Mapping[str, Any]) -> list[Outgoing]:
    """ "Your duty starts in N hours" for each opted-in person whose shift starts within N h."""
    from rota import lookup

    prefs: dict[int, int] = {
        person_id: hours
        for person_id, hours in db.session.execute(
            sa.select(MailPreference.person_id, MailPreference.duty_reminder_hours).where(
                MailPreference.duty_reminder_hours.is_not(None)
            )
        ).all()
        if hours is not None
    }
    if not prefs:
        return []
    people = directory.people_by_id(set(prefs))
    by_party: dict[int, list[Person]] = defaultdict(list)
    for person in people.values():
        if person.active and person.email:
            by_party[person.party_id].append(person)
    out = []
    horizon = timedelta(hours=max(prefs.values()))
    for party_id, members in by_party.items():
        party = db.session.get(Party, party_id)
        if party is None:
            continue
        wanted = {p.id: p for p in members}
        for rota, shifts in lookup.party_timelines(party, now, now + horizon):
            for shift in shifts:
                on_duty = wanted.get(shift.person_id or 0)
                if on_duty is None or shift.start <= now:
                    continue
                person = on_duty
                hours = prefs[person.id]
                if shift.start > now + timedelta(hours=hours):
                    continue
                lang = language_of(person.languages[0].tag if person.languages else "en")
                zone = ZoneInfo(rota.timezone)
                values = {
                    "party": _name(party, lang),
                    "hours": hours,
                    "rota": rota.name,
                    "tier": rota.tier,
                    "start": minute(shift.start.astimezone(zone)),
                    "end": minute(shift.end.astimezone(zone)),
                    "zone": rota.timezone,
                }
                out.append(
                    Outgoing(
                        key=f"duty:{person.id}:{shift.start:%Y%m%dT%H%MZ}",
                        to=str(person.email),
                        lang=lang,
                        kind="duty",
                        party_id=party.id,
                        headers={"unsubscribe_for": str(person.id)},
                        content=Content(
                            subject=t(lang, "duty.subject", **values),
                            greeting=t(lang, "hello"),
                            paragraphs=[t(lang, "duty.body", **values)],
                            footer=[t(lang, "duty.why"), t(lang, "signature")],
                        ),
                    )
                )
    return out


# --- verification links ----------------------------------------------------------------------


def verification_messages(now: datetime, config: Mapping[str, Any]) -> list[Outgoing]:
    """A one-time link to every listed address not yet verified (once per address)."""
    parties = {p.id: p for p in directory.list_parties()}
    unverified = unverified_addresses()
    languages = languages_of([a for addresses in unverified.values() for a in addresses])
    out = []
    for party_id, addresses in unverified.items():
        party = parties.get(party_id)
        if party is None:
            continue
        for address in addresses:
            lang = languages.get(address.strip().lower(), "en")
            values = {"party": _name(party, lang), "address": address}
            out.append(
                Outgoing(
                    key=f"verify:{address.strip().lower()}",
                    to=address,
                    lang=lang,
                    kind="verify",
                    party_id=party_id,
                    content=Content(
                        subject=t(lang, "verify.subject"),
                        greeting=t(lang, "hello"),
                        paragraphs=[t(lang, "verify.body", **values)],
                        footer=[t(lang, "signature")],
                    ),
                )
            )
    return out


def languages_of(addresses: list[str]) -> dict[str, str]:
    """English or French for each address (lower-cased): the first language of a person who
    lists it, else the locale of the account with that address; others are absent (English)."""
    wanted = sorted({a.strip().lower() for a in addresses})
    if not wanted:
        return {}
    rows = db.session.execute(
        sa.select(Person.email, PersonLanguage.tag)
        .join(PersonLanguage, PersonLanguage.person_id == Person.id)
        .where(sa.func.lower(Person.email).in_(wanted))
        .order_by(Person.id, PersonLanguage.position)
    ).all()
    out: dict[str, str] = {}
    for email, tag in rows:
        out.setdefault((email or "").strip().lower(), language_of(tag))
    accounts = db.session.execute(
        sa.select(User.email, User.locale).where(
            sa.func.lower(User.email).in_(wanted), User.locale.is_not(None)
        )
    ).all()
    for email, locale in accounts:
        out.setdefault(email.strip().lower(), language_of(locale))
    return out


def run_reminders(now: datetime, config: Mapping[str, Any]) -> str | None:
    """One pass of every periodic message (the caller commits); a summary when any was queued."""
    counts = {
        "confirmation reminders": queue_messages(confirmation_messages(now, config), now, config),
        "digests": queue_messages(digest_messages(now, config), now, config),
        "duty reminders": queue_messages(duty_messages(now, config), now, config),
        "verification links": queue_messages(verification_messages(now, config), now, config),
    }
    done = {k: v for k, v in counts.items() if v}
    if not done:
        return None
    return "queued " + ", ".join(f"{v} {k}" for k, v in done.items())
