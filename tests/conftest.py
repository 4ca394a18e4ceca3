"""Test fixtures: a migrated database, one rolled-back transaction per test, a settable clock.

Set TEST_DATABASE_URL (postgresql://…) to run the suite on PostgreSQL; SQLite otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session

from app import create_app
from common.clock import now as clock_now
from common.db import db
from directory import accounts
from directory.models import Party, Person, User
from tests.databases import suite_database

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
# Servers and workers the tests start read the environment: they need a session key too.
os.environ.setdefault("SECRET_KEY", "test-only-" + os.urandom(16).hex())


class Clock:
    """A controllable clock: tests set and advance time instead of sleeping."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        assert at.tzinfo is not None
        self.at = at

    def advance(self, **kwargs: float) -> datetime:
        self.at += timedelta(**kwargs)
        return self.at


def database_url(tmp_dir: str, name: str = "test") -> str:
    """The test database: PostgreSQL when TEST_DATABASE_URL is set, else a SQLite file."""
    if PG_URL:
        return PG_URL
    return f"sqlite:///{tmp_dir}/{name}.sqlite"


def reset_postgres(url: str) -> None:
    """Start from an empty schema so migrations run from scratch."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def make_app(url: str, **extra: Any) -> Flask:
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
        "SECRET_KEY": "test",
        # Page tests move the clock by days while signed in; tests/auth sets the real limits.
        "SESSION_IDLE_MINUTES": 60 * 24 * 365,
        "SESSION_ABSOLUTE_HOURS": 24 * 365 * 2,
        "PUBLIC_BASE_URL": "http://art35.test",
        "TWILIO_ACCOUNT_SID": None,
        "TWILIO_AUTH_TOKEN": None,
        "TWILIO_FROM_NUMBER": None,
        "TWILIO_API_BASE_URL": None,
        # The suite fires requests faster than any client may; tests/security turns them on.
        "RATELIMIT_ENABLED": False,
    }
    settings.update(extra)
    return create_app(settings)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = database_url(str(tmp_path_factory.mktemp("db")))
    if PG_URL:
        reset_postgres(PG_URL)
    app = make_app(url)
    with app.app_context():
        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def clock(app: Flask) -> Iterator[Clock]:
    clock = Clock(datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
    app.config["CLOCK"] = clock
    yield clock
    app.config["CLOCK"] = None


class ConnectionBoundSession(Session):
    """Flask-SQLAlchemy's session picks the engine per model; tests need the one connection."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.bind


@pytest.fixture(autouse=True)
def _transaction(request: pytest.FixtureRequest, app: Flask, clock: Clock) -> Iterator[None]:
    """Each test runs inside a transaction rolled back afterwards (savepoint recipe)."""
    from rota.answer_cache import answers

    # Audit ids repeat after a rollback, so a cached answer must not outlive its test.
    answers.clear()
    if request.node.get_closest_marker("own_app"):
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {
                "bind": connection,
                "join_transaction_mode": "create_savepoint",
                "class_": ConnectionBoundSession,
            }
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


# --- small builders --------------------------------------------------------------------


def make_party(iso2: str = "FR", name: str = "France", status: str = "party") -> Party:
    party = Party(iso2=iso2, name=name, status=status, updated_at=clock_now())
    db.session.add(party)
    _commit_unaudited()
    return party


def _commit_unaudited() -> None:
    """Builders write without the services' audit entries, so no cached answer would notice."""
    from rota.answer_cache import answers

    db.session.commit()
    answers.clear()


def make_person(
    party: Party,
    full_name: str = "Jeanne Martin",
    *,
    languages=("fr", "en"),
    phone: str | None = None,
    email: str | None = None,
) -> Person:
    from directory.models import PersonLanguage, Phone
    from directory.values import parse_phone

    phones = []
    if phone:
        number = parse_phone(phone, party.iso2)
        phones = [Phone(e164=number.e164, kind=number.kind, primary=True, position=0)]
    person = Person(
        full_name=full_name,
        email=email,
        updated_at=clock_now(),
        phones=phones,
        languages=[
            PersonLanguage(tag=t, level="fluent", position=i) for i, t in enumerate(languages)
        ],
    )
    db.session.add(person)
    person.party = party
    _commit_unaudited()
    return person


def make_user(
    role: str = "secretariat", party: Party | None = None, email: str | None = None
) -> tuple[User, dict[str, str]]:
    """A user and the headers that authenticate as them."""
    now = clock_now()
    email = email or f"{role}-{party.iso2 if party else 'x'}-{os.urandom(3).hex()}@art35.example"
    user = accounts.create_user(email, role, now, party=party)
    _token, secret = accounts.create_token(user, "test", now)
    db.session.commit()
    return user, {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def france() -> Party:
    return make_party("FR", "France")


@pytest.fixture
def secretariat() -> dict[str, str]:
    return make_user("secretariat")[1]


@pytest.fixture
def member() -> dict[str, str]:
    return make_user("member")[1]


@pytest.fixture
def fresh_database_url(tmp_path) -> Iterator[str]:
    """An empty database of the suite's kind, dropped afterwards (for migrations, live servers)."""
    with suite_database("art35_fresh", tmp_path) as url:
        yield url
