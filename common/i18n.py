"""The viewer's locale: ?lang, the session, the user, Accept-Language; English by default."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from flask import g, request, session

UI_LOCALES = ("en", "fr")


def N_(message: str) -> str:  # noqa: N802 -- the name gettext tools look for
    """Mark a message for the catalogue; it is translated when shown."""
    return message


@lru_cache(maxsize=512)
def _known(tag: str) -> str | None:
    try:
        return str(Locale.parse(tag.replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def api_locale() -> str:
    """For API answers: the first Accept-Language entry Babel knows (any language)."""
    for tag, _quality in request.accept_languages:
        if tag == "*":
            continue
        known = _known(tag)
        if known:
            return known
    return "en"


def ui_locale() -> str:
    """For pages: ?lang=, then the remembered choice, then Accept-Language among en/fr."""
    asked = request.args.get("lang")
    if asked in UI_LOCALES:
        return asked
    remembered = session.get("lang") if session else None
    if remembered in UI_LOCALES:
        return str(remembered)
    user = getattr(g, "user", None)
    if user is not None and user.locale in UI_LOCALES:
        return str(user.locale)
    return request.accept_languages.best_match(UI_LOCALES) or "en"
