"""A live Art35 for reachability tests: the app served over real HTTP on 127.0.0.1 (so the fake
Twilio's signed callbacks reach it), on a freshly migrated database, with the real `twilio`
client pointed at the fake. One per test module; every test starts from empty tables.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.serving import make_server

from common.clock import now
from common.clock import now as clock_now
from common.db import db
from directory.models import ContactPoint, Party
from reachability.dialer import Dialer, TickReport
from reachability.models import Attempt
from reachability.present import present_attempt
from rota.models import RotaRecord, RotationRecord
from tests.conftest import make_app, make_party, make_person
from tests.databases import suite_database
from tests.fakes.clock import FlowingClock
from tests.fakes.fake_twilio import FakeTwilio

FROM = "+15005550006"
SETTINGS: dict[str, Any] = {
    "CALLS_PER_SECOND": 50,
    "REACH_RETRY_DELAY_S": 600,
    "REACH_RETRIES": 2,
    "REACH_RATE_LIMIT_S": 600,
    "REACH_CLAIM_TIMEOUT_S": 60,
    "REACH_STALE_CALL_S": 900,
    "REACH_RING_TIMEOUT_S": 30,
}
OFFICE_HOURS = [
    {"weekdays": ["mon", "tue", "wed", "thu", "fri"], "from_local": "09:00", "to_local": "17:00"}
]


@dataclass
class Live:
    app: Flask
    fake: FakeTwilio
    clock: FlowingClock
    base_url: str  # where the app listens (the PUBLIC_BASE_URL Twilio is given)
    database_url: str

    def client(self) -> FlaskClient:
        return self.app.test_client()

    @contextmanager
    def context(self) -> Iterator[None]:
        """An app context whose session is committed at the end."""
        with self.app.app_context():
            yield
            db.session.commit()

    def dialer(self, name: str = "pytest-worker") -> Dialer:
        return Dialer.for_app(self.app.config, now, name)

    def tick(self, name: str = "pytest-worker", *, startup: bool = False) -> TickReport:
        """One worker pass, in this process."""
        with self.app.app_context():
            return self.dialer(name).tick(startup=startup)

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every call has played (and its callbacks were answered)."""
        self.fake.wait_idle(timeout)

    def attempt(self, attempt_id: int) -> dict[str, Any]:
        with self.app.app_context():
            return present_attempt(db.session.get(Attempt, attempt_id))

    def attempts(self) -> list[dict[str, Any]]:
        with self.app.app_context():
            found = db.session.scalars(sa.select(Attempt).order_by(Attempt.id))
            return [present_attempt(a) for a in found]


def _database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with suite_database("art35_reach", tmp_path_factory.mktemp("live")) as url:
        yield url


@pytest.fixture(scope="module")
def live_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of the suite's kind for this module, dropped afterwards."""
    yield from _database(tmp_path_factory)


@pytest.fixture(scope="module")
def live_clock() -> FlowingClock:
    """The live app's clock: real speed from a fixed instant (a module may override it)."""
    return FlowingClock()


@pytest.fixture(scope="module")
def live_env(live_database: str, live_clock: FlowingClock) -> Iterator[Live]:
    clock = live_clock
    url = live_database
    with FakeTwilio(webhook_timeout_s=5.0, clock=clock) as fake:
        app = make_app(
            url,
            CLOCK=clock,
            TWILIO_ACCOUNT_SID=fake.account_sid,
            TWILIO_AUTH_TOKEN=fake.auth_token,
            TWILIO_FROM_NUMBER=FROM,
            TWILIO_API_BASE_URL=fake.base_url,
            **SETTINGS,
        )
        with app.app_context():
            upgrade(revision="heads")
        server = make_server("127.0.0.1", 0, app, threaded=True)
        base_url = f"http://127.0.0.1:{server.server_port}"
        app.config["PUBLIC_BASE_URL"] = base_url
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.daemon = True
        thread.start()
        try:
            yield Live(app, fake, clock, base_url, url)
        finally:
            server.shutdown()
            server.server_close()
            with app.app_context():
                db.engine.dispose()


@pytest.fixture
def live(live_env: Live) -> Iterator[Live]:
    """The live app with empty tables, default settings and the clock back at its anchor's flow."""
    token = live_env.fake.auth_token
    config = dict(live_env.app.config)
    try:
        yield live_env
    finally:
        try:
            live_env.fake.wait_idle(10)
        finally:
            live_env.fake.reset()
            live_env.fake.auth_token = token
            live_env.fake.secondary_auth_token = None
            live_env.app.config.clear()
            live_env.app.config.update(config)
            live_env.clock.reset()
            _wipe(live_env.app)


def _wipe(app: Flask) -> None:
    with app.app_context():
        present = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        for table in reversed(db.metadata.sorted_tables):
            if table.name in present:
                db.session.execute(table.delete())
        db.session.commit()


# --- builders (inside `live.context()`) ------------------------------------------------------


def add_party(
    iso2: str = "FR",
    name: str = "France",
    *,
    status: str = "party",
    tz: str = "Europe/Paris",
    desk: str | None = "+33123456789",
    office_hours: list[dict[str, Any]] | None = None,
    contact_point: bool = True,
) -> Party:
    party = make_party(iso2, name, status)
    if contact_point:
        db.session.add(
            ContactPoint(
                party=party,
                unit_name=f"24/7 unit of {name}",
                kind="police",
                timezone=tz,
                desk_phone=desk,
                office_hours=OFFICE_HOURS if office_hours is None else office_hours,
                effective_from=date(2020, 1, 1),
                updated_at=clock_now(),
            )
        )
        db.session.flush()
    return party


def add_person(
    party: Party, name: str, phone: str | None, *, languages: tuple[str, ...] = ("en",)
) -> int:
    return make_person(party, name, languages=languages, phone=phone).id


def add_rota(party: Party, tier: int, members: list[int] | None) -> int:
    """A rota of `tier`: `members` taking turns daily from 2026-01-01 (None: no rotation, so a
    gap at every instant)."""
    stamp = clock_now()
    rota = RotaRecord(
        party_id=party.id,
        name=f"tier {tier}",
        tier=tier,
        timezone="Europe/Paris",
        created_at=stamp,
        updated_at=stamp,
    )
    if members:
        rota.rotations.append(
            RotationRecord(
                position=0,
                start_local=datetime(2026, 1, 1, 0, 0),  # noqa: DTZ001 -- a wall-clock time
                shift_length="P1D",
                members=members,
                restrictions=[],
                updated_at=stamp,
            )
        )
    db.session.add(rota)
    db.session.flush()
    return rota.id
