"""Who is asking: bearer tokens for the API, the session for pages."""

from __future__ import annotations

import hmac

from flask import current_app, g, request, session

from common.clock import now
from common.db import db
from common.errors import Problem
from directory.accounts import check_token, user_for_token
from directory.models import User
from directory.sessions import Limits, find_session

OPEN_API_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")


#: Session key of the browser's CSRF token (set by the web pages).
CSRF_SESSION_KEY = "_csrf"
#: Session key of the server session's secret (the cookie carries nothing else about the user).
SESSION_ID_KEY = "sid"
#: Sent by the pages' own periodic refreshes: they read, they do not count as activity.
BACKGROUND_HEADER = "X-Art35-Background"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer_token() -> str | None:
    """The secret of `Authorization: Bearer …`, or None when the request sends none."""
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def load_user() -> User | None:
    """Find the user from `Authorization: Bearer …` or the browser session."""
    secret = _bearer_token()
    return _session_user() if secret is None else user_for_token(secret, now())


def session_limits() -> Limits:
    """The idle and absolute session lifetimes from the settings."""
    return Limits.from_config(current_app.config)


def _session_user() -> User | None:
    """The user of a live server session; why it ended goes to g.session_ended."""
    secret = session.get(SESSION_ID_KEY) if session else None
    g.session_id = None
    if not isinstance(secret, str):
        return None
    background = request.headers.get(BACKGROUND_HEADER) == "1"
    found = find_session(secret, now(), session_limits(), activity=not background)
    g.session_id = found.session_id if found.user is not None else None
    g.session_ended = found.ended
    return found.user


def _check_session_csrf() -> None:
    """A write made with the session cookie must also carry the page's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get(CSRF_SESSION_KEY)
    sent = request.headers.get("X-CSRF-Token", "")
    if not expected or not hmac.compare_digest(str(expected), sent):
        raise Problem(403, "a browser-session write needs the X-CSRF-Token header of the page")


def _check_second_factor(user: User) -> None:
    """With REQUIRE_SECOND_FACTOR, a browser session without a factor reaches no API route: the
    pages send it to /account/security, and the API must not be the way round that gate."""
    from directory.factors import has_second_factor  # factors imports this module's neighbours

    if current_app.config.get("REQUIRE_SECOND_FACTOR") and not has_second_factor(user):
        raise Problem(403, "a second factor is required: enrol one at /account/security first")


def authenticate_api_request() -> None:
    """Every API route needs credentials, except its documentation."""
    g.user = g.user_id = g.data_version = None
    if not request.path.startswith("/api/v1/"):
        return
    if request.path.startswith(OPEN_API_PATHS):
        return
    secret = _bearer_token()
    if secret is not None:
        # The owner is loaded only when a view asks (current_user): a cached lookup needs
        # nothing but this one check, which also reads the data version.
        check = check_token(secret, now())
        if check is not None:
            g.user_id = check.user_id
            g.data_version = check.data_version
    else:
        g.user = _session_user()
        if g.user is not None:
            _check_session_csrf()
            _check_second_factor(g.user)
    if g.user is None and g.get("user_id") is None:
        raise Problem(
            401,
            "credentials needed: send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="art35"'},
        )


def current_user() -> User:
    """The authenticated user of this request (API routes are guarded before the view runs)."""
    user = g.get("user")
    if user is None and g.get("user_id") is not None:
        user = g.user = db.session.get(User, g.user_id)
    if user is None or not user.active:
        raise Problem(401, "credentials needed")
    return user
