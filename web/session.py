"""Who is looking, in which language, and the CSRF check that guards every form."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Response, abort, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import refresh
from werkzeug.exceptions import HTTPException

from common.clock import now
from common.db import db
from common.errors import Problem
from common.i18n import UI_LOCALES, ui_locale
from directory import sessions
from directory.access import can_edit_party
from directory.auth import BACKGROUND_HEADER, SESSION_ID_KEY, load_user
from directory.models import User
from directory.values import parse_timezone
from web import bp, hooks
from web.messages import translate_reason

F = TypeVar("F", bound=Callable[..., Any])

CSRF_KEY = "_csrf"
PUBLIC_ENDPOINTS = frozenset(
    {
        "web.login",
        "web.static",
        "web.set_viewer_zone",
        "web.second_factor",
        "web.passkey_sign_in_options",
        "web.passkey_sign_in",
        "web.set_password_page",
    }
)


def csrf_token() -> str:
    """This session's anti-forgery token (created on first use)."""
    token = session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def _csrf_ok() -> bool:
    sent = request.form.get(CSRF_KEY) or request.headers.get("X-CSRF-Token") or ""
    expected = session.get(CSRF_KEY)
    return isinstance(expected, str) and hmac.compare_digest(sent.encode(), expected.encode())


def client_address() -> str:
    """The client's address (ProxyFix sets remote_addr from trusted proxies only)."""
    return (request.remote_addr or "?")[:45]


def start_session(user: User, second_factor: str | None = None) -> None:
    """A fresh server session for a user who just proved who they are (new CSRF token too).

    The user's remembered language wins; if they never chose one, the one they used on the
    login page becomes theirs.
    """
    lang = session.get("lang")
    tz = session.get("tz")
    session.clear()
    session.permanent = True
    session[SESSION_ID_KEY] = sessions.start_session(
        user,
        now(),
        address=client_address(),
        browser=request.user_agent.string,
        second_factor=second_factor,
    )
    if user.locale in UI_LOCALES:
        session["lang"] = user.locale
    elif lang in UI_LOCALES:
        session["lang"] = lang
        user.locale = lang
    if tz:
        session["tz"] = tz
    csrf_token()


def end_session(reason: str | None = None) -> None:
    """Forget the user (ending the server session when `reason` is given); keep the language."""
    session_id = g.get("session_id")
    if reason and session_id is not None:
        sessions.end_session(session_id, now(), reason, g.get("user"))
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.before_request
def _before() -> ResponseReturnValue | None:
    """Load the user, apply ?lang=, check CSRF on writes, send strangers to the login page."""
    if request.endpoint == "web.static":
        return None
    g.user = load_user()
    # The locale is cached per app context, which a test client may share between requests.
    refresh()
    asked = request.args.get("lang")
    if asked in UI_LOCALES:
        session["lang"] = asked
        if g.user is not None and g.user.locale != asked:
            g.user.locale = asked
            db.session.commit()
    if request.method == "POST" and not _csrf_ok():
        abort(400, description="csrf")
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.headers.get(BACKGROUND_HEADER) == "1":
            # A page's background refresh: say plainly that the session ended (no redirect).
            return Response(_("Your session has ended: sign in again."), status=401)
        if request.method == "GET":
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        abort(401)
    if g.user is not None and request.endpoint not in ENROLMENT_ENDPOINTS:
        gate = _second_factor_gate(g.user)
        if gate is not None:
            return gate
    return None


#: Pages a user may reach while the secretariat's second-factor requirement is not yet met.
ENROLMENT_ENDPOINTS = frozenset(
    {
        "web.account_security",
        "web.totp_start",
        "web.totp_confirm",
        "web.passkey_options",
        "web.passkey_add",
        "web.recovery_codes",
        "web.change_password",
        "web.logout",
        "web.static",
        "web.set_viewer_zone",
    }
)


def _second_factor_gate(user: User) -> ResponseReturnValue | None:
    """With REQUIRE_SECOND_FACTOR, a session without a second factor may only enrol one."""
    from flask import current_app

    from directory.factors import has_second_factor

    if not current_app.config.get("REQUIRE_SECOND_FACTOR") or has_second_factor(user):
        return None
    if request.method == "GET":
        return redirect(url_for("web.account_security"))
    return Response(status=403)


# Security headers (the pages' strict CSP, no-store, nosniff…) come from common/headers.py.


def current_user() -> User:
    """The signed-in user (every page but the login page requires one)."""
    user = getattr(g, "user", None)
    if user is None:
        raise Problem(401, "sign in first")
    return user


def require_editor(party_id: int) -> None:
    """403 page unless the viewer may change this Party (same rule as the API)."""
    if not can_edit_party(current_user(), party_id):
        raise Problem(403, "you may change only your own Party's entries")


def secretariat_only(view: F) -> F:
    """The decorated page is for the network secretariat."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user().role != "secretariat":
            raise Problem(403, "only the network secretariat may do this")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect to another host)."""
    if not target:
        return url_for("web.board")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("web.board")
    return target


def viewer_zone() -> str:
    """The viewer's IANA zone as their browser reported it (UTC until it has)."""
    tz = session.get("tz")
    return tz if isinstance(tz, str) and tz else "UTC"


@bp.post("/preferences/timezone")
def set_viewer_zone() -> Response:
    """The page script reports the browser's zone so times can be shown in it."""
    try:
        session["tz"] = parse_timezone(request.form.get("tz", ""))
    except ValueError:
        return Response(status=422)
    return Response(status=204)


def lang_url(lang: str) -> str:
    """This page again, in another language."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    values: dict[str, Any] = {**(request.view_args or {}), **args}
    return url_for(request.endpoint or "web.board", **values)


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    user = getattr(g, "user", None)
    return {
        "current_user": user,
        "csrf_token": csrf_token,
        "ui_lang": ui_locale,
        "lang_url": lang_url,
        "can_edit": lambda party: user is not None and can_edit_party(user, party.id),
        "secretariat_links": hooks.SECRETARIAT_LINKS,
        "viewer_zone": viewer_zone,
    }


# --- error pages ----------------------------------------------------------------------------


def _error_page(status: int, message: str) -> tuple[str, int]:
    return render_template("web/error.html", status=status, message=message), status


@bp.errorhandler(Problem)
def _problem_page(problem: Problem) -> Any:
    if problem.status == 401:
        end_session()
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    return _error_page(problem.status, translate_reason(problem.detail))


@bp.errorhandler(HTTPException)
def _http_page(error: HTTPException) -> Any:
    status = error.code or 500
    if status == 400 and error.description == "csrf":
        message = _(
            "This form has expired or was sent from elsewhere. Go back, reload the page "
            "and try again."
        )
    elif status == 401:
        return redirect(url_for("web.login"))
    elif status == 404:
        message = _("There is no such page.")
    elif status == 405:
        message = _("This page cannot be used that way.")
    else:
        message = _("Something went wrong.")
    return _error_page(status, message)


def zone_or_utc(name: str | None) -> ZoneInfo:
    """A ZoneInfo for a stored zone name, UTC when missing."""
    return ZoneInfo(name or "UTC")
