"""The network's health per Party and its trend by month (issue 15).

One health score per Party, 0–100, the sum of six parts (docs/freshness.md):

    confirmation   30  current 30, due_soon 25, overdue 10, expired or never 0
    numbers        25  × share of the active people's numbers whose last test reached someone
    e-mails        10  × share of listed addresses that are verified
    last campaign  15  confirmed/answered 15, voicemail 5, anything else or none 0
    e-mail ack     10  median time to acknowledge the contact point's test e-mail ≤ 8 h: 10
    coverage       10  × (1 − hours of tier-1 gap in the next 30 days ÷ 720)

Everything is read in a fixed number of queries whatever the number of Parties.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from common.db import db
from common.spreadsheet import SafeWriter
from directory import freshness, numbers
from directory import service as directory
from directory.models import PartyConfirmation, Person, Phone
from mail.models import EmailAck, VerifiedEmail
from mail.reminders import listed_addresses
from reachability.models import Campaign, Slot
from rota import lookup

ACK_TARGET_S = 8 * 3600
GAP_DAYS = 30
FRESH_POINTS = {"current": 30, "due_soon": 25, "overdue": 10, "expired": 0}
CAMPAIGN_POINTS = {"confirmed": 15, "answered": 15, "voicemail": 5}


@dataclass
class PartyHealth:
    iso2: str
    name: str
    freshness: str
    confirmed_at: str | None
    valid_until: str | None
    unverified_emails: int
    emails: int
    numbers: dict[str, int]
    last_campaign: str | None  # "2026-12"
    last_campaign_result: str | None  # the slot's best outcome
    median_ack_s: float | None
    acks_within_8h: int
    ack_tests: int
    gap_hours_30d: float
    score: int
    parts: dict[str, float] = field(default_factory=dict)


def score_parts(
    state: str,
    numbers_by_state: dict[str, int],
    emails: int,
    unverified: int,
    campaign_result: str | None,
    median_ack_s: float | None,
    gap_hours: float,
) -> dict[str, float]:
    """The six parts of the score (pure: the table test covers each)."""
    total_numbers = sum(numbers_by_state.values())
    return {
        "confirmation": FRESH_POINTS[state],
        "numbers": 25 * numbers_by_state.get("confirmed", 0) / total_numbers
        if total_numbers
        else 0,
        "emails": 10 * (emails - unverified) / emails if emails else 0,
        "campaign": CAMPAIGN_POINTS.get(campaign_result or "", 0),
        "ack": 10 if median_ack_s is not None and median_ack_s <= ACK_TARGET_S else 0,
        "coverage": 10 * max(0.0, 1 - gap_hours / (GAP_DAYS * 24)),
    }


def _last_campaign_results() -> dict[int, tuple[str, str | None]]:
    """Per Party, (month, best outcome) of its slot in the newest campaign that had it."""
    rows = db.session.execute(
        sa.select(Slot.party_id, Campaign.month, Slot.best_outcome, Campaign.id)
        .join(Campaign, Campaign.id == Slot.campaign_id)
        .order_by(Campaign.month, Campaign.id)
    ).all()
    return {party_id: (month, outcome) for party_id, month, outcome, _id in rows}


def _acks() -> dict[int, list[float | None]]:
    out: dict[int, list[float | None]] = defaultdict(list)
    for party_id, seconds in db.session.execute(
        sa.select(EmailAck.party_id, EmailAck.seconds_to_ack)
    ):
        out[party_id].append(seconds)
    return out


def health_report(now: datetime) -> list[PartyHealth]:
    """Every Party's health at `now` (aware UTC), by ISO code."""
    policy = freshness.policy()
    parties = directory.list_parties()
    confs = freshness.latest_confirmations()
    states = numbers.number_states()
    phones = db.session.execute(
        sa.select(Person.party_id, Phone.e164)
        .join(Phone, Phone.person_id == Person.id)
        .where(Person.active.is_(True))
    ).all()
    by_number: dict[int, Counter[str]] = defaultdict(Counter)
    for party_id, e164 in phones:
        by_number[party_id][states.get(e164, "unknown")] += 1
    verified = set(db.session.scalars(sa.select(VerifiedEmail.address)))
    emails: dict[int, list[str]] = defaultdict(list)
    for party_id, address in listed_addresses():
        emails[party_id].append(address)
    campaigns = _last_campaign_results()
    acks = _acks()
    gaps: dict[int, float] = defaultdict(float)
    for gap in lookup.coverage_gaps(
        now, now + timedelta(days=GAP_DAYS), statuses=("party", "signatory", "invited", "observer")
    ):
        gaps[gap.party.id] += (gap.end - gap.start).total_seconds() / 3600
    out = []
    for party in parties:
        conf = confs.get(party.id)
        state = freshness.freshness_state(now, conf.valid_until if conf else None, policy)
        counts = {s: by_number[party.id].get(s, 0) for s in numbers.NUMBER_STATES}
        listed = emails.get(party.id, [])
        unverified = sum(1 for a in listed if a.strip().lower() not in verified)
        month, result = campaigns.get(party.id, (None, None))
        times = [s for s in acks.get(party.id, []) if s is not None]
        median = statistics.median(times) if times else None
        parts = score_parts(state, counts, len(listed), unverified, result, median, gaps[party.id])
        out.append(
            PartyHealth(
                iso2=party.iso2,
                name=party.name,
                freshness=state,
                confirmed_at=conf.confirmed_at.isoformat() if conf else None,
                valid_until=conf.valid_until.isoformat() if conf else None,
                unverified_emails=unverified,
                emails=len(listed),
                numbers=counts,
                last_campaign=month,
                last_campaign_result=result,
                median_ack_s=median,
                acks_within_8h=sum(1 for s in times if s <= ACK_TARGET_S),
                ack_tests=len(acks.get(party.id, [])),
                gap_hours_30d=round(gaps[party.id], 1),
                score=round(sum(parts.values())),
                parts={k: round(v, 1) for k, v in parts.items()},
            )
        )
    return out


def present_health(rows: list[PartyHealth]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]


CSV_COLUMNS = [
    "party", "name", "score", "freshness", "confirmed_at", "valid_until", "unverified_emails",
    "emails", "numbers_confirmed", "numbers_failed_once", "numbers_unreachable",
    "numbers_unknown", "last_campaign", "last_campaign_result", "median_ack_hours",
    "acks_within_8h", "ack_tests", "gap_hours_30d",
]  # fmt: skip


def health_csv(rows: list[PartyHealth]) -> str:
    """One row per Party; cells that a spreadsheet would read as a formula are neutralised."""
    writer = SafeWriter(lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.iso2, r.name, r.score, r.freshness, r.confirmed_at or "", r.valid_until or "",
                r.unverified_emails, r.emails, r.numbers["confirmed"], r.numbers["failed_once"],
                r.numbers["unreachable"], r.numbers["unknown"], r.last_campaign or "",
                r.last_campaign_result or "",
                "" if r.median_ack_s is None else round(r.median_ack_s / 3600, 2),
                r.acks_within_8h, r.ack_tests, r.gap_hours_30d,
            ]
        )  # fmt: skip
    return writer.getvalue()


# --- the trend by month ----------------------------------------------------------------------


@dataclass
class MonthPoint:
    month: str  # "2026-11"
    confirmed_share: float | None  # Parties current or due soon at the month's end
    reached_share: float | None  # campaign slots that reached a human that month
    ack_share: float | None  # e-mail tests acknowledged within 8 h that month


def _month_starts(now: datetime, months: int) -> list[datetime]:
    first = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    out = []
    year, month = first.year, first.month
    for _ in range(months):
        out.append(datetime(year, month, 1, tzinfo=UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(out))


def monthly_trend(now: datetime, months: int = 12) -> list[MonthPoint]:
    """The network's trend over the last `months` months (the current one up to `now`)."""
    policy = freshness.policy()
    party_ids = [p.id for p in directory.list_parties()]
    history: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for conf in db.session.scalars(sa.select(PartyConfirmation).order_by(PartyConfirmation.id)):
        history[conf.party_id].append((conf.confirmed_at, conf.valid_until))
    slots = db.session.execute(
        sa.select(Campaign.month, Slot.best_outcome).join(Campaign, Campaign.id == Slot.campaign_id)
    ).all()
    reached: dict[str, list[bool]] = defaultdict(list)
    for month, outcome in slots:
        reached[month].append(outcome in ("confirmed", "answered"))
    acked: dict[str, list[bool]] = defaultdict(list)
    for created, seconds in db.session.execute(
        sa.select(EmailAck.created_at, EmailAck.seconds_to_ack)
    ):
        acked[created.strftime("%Y-%m")].append(seconds is not None and seconds <= ACK_TARGET_S)
    points = []
    starts = _month_starts(now, months)
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else now
        label = start.strftime("%Y-%m")
        fresh = 0
        for pid in party_ids:
            known = [vu for at, vu in history.get(pid, []) if at <= end]
            state = freshness.freshness_state(end, known[-1] if known else None, policy)
            fresh += state in ("current", "due_soon")
        share = lambda xs: sum(xs) / len(xs) if xs else None  # noqa: E731
        points.append(
            MonthPoint(
                label,
                fresh / len(party_ids) if party_ids else None,
                share(reached.get(label, [])),
                share(acked.get(label, [])),
            )
        )
    return points


def trend_svg(points: list[MonthPoint], labels: dict[str, str]) -> str:
    """The trend as an inline SVG (no script, no style attribute: the pages' CSP holds)."""
    from markupsafe import escape

    width, height, left, bottom, top = 640, 240, 40, 30, 10
    step = (width - left - 10) / max(len(points) - 1, 1)
    colours = {"confirmed_share": "#1e6b2e", "reached_share": "#1f4e9c", "ack_share": "#7a4f00"}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="trend-title" class="trend-chart">',
        f'<title id="trend-title">{escape(labels["title"])}</title>',
    ]
    y_of = lambda v: top + (height - top - bottom) * (1 - v)  # noqa: E731
    for pct in (0, 0.5, 1):
        y = y_of(pct)
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc"/>'
        )
        parts.append(f'<text x="2" y="{y + 4:.1f}" font-size="11">{int(pct * 100)}%</text>')
    for i, point in enumerate(points):
        x = left + i * step
        parts.append(
            f'<text x="{x:.1f}" y="{height - 8}" font-size="10" text-anchor="middle">'
            f"{escape(point.month[2:])}</text>"
        )
    for key, colour in colours.items():
        coords = [
            (left + i * step, y_of(getattr(p, key)))
            for i, p in enumerate(points)
            if getattr(p, key) is not None
        ]
        if coords:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2">'
                f"<title>{escape(labels[key])}</title></polyline>"
            )
            for x, y in coords:
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)
