"""Who is asking: bearer tokens for the API, the session for pages."""

from __future__ import annotations

import hmac

from flask import g, request, session

from common.clock import now
from common.db import db
from common.errors import Problem
from directory.accounts import user_for_token
from directory.models import User

OPEN_API_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")


#: Session key of the browser's CSRF token (set by the web pages).
CSRF_SESSION_KEY = "_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def load_user() -> User | None:
    """Find the user from `Authorization: Bearer …` or the browser session."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return user_for_token(header[7:].strip(), now())
    user_id = session.get("user_id") if session else None
    if isinstance(user_id, int):
        user = db.session.get(User, user_id)
        if user is not None and user.active:
            return user
    return None


def _check_session_csrf() -> None:
    """A write made with the session cookie must also carry the page's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get(CSRF_SESSION_KEY)
    sent = request.headers.get("X-CSRF-Token", "")
    if not expected or not hmac.compare_digest(str(expected), sent):
        raise Problem(403, "a browser-session write needs the X-CSRF-Token header of the page")


def authenticate_api_request() -> None:
    """Every API route needs credentials, except its documentation."""
    g.user = None
    if not request.path.startswith("/api/v1/"):
        return
    if request.path.startswith(OPEN_API_PATHS):
        return
    g.user = load_user()
    if g.user is not None and not request.headers.get("Authorization"):
        _check_session_csrf()
    if g.user is None:
        raise Problem(
            401,
            "credentials needed: send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="art35"'},
        )


def current_user() -> User:
    """The authenticated user of this request (API routes are guarded before the view runs)."""
    user = getattr(g, "user", None)
    if user is None:
        raise Problem(401, "credentials needed")
    return user
