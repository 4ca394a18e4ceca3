"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, Response, jsonify

from common.db import db
from common.faults import RETRY_AFTER_S, first_line, rollback_quietly

bp = Blueprint("health", __name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

#: Named extra details for /readyz that do not make the service unready (e.g. rotas whose stored
#: data is broken: rota.integrity); filled by app wiring, so common/ imports no domain package.
READINESS_DETAILS: dict[str, Callable[[], Any]] = {}


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
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        rollback_quietly(db.session)
        return _unready("database unreachable", error=first_line(exc))
    try:
        current = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except sa.exc.SQLAlchemyError:
        rollback_quietly(db.session)
        current = None
    if current != head:
        return _unready("migrations not at head", current=current, head=head)
    details = {name: detail() for name, detail in READINESS_DETAILS.items()}
    return jsonify(status="ok", revision=current, **{k: v for k, v in details.items() if v}), 200


def _unready(reason: str, **detail: Any) -> tuple[Response, int]:
    """503 saying why, with Retry-After, so a balancer and a person both know what to wait for."""
    resp = jsonify(status="unavailable", reason=reason, **detail)
    resp.headers["Retry-After"] = str(RETRY_AFTER_S)
    return resp, 503
