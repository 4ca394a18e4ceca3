"""Is a Party's directory entry still vouched for? Confirmations, their validity, their state.

A Party administrator (or the secretariat) reviews the Party's entries and confirms them; the
confirmation holds for the network's validity period (default 6 months). The state at an
instant is a pure function of that instant and the last confirmation:

    current   now < valid_until − 30 days
    due_soon  valid_until − 30 days ≤ now < valid_until
    overdue   valid_until ≤ now < valid_until + grace (default 30 days)
    expired   valid_until + grace ≤ now, or never confirmed

Intervals are half-open like everywhere else. The state is never stored: answers cache the
stored instants and compute the state for the present at each request.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from common.db import db, rowcount
from directory.access import require_party_editor, require_secretariat
from directory.audit import record_change
from directory.models import (
    AuditEntry,
    NetworkSetting,
    NetworkSettingsVersion,
    Party,
    PartyConfirmation,
    User,
)

STATES = ("current", "due_soon", "overdue", "expired")
#: Network settings (key → default) the secretariat may change.
DEFAULTS: dict[str, int] = {
    "confirmation_validity_months": 6,
    "confirmation_due_soon_days": 30,
    "confirmation_grace_days": 30,
}
LIMITS: dict[str, tuple[int, int]] = {
    "confirmation_validity_months": (1, 24),
    "confirmation_due_soon_days": (1, 180),
    "confirmation_grace_days": (0, 365),
}


@dataclass(frozen=True)
class Policy:
    """How long a confirmation holds and when it turns due and expired."""

    validity_months: int = 6
    due_soon: timedelta = timedelta(days=30)
    grace: timedelta = timedelta(days=30)


def freshness_state(now: datetime, valid_until: datetime | None, policy: Policy = Policy()) -> str:
    """The state at `now` (aware UTC) of a confirmation valid until `valid_until` (None: never)."""
    if valid_until is None:
        return "expired"
    if now < valid_until - policy.due_soon:
        return "current"
    if now < valid_until:
        return "due_soon"
    if now < valid_until + policy.grace:
        return "overdue"
    return "expired"


def add_months(at: datetime, months: int) -> datetime:
    """The same wall-clock instant `months` later in UTC (31 Aug + 6 months → 28/29 Feb)."""
    total = at.month - 1 + months
    year, month = at.year + total // 12, total % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


def state_changes_at(valid_until: datetime | None, policy: Policy) -> list[datetime]:
    """The instants at which the state changes (for tests and the reminder schedule)."""
    if valid_until is None:
        return []
    return [valid_until - policy.due_soon, valid_until, valid_until + policy.grace]


# --- settings ------------------------------------------------------------------------------


def setting(key: str) -> int:
    """A network setting's value (its default until the secretariat sets it)."""
    value = db.session.scalar(sa.select(NetworkSetting.value).where(NetworkSetting.key == key))
    return int(value) if value is not None else DEFAULTS[key]


def policy() -> Policy:
    """The network's confirmation policy, read once per call."""
    stored: dict[str, Any] = dict(
        db.session.execute(
            sa.select(NetworkSetting.key, NetworkSetting.value).where(
                NetworkSetting.key.in_(list(DEFAULTS))
            )
        ).all()
    )
    values = {k: int(stored.get(k, d)) for k, d in DEFAULTS.items()}
    return Policy(
        validity_months=values["confirmation_validity_months"],
        due_soon=timedelta(days=values["confirmation_due_soon_days"]),
        grace=timedelta(days=values["confirmation_grace_days"]),
    )


def stored_settings() -> dict[str, NetworkSetting]:
    """The settings set so far (key → row: value, when, by whom); defaults are not stored."""
    rows = db.session.scalars(sa.select(NetworkSetting).where(NetworkSetting.key.in_(DEFAULTS)))
    return {row.key: row for row in rows}


def settings_version() -> int:
    """The settings' version: every change moves it (forms carry it, writes name it)."""
    return int(db.session.scalar(sa.select(NetworkSettingsVersion.version)) or 0)


def set_settings(
    actor: User, values: dict[str, int], now: datetime, *, expected_version: int | None = None
) -> None:
    """Change network settings (secretariat), each audited; callers validated keys and ranges.

    With `expected_version`, only if no change came since that version: the database decides
    (the version row's conditional UPDATE; the loser of a race waits for the winner's commit,
    then matches no row), and the refusal is the StaleDataError a versioned record's UPDATE
    raises (common.concurrency: 412 with If-Match, else 409). Nothing is written then.
    """
    require_secretariat(actor)
    bump = sa.update(NetworkSettingsVersion).values(version=NetworkSettingsVersion.version + 1)
    if expected_version is not None:
        bump = bump.where(NetworkSettingsVersion.version == expected_version)
    # First, before any setting row: the version row's lock orders the writers.
    if rowcount(db.session.execute(bump.execution_options(synchronize_session=False))) != 1:
        raise StaleDataError(
            f"the network settings changed since version {expected_version}: nothing written"
        )
    for key, value in values.items():
        _write_setting(actor, key, value, now)


def set_setting(actor: User, key: str, value: int, now: datetime) -> None:
    """Change one network setting (secretariat), whatever changed before; audited."""
    set_settings(actor, {key: value}, now)


def _write_setting(actor: User, key: str, value: int, now: datetime) -> None:
    row = db.session.get(NetworkSetting, key)
    before = {"value": row.value} if row else None
    if row is None:
        row = NetworkSetting(key=key, value=value, updated_at=now, updated_by=actor.email)
        db.session.add(row)
    else:
        row.value, row.updated_at, row.updated_by = value, now, actor.email
    db.session.flush()
    record_change(
        actor, "update", "network_setting", None,
        party_id=None, before=before, after={"key": key, "value": value}, now=now,
    )  # fmt: skip


# --- confirmations -------------------------------------------------------------------------


def latest_confirmations(party_ids: list[int] | None = None) -> dict[int, PartyConfirmation]:
    """The newest confirmation of each Party (of these, or all), in one query."""
    newest = sa.select(sa.func.max(PartyConfirmation.id)).group_by(PartyConfirmation.party_id)
    if party_ids is not None:
        if not party_ids:
            return {}
        newest = newest.where(PartyConfirmation.party_id.in_(party_ids))
    rows = db.session.scalars(sa.select(PartyConfirmation).where(PartyConfirmation.id.in_(newest)))
    return {row.party_id: row for row in rows}


def latest_confirmation(party: Party) -> PartyConfirmation | None:
    return latest_confirmations([party.id]).get(party.id)


def confirm_party(actor: User, party: Party, now: datetime) -> PartyConfirmation:
    """Confirm the Party's entries as true now (its administrators, the secretariat); audited."""
    require_party_editor(actor, party.id)
    seen = db.session.scalar(
        sa.select(sa.func.max(AuditEntry.id)).where(AuditEntry.party_id == party.id)
    )
    conf = PartyConfirmation(
        party_id=party.id,
        confirmed_at=now,
        confirmed_by_id=actor.id,
        confirmed_by=actor.email,
        valid_until=add_months(now, policy().validity_months),
        audit_id=seen,
    )
    db.session.add(conf)
    db.session.flush()
    record_change(
        actor, "confirm", "party_confirmation", conf.id, party_id=party.id, before=None,
        after={"confirmed_at": now.isoformat(), "valid_until": conf.valid_until.isoformat()},
        now=now,
    )  # fmt: skip
    return conf


def changes_since(
    party: Party, conf: PartyConfirmation | None, limit: int = 200
) -> list[AuditEntry]:
    """Changes to the Party's entries since its last confirmation (all if never), oldest first."""
    query = (
        sa.select(AuditEntry)
        .where(AuditEntry.party_id == party.id, AuditEntry.entity != "party_confirmation")
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    if conf is not None and conf.audit_id is not None:
        query = query.where(AuditEntry.id > conf.audit_id)
    return list(reversed(list(db.session.scalars(query))))


# --- the block the API and the pages show ---------------------------------------------------


def stored_block(conf: PartyConfirmation | None) -> dict[str, Any]:
    """The clock-independent part of the block (cacheable): who, when, until when."""
    if conf is None:
        return {"confirmed_at": None, "confirmed_by": None, "valid_until": None}
    return {
        "confirmed_at": conf.confirmed_at.isoformat(),
        "confirmed_by": conf.confirmed_by,
        "valid_until": conf.valid_until.isoformat(),
    }


def block_at(
    stored: dict[str, Any], valid_until: datetime | None, now: datetime, pol: Policy
) -> dict[str, Any]:
    """The `freshness` block as shown at `now`: the stored part with the state for `now`."""
    return {"state": freshness_state(now, valid_until, pol), **stored}


def freshness_block(
    conf: PartyConfirmation | None, now: datetime, pol: Policy | None = None
) -> dict[str, Any]:
    """`{state, confirmed_at, confirmed_by, valid_until}` for one Party at `now`."""
    pol = policy() if pol is None else pol
    return block_at(stored_block(conf), conf.valid_until if conf else None, now, pol)
