"""The secretariat's pages: coverage gaps, the audit log, users and API tokens."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from common.clock import now
from common.db import db
from common.errors import Problem
from directory import accounts, schemas
from directory import service as directory
from directory.audit import list_changes, record_change
from directory.models import AuditEntry, User
from rota import lookup
from web import bp, forms
from web import formatting as fmt
from web.labels import ENTITIES
from web.party import party_zone
from web.session import current_user, secretariat_only, viewer_zone

GAP_DAYS = 30
AUDIT_PAGE = 50


@bp.get("/secretariat/gaps")
@secretariat_only
def gaps() -> str:
    """Every hole in 24/7 coverage across the network in the next 30 days."""
    all_tiers = request.args.get("all_tiers") == "on"
    since = now().replace(microsecond=0)
    until = since + timedelta(days=GAP_DAYS)
    found = sorted(
        lookup.coverage_gaps(since, until, all_tiers=all_tiers),
        key=lambda g: (g.start, fmt.country(g.party.iso2, g.party.name)),
    )
    zones = {g.party.id: party_zone(g.party) for g in found}
    hours = sum((g.end - g.start).total_seconds() for g in found) / 3600
    return render_template(
        "web/gaps.html",
        gaps=found,
        zones=zones,
        since=since,
        until=until,
        all_tiers=all_tiers,
        total_hours=hours,
        parties=len({g.party.id for g in found}),
        days=GAP_DAYS,
    )


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "…"


_NAME_KEYS = ("full_name", "name", "unit_name", "email", "month")
_PERSON_KEYS = ("person_id", "members")


def record_name(entry: AuditEntry, names: dict[int, str]) -> str:
    """What a change was made to, by name where the record says it ('Anne Dupont'), else '#12'."""
    for state in (entry.after or {}, entry.before or {}):
        for key in _NAME_KEYS:
            if isinstance(state.get(key), str) and state[key]:
                return state[key]
        if isinstance(state.get("person_id"), int) and state["person_id"] in names:
            return names[state["person_id"]]
    return f"#{entry.entity_id}" if entry.entity_id else ""


def people_named(entries: list[AuditEntry]) -> dict[int, str]:
    """The names of the people the entries point to by id (one query for the page)."""
    ids: set[int] = set()
    for entry in entries:
        for state in (entry.before or {}, entry.after or {}):
            for key in _PERSON_KEYS:
                value = state.get(key)
                values = value if isinstance(value, list) else [value]
                ids.update(v for v in values if isinstance(v, int))
            for rotation in state.get("rotations") or []:
                if isinstance(rotation, dict):
                    ids.update(v for v in rotation.get("members", []) if isinstance(v, int))
    return {pid: p.full_name for pid, p in directory.people_by_id(ids).items()}


def _named_value(key: str, value: Any, names: dict[int, str]) -> Any:
    if key == "rotations" and isinstance(value, list):
        return "; ".join(
            " → ".join(names.get(v, f"#{v}") for v in r.get("members", []) if isinstance(v, int))
            for r in value
            if isinstance(r, dict)
        )
    if key in _PERSON_KEYS and isinstance(value, int):
        return names.get(value, f"#{value}")
    if key in _PERSON_KEYS and isinstance(value, list):
        return ", ".join(names.get(v, f"#{v}") if isinstance(v, int) else str(v) for v in value)
    return value


def changes_of(
    entry: AuditEntry, names: dict[int, str] | None = None
) -> list[tuple[str, str, str]]:
    """(field, before, after) for each top-level field that differs; people by name."""
    before, after = entry.before or {}, entry.after or {}
    names = names or {}
    keys = [k for k in {**before, **after} if k not in ("updated_at", "id", "version")]
    return [
        (
            k,
            _short(_named_value(k, before.get(k, ""), names)),
            _short(_named_value(k, after.get(k, ""), names)),
        )
        for k in keys
        if before.get(k) != after.get(k)
    ]


@bp.get("/secretariat/audit")
@secretariat_only
def audit() -> Any:
    """Who changed what and when, newest first; filter by Party and kind of record."""
    raw = {k: v for k, v in request.args.items() if v and k in ("party", "entity", "before_id")}
    state = forms.FormState(MultiDict(raw))
    try:
        args = forms.load(schemas.AuditQuery(), {**raw, "limit": AUDIT_PAGE})
        party = directory.get_party(args["party"]) if args.get("party") else None
    except Problem as problem:
        state = forms.failed(problem, MultiDict(raw))
        args, party = {"limit": AUDIT_PAGE}, None
    entries = list_changes(
        party=party,
        entity=args.get("entity"),
        limit=args["limit"],
        before_id=args.get("before_id"),
    )
    parties = directory.list_parties()
    return render_template(
        "web/audit.html",
        entries=entries,
        changes_of=changes_of,
        record_name=record_name,
        names=people_named(entries),
        state=state,
        party_options=sorted(
            ((p.iso2, fmt.country(p.iso2, p.name)) for p in parties), key=lambda t: t[1]
        ),
        iso_of={p.id: p.iso2 for p in parties},
        entity_options=ENTITIES,
        older=entries[-1].id if len(entries) == AUDIT_PAGE else None,
        zone=viewer_zone(),
    )


# --- users and tokens ------------------------------------------------------------------------


def _users_page(state: forms.FormState, status: int = 200) -> Any:
    parties = directory.list_parties()
    page = render_template(
        "web/users.html",
        users=accounts.list_users(),
        state=state,
        party_options=sorted(
            ((p.iso2, fmt.country(p.iso2, p.name)) for p in parties), key=lambda t: t[1]
        ),
        at=now(),
    )
    return page, status


@bp.get("/secretariat/users")
@secretariat_only
def users() -> Any:
    return _users_page(forms.FormState(MultiDict({"role": "member"})))


def _user_audit(actor: User, action: str, user: User, before: Any, after: Any) -> None:
    record_change(
        actor,
        action,
        "user",
        user.id,
        party_id=user.party_id,
        before=before,
        after=after,
        now=now(),
    )


def _user_view(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "role": user.role,
        "party": user.party.iso2 if user.party else None,
        "active": user.active,
    }


@bp.post("/secretariat/users/new")
@secretariat_only
def new_user() -> Any:
    """An account for someone, who sets their own password through a one-time link."""
    form = request.form
    email = forms.text_or_none(form, "email") or ""
    role = form.get("role") or ""
    party_iso2 = forms.text_or_none(form, "party")
    try:
        party = directory.get_party(party_iso2) if party_iso2 else None
        try:
            user = accounts.create_user(email, role, now(), party=party)
        except ValueError as exc:
            raise Problem(422, str(exc), errors=[_user_error(str(exc))]) from None
        _user_audit(current_user(), "create", user, None, _user_view(user))
        link, mailed = _password_link(user)
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        return _users_page(forms.failed(problem, form.copy()), problem.status)
    flash(_("The account %(email)s is created.", email=user.email), "success")
    if mailed:
        flash(
            _("A link to set a new password is e-mailed to %(email)s.", email=user.email), "success"
        )
    return _user_detail(user, link=None if mailed else link)


def _password_link(user: User) -> tuple[str, bool]:
    """A one-time set-password link (24 h), e-mailed when mail is set up; (url, mailed)."""
    secret = accounts.create_password_link(user, now())
    url = current_app.config["PUBLIC_BASE_URL"] + url_for("web.set_password_page", token=secret)
    accounts.record_security(current_user(), "password_link", user, now())
    return url, accounts.send_password_link(user, url)


def _user_error(reason: str) -> dict[str, str]:
    """Which field a reason from accounts.create_user / set_password is about."""
    if "password" in reason:
        field = "password"
    elif "party" in reason:
        field = "party"
    elif "role" in reason:
        field = "role"
    else:
        field = "email"
    return {"field": field, "reason": reason}


def _user_detail(
    user: User,
    *,
    secret: str | None = None,
    link: str | None = None,
    state: forms.FormState | None = None,
    status: int = 200,
) -> Any:
    from directory import factors, sessions

    page = render_template(
        "web/user.html",
        user=user,
        tokens=accounts.list_tokens(user),
        secret=secret,
        link=link,
        state=state or forms.FormState(),
        at=now(),
        has_factor=factors.has_second_factor(user),
        passkey_count=len(factors.passkeys_of(user)),
        sign_ins=sessions.recent_sessions(user, 5),
    )
    return page, status


@bp.get("/secretariat/users/<int:user_id>")
@secretariat_only
def user_page(user_id: int) -> Any:
    return _user_detail(accounts.get_user(user_id))


@bp.post("/secretariat/users/<int:user_id>/password")
@secretariat_only
def user_password(user_id: int) -> Any:
    """A password reset: a one-time link for the user (the secretariat never knows the password)."""
    user = accounts.get_user(user_id)
    link, mailed = _password_link(user)
    db.session.commit()
    if mailed:
        flash(
            _("A link to set a new password is e-mailed to %(email)s.", email=user.email), "success"
        )
        return redirect(url_for("web.user_page", user_id=user.id))
    return _user_detail(user, link=link)


@bp.post("/secretariat/users/<int:user_id>/sign-out")
@secretariat_only
def user_sign_out(user_id: int) -> Response:
    """End every session of the user at once (a lost laptop, a departure)."""
    from directory import sessions

    user = accounts.get_user(user_id)
    count = sessions.end_user_sessions(user, now(), "signed out by the secretariat", current_user())
    accounts.record_security(
        current_user(),
        "session_ended",
        user,
        now(),
        reason="signed out by the secretariat",
        count=count,
    )
    db.session.commit()
    flash(_("Every session of this account is ended."), "success")
    return redirect(url_for("web.user_page", user_id=user.id))


@bp.post("/secretariat/users/<int:user_id>/reset-factors")
@secretariat_only
def user_reset_factors(user_id: int) -> Response:
    """Forget the user's app, passkeys and recovery codes (a lost phone); their sessions end."""
    from directory import factors, sessions

    user = accounts.get_user(user_id)
    factors.reset_factors(user)
    sessions.end_user_sessions(user, now(), "second factor reset", current_user())
    accounts.record_security(current_user(), "factors_reset", user, now())
    db.session.commit()
    flash(_("The second factors of this account are reset."), "success")
    return redirect(url_for("web.user_page", user_id=user.id))


@bp.post("/secretariat/users/<int:user_id>/active")
@secretariat_only
def user_active(user_id: int) -> Response:
    """Switch an account off or on (on also lifts a lockout)."""
    user = accounts.get_user(user_id)
    if user.id == current_user().id:
        flash(_("You cannot switch off your own account."), "error")
        return redirect(url_for("web.user_page", user_id=user.id))
    before = _user_view(user)
    accounts.set_active(user, request.form.get("active") == "on")
    _user_audit(current_user(), "update", user, before, _user_view(user))
    if not user.active:
        from directory import sessions

        sessions.end_user_sessions(user, now(), "deactivated", current_user())
    db.session.commit()
    flash(_("The account is updated."), "success")
    return redirect(url_for("web.user_page", user_id=user.id))


@bp.post("/secretariat/users/<int:user_id>/tokens")
@secretariat_only
def new_token(user_id: int) -> Any:
    """A new API token: its secret is shown on this answer only, never stored or shown again."""
    user = accounts.get_user(user_id)
    name = (forms.text_or_none(request.form, "name") or "web")[:100]
    days = (request.form.get("expires_in_days") or "").strip()
    if days and (not days.isdigit() or not 1 <= int(days) <= 3650):
        reason = "expiry must be a whole number of days from 1 to 3650"
        problem = Problem(422, reason, errors=[{"field": "expires_in_days", "reason": reason}])
        return _user_detail(user, state=forms.failed(problem, request.form.copy()), status=422)
    expires_at = now() + timedelta(days=int(days)) if days else None
    token, secret = accounts.create_token(user, name, now(), expires_at=expires_at)
    accounts.record_security(
        current_user(),
        "token_created",
        user,
        now(),
        token=token.id,
        name=name,
        expires_at=expires_at.isoformat() if expires_at else None,
    )
    db.session.commit()
    return _user_detail(user, secret=secret)


@bp.post("/secretariat/tokens/<int:token_id>/revoke")
@secretariat_only
def revoke_token(token_id: int) -> Response:
    token = accounts.get_token(token_id)
    accounts.revoke_token(token, now())
    accounts.record_security(current_user(), "token_revoked", token.user, now(), token=token.id)
    db.session.commit()
    flash(_("The token is revoked."), "success")
    return redirect(url_for("web.user_page", user_id=token.user_id))
