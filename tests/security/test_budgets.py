"""Work budgets: a member's expensive request is refused (422 naming the field) before the work.

Speed is asserted with the budget's own counter, never the wall clock: a refused request has
spent nothing of the expensive part (the resolver or the iCal expander never ran).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from calendars.ical import expansion_budgets, parse_shifts_ics
from common.budget import BudgetExceededError, WorkBudget
from rota import lookup
from tests.conftest import make_party, make_person, make_user
from tests.rota.conftest import add_rotation, new_rota


@pytest.fixture
def quarter_hours(client):
    """France with a quarter-hour rota (the shortest the API takes); a member's headers."""
    party = make_party("FR", "France")
    _user, admin = make_user("secretariat")
    people = [make_person(party, f"P{i}", phone=f"+3361234560{i}") for i in range(3)]
    rota = new_rota(client, admin, timezone="Europe/Paris")
    add_rotation(
        client,
        admin,
        rota["id"],
        members=[p.id for p in people],
        start_local="2026-01-01T00:00",
        shift_length="PT15M",
    )
    _user, member = make_user("member")
    return party, people, member


def _no_resolving(monkeypatch):
    def boom(*_args, **_kwargs):
        raise AssertionError("the resolver ran although the budget refused the request")

    monkeypatch.setattr(lookup.r, "timeline", boom)


def test_shifts_until_alone_far_ahead_or_past_is_422(client, quarter_hours, monkeypatch):
    _party, _people, member = quarter_hours
    _no_resolving(monkeypatch)
    for query in ("until=3500-01-01T00:00:00Z", "until=2020-01-01T00:00:00Z"):
        resp = client.get(f"/api/v1/parties/FR/shifts?{query}", headers=member)
        assert resp.status_code == 422, (query, resp.json)
        assert resp.json["errors"][0]["field"] == "until"


def test_gaps_until_alone_far_ahead_or_past_is_422(client, quarter_hours, monkeypatch):
    _party, _people, member = quarter_hours
    _no_resolving(monkeypatch)
    for query in ("until=2126-01-01T00:00:00Z", "until=2001-01-01T00:00:00Z"):
        resp = client.get(f"/api/v1/coverage/gaps?{query}", headers=member)
        assert resp.status_code == 422, (query, resp.json)
        assert resp.json["errors"][0]["field"] == "until"


def test_a_year_of_quarter_hour_shifts_is_over_a_smaller_budget(
    client, app, quarter_hours, monkeypatch
):
    _party, _people, member = quarter_hours
    _no_resolving(monkeypatch)
    monkeypatch.setitem(app.config, "WORK_BUDGET_SHIFTS", 10_000)  # 35,040 needed
    resp = client.get(
        "/api/v1/parties/FR/shifts?since=2026-12-01T00:00:00Z&until=2027-12-01T00:00:00Z",
        headers=member,
    )
    assert resp.status_code == 422
    assert resp.json["errors"][0]["field"] == "until"
    assert "shift segments" in resp.json["errors"][0]["reason"]


def test_a_short_range_of_the_same_rota_is_answered(client, quarter_hours):
    _party, _people, member = quarter_hours
    resp = client.get(
        "/api/v1/parties/FR/shifts?since=2026-12-01T00:00:00Z&until=2026-12-02T00:00:00Z",
        headers=member,
    )
    assert resp.status_code == 200
    assert len(resp.json["tiers"][0]["shifts"]) == 96


def test_preview_of_twenty_quarter_hour_rotations_over_a_year(client, quarter_hours, monkeypatch):
    _party, people, member = quarter_hours
    _no_resolving(monkeypatch)
    body = {
        "timezone": "Europe/Paris",
        "since": "2026-12-01T00:00:00Z",
        "until": "2027-12-01T00:00:00Z",
        "rotations": [
            {
                "members": [p.id for p in people],
                "start_local": "2026-01-01T00:00",
                "shift_length": "PT15M",
            }
        ]
        * 20,
    }
    resp = client.post("/api/v1/parties/FR/rotas/preview", json=body, headers=member)
    assert resp.status_code == 422, resp.json
    assert resp.json["errors"][0]["field"] == "rotations"


def test_the_budget_counts_before_resolving():
    """The estimate alone refuses: 20 rotations × 35,040 quarter hours ≫ 40,000."""
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from rota import resolution as r
    from rota.specs import rotation_spec

    rotation = rotation_spec(
        SimpleNamespace(
            start_local=datetime(2026, 1, 1),  # noqa: DTZ001 -- wall clock
            shift_length="PT15M",
            members=[1, 2],
            member_changes=(),
            restrictions=[],
        ),
        rotation_id=1,
    )
    spec = r.Rota(id=1, tz=ZoneInfo("Europe/Paris"), rotations=(rotation,) * 20)
    since = datetime(2026, 12, 1, tzinfo=UTC)
    budget = WorkBudget(40_000, "shift segments", "rotations")
    with pytest.raises(BudgetExceededError) as refused:
        lookup.charge_timelines(budget, [spec], since, since + timedelta(days=365))
    assert refused.value.status == 422
    assert budget.spent == refused.value.needed > 40_000
    assert budget.spent >= 20 * 365 * 96  # it was estimated, not computed


def _hostile_ics(series: int, freq: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//art35//test//EN"]
    for i in range(series):
        lines += [
            "BEGIN:VEVENT",
            f"UID:s{i}@art35.test",
            "DTSTAMP:20261201T000000Z",
            "DTSTART:20261201T000000Z",
            "DTEND:20261201T003000Z",
            f"RRULE:FREQ={freq}",
            f"SUMMARY:Shift {i}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines).encode()


SINCE = datetime(2026, 12, 1, tzinfo=UTC)


def test_ical_400_hourly_series_refused_before_any_expansion():
    data = _hostile_ics(400, "HOURLY")  # ~60 KB, each series alone under the old per-series cap
    steps, occurrences = expansion_budgets()
    with pytest.raises(BudgetExceededError) as refused:
        parse_shifts_ics(
            data, since=SINCE, until=SINCE + timedelta(days=365), budgets=(steps, occurrences)
        )
    assert refused.value.errors[0]["field"] == "file"
    assert occurrences.spent == 0  # nothing was expanded
    assert steps.spent <= steps.limit + 366 * 24 + 1  # stopped at the series that crossed it


def test_ical_occurrences_counted_over_the_whole_file():
    data = _hostile_ics(400, "DAILY")  # 400 × 365 occurrences, each series small
    steps, occurrences = expansion_budgets(max_occurrences=2_500)
    with pytest.raises(BudgetExceededError) as refused:
        parse_shifts_ics(
            data, since=SINCE, until=SINCE + timedelta(days=365), budgets=(steps, occurrences)
        )
    assert "occurrences" in refused.value.errors[0]["reason"]
    assert occurrences.spent == 0  # refused on the estimate, before the first series expanded


def test_ical_under_budget_is_expanded_and_counted():
    data = _hostile_ics(2, "DAILY")
    steps, occurrences = expansion_budgets()
    events, problems = parse_shifts_ics(
        data, since=SINCE, until=SINCE + timedelta(days=10), budgets=(steps, occurrences)
    )
    assert problems == [] and len(events) == 20
    assert occurrences.spent == 20


def test_ical_import_api_answers_422(client, quarter_hours):
    _party, _people, _member = quarter_hours
    _user, admin = make_user("secretariat")
    rota_id = client.get("/api/v1/parties/FR/rotas", headers=admin).json["items"][0]["id"]
    resp = client.post(
        f"/api/v1/rotas/{rota_id}/import-ical?since=2026-12-01T00:00:00Z&until=2027-12-01T00:00:00Z",
        data=_hostile_ics(400, "HOURLY"),
        headers={**admin, "Content-Type": "text/calendar"},
    )
    assert resp.status_code == 422, resp.json
    assert resp.json["errors"][0]["field"] == "file"
