"""Import fixed shifts kept in another calendar (Outlook, Google) as overrides of a rota.

`import_calendar` reads the file with `calendars.ical.parse_shifts_ics` (recurring events expanded,
Windows zone names understood), matches each event to a person of the rota's Party by an
attendee's e-mail (case-insensitive) or else by an exact full name (an attendee's display name
or the event's title), and creates one override per event through `rota.service.create_override`
(so rights, audit and the no-overlap rule are the usual ones). All or nothing: if any event
cannot be imported, nothing is written and every problem is listed. In preview mode nothing is
written either; the answer shows what would be created and whom each event would replace.
An event identical to an override already on the rota (same person, start and end) is left as
it is, so importing the same file twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context

from calendars.ical import ImportedEvent, expansion_budgets, parse_shifts_ics
from common.budget import DEFAULT_ICAL_OCCURRENCES
from common.db import db
from common.errors import Problem
from directory import service as directory
from directory.access import require_party_editor
from directory.models import Person, User
from directory.present import iso
from rota import lookup, service
from rota.models import OverrideRecord, RotaRecord

MAX_OVERRIDE = timedelta(days=366)
MAX_EVENTS = 2000


@dataclass
class PlannedImport:
    """One event turned into an override (not yet written)."""

    event: ImportedEvent
    person: Person
    matched_by: str  # "email" | "name"
    replaces: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ImportReport:
    rota: RotaRecord
    since: datetime
    until: datetime
    planned: list[PlannedImport] = field(default_factory=list)
    unchanged: list[tuple[ImportedEvent, OverrideRecord]] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: list[OverrideRecord] = field(default_factory=list)
    applied: bool = False


def _index_people(party_id: int) -> tuple[dict[str, list[Person]], dict[str, list[Person]]]:
    """The Party's people by lower-cased e-mail and by exact full name."""
    by_email: dict[str, list[Person]] = defaultdict(list)
    by_name: dict[str, list[Person]] = defaultdict(list)
    for person in directory.people_of_parties([party_id]).values():
        if person.email:
            by_email[person.email.strip().lower()].append(person)
        by_name[person.full_name.strip()].append(person)
    return by_email, by_name


def _names(people: list[Person]) -> str:
    return ", ".join(f"{p.full_name} (id {p.id})" for p in sorted(people, key=lambda p: p.id))


def _match(
    event: ImportedEvent,
    by_email: dict[str, list[Person]],
    by_name: dict[str, list[Person]],
    party_name: str,
) -> tuple[Person | None, str]:
    """(person, "email"|"name"), or (None, why not)."""
    found = {p.id: p for e in event.attendee_emails for p in by_email.get(e, [])}
    if len(found) == 1:
        return next(iter(found.values())), "email"
    if len(found) > 1:
        return None, f"its attendees' e-mails match several people: {_names(list(found.values()))}"
    found = {p.id: p for n in event.names for p in by_name.get(n.strip(), [])}
    if len(found) == 1:
        return next(iter(found.values())), "name"
    if len(found) > 1:
        return None, f"its names match several people: {_names(list(found.values()))}"
    tried = [f"e-mail {e}" for e in event.attendee_emails] + [f"name {n!r}" for n in event.names]
    return None, (
        f"no person of {party_name} matches it (tried {', '.join(tried)})"
        if tried
        else "it names nobody: add the person as an attendee or put their full name as the title"
    )


def _occurrence_limit() -> int:
    """Occurrences one file may expand to (setting ICAL_MAX_OCCURRENCES), at least MAX_EVENTS."""
    configured = DEFAULT_ICAL_OCCURRENCES
    if has_app_context():
        configured = int(current_app.config.get("ICAL_MAX_OCCURRENCES") or configured)
    return max(configured, MAX_EVENTS + 1)


def plan_import(
    actor: User, rota: RotaRecord, data: bytes, since: datetime, until: datetime
) -> ImportReport:
    """What importing `data` into `rota` would do, writing nothing (times UTC, [since, until))."""
    party = service.party_of(rota)
    require_party_editor(actor, party.id)
    report = ImportReport(rota=rota, since=since, until=until)
    try:
        # The whole file's expansion is budgeted: no more occurrences than may be imported.
        budgets = expansion_budgets(max_occurrences=_occurrence_limit())
        events, problems = parse_shifts_ics(data, since=since, until=until, budgets=budgets)
    except ValueError as exc:
        raise Problem(422, f"file: {exc}", errors=[{"field": "file", "reason": str(exc)}]) from None
    for problem in problems:
        if problem.where == "calendar":
            report.warnings.append(problem.reason)
        else:
            report.problems.append({"event": problem.where, "reason": problem.reason})
    if len(events) > MAX_EVENTS:
        raise Problem(
            422,
            f"file: {len(events)} shifts in the period; import at most {MAX_EVENTS} at once",
            errors=[{"field": "file", "reason": f"more than {MAX_EVENTS} shifts"}],
        )
    if not events and not problems:
        report.warnings.append("the file has no event in the period: nothing to import")

    by_email, by_name = _index_people(party.id)
    existing = list(
        db.session.scalars(
            sa.select(OverrideRecord)
            .where(
                OverrideRecord.rota_id == rota.id,
                OverrideRecord.end_at > since,
                OverrideRecord.start_at < until + MAX_OVERRIDE,
            )
            .order_by(OverrideRecord.start_at)
        )
    )
    accepted: list[PlannedImport] = []
    for event in events:
        where = event.line or "an event"
        person, how = _match(event, by_email, by_name, party.name)
        if person is None:
            report.problems.append({"event": where, "reason": how})
            continue
        if event.end - event.start > MAX_OVERRIDE:
            report.problems.append({"event": where, "reason": "it lasts more than 366 days"})
            continue
        same = next(
            (
                o
                for o in existing
                if o.person_id == person.id and o.start_at == event.start and o.end_at == event.end
            ),
            None,
        )
        if same is not None:
            report.unchanged.append((event, same))
            continue
        clash = next(
            (o for o in existing if o.start_at < event.end and o.end_at > event.start), None
        )
        if clash is not None:
            report.problems.append(
                {
                    "event": where,
                    "reason": f"it overlaps override {clash.id} already on the rota "
                    f"({iso(clash.start_at)} to {iso(clash.end_at)}): delete that one first",
                }
            )
            continue
        other = next(
            (p for p in accepted if p.event.start < event.end and p.event.end > event.start), None
        )
        if other is not None:
            report.problems.append(
                {
                    "event": where,
                    "reason": f"it overlaps {other.event.line or 'another event'} in the same file",
                }
            )
            continue
        accepted.append(PlannedImport(event=event, person=person, matched_by=how))
    _fill_replaced(rota, accepted)
    report.planned = accepted
    return report


def _fill_replaced(rota: RotaRecord, planned: list[PlannedImport]) -> None:
    """Who is on duty today where each planned override would go (same resolution as lookups)."""
    if not planned:
        return
    since = min(p.event.start for p in planned)
    until = max(p.event.end for p in planned)
    loaded = next(
        lr
        for lr in lookup.load_rotas([rota.party_id], since, until)[rota.party_id]
        if lr.record.id == rota.id
    )
    shifts = lookup.rota_timeline(loaded, since, until)
    people = directory.people_by_id({s.person_id for s in shifts if s.person_id})
    for item in planned:
        for shift in shifts:
            if shift.start >= item.event.end or shift.end <= item.event.start:
                continue
            person = people.get(shift.person_id or 0)
            item.replaces.append(
                {
                    "start": iso(max(shift.start, item.event.start)),
                    "end": iso(min(shift.end, item.event.end)),
                    "gap": person is None,
                    "person": {"id": person.id, "full_name": person.full_name} if person else None,
                }
            )


def import_calendar(
    actor: User,
    rota: RotaRecord,
    data: bytes,
    *,
    since: datetime,
    until: datetime,
    preview: bool,
    now: datetime,
) -> ImportReport:
    """Plan the import and, unless previewing, create every override or none (422 if any fails)."""
    report = plan_import(actor, rota, data, since, until)
    if preview:
        return report
    if report.problems:
        count = len(report.problems)
        raise Problem(
            422,
            f"{count} event(s) cannot be imported, so nothing was imported: "
            + "; ".join(f"{p['event']}: {p['reason']}" for p in report.problems[:3]),
            errors=[
                {"field": "file", "reason": f"{p['event']}: {p['reason']}"} for p in report.problems
            ],
            extra={"report": present_report(report)},
        )
    with db.session.begin_nested():
        for item in report.planned:
            report.created.append(
                service.create_override(
                    actor,
                    rota,
                    {
                        "person_id": item.person.id,
                        "start": item.event.start,
                        "end": item.event.end,
                        "note": f"imported: {item.event.line or item.event.summary}"[:500],
                    },
                    now,
                )
            )
    report.applied = True
    return report


def present_report(report: ImportReport) -> dict[str, Any]:
    """The preview or import answer."""
    return {
        "rota": {"id": report.rota.id, "name": report.rota.name, "tier": report.rota.tier},
        "since": iso(report.since),
        "until": iso(report.until),
        "applied": report.applied,
        "overrides": [
            {
                "id": report.created[i].id if report.applied else None,
                "event": item.event.line,
                "start": iso(item.event.start),
                "end": iso(item.event.end),
                "person": {"id": item.person.id, "full_name": item.person.full_name},
                "matched_by": item.matched_by,
                "replaces": item.replaces,
            }
            for i, item in enumerate(report.planned)
        ],
        "unchanged": [
            {"event": event.line, "override_id": override.id}
            for event, override in report.unchanged
        ],
        "problems": report.problems,
        "warnings": report.warnings,
    }
