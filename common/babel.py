"""Flask-Babel wiring: the page locale comes from `common.i18n.ui_locale`."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context
from flask_babel import Babel

from common.i18n import ui_locale

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

babel = Babel()


def _locale() -> str:
    """Outside a request (CLI, background work) the default locale applies."""
    return ui_locale() if has_request_context() else "en"


def init_babel(app: Flask) -> None:
    """Install gettext in Jinja and pick each request's locale; times are formatted in UTC
    unless a page passes an explicit zone (pages always do)."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    babel.init_app(app, locale_selector=_locale)
