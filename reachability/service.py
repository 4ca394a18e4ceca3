"""Reachability rules: test calls on demand, campaigns and their escalation, Twilio's events.

Plain functions taking the acting user and `now` (aware UTC); they flush but never commit. The
steps that talk to Twilio, and commit around it, are in `reachability.dialer`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.languages import get_official_languages
from sqlalchemy.orm import selectinload

from common.db import db, rowcount
from common.errors import Problem, invalid, not_found
from common.settings import telephony_settings
from directory import service as directory
from directory.access import require_party_editor, require_secretariat
from directory.audit import record_change
from directory.models import Party, Person, User
from directory.numbers import number_to_try, record_number_result
from directory.values import parse_phone
from reachability import planning, quotas
from reachability.models import Attempt, Campaign, DialSecond, Slot
from reachability.settings import calls_per_second, setting
from reachability.tollfraud import call_refusal, parse_calling_codes
from rota.lookup import resolve_on_call

TELEPHONY_OFF = "telephony is not configured"
TERMINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
CALL_STATUSES = TERMINAL_STATUSES | {"queued", "initiated", "ringing", "in-progress"}
#: Twilio error codes that refuse the request itself (bad 'To' number, not allowed to call it):
#: calling the same number again cannot help, so the path escalates at once.
_PERMANENT_CODES = range(21200, 21300)
_TARGET_TIER = {"tier1": 1, "tier2": 2}


# --- transactions ---------------------------------------------------------------------------


def take_write_lock() -> None:
    """Start this transaction holding the write lock on SQLite; PostgreSQL locks rows instead.

    SQLite refuses to write in a transaction that has read before another connection committed
    ("database is locked": a stale snapshot); taking the lock first makes it wait its turn.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.update(DialSecond).where(sa.false()).values(lane=DialSecond.lane))


def lock_attempt(attempt_id: int) -> Attempt | None:
    """The attempt, locked for this transaction (webhooks of one call are applied one by one)."""
    take_write_lock()
    return db.session.scalar(
        sa.select(Attempt)
        .where(Attempt.id == attempt_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def take_dial_second(now: datetime, lanes: int) -> bool:
    """Take one of the `lanes` calls allowed to start in `now`'s second; False if all are taken."""
    second = int(now.timestamp())
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    for lane in range(lanes):
        taken = db.session.scalar(
            insert(DialSecond)
            .values(second=second, lane=lane)
            .on_conflict_do_nothing()
            .returning(DialSecond.lane)
        )
        if taken is not None:
            return True
    return False


def forget_dial_seconds(now: datetime) -> None:
    """Drop dial seconds older than an hour (only the current second matters)."""
    horizon = int(now.timestamp()) - 3600
    db.session.execute(sa.delete(DialSecond).where(DialSecond.second < horizon))


# --- reading --------------------------------------------------------------------------------


def get_attempt(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        raise not_found(f"test call {attempt_id}")
    return attempt


def get_campaign(campaign_id: int) -> Campaign:
    """The campaign with its slots, their Parties and attempts loaded."""
    campaign = db.session.scalar(
        sa.select(Campaign)
        .options(
            selectinload(Campaign.slots).selectinload(Slot.attempts),
            selectinload(Campaign.slots).selectinload(Slot.party),
        )
        .where(Campaign.id == campaign_id)
    )
    if campaign is None:
        raise not_found(f"campaign {campaign_id}")
    return campaign


def list_campaigns() -> list[Campaign]:
    """Newest month first."""
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .options(selectinload(Campaign.slots))
            .order_by(Campaign.month.desc(), Campaign.id.desc())
        )
    )


def party_history(party: Party, limit: int = 200) -> tuple[list[Slot], list[Attempt]]:
    """A Party's campaign slots (newest first) and its test calls of any kind (newest first)."""
    slots = list(
        db.session.scalars(
            sa.select(Slot)
            .options(
                selectinload(Slot.attempts), selectinload(Slot.campaign), selectinload(Slot.party)
            )
            .where(Slot.party_id == party.id)
            .order_by(Slot.planned_at.desc())
        )
    )
    attempts = list(
        db.session.scalars(
            sa.select(Attempt)
            .where(Attempt.party_id == party.id)
            .order_by(Attempt.created_at.desc(), Attempt.id.desc())
            .limit(limit)
        )
    )
    return slots, attempts


# --- test calls on demand -------------------------------------------------------------------


def _number_of(person: Person, phone: str | None) -> str:
    """The person's primary number, or `phone` when it is one of theirs (any format)."""
    numbers = [p.e164 for p in person.phones]
    if not phone:
        primary = person.primary_phone
        if primary is None:
            raise invalid("person_id", f"{person.full_name} has no phone number to call")
        return primary.e164
    try:
        e164 = parse_phone(phone, person.party.iso2).e164
    except ValueError as exc:
        raise invalid("phone", str(exc)) from None
    if e164 not in numbers:
        raise invalid("phone", f"{e164} is not one of {person.full_name}'s numbers")
    return e164


def _check_rate(phone: str, now: datetime, window_s: int) -> None:
    """429 with Retry-After when this number was already called in the last `window_s` seconds."""
    last = db.session.scalar(
        sa.select(sa.func.max(Attempt.created_at)).where(
            Attempt.phone == phone,
            Attempt.created_at > now - timedelta(seconds=window_s),
            sa.or_(Attempt.outcome.is_(None), Attempt.outcome != "not-tested"),
        )
    )
    if last is None:
        return
    # A parallel request may have stamped an instant a little after this one's `now`.
    wait = min(
        window_s, max(1, math.ceil((last + timedelta(seconds=window_s) - now).total_seconds()))
    )
    raise Problem(
        429,
        f"{phone} was test-called less than {window_s // 60} minutes ago: "
        f"try again in {wait} seconds",
        headers={"Retry-After": str(wait)},
        extra={"retry_after": wait},
    )


def _claim_number(phone: str, now: datetime, window_s: int) -> None:
    """The database's word on the one-call-per-number rule (holds under parallel requests)."""
    wait = quotas.claim_number(phone, now, window_s)
    if wait is not None:
        raise Problem(
            429,
            f"{phone} was test-called less than {window_s // 60} minutes ago: "
            f"try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
            extra={"retry_after": wait},
        )


def request_test_call(
    actor: User,
    person_id: int,
    phone: str | None,
    now: datetime,
    config: Mapping[str, Any],
) -> Attempt:
    """Record a test call to a person's number (primary unless `phone` names another of theirs).

    For the secretariat and the admins of the person's Party. Answers 503 when telephony is not
    configured and 429 when the number was called in the last REACH_RATE_LIMIT_S seconds; then
    nothing is recorded. The caller commits, then dials (`dialer.dispatch`).
    """
    take_write_lock()  # first, before this transaction reads (SQLite; see take_write_lock)
    person = directory.get_person(person_id)
    require_party_editor(actor, person.party_id)
    number = _number_of(person, phone)
    refusal = call_refusal(number, person.party.iso2, person.party.allowed_calling_codes or ())
    if refusal is not None:  # toll fraud: only ordinary lines of the Party's own country
        raise invalid("phone", refusal)
    if telephony_settings(config) is None:
        raise Problem(
            503,
            f"{TELEPHONY_OFF}: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER",
            title="Telephony not configured",
        )
    # Serialise requests for one person, so that two at once cannot both pass the rate check.
    db.session.execute(sa.select(Person.id).where(Person.id == person.id).with_for_update())
    _check_rate(number, now, setting(config, "REACH_RATE_LIMIT_S"))
    _claim_number(number, now, setting(config, "REACH_RATE_LIMIT_S"))
    quotas.charge_call(config, now, user_id=actor.id, party_id=person.party_id)
    attempt = Attempt(
        kind="on_demand",
        party_id=person.party_id,
        person_id=person.id,
        person_name=person.full_name,
        target="person",
        phone=number,
        language=planning.message_language(lang.tag for lang in person.languages),
        state="queued",
        requested_by_id=actor.id,
        requested_by=actor.email,
        created_at=now,
        due_at=now,
    )
    db.session.add(attempt)
    db.session.flush()
    record_change(
        actor,
        "create",
        "test_call",
        attempt.id,
        party_id=person.party_id,
        before=None,
        after={"person_id": person.id, "phone": number, "kind": "on_demand"},
        now=now,
    )
    return attempt


def set_allowed_calling_codes(actor: User, party: Party, codes: list[int], now: datetime) -> Party:
    """The secretariat lets a Party's calls reach these other countries (audited)."""
    require_secretariat(actor)
    try:
        allowed = parse_calling_codes(codes)
    except ValueError as exc:
        raise invalid("calling_codes", str(exc)) from None
    before = list(party.allowed_calling_codes or [])
    if allowed != before:
        party.allowed_calling_codes = allowed
        party.updated_at = now
        record_change(
            actor,
            "update",
            "party",
            party.id,
            party_id=party.id,
            before={"allowed_calling_codes": before},
            after={"allowed_calling_codes": allowed},
            now=now,
        )
        db.session.flush()
    return party


# --- campaigns ------------------------------------------------------------------------------


def _party_hours(party: Party, now: datetime) -> planning.PartyHours:
    cp = party.contact_point_at(now)
    if cp is None:
        return planning.PartyHours(party.iso2, "UTC")
    windows = tuple(planning.OfficeWindow.from_json(w) for w in cp.office_hours or ())
    return planning.PartyHours(party.iso2, cp.timezone, windows)


def _parties_for(iso2s: list[str] | None) -> list[Party]:
    if iso2s is None:
        parties = directory.list_parties(status="party")
        if not parties:
            raise invalid("parties", "no Party has the status party: name the Parties to call")
        return parties
    errors = []
    seen: set[str] = set()
    parties = []
    for index, raw in enumerate(iso2s):
        code = raw.upper()
        if code in seen:
            errors.append({"field": f"parties[{index}]", "reason": f"{code} is listed twice"})
            continue
        seen.add(code)
        party = db.session.scalar(sa.select(Party).where(Party.iso2 == code))
        if party is None:
            errors.append({"field": f"parties[{index}]", "reason": f"no Party {code}"})
        else:
            parties.append(party)
    if errors:
        raise Problem(422, "; ".join(f"{e['field']}: {e['reason']}" for e in errors), errors=errors)
    return parties


def create_campaign(
    actor: User | None,
    month: str,
    iso2s: list[str] | None,
    window: str,
    now: datetime,
    config: Mapping[str, Any],
    *,
    schedule_key: str | None = None,
    start_at: datetime | None = None,
) -> Campaign:
    """Plan a campaign: one slot per Party in `month` (its local time), spread out (secretariat).

    `iso2s` None means every Party with status party. `start_at` (for benchmarks and drills)
    packs the slots from that instant at CALLS_PER_SECOND instead of spreading them.
    """
    if actor is not None:
        require_secretariat(actor)
    parties = _parties_for(iso2s)
    _refuse_planned_twice(month, parties)
    hours = [_party_hours(party, now) for party in parties]
    lanes = calls_per_second(config)
    if start_at is not None:
        planned = planning.pack_slots((h.key for h in hours), start_at, lanes)
    else:
        tail = timedelta(
            seconds=setting(config, "REACH_RETRIES") * setting(config, "REACH_RETRY_DELAY_S")
        )
        try:
            planned = planning.plan_slots(
                hours, month, window, calls_per_second=lanes, not_before=now, tail=tail
            )
        except ValueError as exc:
            raise invalid("month", str(exc)) from None
    campaign = Campaign(
        month=month,
        time_window=window,
        parties=[party.iso2 for party in parties],
        status="planned",
        schedule_key=schedule_key,
        created_by_id=actor.id if actor else None,
        created_by=actor.email if actor else "system",
        created_at=now,
    )
    for party, party_hours in zip(parties, hours, strict=True):
        at = planned[party.iso2]
        campaign.slots.append(
            Slot(
                party=party,
                planned_at=at,
                timezone=party_hours.tz,
                state="planned",
                next_step_at=at,
                plan_month=month,
            )
        )
    db.session.add(campaign)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        if "plan_month" not in str(exc.orig):
            raise
        # Another request planned the same month meanwhile and the unique (party, month) held:
        # this transaction wrote nothing else, so drop it and name the campaign in the way.
        db.session.rollback()
        _refuse_planned_twice(month, parties)
        raise
    record_change(
        actor,
        "create",
        "reach_campaign",
        campaign.id,
        party_id=None,
        before=None,
        after={"month": month, "window": window, "parties": campaign.parties},
        now=now,
    )
    return campaign


def _refuse_planned_twice(month: str, parties: list[Party]) -> None:
    """409 naming the campaign already planned for `month` with any of these Parties."""
    ids = [party.id for party in parties]
    row = db.session.execute(
        sa.select(Slot.campaign_id, Party.iso2)
        .join(Party, Party.id == Slot.party_id)
        .where(Slot.plan_month == month, Slot.party_id.in_(ids))
        .order_by(Slot.campaign_id, Party.iso2)
        .limit(1)
    ).first()
    if row is not None:
        raise Problem(
            409,
            f"{month} is already planned for {row.iso2} in campaign {row.campaign_id}: "
            "cancel that campaign first",
            errors=[{"field": "month", "reason": f"already planned (campaign {row.campaign_id})"}],
            extra={"campaign_id": row.campaign_id},
        )


CANCELLED = "campaign cancelled"


def cancel_campaign(actor: User, campaign_id: int, now: datetime) -> Campaign:
    """Cancel a planned or running campaign (secretariat): calls not yet placed never will be.

    Calls already ringing end as they will; their slots take no further step.
    """
    require_secretariat(actor)
    take_write_lock()
    campaign = get_campaign(campaign_id)
    if campaign.cancelled_at is not None or campaign.status == "done":
        raise Problem(
            409,
            f"campaign {campaign.id} is already {'cancelled' if campaign.cancelled_at else 'over'}",
            errors=[{"field": "status", "reason": "not planned or running"}],
        )
    before = {"status": campaign.status}
    campaign.cancelled_at = now
    campaign.cancelled_by = actor.email
    campaign.status = "done"
    campaign.finished_at = now
    slot_ids = [slot.id for slot in campaign.slots]
    db.session.execute(
        sa.update(Slot)
        .where(Slot.campaign_id == campaign.id)
        .values(plan_month=None, next_step_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(Slot)
        .where(Slot.campaign_id == campaign.id, Slot.state != "done")
        .values(state="done", finished_at=now)
        .execution_options(synchronize_session=False)
    )
    if slot_ids:
        db.session.execute(
            sa.update(Attempt)
            .where(Attempt.slot_id.in_(slot_ids), Attempt.state == "queued")
            .values(state="done", outcome="not-tested", reason=CANCELLED, ended_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    db.session.expire_all()
    record_change(
        actor,
        "cancel",
        "reach_campaign",
        campaign.id,
        party_id=None,
        before=before,
        after={"status": "cancelled"},
        now=now,
    )
    return campaign


def scheduled_campaign(month: str) -> Campaign | None:
    """The campaign `schedule --monthly` made for `month`, if any."""
    return db.session.scalar(sa.select(Campaign).where(Campaign.schedule_key == f"monthly:{month}"))


def schedule_monthly(
    now: datetime, window: str, config: Mapping[str, Any]
) -> tuple[Campaign, bool]:
    """Next month's campaign over every Party, made once: (campaign, whether it was made now)."""
    month = planning.next_month(now)
    existing = scheduled_campaign(month)
    if existing is not None:
        return existing, False
    campaign = create_campaign(
        None, month, None, window, now, config, schedule_key=f"monthly:{month}"
    )
    return campaign, True


# --- a slot's escalation path ---------------------------------------------------------------


def _target_key(attempt: Attempt) -> str:
    return "desk" if attempt.target == "desk" else f"tier{attempt.tier}"


def _retryable(attempt: Attempt) -> bool:
    refused = attempt.twilio_sid is None and attempt.error_code in _PERMANENT_CODES
    return not (attempt.outcome == "failed" and refused)


def path_of(slot: Slot) -> list[planning.Step]:
    """The finished attempts of a slot as steps of the pure escalation core."""
    return [
        planning.Step(_target_key(a), a.outcome or "not-tested", _retryable(a))
        for a in slot.attempts
        if a.state == "done"
    ]


def desk_language(iso2: str) -> str:
    """The language of the message on a desk line: the country's first official one we speak."""
    return planning.message_language(get_official_languages(iso2, de_facto=True))


def _campaign_attempt(slot: Slot, target: str, now: datetime, telephony_on: bool) -> Attempt:
    """The attempt of `target` at `now`: whom the rota names, or why nobody can be called."""
    party = slot.party
    campaign = slot.campaign
    attempt = Attempt(
        kind="campaign",
        party_id=party.id,
        step=len(slot.attempts),
        target="person",
        state="queued",
        requested_by_id=campaign.created_by_id,
        requested_by=campaign.created_by,
        created_at=now,
        due_at=now,
        language="en",
    )
    reason = None
    if target == "desk":
        cp = party.contact_point_at(now)
        attempt.target = "desk"
        attempt.phone = cp.desk_phone if cp else None
        attempt.language = desk_language(party.iso2)
        if cp is None:
            reason = "no desk line: the Party has no contact point"
        elif not cp.desk_phone:
            reason = "no desk line: the contact point has no desk phone"
    else:
        tier = _TARGET_TIER[target]
        attempt.tier = tier
        [on_call] = resolve_on_call([party], now, tier=tier)
        duty = on_call.tiers[0] if on_call.tiers else None
        if duty is None:
            reason = f"no tier-{tier} rota"
        elif duty.person is None:
            local = now.astimezone(ZoneInfo(on_call.tz_name))
            reason = f"gap in the tier-{tier} rota at {local:%Y-%m-%d %H:%M} {on_call.tz_name}"
        else:
            person = duty.person
            attempt.person_id = person.id
            attempt.person_name = person.full_name
            attempt.language = planning.message_language(lang.tag for lang in person.languages)
            # A number unreachable twice in a row gives way to the person's other numbers.
            primary = number_to_try(person)
            attempt.phone = primary.e164 if primary else None
            if primary is None:
                reason = f"{person.full_name} (tier {tier}) has no phone number"
    if reason is None:  # toll fraud: never a premium, satellite or foreign number
        refusal = call_refusal(attempt.phone, party.iso2, party.allowed_calling_codes or ())
        reason = None if refusal is None else f"not called: {refusal}"
    if reason is None and not telephony_on:
        reason = TELEPHONY_OFF
    if reason is not None:
        attempt.state = "done"
        attempt.outcome = "not-tested"
        attempt.reason = reason
        attempt.ended_at = now
    return attempt


def due_slot_ids(now: datetime, limit: int = 100) -> list[tuple[int, datetime]]:
    """Slots whose next step is due, earliest first, skipping those another worker has locked."""
    rows = db.session.execute(
        sa.select(Slot.id, Slot.next_step_at)
        .join(Campaign, Campaign.id == Slot.campaign_id)
        .where(Slot.next_step_at <= now, Campaign.cancelled_at.is_(None))
        .order_by(Slot.next_step_at, Slot.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [(row.id, row.next_step_at) for row in rows]


def claim_slot(slot_id: int, seen: datetime) -> Slot | None:
    """Take the slot's due step (compare-and-set on next_step_at); None if another worker did."""
    claimed = db.session.execute(
        sa.update(Slot)
        .where(Slot.id == slot_id, Slot.next_step_at == seen)
        .values(next_step_at=None)
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        return None
    return db.session.scalar(
        sa.select(Slot)
        .options(selectinload(Slot.attempts), selectinload(Slot.campaign), selectinload(Slot.party))
        .where(Slot.id == slot_id)
        .execution_options(populate_existing=True)
    )


def advance_slot(
    slot: Slot, now: datetime, config: Mapping[str, Any], *, telephony_on: bool
) -> Attempt | None:
    """Take a claimed slot's next step: queue the next call, recording and skipping over
    targets that cannot be called (not-tested), or close the slot. Returns the queued attempt."""
    campaign = slot.campaign
    if campaign.cancelled_at is not None:
        return None  # cancelled after this step was claimed: nothing more is queued
    if campaign.status == "planned":
        campaign.status = "running"
        campaign.started_at = now
    if slot.started_at is None:
        slot.started_at = now
    retries = setting(config, "REACH_RETRIES")
    while True:
        step = planning.next_step(path_of(slot), retries)
        if step is None:
            _close_slot(slot, now)
            return None
        attempt = _campaign_attempt(slot, step.target, now, telephony_on)
        slot.attempts.append(attempt)
        db.session.flush()
        if attempt.state != "done":
            slot.state = "calling"
            slot.next_step_at = None
            return attempt
        slot.best_outcome = planning.best_outcome(a.outcome for a in slot.attempts)


def _close_slot(slot: Slot, now: datetime) -> None:
    slot.state = "done"
    slot.next_step_at = None
    slot.finished_at = slot.finished_at or now
    slot.best_outcome = planning.best_outcome(a.outcome for a in slot.attempts) or "not-tested"
    db.session.flush()
    close_campaign_if_done(slot.campaign, now)


def close_campaign_if_done(campaign: Campaign, now: datetime) -> bool:
    """Mark the campaign done once every slot is."""
    if campaign.status == "done":
        return False
    pending = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Slot)
        .where(Slot.campaign_id == campaign.id, Slot.state != "done")
    )
    if pending:
        return False
    campaign.status = "done"
    campaign.started_at = campaign.started_at or now
    campaign.finished_at = now
    return True


def open_campaigns() -> list[Campaign]:
    return list(db.session.scalars(sa.select(Campaign).where(Campaign.status != "done")))


def settle_slot(slot: Slot, now: datetime, config: Mapping[str, Any]) -> None:
    """After one of its calls ended: keep the best outcome, and set when the next step is due."""
    slot.best_outcome = planning.best_outcome(a.outcome for a in slot.attempts)
    if slot.state == "done" or any(a.state != "done" for a in slot.attempts):
        return
    if slot.campaign.cancelled_at is not None:
        return
    step = planning.next_step(path_of(slot), setting(config, "REACH_RETRIES"))
    if step is None:
        _close_slot(slot, now)
        return
    delay = setting(config, "REACH_RETRY_DELAY_S") if step.after_delay else 0
    slot.state = "calling"
    slot.next_step_at = now + timedelta(seconds=delay)


# --- attempts: results ----------------------------------------------------------------------


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0.0, (end - start).total_seconds()), 3)


def _timings(attempt: Attempt) -> None:
    start = attempt.placed_at or attempt.claimed_at
    attempt.seconds_to_answer = _seconds(start, attempt.answered_at)
    attempt.seconds_to_confirm = _seconds(start, attempt.confirmed_at)


def finish_attempt(
    attempt: Attempt,
    outcome: str,
    now: datetime,
    config: Mapping[str, Any],
    *,
    reason: str | None = None,
    error_code: int | None = None,
) -> None:
    """Record an attempt's final outcome (once) and move its campaign slot on."""
    if attempt.state == "done":
        return
    attempt.state = "done"
    attempt.outcome = outcome
    attempt.reason = reason
    attempt.error_code = error_code
    if outcome != "confirmed":  # a confirmed call still plays its thanks; "completed" ends it
        attempt.ended_at = attempt.ended_at or now
    _timings(attempt)
    db.session.flush()
    if attempt.phone:  # the number's graded state (directory/numbers.py)
        record_number_result(attempt.phone, outcome, now)
    if attempt.slot_id is not None:
        slot = db.session.scalar(
            sa.select(Slot)
            .options(selectinload(Slot.attempts), selectinload(Slot.campaign))
            .where(Slot.id == attempt.slot_id)
            .with_for_update()
        )
        if slot is not None:
            settle_slot(slot, now, config)


def record_placed(attempt: Attempt, sid: str, now: datetime) -> None:
    """Learn the call's SID (from the dialer or from the first callback that names it)."""
    if attempt.twilio_sid is None:
        attempt.twilio_sid = sid
    if attempt.state in ("queued", "dialing"):
        attempt.state = "placed"
    if attempt.placed_at is None:
        attempt.placed_at = attempt.claimed_at or now


def _known_call(attempt: Attempt, form: Mapping[str, str], now: datetime) -> bool:
    """False when the callback is about another call than the attempt's."""
    sid = form.get("CallSid") or ""
    if not sid:
        return False
    if attempt.twilio_sid is None:
        record_placed(attempt, sid, now)
        return True
    return attempt.twilio_sid == sid


def _machine(answered_by: str | None) -> bool:
    return bool(answered_by) and ((answered_by or "").startswith("machine") or answered_by == "fax")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def record_voice(attempt: Attempt, form: Mapping[str, str], now: datetime) -> str:
    """Twilio fetches the message: the call was answered. "prompt" for a human, else "hangup"."""
    if not _known_call(attempt, form, now):
        return "hangup"
    if attempt.state == "done" and attempt.outcome != "confirmed":
        return "hangup"
    if form.get("AnsweredBy"):
        attempt.answered_by = form["AnsweredBy"]
    if attempt.answered_at is None:
        attempt.answered_at = now
        _timings(attempt)
    return "hangup" if _machine(attempt.answered_by) else "prompt"


def record_gather(
    attempt: Attempt, form: Mapping[str, str], now: datetime, config: Mapping[str, Any]
) -> str:
    """The callee pressed a key: "confirmed" for 1 (once), "wrong" for another, "ignored"."""
    if not _known_call(attempt, form, now):
        return "ignored"
    if (form.get("Digits") or "") != "1":
        return "wrong"
    if attempt.confirmed_at is None:
        attempt.confirmed_at = now
        attempt.answered_at = attempt.answered_at or now
        _timings(attempt)
    finish_attempt(attempt, "confirmed", now, config)
    if attempt.outcome == "confirmed" and attempt.person_id is not None:
        person = db.session.get(Person, attempt.person_id)
        if person is not None:
            directory.mark_confirmed(person, attempt.confirmed_at or now)
    return "confirmed"


def outcome_of(
    status: str, answered_by: str | None, form: Mapping[str, str]
) -> tuple[str, str | None, int | None]:
    """(outcome, reason, Twilio error code) of a call that ended with `status`."""
    if status == "completed":
        if _machine(answered_by):
            return "voicemail", f"answered by {answered_by}", None
        return "answered", "answered without pressing 1", None
    if status == "failed":
        code = _int(form.get("ErrorCode"))
        message = form.get("ErrorMessage")
        sip = form.get("SipResponseCode")
        if not message:
            message = f"the call failed (SIP {sip})" if sip else "the call failed"
        return "failed", message, code
    return status, None, None  # busy, no-answer, canceled


def record_status(
    attempt: Attempt, form: Mapping[str, str], now: datetime, config: Mapping[str, Any]
) -> bool:
    """Apply a status callback once, in order: late (SequenceNumber) and repeated ones change
    nothing. True when it was applied."""
    status = form.get("CallStatus") or ""
    if status not in CALL_STATUSES or not _known_call(attempt, form, now):
        return False
    sequence = _int(form.get("SequenceNumber"))
    if sequence is not None:
        if attempt.last_sequence_number is not None and sequence <= attempt.last_sequence_number:
            return False
        attempt.last_sequence_number = sequence
    if form.get("AnsweredBy") and attempt.answered_by is None:
        attempt.answered_by = form["AnsweredBy"]
    if attempt.state == "done":
        # Already final (e.g. confirmed at the key press): only the end of the call is news.
        if status in TERMINAL_STATUSES and attempt.call_status not in TERMINAL_STATUSES:
            attempt.call_status = status
            attempt.ended_at = attempt.ended_at or now
            attempt.duration_s = _int(form.get("CallDuration"))
        return True
    attempt.call_status = status
    if status == "in-progress" and attempt.answered_at is None:
        attempt.answered_at = now
        _timings(attempt)
    if status in TERMINAL_STATUSES:
        attempt.ended_at = now
        attempt.duration_s = _int(form.get("CallDuration"))
        outcome, reason, code = outcome_of(status, attempt.answered_by, form)
        finish_attempt(attempt, outcome, now, config, reason=reason, error_code=code)
    return True
