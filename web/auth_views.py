"""Signing in (password, then a second factor when the user has one) and out."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from common.clock import now
from common.db import db
from common.errors import Problem
from directory import accounts, factors, throttle
from directory.models import User
from web import bp
from web.session import client_address, end_session, safe_next, start_session

#: The password step is remembered this long while the second step is asked for.
PENDING_LIFETIME = timedelta(minutes=5)
PENDING_KEY = "pending_sign_in"
CHALLENGE_KEY = "webauthn_challenge"


def relying_party() -> factors.RelyingParty:
    """Passkeys belong to the public host name (PUBLIC_BASE_URL), never to a request's Host."""
    public = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    return factors.RelyingParty(
        rp_id=public.hostname or "localhost", origin=f"{public.scheme}://{public.netloc}"
    )


def _browser() -> str:
    return request.user_agent.string[:200]


def _login_page(email: str, next_url: str, message: str | None, status: int = 200) -> Any:
    page = render_template("web/login.html", email=email, next_url=next_url, message=message)
    return page, status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """E-mail and password; failures slow down and then block their source, never the account."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return _login_page("", next_url, None)
    email = (request.form.get("email") or "").strip()
    try:
        user = accounts.authenticate_password(
            email,
            request.form.get("password") or "",
            now(),
            address=client_address(),
            browser=_browser(),
        )
    except Problem as problem:
        if problem.status == 429:
            minutes = max(1, -(-int(problem.headers.get("Retry-After", "60")) // 60))
            message = _(
                "Too many sign-in attempts from here. Try again in %(minutes)s minutes "
                "or ask the secretariat.",
                minutes=minutes,
            )
        else:
            message = _("Wrong e-mail or password.")
        page, status = _login_page(email, next_url, message, problem.status)
        headers = {"Retry-After": problem.headers["Retry-After"]} if problem.headers else {}
        return page, status, headers
    if factors.has_second_factor(user):
        db.session.commit()  # a rehashed password is kept even if the second step never comes
        keep = {k: session[k] for k in ("lang", "tz") if k in session}
        session.clear()
        session.update(keep)
        session[PENDING_KEY] = {"uid": user.id, "at": now().timestamp(), "next": next_url}
        return redirect(url_for("web.second_factor"))
    _finish_sign_in(user, None)
    return redirect(next_url)


def _finish_sign_in(user: User, factor: str | None) -> None:
    """The server session starts; the sign-in is audited (address and browser, nothing secret)."""
    start_session(user, factor)
    accounts.record_security(
        user,
        "sign_in",
        user,
        now(),
        address=client_address(),
        browser=_browser(),
        second_factor=factor,
    )
    db.session.commit()


def _pending_user() -> tuple[User, str] | None:
    """The user who passed the password step in this browser in the last 5 minutes."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    at = datetime.fromtimestamp(float(pending.get("at", 0)), tz=now().tzinfo)
    if not timedelta(0) <= now() - at <= PENDING_LIFETIME:
        return None
    user = db.session.get(User, pending.get("uid"))
    if user is None or not user.active:
        return None
    return user, safe_next(pending.get("next"))


@bp.route("/login/second-factor", methods=["GET", "POST"])
def second_factor() -> Any:
    """The second step: a code from the authenticator app, a recovery code, or a passkey."""
    pending = _pending_user()
    if pending is None:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("web.login"))
    user, next_url = pending
    has_passkeys = bool(factors.passkeys_of(user))
    if request.method == "GET":
        return render_template(
            "web/second_factor.html",
            message=None,
            totp=bool(user.totp_secret),
            passkeys=has_passkeys,
        )
    code = (request.form.get("code") or "").strip()[:64]
    verdict = throttle.record_attempt("2fa:" + user.email, client_address(), now())
    db.session.commit()
    factor = None
    if verdict.allowed:
        if factors.use_totp(user, code, now()):
            factor = "totp"
        elif factors.use_recovery_code(user, code, now()):
            factor = "recovery"
    if factor is None:
        accounts.record_security(
            None,
            "sign_in_failed" if verdict.allowed else "sign_in_blocked",
            user,
            now(),
            email=user.email,
            address=client_address(),
            browser=_browser(),
            step="second factor",
        )
        db.session.commit()
        message = (
            _("This code is not right, or was already used.")
            if verdict.allowed
            else _("Too many attempts from here. Try again in a few minutes.")
        )
        page = render_template(
            "web/second_factor.html",
            message=message,
            totp=bool(user.totp_secret),
            passkeys=has_passkeys,
        )
        return page, 401 if verdict.allowed else 429
    throttle.forget_success("2fa:" + user.email, client_address())
    _finish_sign_in(user, factor)
    return redirect(next_url)


@bp.post("/login/passkey/options")
def passkey_sign_in_options() -> Any:
    """Options for navigator.credentials.get, for the user of the pending sign-in."""
    pending = _pending_user()
    if pending is None:
        raise Problem(401, "sign in with your password first")
    options, challenge = factors.authentication_options(pending[0], relying_party())
    session[CHALLENGE_KEY] = base64.b64encode(challenge).decode()
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/login/passkey")
def passkey_sign_in() -> Any:
    """The browser's passkey answer ends the sign-in (JSON in, JSON with the next page out)."""
    pending = _pending_user()
    challenge = session.pop(CHALLENGE_KEY, None)
    if pending is None or not isinstance(challenge, str):
        return jsonify({"error": "sign in with your password first"}), 401
    user, next_url = pending
    answer = request.get_json(silent=True)
    try:
        if not isinstance(answer, dict):
            raise factors.FactorError("the passkey answer is not JSON")
        factors.use_passkey(user, answer, base64.b64decode(challenge), relying_party(), now())
    except factors.FactorError as exc:
        accounts.record_security(
            None,
            "sign_in_failed",
            user,
            now(),
            email=user.email,
            address=client_address(),
            browser=_browser(),
            step="passkey",
        )
        db.session.commit()
        return jsonify({"error": str(exc)}), 401
    _finish_sign_in(user, "passkey")
    return jsonify({"next": next_url})


@bp.post("/logout")
def logout() -> Response:
    """End this browser's server session (a copied cookie stops working too)."""
    user = g.get("user")
    if user is not None:
        accounts.record_security(
            user, "session_ended", user, now(), reason="signed out", address=client_address()
        )
    end_session("signed out")
    db.session.commit()
    return redirect(url_for("web.login"))
