"""The secretariat's network settings page: how long a Party's confirmation holds, when it turns
due, and the grace period after it ends (docs/freshness.md).

The API's schema (`mail.api.SettingsIn`) validates the form and the API's service
(`directory.freshness.set_settings`) writes and audits each change, as
`PATCH /api/v1/network-settings` does. The form sends back the values it showed, so only the
settings the user changed are written (a PATCH of what changed, never a rewrite of the rest), and
the settings' version it showed, as the API's If-Match does: when someone saved the settings
meanwhile, nothing is written and the page says what changed, keeping what the user typed.
"""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from common.clock import now
from common.db import db
from common.errors import Problem
from common.i18n import N_
from directory import freshness
from mail.api import SettingsIn
from web import bp, forms, hooks
from web.field_labels import field_label
from web.session import current_user, secretariat_only

#: Each setting and what it does, in the page's order (labels: `web.field_labels`).
SETTINGS = {
    "confirmation_validity_months": N_(
        "How long a Party's confirmation of its entries holds. Applies to confirmations made "
        "from now on: those already made keep their end date."
    ),
    "confirmation_due_soon_days": N_(
        "The entries are flagged “confirmation due soon” this many days before the end."
    ),
    "confirmation_grace_days": N_(
        "After the end, the entries stay “confirmation overdue” this many days, then count as "
        "not confirmed."
    ),
}
_NUMBER = re.compile(r"-?\d{1,18}")
#: The hidden field carrying the settings' version the form showed.
VERSION = "_version"


def _shown(key: str) -> str:
    return f"shown_{key}"


def _form_data(form: MultiDict) -> dict[str, Any]:
    """Whole numbers become ints; anything else goes to the schema, which names the field."""
    data: dict[str, Any] = {}
    for key in SETTINGS:
        raw = (form.get(key) or "").strip()
        data[key] = int(raw) if _NUMBER.fullmatch(raw) else raw
    return data


def _page(
    state: forms.FormState, status: int = 200, conflict: list[dict[str, str]] | None = None
) -> tuple[str, int]:
    fields = [
        {
            "name": key,
            "label": field_label(key),
            "hint": _(
                "%(hint)s From %(low)s to %(high)s; default %(default)s.",
                hint=_(hint),
                low=freshness.LIMITS[key][0],
                high=freshness.LIMITS[key][1],
                default=freshness.DEFAULTS[key],
            ),
        }
        for key, hint in SETTINGS.items()
    ]
    page = render_template(
        "web/network_settings.html", state=state, fields=fields, conflict=conflict
    )
    return page, status


def _current_values() -> MultiDict:
    values: MultiDict[str, str] = MultiDict()
    # The version before the values: a change saved between the two reads makes the next save
    # a conflict (safe), never a silent overwrite.
    values[VERSION] = str(freshness.settings_version())
    for key in SETTINGS:
        value = str(freshness.setting(key))
        values[key] = value
        values[_shown(key)] = value
    return values


def _sent_version(form: MultiDict) -> int:
    raw = (form.get(VERSION) or "").strip()
    return int(raw) if _NUMBER.fullmatch(raw) else -1  # no version read: no version matches


@bp.get("/secretariat/network-settings")
@secretariat_only
def network_settings() -> tuple[str, int]:
    """The confirmation policy as it stands, in a form (secretariat)."""
    return _page(forms.FormState(_current_values()))


@bp.post("/secretariat/network-settings")
@secretariat_only
def save_network_settings() -> Any:
    """Change the settings the user changed (secretariat), if nobody saved them since the form
    was shown; each change is audited."""
    form = request.form
    db.session.commit()  # end the read the sign-in opened: the writes below take the lock
    try:
        loaded = forms.load(SettingsIn(), _form_data(form))
        changed = {k: v for k, v in loaded.items() if form.get(_shown(k)) != str(v)}
        if changed:
            freshness.set_settings(
                current_user(), changed, now(), expected_version=_sent_version(form)
            )
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        if problem.status in (401, 403, 404):
            raise
        return _page(forms.failed(problem, form.copy()), problem.status)
    except StaleDataError:
        db.session.rollback()
        return _conflict(form)
    if changed:
        flash(_("The network settings are saved."), "success")
    else:
        flash(_("Nothing was changed: the form showed these values already."), "success")
    return redirect(url_for("web.network_settings"), 303)


def _conflict(form: MultiDict) -> tuple[str, int]:
    """The form again after someone saved the settings since it was shown: what they changed,
    the user's own changes kept, the others' new values in the rest (so saving again does not
    put back what the user never touched)."""
    current = _current_values()
    stored = freshness.stored_settings()
    values = current.copy()
    meanwhile = []
    for key in SETTINGS:
        typed, shown = (form.get(key) or "").strip(), (form.get(_shown(key)) or "").strip()
        if typed != shown:
            values[key] = form.get(key) or ""
        if shown != current[key]:
            row = stored.get(key)
            meanwhile.append(
                {
                    "label": field_label(key),
                    "shown": shown,
                    "now": current[key],
                    "by": row.updated_by if row is not None else "",
                }
            )
    return _page(forms.FormState(values), 409, conflict=meanwhile)


def register_hooks() -> None:
    """The page in the secretariat's menu."""
    if all(endpoint != "web.network_settings" for endpoint, _label in hooks.SECRETARIAT_LINKS):
        hooks.SECRETARIAT_LINKS.append(
            ("web.network_settings", lazy_gettext(N_("Network settings")))
        )
