"""What each attack of issue 11 gets now, measured against gunicorn (2 workers) on PostgreSQL with
the rate limits counted in Redis, and the fake Twilio for test calls.

    .venv/bin/python bench/bench_abuse.py --database-url postgresql://postgres@127.0.0.1:5432/x \
        [--redis redis://127.0.0.1:6379/0]

The database named is dropped and created afresh. Prints one line per attack: status counts and
wall times (the tests assert the budgets' own counters; these are the figures for people).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

FROM = "+15005550006"
#: The client address the (simulated) proxy reports; each attack comes from its own.
CLIENT = ["198.51.100.1"]


def fresh_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = sa.create_engine(
        base.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def call(
    base: str,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: Any = None,
    raw: bytes | None = None,
    ctype: str | None = None,
) -> tuple[int, dict[str, str], bytes, float]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    hdrs = {"X-Forwarded-For": CLIENT[0], **(headers or {})}
    if data is not None:
        hdrs["Content-Type"] = ctype or "application/json"
    request = urllib.request.Request(base + path, data=data, headers=hdrs, method=method)  # noqa: S310
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as resp:  # noqa: S310
            content = resp.read()
            return resp.status, dict(resp.headers), content, time.perf_counter() - start
    except urllib.error.HTTPError as err:
        content = err.read()
        return err.code, dict(err.headers), content, time.perf_counter() - start


def hostile_ics(series: int) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//art35//bench//EN"]
    for i in range(series):
        lines += [
            "BEGIN:VEVENT",
            f"UID:s{i}@art35.bench",
            "DTSTAMP:20261201T000000Z",
            "DTSTART:20261201T000000Z",
            "DTEND:20261201T003000Z",
            "RRULE:FREQ=HOURLY",
            f"SUMMARY:Shift number {i:03d} of the hostile file",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--port", type=int, default=8391)
    args = parser.parse_args()
    fresh_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url

    from flask_migrate import upgrade

    from app import create_app
    from common.db import db
    from directory.models import Phone
    from tests.conftest import make_party, make_person, make_user
    from tests.fakes.fake_twilio import FakeTwilio

    base = f"http://127.0.0.1:{args.port}"
    out: dict[str, Any] = {}
    with FakeTwilio(webhook_timeout_s=10, clock=lambda: datetime.now(UTC)) as fake:
        app = create_app({"PUBLIC_BASE_URL": base})
        with app.app_context():
            upgrade(revision="heads")
            france = make_party("FR", "France")
            make_party("DE", "Germany")
            _u, sec = make_user("secretariat")
            _u, member = make_user("member")
            _u, admin = make_user("party_admin", france)
            people = {}
            for name, number in (
                ("premium", "+33891123456"),
                ("shared", "+33810123456"),
                ("satellite", "+881612345678"),
                ("target", "+33612345600"),
            ):
                person = make_person(france, f"Number {name}", phone="+33612345699")
                db.session.scalar(
                    sa.select(Phone).where(Phone.person_id == person.id)
                ).e164 = number
                people[name] = person.id
            mobiles = [
                make_person(france, f"Mobile {i}", phone=f"+336123450{i:02d}").id
                for i in range(100)
            ]
            db.session.commit()
        env = {
            **os.environ,
            "DATABASE_URL": args.database_url,
            "PUBLIC_BASE_URL": base,
            "REDIS_URL": args.redis,
            "RATELIMIT_KEY_PREFIX": f"bench-abuse-{os.getpid()}",
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_FROM_NUMBER": FROM,
            "TWILIO_API_BASE_URL": fake.base_url,
            "SECRET_KEY": os.urandom(32).hex(),
            "TRUSTED_PROXIES": "1",  # the bench plays the proxy: one address per attack
        }
        log = Path(tempfile.mkdtemp(prefix="art35-abuse-")) / "gunicorn.log"
        server = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{args.port}",
                "--timeout",
                "30",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        try:
            for _ in range(300):
                try:
                    if call(base, "GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            else:
                raise SystemExit(log.read_text())

            # Bad bearer tokens from one address.
            CLIENT[0] = "198.51.100.66"
            statuses = [
                call(base, "GET", "/api/v1/parties", {"Authorization": f"Bearer guess-{i}"})[0]
                for i in range(200)
            ]
            out["200 bad tokens"] = {
                "statuses": dict(Counter(statuses)),
                "first 429 at": statuses.index(429) + 1 if 429 in statuses else None,
            }
            # 300 rapid requests with one token (sequential from one address).
            CLIENT[0] = "198.51.100.2"
            start = time.perf_counter()
            statuses = [call(base, "GET", "/api/v1/parties", member)[0] for _ in range(300)]
            out["300 rapid requests, one token"] = {
                "statuses": dict(Counter(statuses)),
                "seconds": round(time.perf_counter() - start, 2),
            }
            time.sleep(1.1)
            CLIENT[0] = "198.51.100.3"
            # The ranges and budgets (a member).
            quarter = {
                "members": mobiles[:3],
                "start_local": "2026-01-01T00:00",
                "shift_length": "PT15M",
            }
            rota = json.loads(
                call(
                    base,
                    "POST",
                    "/api/v1/parties/FR/rotas",
                    sec,
                    {"name": "Duty", "tier": 1, "timezone": "Europe/Paris"},
                )[2]
            )
            call(base, "POST", f"/api/v1/rotas/{rota['id']}/rotations", sec, quarter)
            for label, path in (
                ("shifts?until=3500-01-01", "/api/v1/parties/FR/shifts?until=3500-01-01T00:00:00Z"),
                (
                    "shifts?until=2020-01-01 (past)",
                    "/api/v1/parties/FR/shifts?until=2020-01-01T00:00:00Z",
                ),
                (
                    "coverage/gaps?until=2126-01-01",
                    "/api/v1/coverage/gaps?until=2126-01-01T00:00:00Z",
                ),
                (
                    "shifts, one year of quarter hours",
                    "/api/v1/parties/FR/shifts?since=2026-12-01T00:00:00Z&until=2027-12-01T00:00:00Z",
                ),
            ):
                status, _h, content, secs = call(base, "GET", path, member)
                out[label] = {"status": status, "ms": round(secs * 1000, 1), "bytes": len(content)}
            status, _h, content, secs = call(
                base,
                "POST",
                "/api/v1/parties/FR/rotas/preview",
                member,
                {
                    "timezone": "Europe/Paris",
                    "since": "2026-12-01T00:00:00Z",
                    "until": "2027-12-01T00:00:00Z",
                    "rotations": [quarter] * 20,
                },
            )
            out["preview, 20 quarter-hour rotations × 1 year"] = {
                "status": status,
                "ms": round(secs * 1000, 1),
                "bytes": len(content),
            }
            ics = hostile_ics(400)
            status, _h, content, secs = call(
                base,
                "POST",
                f"/api/v1/rotas/{rota['id']}/import-ical?since=2026-12-01T00:00:00Z&until=2027-12-01T00:00:00Z",
                admin,
                raw=ics,
                ctype="text/calendar",
            )
            out[f"iCal import, 400 hourly series ({len(ics) // 1024} KB)"] = {
                "status": status,
                "ms": round(secs * 1000, 1),
            }
            # Toll fraud.
            for name in ("premium", "shared", "satellite"):
                status, _h, content, secs = call(
                    base,
                    "POST",
                    "/api/v1/reachability/test-calls",
                    admin,
                    {"person_id": people[name]},
                )
                out[f"test call to {name}"] = {
                    "status": status,
                    "reason": json.loads(content)["errors"][0]["reason"],
                }
            results: list[int] = []

            def one() -> None:
                results.append(
                    call(
                        base,
                        "POST",
                        "/api/v1/reachability/test-calls",
                        admin,
                        {"person_id": people["target"]},
                    )[0]
                )

            threads = [threading.Thread(target=one) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            out["8 parallel test calls to one number"] = dict(Counter(results))
            start = time.perf_counter()
            statuses = [
                call(base, "POST", "/api/v1/reachability/test-calls", admin, {"person_id": pid})[0]
                for pid in mobiles[:100]
            ]
            out["100 test calls to 100 numbers, one admin"] = {
                "statuses": dict(Counter(statuses)),
                "seconds": round(time.perf_counter() - start, 1),
            }
            fake.wait_idle(30)
            status, headers, _c, _s = call(base, "GET", "/api/v1/parties/FR", member)
            out["headers on an API answer"] = {
                k: headers.get(k)
                for k in (
                    "Cache-Control",
                    "X-Content-Type-Options",
                    "Content-Security-Policy",
                    "Referrer-Policy",
                    "Permissions-Policy",
                )
            }
        finally:
            server.terminate()
            server.wait(20)
    for key, value in out.items():
        print(f"{key}: {json.dumps(value)}")


if __name__ == "__main__":
    main()
