"""Demo data for issue 15: Parties in every freshness state, graded numbers, verified e-mails,
e-mail acknowledgements and a duty-reminder opt-in, so that every flag and message shows.

Deterministic: the same Parties get the same states from the same instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from common.db import db
from directory import freshness
from directory.models import Party, Person, User
from directory.numbers import record_number_result
from mail.models import EmailAck, MailPreference, VerifiedEmail

#: Named Parties get a fixed state (so the demo's story is predictable); the others cycle.
FIXED = {
    "FR": "due_soon",
    "DE": "current",
    "IT": "overdue",
    "ES": "expired",
    "NO": "never",
    "JP": "due_soon",
    "US": "current",
    "GB": "overdue",
}
CYCLE = ("current", "current", "due_soon", "overdue", "expired", "never")


@dataclass
class FreshnessDemoReport:
    states: dict[str, int] = field(default_factory=dict)
    unreachable: list[str] = field(default_factory=list)
    verified: int = 0

    def summary(self) -> str:
        states = ", ".join(f"{n} {s}" for s, n in sorted(self.states.items()))
        return (
            f"{states}; numbers unreachable twice: {', '.join(self.unreachable) or 'none'}; "
            f"{self.verified} e-mail addresses verified"
        )


def confirmed_at_for(state: str, at: datetime, policy: freshness.Policy) -> datetime | None:
    """When to have confirmed so that the state at `at` is `state` (None: never confirmed)."""
    validity = freshness.add_months(at, policy.validity_months) - at
    offsets = {
        "current": timedelta(days=20),
        "due_soon": validity - timedelta(days=10),
        "overdue": validity + timedelta(days=10),
        "expired": validity + policy.grace + timedelta(days=40),
    }
    return None if state == "never" else at - offsets[state]


def load_freshness_demo(confirmer: User, at: datetime) -> FreshnessDemoReport:
    """Confirmations, number results, verified e-mails and acks for every Party (at `at`)."""
    report = FreshnessDemoReport()
    policy = freshness.policy()
    parties = list(db.session.scalars(sa.select(Party).order_by(Party.iso2)))
    for index, party in enumerate(parties):
        state = FIXED.get(party.iso2, CYCLE[index % len(CYCLE)])
        report.states[state] = report.states.get(state, 0) + 1
        when = confirmed_at_for(state, at, policy)
        if when is not None:
            freshness.confirm_party(confirmer, party, when)
        people = list(
            db.session.scalars(
                sa.select(Person).where(Person.party_id == party.id).order_by(Person.id)
            )
        )
        _numbers(party, people, index, at, report)
        _emails(party, people, index, at, report)
        if index % 3 != 2:
            delay = timedelta(hours=(index * 37) % 20 + 0.25)
            sent = at - timedelta(days=20)
            db.session.add(
                EmailAck(
                    party_id=party.id,
                    address=f"24-7@{party.iso2.lower()}.example",
                    created_at=sent,
                    acknowledged_at=sent + delay if index % 7 else None,
                    seconds_to_ack=delay.total_seconds() if index % 7 else None,
                )
            )
    db.session.flush()
    return report


def _numbers(party: Party, people: list[Person], index: int, at: datetime, report) -> None:
    """Two results per tested number: most reached, some failed once, a few unreachable."""
    for n, person in enumerate(people[:3]):
        for phone in person.phones[:1]:
            kind = (index + n) % 9
            outcomes = {0: ["no-answer", "busy"], 1: ["confirmed", "no-answer"]}.get(
                kind, ["confirmed", "confirmed"]
            )
            for step, outcome in enumerate(outcomes):
                record_number_result(phone.e164, outcome, at - timedelta(days=40 - 30 * step))
            if kind == 0:
                report.unreachable.append(f"{party.iso2} {person.full_name}")


def _emails(party: Party, people: list[Person], index: int, at: datetime, report) -> None:
    """Most addresses verified; every fourth Party leaves some unverified; one opt-in."""
    for n, person in enumerate(people):
        if person.email and (index % 4 or n % 2 == 0):
            address = person.email.strip().lower()
            if db.session.get(VerifiedEmail, address) is None:
                db.session.add(VerifiedEmail(address=address, verified_at=at - timedelta(days=30)))
                db.session.flush()
                report.verified += 1
    cp = party.contact_point_at(at)
    if cp is not None and cp.email and index % 4:
        address = cp.email.strip().lower()
        if db.session.get(VerifiedEmail, address) is None:
            db.session.add(VerifiedEmail(address=address, verified_at=at - timedelta(days=30)))
            db.session.flush()
            report.verified += 1
    if party.iso2 == "FR" and people:
        db.session.add(
            MailPreference(person_id=people[0].id, duty_reminder_hours=12, updated_at=at)
        )
