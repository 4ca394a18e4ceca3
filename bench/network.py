"""Build the benchmark network in a database: every Party, 8 people each, 3 rotas of 2 rotations,
5 years of history and 200 overrides per Party (`--scale 10`: 50 years, 2000 overrides).

The schema comes from the real migrations and the directory from the real importer (the demo
directory, padded to 8 people per Party); rotas, rotations, member changes and overrides are
bulk-inserted through the models' tables, which is much faster than one audited service call each
and gives the same rows. Deterministic for a given `now` (seeded random numbers).

    .venv/bin/python -m bench.network --database-url postgresql://postgres@127.0.0.1:5432/art35_bench
        --fresh [--scale 10]

The last line of the output is an API token of the benchmark's secretariat account.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

# A throwaway session key for this run: the app refuses to start without one.
os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from common.db import db  # noqa: E402 -- after the path set-up above
from directory import accounts  # noqa: E402
from directory.demo import demo_document  # noqa: E402
from directory.models import Party, Person  # noqa: E402
from directory.transfer import import_document, parties_from_csv  # noqa: E402
from rota.models import (  # noqa: E402
    MemberChangeRecord,
    OverrideRecord,
    RotaRecord,
    RotationRecord,
)

PEOPLE_PER_PARTY = 8
YEARS = 5
OVERRIDES_PER_PARTY = 200
BENCH_USER = "bench@art35.example"
WEEKNIGHTS = {
    "weekdays": ["mon", "tue", "wed", "thu", "fri"],
    "from_local": "18:00",
    "to_local": "08:00",
}
WEEKEND = {"weekdays": ["sat", "sun"], "from_local": "08:00", "to_local": "08:00"}
NIGHTS = {
    "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "from_local": "20:00",
    "to_local": "08:00",
}


@dataclass
class Built:
    parties: int
    people: int
    rotas: int
    rotations: int
    member_changes: int
    overrides: int
    seconds: float
    token: str

    def summary(self) -> str:
        return (
            f"{self.parties} Parties, {self.people} people, {self.rotas} rotas, "
            f"{self.rotations} rotations, {self.member_changes} member changes, "
            f"{self.overrides} overrides in {self.seconds:.1f} s"
        )


def sqlalchemy_url(url: str) -> str:
    """The psycopg 3 driver for postgresql:// URLs, as the app does."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def fresh_database(url: str) -> None:
    """Drop and create the database (PostgreSQL) or delete the file (SQLite)."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    base, name = sqlalchemy_url(url).rsplit("/", 1)
    admin = sa.create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def make_bench_app(url: str) -> Any:
    """The real app on `url`, built the way gunicorn builds it (from the environment)."""
    os.environ["DATABASE_URL"] = url
    for key in ("RATELIMIT_PER_ADDRESS", "RATELIMIT_PER_TOKEN", "RATELIMIT_PER_FEED"):
        os.environ.setdefault(key, "100000 per second")  # one address at full speed
    from app import create_app

    return create_app()


def _padded_directory() -> dict[str, Any]:
    """The demo directory with exactly PEOPLE_PER_PARTY people per Party."""
    doc = demo_document(parties_from_csv())
    for party in doc["parties"]:
        people = party["people"]
        base = list(people)
        k = 0
        while len(people) < PEOPLE_PER_PARTY:
            model = copy.deepcopy(base[k % len(base)])
            surname = base[(k + 1) % len(base)]["full_name"].split(" ")[-1]
            model["full_name"] = f"{model['full_name'].split(' ')[0]} {surname}-{k + 2}"
            model["email"] = f"duty{k + 2}.{model['email']}"
            model["active"] = True
            people.append(model)
            k += 1
        del people[PEOPLE_PER_PARTY:]
        for person in people:
            person["active"] = True
    return doc


def _rotations(rota_id: int, tier: int, people: list[int], start: date) -> list[dict[str, Any]]:
    """Two layers per tier: a base rotation and a restricted one on top."""
    first = datetime.combine(start, datetime.min.time())
    if tier == 1:
        layers = [
            ("Weekly duty officer", people[:6], first.replace(hour=9), "P7D", []),
            ("After hours", people[2:], first.replace(hour=18), "P1D", [WEEKNIGHTS]),
        ]
    elif tier == 2:
        layers = [
            ("Daily duty prosecutor", people[4:] + people[:2], first.replace(hour=8), "P1D", []),
            ("Weekend", people[6:] + people[:1], first.replace(hour=8), "P7D", [WEEKEND]),
        ]
    else:
        layers = [
            ("Head of unit", people[:2], first.replace(hour=9), "P14D", []),
            ("Night escalation", people[1:5], first.replace(hour=20), "PT12H", [NIGHTS]),
        ]
    return [
        {
            "rota_id": rota_id,
            "position": position,
            "name": name,
            "start_local": start_local,
            "shift_length": length,
            "members": members,
            "restrictions": restrictions,
            "updated_at": None,  # set by the caller
        }
        for position, (name, members, start_local, length, restrictions) in enumerate(layers)
    ]


def _insert(model: Any, rows: list[dict[str, Any]], returning: bool = False) -> list[int]:
    if not rows:
        return []
    if returning:
        statement = sa.insert(model).returning(model.id, sort_by_parameter_order=True)
        return list(db.session.scalars(statement, rows))
    for i in range(0, len(rows), 5000):
        db.session.execute(sa.insert(model), rows[i : i + 5000])
    return []


def build_network(now: datetime, scale: int = 1) -> Built:
    """Fill an empty, migrated database (needs an app context); commits."""
    started = time.perf_counter()
    rng = random.Random(f"art35-bench-{scale}")
    years = YEARS * scale
    import_document(_padded_directory(), now)
    db.session.flush()

    parties = list(db.session.scalars(sa.select(Party).order_by(Party.iso2)))
    people: dict[int, list[int]] = {p.id: [] for p in parties}
    for person_id, party_id in db.session.execute(
        sa.select(Person.id, Person.party_id).order_by(Person.id)
    ):
        people[party_id].append(person_id)

    history_start = (now - timedelta(days=365 * years)).date()
    history_start -= timedelta(days=history_start.weekday())  # a Monday
    rota_rows = []
    for party in parties:
        for tier, name in ((1, "Duty officer"), (2, "Duty prosecutor"), (3, "Head of unit")):
            rota_rows.append(
                {
                    "party_id": party.id,
                    "name": name,
                    "tier": tier,
                    "timezone": party.contact_point_at(now).timezone,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    rota_ids = _insert(RotaRecord, rota_rows, returning=True)

    rotation_rows = []
    for rota_id, row in zip(rota_ids, rota_rows, strict=True):
        for rotation in _rotations(rota_id, row["tier"], people[row["party_id"]], history_start):
            rotation["updated_at"] = now
            rotation_rows.append(rotation)
    rotation_ids = _insert(RotationRecord, rotation_rows, returning=True)

    # The team changes once a year: a new order of members from each 1 January (UTC).
    change_rows = []
    for rotation_id, rotation in zip(rotation_ids, rotation_rows, strict=True):
        members = rotation["members"]
        for year in range(history_start.year + 1, now.year + 1):
            shift = year % len(members)
            change_rows.append(
                {
                    "rotation_id": rotation_id,
                    "effective_at": datetime(year, 1, 1, tzinfo=UTC),
                    "members": members[shift:] + members[:shift],
                }
            )
    _insert(MemberChangeRecord, change_rows)

    # Overrides spread evenly from the first handoff to 60 days ahead, taking the rotas in turn,
    # so they never overlap on a rota (the same density at every scale).
    first = datetime.combine(history_start, datetime.min.time(), tzinfo=UTC)
    span = (now + timedelta(days=60)) - first
    count = OVERRIDES_PER_PARTY * scale
    slot = span / count
    override_rows = []
    party_rotas: dict[int, list[int]] = {}
    for rota_id, row in zip(rota_ids, rota_rows, strict=True):
        party_rotas.setdefault(row["party_id"], []).append(rota_id)
    for party in parties:
        rotas = party_rotas[party.id]
        for i in range(count):
            start = (
                first
                + slot * i
                + timedelta(minutes=rng.randrange(0, int(slot / timedelta(minutes=1)) // 2))
            )
            length = timedelta(hours=rng.choice((4, 8, 12, 14, 24, 48)))
            override_rows.append(
                {
                    "rota_id": rotas[i % len(rotas)],
                    "person_id": rng.choice(people[party.id]),
                    "start_at": start.replace(second=0, microsecond=0),
                    "end_at": (start + length).replace(second=0, microsecond=0),
                    "note": "covers" if i % 2 else None,
                    "created_at": now,
                }
            )
    _insert(OverrideRecord, override_rows)

    user = accounts.create_user(BENCH_USER, "secretariat", now)
    _token, secret = accounts.create_token(user, "bench", now)
    db.session.commit()
    return Built(
        parties=len(parties),
        people=sum(len(v) for v in people.values()),
        rotas=len(rota_ids),
        rotations=len(rotation_ids),
        member_changes=len(change_rows),
        overrides=len(override_rows),
        seconds=time.perf_counter() - started,
        token=secret,
    )


def migrate_and_build(url: str, scale: int) -> Built:
    """Migrate a fresh database with the real migrations, then build the network in it."""
    from flask_migrate import upgrade

    app = make_bench_app(url)
    with app.app_context():
        upgrade(revision="heads")
        if db.session.scalar(sa.select(Party.id).limit(1)) is not None:
            raise SystemExit(f"{url} already holds Parties: use --fresh or an empty database")
        built = build_network(datetime.now(UTC).replace(microsecond=0), scale)
        if db.engine.dialect.name == "postgresql":
            # Statistics, as autovacuum would gather them in the first minute: without them the
            # planner scans the freshly bulk-loaded tables and the first runs measure that.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        db.session.remove()
        db.engine.dispose()
    return built


def new_token(url: str) -> str:
    """Another API token of the benchmark account, in an already built database."""
    app = make_bench_app(url)
    with app.app_context():
        user = accounts.get_user_by_email(BENCH_USER)
        _token, secret = accounts.create_token(user, "bench", datetime.now(UTC))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return secret


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--scale", type=int, default=1, help="10: ten times the history")
    parser.add_argument(
        "--fresh", action="store_true", help="drop and recreate the database (file) first"
    )
    parser.add_argument(
        "--token", action="store_true", help="only print a new token (network already built)"
    )
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL")
    if args.token:
        print(new_token(args.database_url))
        return
    if args.fresh:
        fresh_database(args.database_url)
    built = migrate_and_build(args.database_url, args.scale)
    print(built.summary())
    print(f"API token of {BENCH_USER}:")
    print(built.token)


if __name__ == "__main__":
    main()
