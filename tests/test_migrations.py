"""Migrations build the schema the models describe, and go down and up again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from common.db import db
from common.health import migration_head
from tests.conftest import make_app


def test_models_and_migrations_do_not_drift(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
        )
    assert diff == []


@pytest.mark.own_app
def test_upgrade_downgrade_upgrade(fresh_database_url):
    app = make_app(fresh_database_url)
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"party", "person", "audit_entry"} <= tables
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        version = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        assert version == migration_head()
        db.session.remove()
        db.engine.dispose()


@pytest.mark.own_app
def test_readyz_says_unavailable_before_migrations(fresh_database_url):
    app = make_app(fresh_database_url)
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    with app.app_context():
        db.engine.dispose()
