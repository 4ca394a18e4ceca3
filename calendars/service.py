"""Calendar feeds of rota shifts: subscriptions, feed building and published-shift versions.

Feeds are built from the same resolution as the lookup API (`lookup.load_rotas` and
`lookup.rota_timeline`): one event per resolved shift, gaps skipped, clipped to the feed window
exactly as `/parties/{iso2}/shifts` clips its timeline. Times are written in UTC (see
`calendars.ical` for why), so every client shows the instants the API serves.

Identity. A shift's UID comes from (rota, person, scheduled start) through `ical.shift_uid`.
Pieces of one handoff's duty cut apart by a restriction window, a later rotation or an override
share that scheduled start, so a piece that does not begin at it also carries its own start.
Timelines are computed from an *anchor* a little before the window (a 28-day grid), so that a
duty straddling the window's start keeps its identity while the window slides day by day.

Versions. `on_rota_change` is registered in `rota.service.ROTA_CHANGE_LISTENERS`: after every
change of a rota it diffs the feed window's duties before and after, and records, per UID that
moved, a bumped SEQUENCE and LAST-MODIFIED; duties that disappeared are kept as cancelled (with
their text) so feeds send them as STATUS:CANCELLED for `CANCELLED_KEEP`. The feed GET never
writes anything but the subscription's last use (at most every `LAST_USE_EVERY`).
"""

from __future__ import annotations

import gc
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from calendars.ical import FeedCalendar, FeedEvent, render_feed, shift_uid
from calendars.models import CalendarSubscription, PublishedShift
from common.auth import hash_secret, new_secret
from common.db import db, read_once
from common.errors import Problem, invalid, not_found
from directory import service as directory
from directory.audit import record_change
from directory.models import AuditEntry, Party, Person, Phone, User
from directory.present import iso
from directory.values import country_name, describe_e164
from rota import lookup
from rota import resolution as r
from rota.models import RotaRecord

#: Timelines start on this grid (UTC) so that identities survive the window sliding each day.
FEED_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday
ANCHOR_STEP = timedelta(days=28)
#: How long a disappeared shift is still sent, as STATUS:CANCELLED, after it disappeared.
CANCELLED_KEEP = timedelta(days=30)
#: What feeds suggest to clients (REFRESH-INTERVAL / X-PUBLISHED-TTL).
REFRESH = timedelta(hours=1)
#: The last use of a subscription is written at most this often (the feed is otherwise read-only).
LAST_USE_EVERY = timedelta(minutes=15)
#: Bump when the feed's content changes for the same data, so validators change too.
FEED_FORMAT = 1
TOKEN_PREFIX = "art35cal_"  # noqa: S105 -- a public prefix that makes leaked URLs greppable
MAX_TOKEN_LENGTH = 100


# --- the window ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedWindow:
    """The feed's span: [since, until) in UTC, whole UTC days.

    Timelines are resolved over [anchor, horizon), both on a 28-day grid around the window: the
    anchor keeps identities stable while the window slides, and both keep resolved timelines
    reusable for weeks (see `_resolved`).
    """

    day: date
    since: datetime
    until: datetime
    anchor: datetime
    horizon: datetime

    @property
    def day_start(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, tzinfo=UTC)


def feed_window(now: datetime, past_days: int, future_days: int) -> FeedWindow:
    """From `past_days` before today (UTC) to `future_days` after it; constant within a day."""
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    since = day_start - timedelta(days=past_days)
    until = day_start + timedelta(days=future_days)
    anchor = FEED_EPOCH + ((since - FEED_EPOCH) // ANCHOR_STEP) * ANCHOR_STEP
    horizon = FEED_EPOCH - ((FEED_EPOCH - until) // ANCHOR_STEP) * ANCHOR_STEP
    return FeedWindow(
        day=day_start.date(), since=since, until=until, anchor=anchor, horizon=horizon
    )


def configured_window(now: datetime) -> FeedWindow:
    """The window of the app's CALENDAR_PAST_DAYS and CALENDAR_FUTURE_DAYS settings."""
    config = current_app.config
    return feed_window(now, config["CALENDAR_PAST_DAYS"], config["CALENDAR_FUTURE_DAYS"])


def feed_domain() -> str:
    """The right-hand side of UIDs: the public host, so two installations never collide."""
    return _host(current_app.config["PUBLIC_BASE_URL"])


@lru_cache(maxsize=8)
def _host(url: str) -> str:
    return urlsplit(url).hostname or "art35"


# --- duties: resolved shifts with their identity -------------------------------------------


class Duty(NamedTuple):
    """One non-gap shift of a rota as published: UID and times clipped to the window (UTC)."""

    uid: str
    rota_id: int
    person_id: int
    start: datetime
    end: datetime
    source: str


def rota_duties(
    loaded: lookup.LoadedRota,
    window: FeedWindow,
    domain: str,
    person_id: int | None = None,
    *,
    remember: bool = True,
) -> list[Duty]:
    """The rota's shifts in the window (optionally one person's), in time order, UIDs unique."""
    since, until = window.since, window.until
    duties = []
    for duty in _resolved(loaded, window, domain, remember):
        if duty.end <= since:
            continue
        if duty.start >= until:
            break
        if person_id is not None and duty.person_id != person_id:
            continue
        if duty.start < since or duty.end > until:
            duty = duty._replace(start=max(duty.start, since), end=min(duty.end, until))
        duties.append(duty)
    return duties


#: Resolved duties by (rota definition, range, domain): the complete input of a pure function,
#: so an entry can never be stale; it only stops being asked for. Least recently used go first.
_MEMO: OrderedDict[tuple[Any, ...], list[Duty]] = OrderedDict()
_MEMO_SIZE = 600
_MEMO_LOCK = threading.Lock()


def _resolved(
    loaded: lookup.LoadedRota, window: FeedWindow, domain: str, remember: bool
) -> list[Duty]:
    """The rota's duties over [anchor, horizon), unclipped: resolved once per definition."""
    if loaded.spec is None:
        return []
    key = (loaded.spec, window.anchor, window.horizon, domain)
    with _MEMO_LOCK:
        found = _MEMO.get(key)
        if found is not None:
            _MEMO.move_to_end(key)
            return found
    rota_id = loaded.record.id
    anchor = window.anchor
    duties = []
    for shift in lookup.rota_timeline(loaded, anchor, window.horizon):
        if shift.person_id is None:
            continue
        scheduled = shift.scheduled_start or shift.start
        # A piece that began at its handoff (or that the anchor cut) is the duty itself; any
        # other piece of the same handoff is told apart by its own start.
        piece = None if shift.start == scheduled or shift.start == anchor else shift.start
        duties.append(
            Duty(
                shift_uid(rota_id, shift.person_id, scheduled, domain, piece_start=piece),
                rota_id,
                shift.person_id,
                shift.start,
                shift.end,
                shift.source,
            )
        )
    if remember:
        with _MEMO_LOCK:
            _MEMO[key] = duties
            while len(_MEMO) > _MEMO_SIZE:
                _MEMO.popitem(last=False)
    return duties


# --- texts ---------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _international(e164: str) -> str:
    try:
        return describe_e164(e164).international
    except ValueError:
        return e164


@lru_cache(maxsize=512)
def party_label(iso2: str, fallback: str) -> str:
    """The Party's name in English, as summaries show it."""
    return country_name(iso2, "en", fallback)


@dataclass
class _Person:
    name: str
    email: str | None = None
    phones: list[str] | None = None


def _summary(country: str, rota: RotaRecord, person: _Person | None) -> str:
    name = person.name if person is not None else "(unknown person)"
    return f"{country} · {rota.name} (tier {rota.tier}) · {name}"


def _description(
    country: str, rota: RotaRecord, person: _Person | None, source: str, contacts: bool
) -> str:
    lines = [
        f"Rota: {rota.name}, {country}",
        f"Tier: {rota.tier} (1 = call first)",
        f"On duty: {person.name if person else '(unknown person)'}"
        + (" (override)" if source == r.SOURCE_OVERRIDE else ""),
    ]
    if contacts and person is not None:
        lines.extend(f"Phone: {phone}" for phone in person.phones or ())
        if person.email:
            lines.append(f"E-mail: {person.email}")
    return "\n".join(lines)


def _people(person_ids: Iterable[int], contacts: bool) -> dict[int, _Person]:
    """Names (and, only when asked, phones and e-mail) of these people, in one or two queries."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    if not contacts:
        rows = db.session.execute(
            sa.select(Person.id, Person.full_name).where(Person.id.in_(ids))
        ).all()
        return {pid: _Person(name) for pid, name in rows}
    people = {
        pid: _Person(name, email, [])
        for pid, name, email in db.session.execute(
            sa.select(Person.id, Person.full_name, Person.email).where(Person.id.in_(ids))
        ).all()
    }
    phones = db.session.execute(
        sa.select(Phone.person_id, Phone.e164, Phone.kind, Phone.label, Phone.primary)
        .where(Phone.person_id.in_(ids))
        .order_by(Phone.person_id, Phone.primary.desc(), Phone.position)
    ).all()
    for pid, e164, kind, label, primary in phones:
        what = ", ".join(
            x for x in (label or kind.replace("_", " "), "primary" if primary else "") if x
        )
        people[pid].phones.append(f"{_international(e164)} ({what})")  # type: ignore[union-attr]
    return people


# --- subscriptions -------------------------------------------------------------------------


def subscription_refusal(user: User, scope: str, include_contacts: bool) -> str | None:
    """Why this user may not hold such a subscription, or None when they may.

    Every user reads the directory, phones included, so any user may subscribe to a Party or a
    person, with or without contacts. A feed with every duty officer's numbers network-wide is
    one leaked URL away from the whole directory, so that one is the secretariat's only.
    """
    return _refusal(user.role, user.active, scope, include_contacts)


def _refusal(role: str, active: bool, scope: str, include_contacts: bool) -> str | None:
    if not active:
        return "this account is inactive"
    if scope == "network" and include_contacts and role != "secretariat":
        return "only the secretariat may subscribe to the whole network with contact details"
    return None


def present_subscription(sub: CalendarSubscription, extra: dict[str, Any] | None = None) -> dict:
    """A subscription as the API shows it (never the secret)."""
    party = db.session.get(Party, sub.party_id) if sub.party_id else None
    person = db.session.get(Person, sub.person_id) if sub.person_id else None
    out = {
        "id": sub.id,
        "scope": sub.scope,
        "party": party.iso2 if party else None,
        "person": {"id": person.id, "full_name": person.full_name} if person else None,
        "tiers": sub.tiers,
        "include_contacts": sub.include_contacts,
        "name": calendar_name(sub),
        "created_at": iso(sub.created_at),
        "last_used_at": iso(sub.last_used_at),
    }
    if extra:
        out.update(extra)
    return out


def create_subscription(
    actor: User, data: dict[str, Any], now: datetime
) -> tuple[CalendarSubscription, str]:
    """A new feed for `actor`; answers the record and the secret token (shown only once)."""
    scope = data["scope"]
    party_id = person_id = None
    audit_party = None
    if scope == "party":
        try:
            party = directory.get_party(data["party"])
        except Problem:
            raise invalid("party", f"no Party {data['party'].upper()!r}") from None
        party_id = audit_party = party.id
    elif scope == "person":
        person = db.session.get(Person, data["person_id"])
        if person is None:
            raise invalid("person_id", f"no person {data['person_id']}")
        person_id, audit_party = person.id, person.party_id
    refusal = subscription_refusal(actor, scope, data["include_contacts"])
    if refusal:
        raise Problem(403, refusal)
    tiers = sorted(set(data["tiers"])) if data.get("tiers") else None
    secret = new_secret(TOKEN_PREFIX)
    sub = CalendarSubscription(
        user_id=actor.id,
        token_hash=hash_secret(secret),
        scope=scope,
        party_id=party_id,
        person_id=person_id,
        tiers=tiers,
        include_contacts=data["include_contacts"],
        created_at=now,
    )
    db.session.add(sub)
    db.session.flush()
    record_change(
        actor,
        "create",
        "calendar_subscription",
        sub.id,
        party_id=audit_party,
        before=None,
        after=present_subscription(sub),
        now=now,
    )
    return sub, secret


def list_subscriptions(actor: User) -> list[CalendarSubscription]:
    """The actor's own live subscriptions, newest first."""
    return list(
        db.session.scalars(
            sa.select(CalendarSubscription)
            .where(
                CalendarSubscription.user_id == actor.id,
                CalendarSubscription.revoked_at.is_(None),
            )
            .order_by(CalendarSubscription.id.desc())
        )
    )


def get_subscription(actor: User, subscription_id: int) -> CalendarSubscription:
    """One's own live subscription (the secretariat may reach anyone's); 404 otherwise."""
    sub = db.session.get(CalendarSubscription, subscription_id)
    if (
        sub is None
        or sub.revoked_at is not None
        or (sub.user_id != actor.id and actor.role != "secretariat")
    ):
        raise not_found(f"calendar subscription {subscription_id}")
    return sub


def revoke_subscription(actor: User, sub: CalendarSubscription, now: datetime) -> None:
    """The URL stops working at once (404 from the next request on)."""
    before = present_subscription(sub)
    sub.revoked_at = now
    db.session.flush()
    record_change(
        actor,
        "delete",
        "calendar_subscription",
        sub.id,
        party_id=sub.party_id,
        before=before,
        after=None,
        now=now,
    )


def feed_url(secret: str) -> str:
    """The feed's address under PUBLIC_BASE_URL (https in production, http in development)."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/calendars/{secret}.ics"


def webcal_url(url: str) -> str:
    """The same feed as a webcal:// link, which makes calendar apps offer to subscribe."""
    return "webcal://" + url.split("://", 1)[1]


@dataclass(frozen=True)
class FeedSubscription:
    """What serving a feed needs of a subscription, read with the change marker in one query."""

    id: int
    token_hash: str
    scope: str
    party_id: int | None
    person_id: int | None
    tiers: list[int] | None
    include_contacts: bool
    last_used_at: datetime | None
    #: The newest audit entry's id: every write through the services moves it.
    marker: int | None


@lru_cache(maxsize=1)
def _token_query() -> sa.Select[Any]:
    """Built once (a 304 is mostly this query): Core columns, the token hash bound per call."""
    s = CalendarSubscription.__table__.c
    user = User.__table__.c
    newest_audit = sa.select(sa.func.max(AuditEntry.__table__.c.id)).scalar_subquery()
    return (
        sa.select(
            s.id,
            s.token_hash,
            s.scope,
            s.party_id,
            s.person_id,
            s.tiers,
            s.include_contacts,
            s.last_used_at,
            newest_audit,
            s.revoked_at,
            user.role,
            user.active,
        )
        .join_from(CalendarSubscription.__table__, User.__table__, user.id == s.user_id)
        .where(s.token_hash == sa.bindparam("token_hash"))
    )


def subscription_for_token(token: str) -> FeedSubscription | None:
    """The live subscription behind a feed token whose owner may still read it, else None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = read_once(_token_query(), {"token_hash": hash_secret(token)})
    if row is None:
        return None
    *fields, revoked_at, role, active = row
    sub = FeedSubscription(*fields)
    if revoked_at is not None or _refusal(role, active, sub.scope, sub.include_contacts):
        return None
    return sub


def record_use(sub: FeedSubscription, now: datetime) -> bool:
    """Note that the feed was fetched, at most every LAST_USE_EVERY; True when it wrote."""
    if sub.last_used_at is not None and now - sub.last_used_at < LAST_USE_EVERY:
        return False
    db.session.execute(
        sa.update(CalendarSubscription)
        .where(CalendarSubscription.id == sub.id)
        .values(last_used_at=now)
    )
    return True


def calendar_name(sub: AnySubscription) -> str:
    """X-WR-CALNAME: what the calendar is called in the client's list."""
    tiers = (
        "all tiers"
        if not sub.tiers
        else ("tier " if len(sub.tiers) == 1 else "tiers ") + ", ".join(map(str, sub.tiers))
    )
    if sub.scope == "network":
        return f"Art35 · 24/7 Network · {tiers}"
    if sub.scope == "party":
        party = db.session.get(Party, sub.party_id)
        label = party_label(party.iso2, party.name) if party else "?"
        return f"Art35 · {label} · {tiers}"
    person = db.session.get(Person, sub.person_id)
    if person is None:
        return "Art35 · duty"
    suffix = "" if not sub.tiers else f" · {tiers}"
    return f"Art35 · {person.full_name} · duty{suffix}"


AnySubscription = CalendarSubscription | FeedSubscription


# --- validators (cheap: no resolution) ------------------------------------------------------


@dataclass(frozen=True)
class Validator:
    etag: str
    last_modified: datetime  # whole seconds, UTC


def _scope_conditions(sub: AnySubscription) -> dict[str, list[Any]]:
    """WHERE clauses selecting what a subscription's feed depends on, per table."""
    rota_c: list[Any] = []
    person_c: list[Any] = []
    party_c: list[Any] = []
    version_c: list[Any] = []
    if sub.scope == "party":
        rota_c.append(RotaRecord.party_id == sub.party_id)
        person_c.append(Person.party_id == sub.party_id)
        party_c.append(Party.id == sub.party_id)
        version_c.append(PublishedShift.party_id == sub.party_id)
    elif sub.scope == "person":
        party_of = sa.select(Person.party_id).where(Person.id == sub.person_id).scalar_subquery()
        rota_c.append(RotaRecord.party_id == party_of)
        person_c.append(Person.id == sub.person_id)
        party_c.append(Party.id == party_of)
        version_c.extend(
            (PublishedShift.party_id == party_of, PublishedShift.person_id == sub.person_id)
        )
    if sub.tiers:
        rota_c.append(RotaRecord.tier.in_(sub.tiers))
        version_c.append(PublishedShift.tier.in_(sub.tiers))
    return {"rota": rota_c, "person": person_c, "party": party_c, "version": version_c}


#: Validators per subscription (by token hash), reused while no audited write happened, the
#: day and settings are the same and VALIDATOR_TTL has not passed (the TTL bounds staleness
#: after writes that bypass the services, which leave no audit entry).
_VALIDATORS: dict[str, tuple[tuple[Any, ...], datetime, Validator]] = {}
VALIDATOR_TTL = timedelta(minutes=1)


def feed_validator(sub: FeedSubscription, window: FeedWindow, now: datetime) -> Validator:
    """ETag and Last-Modified of the feed; a 304 costs one query (the token's) most of the time."""
    config = current_app.config
    key = (
        sub.marker,
        window.day,
        config["CALENDAR_PAST_DAYS"],
        config["CALENDAR_FUTURE_DAYS"],
        feed_domain(),
    )
    cached = _VALIDATORS.get(sub.token_hash)
    if cached is not None and cached[0] == key and now < cached[1]:
        return cached[2]
    validator = _exact_validator(sub, window)
    if len(_VALIDATORS) > 10_000:
        _VALIDATORS.clear()
    _VALIDATORS[sub.token_hash] = (key, now + VALIDATOR_TTL, validator)
    return validator


def _exact_validator(sub: FeedSubscription, window: FeedWindow) -> Validator:
    """ETag and Last-Modified of the feed from a handful of aggregates, in one query.

    The feed is a function of the rotas (any change moves their updated_at and version, deleting
    one changes the count), the people (names, contacts; deletions change the count), the Parties'
    names, the published-shift versions, the window's day and the subscription itself.
    """
    c = _scope_conditions(sub)
    row = db.session.execute(
        sa.select(
            sa.select(sa.func.max(RotaRecord.updated_at)).where(*c["rota"]).scalar_subquery(),
            sa.select(sa.func.count(RotaRecord.id)).where(*c["rota"]).scalar_subquery(),
            sa.select(sa.func.max(Person.updated_at)).where(*c["person"]).scalar_subquery(),
            sa.select(sa.func.count(Person.id)).where(*c["person"]).scalar_subquery(),
            sa.select(sa.func.max(Party.updated_at)).where(*c["party"]).scalar_subquery(),
            sa.select(sa.func.max(PublishedShift.last_modified_at))
            .where(*c["version"])
            .scalar_subquery(),
            sa.select(sa.func.count(PublishedShift.id)).where(*c["version"]).scalar_subquery(),
            # Version counters move on every write, even two in the same second (issue 12).
            sa.select(sa.func.sum(RotaRecord.version)).where(*c["rota"]).scalar_subquery(),
            sa.select(sa.func.sum(Person.version)).where(*c["person"]).scalar_subquery(),
            sa.select(sa.func.sum(Party.version)).where(*c["party"]).scalar_subquery(),
        )
    ).one()
    stamps = [value for value in (row[0], row[2], row[4], row[5]) if value is not None]
    config = current_app.config
    key = [
        FEED_FORMAT,
        sub.id,
        sub.scope,
        sub.party_id,
        sub.person_id,
        sub.tiers,
        sub.include_contacts,
        window.day.isoformat(),
        config["CALENDAR_PAST_DAYS"],
        config["CALENDAR_FUTURE_DAYS"],
        feed_domain(),
        [v.isoformat() if isinstance(v, datetime) else v for v in row],
    ]
    digest = hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()[:32]
    last = max([window.day_start, *(s.astimezone(UTC) for s in stamps)])
    return Validator(etag=f'"{digest}"', last_modified=last.replace(microsecond=0))


# --- building a feed -----------------------------------------------------------------------


def _target_party_ids(sub: AnySubscription) -> list[int] | None:
    if sub.scope == "party":
        return [sub.party_id]  # type: ignore[list-item]
    if sub.scope == "person":
        party_id = db.session.scalar(sa.select(Person.party_id).where(Person.id == sub.person_id))
        return [party_id] if party_id is not None else []
    return None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a feed is built.

    A network feed allocates a few hundred thousand short-lived objects, none in cycles, and
    each automatic collection would scan all of them (about a fifth of a cold build's time).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_feed(sub: AnySubscription, window: FeedWindow, stamp: datetime) -> bytes:
    """The subscription's feed as RFC 5545 bytes (stamp: the feed's Last-Modified, UTC)."""
    with _collector_paused():
        return _build_feed(sub, window, stamp)


def _build_feed(sub: AnySubscription, window: FeedWindow, stamp: datetime) -> bytes:
    domain = feed_domain()
    party_ids = _target_party_ids(sub)
    tiers = set(sub.tiers or ())
    only_person = sub.person_id if sub.scope == "person" else None
    loaded = lookup.load_rotas(party_ids, window.anchor, window.horizon) if party_ids != [] else {}
    party_query = sa.select(Party.id, Party.iso2, Party.name)
    if party_ids is not None:
        party_query = party_query.where(Party.id.in_(party_ids))
    countries = {
        pid: party_label(iso2, name) for pid, iso2, name in db.session.execute(party_query)
    }

    per_rota: list[tuple[RotaRecord, list[Duty]]] = []
    for party_id in sorted(loaded):
        for lr in loaded[party_id]:
            if tiers and lr.record.tier not in tiers:
                continue
            per_rota.append((lr.record, rota_duties(lr, window, domain, only_person)))
    people = _people((d.person_id for _, duties in per_rota for d in duties), sub.include_contacts)
    versions, cancelled = _versions(sub, party_ids, window)

    events: list[FeedEvent] = []
    append = events.append
    texts: dict[tuple[int, int, str], tuple[str, str]] = {}
    for rota, duties in per_rota:
        country = countries.get(rota.party_id, "?")
        for uid, _rota_id, person_id, start, end, source in duties:
            text = texts.get((rota.id, person_id, source))
            if text is None:
                person = people.get(person_id)
                text = texts[(rota.id, person_id, source)] = (
                    _summary(country, rota, person),
                    _description(country, rota, person, source, sub.include_contacts),
                )
            version = versions.get(uid)
            if version is None:
                append(FeedEvent(uid, start, end, text[0], text[1]))
            else:
                append(FeedEvent(uid, start, end, text[0], text[1], version[0], version[1]))
    if cancelled:
        live = {event.uid for event in events}
        events.extend(event for event in cancelled if event.uid not in live)
    # Events stay in Party, tier and time order: deterministic bytes, so a strong ETag.
    return render_feed(FeedCalendar(calendar_name(sub), REFRESH), events, stamp=stamp)


def _versions(
    sub: AnySubscription, party_ids: list[int] | None, window: FeedWindow
) -> tuple[dict[str, tuple[int, datetime]], list[FeedEvent]]:
    """(SEQUENCE, LAST-MODIFIED) of the live UIDs that changed, and the cancellations to send."""
    conditions = [PublishedShift.end_at > window.since]
    if party_ids is not None:
        conditions.append(PublishedShift.party_id.in_(party_ids))
    if sub.tiers:
        conditions.append(PublishedShift.tier.in_(sub.tiers))
    if sub.scope == "person":
        conditions.append(PublishedShift.person_id == sub.person_id)
    live = db.session.execute(
        sa.select(
            PublishedShift.uid, PublishedShift.sequence, PublishedShift.last_modified_at
        ).where(*conditions, PublishedShift.cancelled_at.is_(None))
    ).all()
    gone = db.session.execute(
        sa.select(
            PublishedShift.uid,
            PublishedShift.start_at,
            PublishedShift.end_at,
            PublishedShift.summary,
            PublishedShift.description,
            PublishedShift.sequence,
            PublishedShift.last_modified_at,
        )
        .where(*conditions, PublishedShift.cancelled_at >= window.day_start - CANCELLED_KEEP)
        .order_by(PublishedShift.start_at, PublishedShift.uid)
    ).all()
    return (
        {uid: (sequence, modified) for uid, sequence, modified in live},
        [FeedEvent(*row, cancelled=True) for row in gone],
    )


# --- versions: what moved when a rota changed ------------------------------------------------


def _current(rota: RotaRecord, window: FeedWindow) -> lookup.LoadedRota:
    """The rota as stored now, loaded exactly as feeds load it (so this also warms the memo)."""
    for loaded in lookup.load_rotas([rota.party_id], window.anchor, window.horizon)[rota.party_id]:
        if loaded.record.id == rota.id:
            return loaded
    return lookup.LoadedRota(rota, None)


def on_rota_change(rota: RotaRecord, before: r.Rota | None, now: datetime) -> None:
    """Version the published shifts of `rota` after a change (a ROTA_CHANGE_LISTENERS entry)."""
    window = configured_window(now)
    domain = feed_domain()
    state: Any = sa.inspect(rota)
    was = (
        {
            d.uid: d
            for d in rota_duties(lookup.LoadedRota(rota, before), window, domain, remember=False)
        }
        if before is not None
        else {}
    )
    gone = state.deleted or state.was_deleted
    now_duties = (
        {} if gone else {d.uid: d for d in rota_duties(_current(rota, window), window, domain)}
    )
    rows = {
        row.uid: row
        for row in db.session.scalars(
            sa.select(PublishedShift).where(PublishedShift.rota_id == rota.id)
        )
    }
    moved: list[Duty] = []  # new version of a duty clients already have (or had, cancelled)
    for uid, duty in now_duties.items():
        old = was.get(uid)
        row = rows.get(uid)
        if old is None and row is None:
            continue  # a first publication: SEQUENCE 0
        unchanged = old is not None and (old.start, old.end, old.source) == (
            duty.start,
            duty.end,
            duty.source,
        )
        if unchanged and (row is None or row.cancelled_at is None):
            continue
        moved.append(duty)
    vanished = [duty for uid, duty in was.items() if uid not in now_duties]
    if moved or vanished:
        people = _people({d.person_id for d in (*moved, *vanished)}, contacts=False)
        party = db.session.get(Party, rota.party_id)
        country = party_label(party.iso2, party.name) if party else "?"
        for duty, cancelled in [(d, False) for d in moved] + [(d, True) for d in vanished]:
            person = people.get(duty.person_id)
            row = rows.get(duty.uid)
            if row is None:
                row = PublishedShift(uid=duty.uid, rota_id=rota.id, sequence=0)
                db.session.add(row)
                rows[duty.uid] = row
            row.party_id = rota.party_id
            row.tier = rota.tier
            row.person_id = duty.person_id
            row.start_at, row.end_at = duty.start, duty.end
            row.sequence = (row.sequence or 0) + 1
            row.last_modified_at = now
            row.cancelled_at = now if cancelled else None
            row.summary = _summary(country, rota, person)[:600]
            row.description = _description(country, rota, person, duty.source, False)[:2000]
    db.session.flush()
    if not gone:  # a rota moved to another tier takes its versions along (for tier filters)
        db.session.execute(
            sa.update(PublishedShift)
            .where(PublishedShift.rota_id == rota.id, PublishedShift.tier != rota.tier)
            .values(tier=rota.tier),
            execution_options={"synchronize_session": False},
        )
    _purge(rota.party_id, window, now)


def _purge(party_id: int, window: FeedWindow, now: datetime) -> None:
    """Forget versions no feed shows any more (ended before the window, or cancelled long ago)."""
    db.session.execute(
        sa.delete(PublishedShift).where(
            PublishedShift.party_id == party_id,
            sa.or_(
                PublishedShift.end_at < window.since - timedelta(days=1),
                PublishedShift.cancelled_at < now - CANCELLED_KEEP - timedelta(days=1),
            ),
        ),
        execution_options={"synchronize_session": False},
    )
