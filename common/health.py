"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, Response, jsonify

from common.db import db

bp = Blueprint("health", __name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def migration_head() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive (no dependency checked)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """The database answers and is migrated to the newest revision."""
    head = migration_head()
    try:
        current = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        return jsonify(status="unavailable", reason=f"database: {exc.__class__.__name__}"), 503
    if current != head:
        return jsonify(
            status="unavailable", reason="database not migrated", current=current, head=head
        ), 503
    return jsonify(status="ok", revision=current), 200
