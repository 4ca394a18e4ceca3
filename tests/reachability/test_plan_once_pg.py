"""Two secretaries planning the same month at the same moment on PostgreSQL: one campaign is
made, the other request is refused with 409 (the unique (party, month) holds, not a read)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from common.db import db
from common.errors import Problem
from reachability import service
from reachability.models import Campaign
from tests.conftest import PG_URL, make_app
from tests.reachability.conftest import add_party

pytestmark = [
    pytest.mark.own_app,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not PG_URL.startswith("postgresql"),
        reason="parallel transactions need PostgreSQL: set TEST_DATABASE_URL=postgresql://…",
    ),
]
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_parallel_plans_of_one_month_make_one_campaign(fresh_database_url):
    app = make_app(fresh_database_url)
    with app.app_context():
        upgrade()
        add_party("FR", "France")
        add_party("DE", "Germany", tz="Europe/Berlin")
        db.session.commit()
        db.session.remove()
    start = threading.Barrier(4)
    results: list[str] = []

    def plan() -> None:
        with app.app_context():
            start.wait()
            try:
                service.create_campaign(None, "2027-02", ["FR", "DE"], "any-time", NOW, app.config)
                db.session.commit()
                results.append("made")
            except Problem as problem:
                db.session.rollback()
                results.append(str(problem.status))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=plan) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    with app.app_context():
        campaigns = db.session.scalar(sa.select(sa.func.count()).select_from(Campaign))
        db.session.remove()
        db.engine.dispose()
    assert sorted(results) == ["409", "409", "409", "made"], "\n\n".join(results)
    assert campaigns == 1
