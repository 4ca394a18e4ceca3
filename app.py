"""The application factory: wiring only (extensions, blueprints, error handlers, commands)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_migrate import Migrate
from werkzeug.exceptions import HTTPException

from common.api import api
from common.babel import init_babel
from common.concurrency import register as register_concurrency_errors
from common.db import configure_engine, db
from common.errors import Problem, problem_from_http, problem_response
from common.faults import register as register_faults
from common.faults import rollback_quietly
from common.headers import init_headers
from common.limits import init_limits, trust_proxies
from common.metrics import init_metrics
from common.observability import init_observability
from common.settings import load_settings, validate_settings

migrate = Migrate()


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment, then `settings` (tests pass overrides here)."""
    # The instance folder (default SQLite database): ART35_INSTANCE_PATH, else Flask's choice
    # (./instance in a source checkout, <venv>/var/app-instance when installed).
    instance = os.environ.get("ART35_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.path.abspath(instance) if instance else None,
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_settings(app.instance_path))
    app.config.update(
        API_TITLE="Art35",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if settings:
        app.config.update(settings)
    validate_settings(app.config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    _register_delivery(app)  # first: compression must run after every other response hook
    init_observability(app)  # then the request id and the log line, around everything else

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    init_metrics(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    init_babel(app)
    api.init_app(
        app,
        spec_kwargs={
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )

    # Rate limits first: a refused request costs no token lookup; headers on every answer.
    trust_proxies(app)
    init_limits(app)
    init_headers(app)
    _register_api(app)
    _register_pages(app)
    _register_errors(app)
    _register_commands(app)
    return app


def _register_api(app: Flask) -> None:
    from calendars.api import blp as calendar_api
    from calendars.api import feeds as calendar_feeds
    from calendars.service import on_rota_change
    from common.health import READINESS_DETAILS
    from directory.api import blp as directory_api
    from directory.auth import authenticate_api_request
    from directory.service import PERSON_DELETE_GUARDS
    from directory.transfer import register_section as register_transfer_section
    from mail import models as _mail_tables  # noqa: F401  (the outbox's tables)
    from mail.api import blp as mail_api
    from reachability.api import blp as reachability_api
    from reachability.health_api import blp as health_report_api
    from reachability.settings import configure as configure_reachability
    from reachability.webhooks import bp as twilio_webhooks
    from rota.api import blp as rota_api
    from rota.integrity import bad_rotas
    from rota.service import ROTA_CHANGE_LISTENERS, rota_membership_guard
    from rota.transfer import SECTION as ROTA_TRANSFER

    app.before_request(authenticate_api_request)
    api.register_blueprint(directory_api)
    api.register_blueprint(rota_api)
    api.register_blueprint(calendar_api)
    app.register_blueprint(calendar_feeds)
    configure_reachability(app)
    api.register_blueprint(reachability_api)
    app.register_blueprint(twilio_webhooks)
    api.register_blueprint(health_report_api)
    api.register_blueprint(mail_api)
    if rota_membership_guard not in PERSON_DELETE_GUARDS:
        PERSON_DELETE_GUARDS.append(rota_membership_guard)
    if on_rota_change not in ROTA_CHANGE_LISTENERS:
        ROTA_CHANGE_LISTENERS.append(on_rota_change)
    READINESS_DETAILS["bad_rotas"] = bad_rotas
    register_transfer_section(ROTA_TRANSFER)  # the directory document carries rotas
    _register_scrape_metrics()


def _register_scrape_metrics() -> None:
    from common.metrics import SCRAPE_COLLECTORS
    from mail.metrics import outbox_metrics
    from reachability.metrics import campaign_metrics, twilio_error_metrics

    for collector in (campaign_metrics, twilio_error_metrics, outbox_metrics):
        if collector not in SCRAPE_COLLECTORS:
            SCRAPE_COLLECTORS.append(collector)


def _register_delivery(app: Flask) -> None:
    from web.assets import init_assets

    init_assets(app)


def _register_pages(app: Flask) -> None:
    from common.apidocs import bp as apidocs
    from common.health import bp as health
    from mail.links import bp as mail_links
    from web import register as register_web

    app.register_blueprint(health)
    app.register_blueprint(apidocs)
    app.register_blueprint(mail_links)
    register_web(app)


def _register_errors(app: Flask) -> None:
    @app.teardown_request
    def _rollback_uncommitted(_exc: BaseException | None) -> None:
        # One commit per request: whatever a failed request left pending is dropped here,
        # so a rejected write can never ride along with a later commit.
        rollback_quietly(db.session)

    app.register_error_handler(Problem, problem_response)
    register_faults(app)
    register_concurrency_errors(app)
    app.register_error_handler(HTTPException, lambda e: problem_response(problem_from_http(e)))


def _register_commands(app: Flask) -> None:
    from demo_cli import demo_cli
    from directory.cli import directory_cli, tokens_cli, users_cli
    from mail.worker import worker_cmd
    from reachability.cli import reachability_cli
    from rota.cli import rota_cli

    app.cli.add_command(directory_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(rota_cli)
    app.cli.add_command(reachability_cli)
    app.cli.add_command(worker_cmd)
    app.cli.add_command(demo_cli)
