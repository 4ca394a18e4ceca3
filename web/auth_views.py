"""Signing in and out."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from common.clock import now
from common.db import db
from common.errors import Problem
from directory import accounts
from web import bp
from web.session import end_session, safe_next, start_session


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """E-mail and password; repeated failures lock the account for a while."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("web/login.html", email="", next_url=next_url, message=None)
    email = (request.form.get("email") or "").strip()
    try:
        user = accounts.authenticate_password(email, request.form.get("password") or "", now())
    except Problem as problem:
        if problem.status == 429:
            minutes = max(1, -(-int(problem.headers.get("Retry-After", "60")) // 60))
            message = _(
                "Too many failed attempts: this account is locked. Try again in %(minutes)s "
                "minutes or ask the secretariat.",
                minutes=minutes,
            )
        else:
            message = _("Wrong e-mail or password.")
        page = render_template("web/login.html", email=email, next_url=next_url, message=message)
        return page, problem.status
    start_session(user)
    db.session.commit()
    return redirect(next_url)


@bp.post("/logout")
def logout() -> Response:
    end_session()
    return redirect(url_for("web.login"))
