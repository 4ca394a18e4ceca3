"""`flask demo load`: real-looking rotas for every Party, the deliberate gaps, and never over data.

The demo is loaded once for the module into a database of its own (SQLite file, or a fresh
PostgreSQL database when TEST_DATABASE_URL is set), at a fixed instant: Wednesday 2 December
2026, 12:00 UTC.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from common.clock import now
from common.db import db
from demo_cli import DEMO_ACCOUNTS, DEMO_PASSWORD
from directory import accounts
from directory.models import AuditEntry, Party, Person, User
from directory.service import get_party, list_parties
from rota import lookup
from rota.demo import (
    NO_TIER_1_PARTIES,
    OFFICE_HOURS_PROSECUTOR_PARTIES,
    WEEKEND_GAP_PARTIES,
    plan_party_rotas,
)
from rota.models import MemberChangeRecord, OverrideRecord, RotaRecord, RotationRecord
from tests.conftest import make_app, make_party, make_person, make_user
from tests.databases import suite_database

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday
TABLES = (Party, Person, User, RotaRecord, RotationRecord, MemberChangeRecord, OverrideRecord)


def _counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (*TABLES, AuditEntry)
    }


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own for the module (the loaded demo is shared by its tests)."""
    with suite_database("art35_demo", tmp_path_factory.mktemp("demo")) as url:
        yield url


@pytest.fixture(scope="module")
def demo(demo_url: str) -> Iterator[tuple[Flask, str]]:
    """The app on a migrated database where `flask demo load` ran at NOW; and its output."""
    # Every rota change also versions the calendar feeds over their whole window (a year by
    # default); a short window keeps this module fast and changes nothing it checks.
    app = make_app(demo_url, CLOCK=lambda: NOW, CALENDAR_PAST_DAYS=1, CALENDAR_FUTURE_DAYS=7)
    with app.app_context():
        upgrade(revision="heads")
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        db.session.remove()
    yield app, result.output
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def demo_app(demo: tuple[Flask, str]) -> Iterator[Flask]:
    app, _output = demo
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()


def _token(output: str) -> str:
    return output.strip().splitlines()[-1]


@pytest.mark.own_app
def test_every_party_has_a_contact_point_and_a_tier_1_rota_except_the_deliberate_one(demo_app):
    parties = list_parties()
    assert len(parties) == 87
    tiers = Counter()
    for party in parties:
        assert party.contact_point_at(now()) is not None, party.iso2
        rotas = db.session.scalars(sa.select(RotaRecord).where(RotaRecord.party_id == party.id))
        mine = {rota.tier: rota for rota in rotas}
        tiers.update(mine.keys())
        if party.iso2 in NO_TIER_1_PARTIES:
            assert 1 not in mine and 2 in mine
            continue
        assert mine[1].name == "Duty officer"
        assert mine[1].timezone == party.contact_point_at(now()).timezone
        assert [rot.shift_length for rot in mine[1].rotations] == ["P7D", "P1D"]
        assert mine[2].name == "Duty prosecutor"
    assert tiers[1] == 86 and tiers[2] == 87
    assert 15 <= tiers[3] <= 50  # a head of unit for some Parties only


@pytest.mark.own_app
def test_handoffs_are_monday_09_00_local_with_an_after_hours_layer(demo_app):
    france = get_party("FR")
    rota = db.session.scalar(
        sa.select(RotaRecord).where(RotaRecord.party_id == france.id, RotaRecord.tier == 1)
    )
    weekly, nights = rota.rotations
    assert (weekly.start_local.weekday(), weekly.start_local.hour) == (0, 9)
    assert nights.restrictions == [
        {
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "from_local": "18:00",
            "to_local": "08:00",
        }
    ]
    # Over a week the tier-1 line is seamless and hands over only at 09:00, 18:00 and 08:00
    # Paris time; the weekly officer also has the weekend, a new person takes each weeknight.
    paris = ZoneInfo("Europe/Paris")
    start = datetime(2026, 12, 14, 9, 0, tzinfo=paris)
    [(_rota, shifts)] = lookup.party_timelines(france, start, start + timedelta(days=7), tier=1)
    assert all(s.person_id is not None for s in shifts)
    assert {s.start.astimezone(paris).strftime("%H:%M") for s in shifts} <= {
        "09:00",
        "18:00",
        "08:00",
    }

    def on_duty(day: int, hour: int) -> int:
        at = datetime(2026, 12, day, hour, 0, tzinfo=paris)
        return next(s.person_id for s in shifts if s.start <= at < s.end)

    assert on_duty(19, 12) == on_duty(20, 23) == on_duty(14, 10)
    assert len({on_duty(day, 23) for day in range(14, 19)}) >= 3


@pytest.mark.own_app
def test_someone_is_on_duty_now_for_most_parties_through_the_printed_token(demo):
    app, output = demo
    resp = app.test_client().get(
        "/api/v1/on-call", headers={"Authorization": f"Bearer {_token(output)}"}
    )
    assert resp.status_code == 200, resp.json
    items = resp.json["items"]
    assert len(items) == 87
    # Wednesday noon: every Party with a tier-1 rota has someone on duty there.
    tier_1 = {
        item["party"]: row["person"] for item in items for row in item["tiers"] if row["tier"] == 1
    }
    assert set(tier_1) == {item["party"] for item in items} - set(NO_TIER_1_PARTIES)
    assert all(person and person["phone"] for person in tier_1.values())
    sources = Counter()
    with app.app_context():
        for answer in lookup.resolve_on_call(list_parties(), NOW):
            sources.update(duty.shift.source for duty in answer.tiers)
        db.session.remove()
    assert sources["override"] >= 3  # some swaps cover this week
    assert sources["rotation"] > 150


@pytest.mark.own_app
def test_the_deliberate_gaps_show_in_coverage_gaps(demo_app):
    since = NOW
    until = NOW + timedelta(days=14)
    gaps = lookup.coverage_gaps(since, until)
    assert {g.party.iso2 for g in gaps} == set(WEEKEND_GAP_PARTIES) | set(NO_TIER_1_PARTIES)
    [tonga] = [g for g in gaps if g.party.iso2 == "TO"]
    assert (tonga.rota, tonga.start, tonga.end) == (None, since, until)
    andorra = ZoneInfo("Europe/Andorra")
    weekends = [
        (g.start.astimezone(andorra), g.end.astimezone(andorra))
        for g in gaps
        if g.party.iso2 == "AD"
    ]
    assert [(s.strftime("%a %H:%M"), e.strftime("%a %H:%M")) for s, e in weekends] == [
        ("Fri 18:00", "Mon 08:00"),
        ("Fri 18:00", "Mon 08:00"),
    ]
    every_tier = lookup.coverage_gaps(since, until, all_tiers=True)
    tier_2 = {g.party.iso2 for g in every_tier if g.tier == 2}
    assert tier_2 == set(OFFICE_HOURS_PROSECUTOR_PARTIES)


@pytest.mark.own_app
def test_overrides_cover_tuesday_night_and_former_colleagues_left_the_rotations(demo_app):
    fr = get_party("FR")
    paris = ZoneInfo("Europe/Paris")
    tuesday_night = datetime(2026, 12, 8, 23, 0, tzinfo=paris)
    [answer] = lookup.resolve_on_call([fr], tuesday_night, tier=1)
    duty = answer.tiers[0]
    assert duty.shift.source == "override"
    assert duty.shift.start == datetime(2026, 12, 8, 18, 0, tzinfo=paris)
    notes = Counter(db.session.scalars(sa.select(OverrideRecord.note)))
    assert notes["covers Tuesday night"] >= 40
    assert notes["covers the weekend"] >= 10
    # A person marked inactive is in past shifts only.
    changes = db.session.scalars(sa.select(MemberChangeRecord)).all()
    assert changes
    inactive = set(db.session.scalars(sa.select(Person.id).where(Person.active.is_(False))))
    for change in changes:
        assert not inactive & set(change.members)
        assert inactive & set(change.rotation.members)
        assert change.effective_at < NOW


@pytest.mark.own_app
def test_every_change_is_audited_and_the_demo_accounts_log_in(demo_app):
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity.in_(("rota", "override")))
    ).all()
    assert len(entries) > 200
    assert {e.actor_email for e in entries} == {"secretariat@art35.example"}
    for email, role, iso2 in DEMO_ACCOUNTS:
        user = accounts.authenticate_password(email, DEMO_PASSWORD, NOW)
        assert user.role == role
        assert (user.party.iso2 if user.party else None) == iso2


def test_plans_are_deterministic_within_a_week():
    monday_early = datetime(2026, 11, 30, 0, 30, tzinfo=ZoneInfo("Europe/Paris"))
    sunday_late = datetime(2026, 12, 6, 23, 30, tzinfo=ZoneInfo("Europe/Paris"))
    people = [11, 12, 13, 14]
    plan = plan_party_rotas("FR", "Europe/Paris", people, [15], monday_early)
    assert plan == plan_party_rotas("FR", "Europe/Paris", people, [15], sunday_late)
    next_week = plan_party_rotas(
        "FR", "Europe/Paris", people, [15], sunday_late + timedelta(hours=1)
    )
    assert [r.rotations for r in next_week] != [r.rotations for r in plan]  # member change moved
    assert [r.overrides for r in next_week] != [r.overrides for r in plan]


@pytest.mark.own_app
def test_loading_again_changes_nothing(demo):
    app, _output = demo
    with app.app_context():
        before = _counts()
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 1  # a refusal, so scripts notice
        assert "nothing changed" in result.output
        assert _counts() == before
        skipped = app.test_cli_runner().invoke(args=["demo", "load", "--skip-if-data"])
        assert skipped.exit_code == 0 and "not loaded (as asked)" in skipped.output
        assert _counts() == before
        db.session.remove()


@pytest.mark.parametrize("existing", ["party", "user"])
def test_demo_load_leaves_a_database_with_data_untouched(runner, existing):
    if existing == "party":
        make_party("FR", "France")
    else:
        make_user("secretariat")
    before = _counts()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1, result.output
    assert "Error: the database already holds data: demo data not loaded, nothing changed" in (
        result.output
    )
    assert _counts() == before


def test_lookups_read_only_nearby_member_changes_and_agree_with_the_full_history():
    """The benchmark's long history: lookups skip old member changes yet resolve the same."""
    from rota import resolution, service
    from rota.specs import rota_spec

    party = make_party("FR", "France")
    people = [make_person(party, f"Person {i}") for i in range(5)]
    ids = [p.id for p in people]
    user, _headers = make_user("secretariat")
    rota = service.create_rota(
        user, party, {"name": "Duty officer", "tier": 1, "timezone": "Europe/Paris"}, NOW
    )
    rotation = service.add_rotation(
        user,
        rota,
        {
            "members": ids[:3],
            "start_local": datetime.fromisoformat("2016-01-04T09:00"),  # local, naive
            "shift_length": "P7D",
            "restrictions": [],
        },
        NOW,
    )
    # New teams on 1 January of three early years, then none until one still to come: lookups
    # in between must still find the 2019 team, however far back it was decided.
    for year in (2017, 2018, 2019, 2027):
        shift = year % 5
        service.update_rotation(
            user,
            rotation,
            {
                "members": ids[shift:] + ids[:shift],
                "members_effective_at": datetime(year, 1, 1, tzinfo=UTC),
            },
            NOW,
        )
    everything = rota_spec(rota)
    assert len(everything.rotations[0].member_changes) == 4
    for since in (
        datetime(2016, 1, 4, tzinfo=UTC),
        datetime(2018, 12, 20, tzinfo=UTC),
        datetime(2021, 12, 20, tzinfo=UTC),
        NOW - timedelta(days=400),
        NOW - timedelta(days=3),
        datetime(2027, 12, 27, tzinfo=UTC),
    ):
        until = since + timedelta(days=30)
        [loaded] = lookup.load_rotas([party.id], since, until)[party.id]
        nearby = loaded.spec.rotations[0].member_changes
        assert len(nearby) <= 3, since
        if since == NOW - timedelta(days=3):
            assert [change.effective_at.year for change in nearby] == [2019]
        expected = resolution.timeline(everything, since, until)
        assert resolution.timeline(loaded.spec, since, until) == expected, since
        at = since + timedelta(days=15)
        [answer] = lookup.resolve_on_call([party], at)
        assert answer.tiers[0].shift == resolution.on_call_at(everything, at, lookup.HORIZON)
