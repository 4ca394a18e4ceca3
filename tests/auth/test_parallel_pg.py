"""40 parallel wrong passwords against gunicorn workers on PostgreSQL: every one is counted, the
source is slowed and blocked, and the right password from another address still works.

Client addresses come from X-Forwarded-For through ProxyFix (TRUSTED_PROXIES=127.0.0.1), as
behind the deployment's reverse proxy.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

from common.db import db
from directory import accounts
from directory.models import AuditEntry, LoginThrottle
from tests.conftest import PG_URL, make_app
from tests.databases import postgres_database
from tests.gunicorn import free_port, serve

pytestmark = [
    pytest.mark.own_app,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not PG_URL.startswith("postgresql"),
        reason="parallel sign-ins need PostgreSQL and real workers: set TEST_DATABASE_URL",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
PARALLEL = 40
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
EMAIL = "officer@art35.example"
PASSWORD = "the right long passphrase"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.20"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with postgres_database("art35_auth") as url:
        app = make_app(url)
        with app.app_context():
            upgrade(revision="heads")
            accounts.create_user(EMAIL, "member", NOW, password=PASSWORD)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "ART35_TEST_NOW": NOW.isoformat(),
            "RATELIMIT_ENABLED": "0",
            "TRUSTED_PROXIES": "127.0.0.1",
            "SECRET_KEY": "auth-parallel-" + os.urandom(16).hex(),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }
        log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
        with serve(env, WORKERS, log, port) as base_url:
            yield base_url, url


def _attempt(base_url: str, password: str, address: str) -> tuple[int, float]:
    """One sign-in from `address` in a fresh browser: (status, seconds)."""
    http = requests.Session()
    headers = {"X-Forwarded-For": address}
    page = http.get(base_url + "/login", headers=headers, timeout=30)
    token = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
    start = time.perf_counter()
    resp = http.post(
        base_url + "/login",
        data={"_csrf": token, "email": EMAIL, "password": password},
        headers=headers,
        allow_redirects=False,
        timeout=60,
    )
    return resp.status_code, time.perf_counter() - start


def test_parallel_wrong_passwords_are_all_counted_and_never_lock_out_the_owner(served):
    base_url, db_url = served
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(
            pool.map(
                lambda i: _attempt(base_url, f"wrong guess number {i}", ATTACKER), range(PARALLEL)
            )
        )
    tally = Counter(status for status, _ in results)
    print(
        f"\n40 parallel wrong passwords: {dict(tally)}; slowest {max(s for _, s in results):.2f} s"
    )
    assert set(tally) <= {401, 429} and tally[401] <= 5
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        counts = dict(conn.execute(sa.select(LoginThrottle.key, LoginThrottle.count)).all())
        events = Counter(
            conn.execute(
                sa.select(AuditEntry.action).where(AuditEntry.entity == "security")
            ).scalars()
        )
    # Every attempt counted on both its sources: no lost update.
    assert counts[f"addr:{ATTACKER}"] == PARALLEL
    assert counts[f"acct:{ATTACKER}:{EMAIL}"] == PARALLEL
    assert events["sign_in_failed"] + events["sign_in_blocked"] == PARALLEL
    # The owner, from their own address, signs in at once.
    status, seconds = _attempt(base_url, PASSWORD, OWNER)
    print(f"owner from another address: {status} in {seconds:.2f} s")
    assert status == 302
    # The attacker's address stays blocked, even with the right password.
    assert _attempt(base_url, PASSWORD, ATTACKER)[0] == 429
    engine.dispose()
