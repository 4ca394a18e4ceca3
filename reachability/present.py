"""Attempts, campaigns and reports to JSON-ready dicts (and the report to CSV); never queries
beyond the relationships loaded by the service."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from common.spreadsheet import SafeWriter
from directory.present import iso
from reachability import planning
from reachability.models import REACHED, Attempt, Campaign, Slot


def _local(at: datetime | None, tz_name: str) -> str | None:
    return at.astimezone(ZoneInfo(tz_name)).isoformat() if at is not None else None


def present_attempt(attempt: Attempt, iso2: str | None = None) -> dict[str, Any]:
    """One test call: whom, which number, where it stands, how it ended and when."""
    person = (
        {"id": attempt.person_id, "full_name": attempt.person_name}
        if attempt.person_name is not None
        else None
    )
    failed = attempt.outcome == "failed"
    return {
        "id": attempt.id,
        "kind": attempt.kind,
        "party": iso2 or attempt.party.iso2,
        "campaign_id": attempt.slot.campaign_id if attempt.slot is not None else None,
        "step": attempt.step,
        "target": attempt.target,
        "tier": attempt.tier,
        "person": person,
        "phone": attempt.phone,
        "language": attempt.language,
        "state": attempt.state,
        "outcome": attempt.outcome,
        "reason": attempt.reason,
        "error": {"code": attempt.error_code, "message": attempt.reason} if failed else None,
        "twilio_sid": attempt.twilio_sid,
        "call_status": attempt.call_status,
        "answered_by": attempt.answered_by,
        "requested_by": attempt.requested_by,
        "created_at": iso(attempt.created_at),
        "due_at": iso(attempt.due_at),
        "placed_at": iso(attempt.placed_at),
        "answered_at": iso(attempt.answered_at),
        "confirmed_at": iso(attempt.confirmed_at),
        "ended_at": iso(attempt.ended_at),
        "seconds_to_answer": attempt.seconds_to_answer,
        "seconds_to_confirm": attempt.seconds_to_confirm,
        "duration_s": attempt.duration_s,
    }


def progress(campaign: Campaign) -> dict[str, Any]:
    """How far a campaign is: slots per state and Parties per best outcome so far."""
    states = Counter(slot.state for slot in campaign.slots)
    outcomes = Counter(slot.best_outcome for slot in campaign.slots if slot.state == "done")
    return {
        "parties": len(campaign.slots),
        "planned": states.get("planned", 0),
        "calling": states.get("calling", 0),
        "done": states.get("done", 0),
        "outcomes": {name: outcomes[name] for name in planning.OUTCOMES if outcomes[name]},
    }


def present_campaign(campaign: Campaign, *, detail: bool = False) -> dict[str, Any]:
    planned = [slot.planned_at for slot in campaign.slots]
    out: dict[str, Any] = {
        "id": campaign.id,
        "month": campaign.month,
        "window": campaign.time_window,
        "parties": list(campaign.parties),
        "status": campaign.status,
        "scheduled": campaign.schedule_key is not None,
        "created_by": campaign.created_by,
        "created_at": iso(campaign.created_at),
        "started_at": iso(campaign.started_at),
        "finished_at": iso(campaign.finished_at),
        "cancelled_at": iso(campaign.cancelled_at),
        "first_slot_at": iso(min(planned)) if planned else None,
        "last_slot_at": iso(max(planned)) if planned else None,
        "progress": progress(campaign),
    }
    if detail:
        out["slots"] = [
            {
                "party": slot.party.iso2,
                "planned_at": iso(slot.planned_at),
                "planned_local": _local(slot.planned_at, slot.timezone),
                "state": slot.state,
                "outcome": slot.best_outcome if slot.state == "done" else None,
                "next_step_at": iso(slot.next_step_at),
                "attempts": len(slot.attempts),
            }
            for slot in sorted(campaign.slots, key=lambda s: (s.planned_at, s.party.iso2))
        ]
    return out


def _best_attempt(slot: Slot) -> Attempt | None:
    best = planning.best_outcome(a.outcome for a in slot.attempts)
    return next((a for a in slot.attempts if a.outcome == best), None) if best else None


def _path_entry(attempt: Attempt) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "step": attempt.step,
        "target": attempt.target,
        "tier": attempt.tier,
        "person": attempt.person_name,
        "phone": attempt.phone,
        "state": attempt.state,
        "outcome": attempt.outcome,
        "reason": attempt.reason,
        "error_code": attempt.error_code,
        "placed_at": iso(attempt.placed_at),
        "answered_at": iso(attempt.answered_at),
        "confirmed_at": iso(attempt.confirmed_at),
        "ended_at": iso(attempt.ended_at),
        "seconds_to_answer": attempt.seconds_to_answer,
        "seconds_to_confirm": attempt.seconds_to_confirm,
    }


def slot_result(slot: Slot) -> dict[str, Any]:
    """A Party's line of a report: its result, who was reached on which number, and the path."""
    best = _best_attempt(slot)
    reached = best is not None and best.outcome in REACHED
    return {
        "party": slot.party.iso2,
        "party_name": slot.party.name,
        "campaign_id": slot.campaign_id,
        "state": slot.state,
        "outcome": slot.best_outcome if slot.state == "done" else None,
        "best_so_far": slot.best_outcome,
        "reached": (
            {"person_id": best.person_id, "full_name": best.person_name, "target": best.target}
            if reached and best is not None
            else None
        ),
        "phone": best.phone if best is not None else None,
        "tier": best.tier if best is not None else None,
        "planned_at": iso(slot.planned_at),
        "planned_local": _local(slot.planned_at, slot.timezone),
        "started_at": iso(slot.started_at),
        "finished_at": iso(slot.finished_at),
        "answered_at": iso(best.answered_at) if best is not None else None,
        "confirmed_at": iso(best.confirmed_at) if best is not None else None,
        "seconds_to_answer": best.seconds_to_answer if best is not None else None,
        "seconds_to_confirm": best.seconds_to_confirm if best is not None else None,
        "attempts": len(slot.attempts),
        "path": [_path_entry(a) for a in slot.attempts],
    }


def present_report(campaign: Campaign) -> dict[str, Any]:
    """Per Party the outcome, who was reached, the number, times and attempts; then totals."""
    items = [slot_result(slot) for slot in sorted(campaign.slots, key=lambda s: s.party.iso2)]
    done = [item for item in items if item["state"] == "done"]
    outcomes = Counter(item["outcome"] for item in done)
    reached = sum(outcomes[name] for name in REACHED)
    parties = len(items)
    return {
        "campaign": present_campaign(campaign),
        "items": items,
        "totals": {
            "parties": parties,
            "done": len(done),
            "pending": parties - len(done),
            "outcomes": {name: outcomes[name] for name in planning.OUTCOMES},
            "reached": reached,
            "confirmed": outcomes["confirmed"],
            "attempts": sum(item["attempts"] for item in items),
            "reach_rate": round(reached / parties, 4) if parties else None,
            "confirm_rate": round(outcomes["confirmed"] / parties, 4) if parties else None,
        },
    }


CSV_COLUMNS = (
    "party",
    "party_name",
    "outcome",
    "reached",
    "phone",
    "tier",
    "planned_at",
    "answered_at",
    "confirmed_at",
    "seconds_to_answer",
    "seconds_to_confirm",
    "attempts",
    "path",
)


def _reached_name(reached: dict[str, Any] | None) -> str:
    if reached is None:
        return ""
    return reached["full_name"] or "desk line"


def report_csv(report: dict[str, Any]) -> str:
    """The report as CSV: a row per Party, then a TOTAL row (outcome = reach rate)."""
    # Names come from Party administrators: no cell may reach a spreadsheet as a formula.
    writer = SafeWriter(lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in report["items"]:
        path = "; ".join(
            f"{'desk' if step['target'] == 'desk' else 'tier ' + str(step['tier'])} "
            f"{step['outcome'] or step['state']}"
            for step in item["path"]
        )
        writer.writerow(
            [
                item["party"],
                item["party_name"],
                item["outcome"] or "pending",
                _reached_name(item["reached"]),
                item["phone"] or "",
                item["tier"] or "",
                item["planned_at"],
                item["answered_at"] or "",
                item["confirmed_at"] or "",
                "" if item["seconds_to_answer"] is None else item["seconds_to_answer"],
                "" if item["seconds_to_confirm"] is None else item["seconds_to_confirm"],
                item["attempts"],
                path,
            ]
        )
    totals = report["totals"]
    rate = totals["reach_rate"]
    writer.writerow(
        [
            "TOTAL",
            f"{totals['parties']} Parties, {totals['done']} done",
            f"reach rate {rate:.1%}" if rate is not None else "",
            f"{totals['reached']} reached, {totals['confirmed']} confirmed",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            totals["attempts"],
            "",
        ]
    )
    return writer.getvalue()


def present_party_reachability(
    iso2: str, slots: list[Slot], attempts: list[Attempt]
) -> dict[str, Any]:
    """A Party's results across campaigns, and every test call (newest first)."""
    confirmed = [a.confirmed_at for a in attempts if a.confirmed_at is not None]
    return {
        "party": iso2,
        "last_confirmed_at": iso(max(confirmed)) if confirmed else None,
        "campaigns": [{"month": slot.campaign.month, **slot_result(slot)} for slot in slots],
        "test_calls": [present_attempt(a, iso2) for a in attempts],
    }
