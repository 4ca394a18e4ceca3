"""/account/security: one's own password, second factors, recent sign-ins, and password links."""

from __future__ import annotations

import base64
from typing import Any

from flask import (
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from common.auth import check_password
from common.clock import now
from common.db import db
from common.errors import Problem
from directory import accounts, factors, sessions
from directory.models import User
from web import bp, forms
from web.auth_views import CHALLENGE_KEY, relying_party
from web.session import current_user, end_session

TOTP_PENDING_KEY = "totp_pending"


def mail_password_link(user: User, url: str) -> bool:
    """Queue the one-time link as an e-mail in the user's language when outgoing mail is
    configured (else: shown once)."""
    if not current_app.config.get("MAIL_SERVER"):
        return False
    from mail.passwords import queue_password_link

    queue_password_link(user, url, now())
    return True


if mail_password_link not in accounts.PASSWORD_LINK_SENDERS:
    accounts.PASSWORD_LINK_SENDERS.append(mail_password_link)


def _page(
    *,
    state: forms.FormState | None = None,
    status: int = 200,
    codes: list[str] | None = None,
    totp_secret: str | None = None,
) -> Any:
    user = current_user()
    uri = factors.totp_uri(totp_secret, user.email) if totp_secret else None
    page = render_template(
        "web/account_security.html",
        user=user,
        state=state or forms.FormState(),
        codes=codes,
        totp_uri=uri,
        totp_qr=factors.qr_data_url(uri) if uri else None,
        codes_left=factors.recovery_codes_left(user),
        passkeys=factors.passkeys_of(user),
        sign_ins=sessions.recent_sessions(user),
        this_session=g.get("session_id"),
        required=current_app.config.get("REQUIRE_SECOND_FACTOR")
        and not factors.has_second_factor(user),
    )
    return page, status


def _factor_changed(user: User, action: str, **details: Any) -> None:
    """Audit a factor change and end the user's other sessions (ASVS 3.3.3 offers it; we do it)."""
    accounts.record_security(user, action, user, now(), **details)
    ended = sessions.end_user_sessions(user, now(), action, user, keep=g.get("session_id"))
    if ended:
        accounts.record_security(user, "session_ended", user, now(), reason=action, count=ended)


@bp.get("/account/security")
def account_security() -> Any:
    """The signed-in user's own security page."""
    return _page(totp_secret=session.get(TOTP_PENDING_KEY))


@bp.post("/account/password")
def change_password() -> Any:
    """A new password, after the current one; other sessions end."""
    user = current_user()
    form = request.form
    try:
        accounts.change_password(
            user, form.get("current_password") or "", form.get("new_password") or "", now()
        )
    except Problem as problem:
        db.session.rollback()
        return _page(state=forms.failed(problem, MultiDict()), status=problem.status)
    _factor_changed(user, "password_changed")
    db.session.commit()
    flash(_("Your password is changed. Your other sessions are signed out."), "success")
    return redirect(url_for("web.account_security"))


@bp.post("/account/totp/start")
def totp_start() -> Any:
    """A new secret to scan; kept in the signed session until a first code confirms it."""
    session[TOTP_PENDING_KEY] = factors.new_totp_secret()
    return redirect(url_for("web.account_security") + "#totp")


@bp.post("/account/totp/confirm")
def totp_confirm() -> Any:
    """The first code proves the app holds the secret; recovery codes are shown once."""
    user = current_user()
    secret = session.get(TOTP_PENDING_KEY)
    if not isinstance(secret, str):
        return redirect(url_for("web.account_security"))
    try:
        factors.enable_totp(user, secret, request.form.get("code") or "", now())
    except factors.FactorError as exc:
        problem = Problem(422, str(exc), errors=[{"field": "code", "reason": str(exc)}])
        return _page(state=forms.failed(problem, MultiDict()), status=422, totp_secret=secret)
    session.pop(TOTP_PENDING_KEY, None)
    codes = factors.new_recovery_codes(user, now())
    _factor_changed(user, "factor_added", factor="totp")
    db.session.commit()
    return _page(codes=codes)


def _password_confirmed(user: User) -> bool:
    """Removing a factor asks for the password again: a borrowed session cannot weaken it."""
    if check_password(user.password_hash, request.form.get("current_password") or ""):
        return True
    flash(_("To remove a second factor, type your current password."), "error")
    return False


@bp.post("/account/totp/remove")
def totp_remove() -> Response:
    user = current_user()
    if user.totp_secret and _password_confirmed(user):
        factors.disable_totp(user)
        if not factors.passkeys_of(user):
            factors.clear_recovery_codes(user)
        _factor_changed(user, "factor_removed", factor="totp")
        db.session.commit()
        flash(_("The authenticator app is removed."), "success")
    return redirect(url_for("web.account_security"))


@bp.post("/account/recovery-codes")
def recovery_codes() -> Any:
    """New recovery codes (the old ones stop working); shown once."""
    user = current_user()
    if not factors.has_second_factor(user):
        return redirect(url_for("web.account_security"))
    codes = factors.new_recovery_codes(user, now())
    accounts.record_security(user, "factor_added", user, now(), factor="recovery codes")
    db.session.commit()
    return _page(codes=codes)


@bp.post("/account/passkeys/options")
def passkey_options() -> Any:
    """Options for navigator.credentials.create; the challenge waits in the signed session."""
    options, challenge = factors.registration_options(current_user(), relying_party())
    session[CHALLENGE_KEY] = base64.b64encode(challenge).decode()
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/account/passkeys")
def passkey_add() -> Any:
    """Keep the passkey the browser just made (JSON in; JSON out)."""
    user = current_user()
    challenge = session.pop(CHALLENGE_KEY, None)
    body = request.get_json(silent=True)
    if not isinstance(challenge, str) or not isinstance(body, dict):
        return jsonify({"error": "ask for the options first"}), 400
    name = str(body.get("name") or "passkey")
    try:
        passkey = factors.add_passkey(
            user,
            body.get("credential") or {},
            base64.b64decode(challenge),
            relying_party(),
            name,
            now(),
        )
    except factors.FactorError as exc:
        return jsonify({"error": str(exc)}), 422
    _factor_changed(user, "factor_added", factor="passkey", name=passkey.name)
    db.session.commit()
    return jsonify({"id": passkey.id, "next": url_for("web.account_security")}), 201


@bp.post("/account/passkeys/<int:passkey_id>/remove")
def passkey_remove(passkey_id: int) -> Response:
    user = current_user()
    if not _password_confirmed(user):
        return redirect(url_for("web.account_security"))
    passkey = factors.remove_passkey(user, passkey_id)
    if passkey is not None:
        if not factors.has_second_factor(user):
            factors.clear_recovery_codes(user)
        _factor_changed(user, "factor_removed", factor="passkey", name=passkey.name)
        db.session.commit()
        flash(_("The passkey is removed."), "success")
    return redirect(url_for("web.account_security"))


@bp.post("/account/sign-out-everywhere")
def sign_out_everywhere() -> Response:
    """End every session of this user, this one included."""
    user = current_user()
    count = sessions.end_user_sessions(user, now(), "signed out everywhere", user)
    accounts.record_security(
        user, "session_ended", user, now(), reason="signed out everywhere", count=count
    )
    end_session()
    db.session.commit()
    return redirect(url_for("web.login"))


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
def set_password_page(token: str) -> Any:
    """A one-time link from the secretariat: choose one's own password, then sign in."""
    user = accounts.password_link_user(token, now())
    if user is None:
        return render_template("web/set_password.html", user=None, state=forms.FormState()), 404
    if request.method == "GET":
        return render_template("web/set_password.html", user=user, state=forms.FormState())
    try:
        accounts.use_password_link(token, request.form.get("new_password") or "", now())
    except Problem as problem:
        db.session.rollback()
        if problem.status == 422:
            problem.errors = [{"field": "new_password", "reason": problem.detail}]
        state = forms.failed(problem, MultiDict())
        return render_template("web/set_password.html", user=user, state=state), problem.status
    sessions.end_user_sessions(user, now(), "password set by link", None)
    accounts.record_security(None, "password_changed", user, now(), by="one-time link")
    db.session.commit()
    flash(_("Your password is set. Sign in with it now."), "success")
    return redirect(url_for("web.login"))
