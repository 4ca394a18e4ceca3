"""Calendar pages: "Subscribe" on the Party page and next to each person, a network-wide
feed from one's own subscriptions page, and those subscriptions.

Every step is `calendars.service` (the service behind `/api/v1/calendar-subscriptions`): the form
is validated by the API's schema, the rights are the service's (`subscription_refusal`). A new
feed's URL carries its secret: it is shown in the answer to the POST only, never flashed into
the cookie nor stored anywhere but as the service's hash.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from calendars import service as calendars
from calendars.api import SubscriptionIn
from common.clock import now
from common.db import db
from directory import service as directory
from directory.models import Party, Person, User
from web import bp, forms, hooks
from web.session import current_user

PARTY_SCOPE = "party"
PERSON_SCOPE = "person"
NETWORK_SCOPE = "network"
#: The tiers the network form offers (the API accepts more).
NETWORK_TIERS = (1, 2, 3)


def may_include_contacts(user: User, scope: str = PARTY_SCOPE) -> bool:
    """Whether this user may have phone numbers and e-mail in such a feed (service rule)."""
    return calendars.subscription_refusal(user, scope, True) is None


def subscribe_section(party: Party, user: User) -> Markup:
    """The Party page's "Subscribe" card (a hook of `web.hooks.PARTY_SECTIONS`)."""
    return Markup(  # noqa: S704 -- template output, escaped by Jinja
        render_template(
            "web/calendar_party_section.html",
            party=party,
            contacts_allowed=may_include_contacts(user),
        )
    )


@bp.post("/parties/<iso2>/calendar-subscriptions")
def subscribe_party(iso2: str) -> Any:
    """Create a feed of this Party's rota (tier 1 or every tier); show its link this once."""
    party = directory.get_party(iso2)
    user = current_user()
    tiers = request.form.get("tiers", "all")
    data: dict[str, Any] = {
        "scope": PARTY_SCOPE,
        "party": party.iso2,
        "include_contacts": request.form.get("include_contacts") == "on",
    }
    if tiers != "all":
        data["tiers"] = [int(tiers) if tiers.isdecimal() else tiers]
    return _subscribe(user, data, party=party)


def _subscribe(
    user: User, data: dict[str, Any], party: Party | None = None, person: Person | None = None
) -> tuple[str, int]:
    """Validate with the API's schema, create the feed, commit; its link shown this once."""
    sub, secret = calendars.create_subscription(user, forms.load(SubscriptionIn(), data), now())
    db.session.commit()
    url = calendars.feed_url(secret)
    page = render_template(
        "web/calendar_subscribed.html",
        sub=sub,
        name=calendars.calendar_name(sub),
        url=url,
        webcal=calendars.webcal_url(url),
        party=party,
        person=person,
    )
    return page, 201


def person_action(person: Person, user: User) -> Markup:
    """A "Subscribe to this person's shifts" form next to a person (`web.hooks.PERSON_ACTIONS`)."""
    return Markup(  # noqa: S704 -- template output, escaped by Jinja
        render_template(
            "web/calendar_person_action.html",
            person=person,
            contacts_allowed=may_include_contacts(user, PERSON_SCOPE),
        )
    )


@bp.post("/people/<int:person_id>/calendar-subscriptions")
def subscribe_person(person_id: int) -> Any:
    """Create a feed of this person's shifts on every rota; show its link this once."""
    person = directory.get_person(person_id)
    data = {
        "scope": PERSON_SCOPE,
        "person_id": person.id,
        "include_contacts": request.form.get("include_contacts") == "on",
    }
    return _subscribe(current_user(), data, person=person)


@bp.post("/calendar-subscriptions/network")
def subscribe_network() -> Any:
    """Create a feed of every Party's rotas in the chosen tiers; show its link this once."""
    tiers = request.form.getlist("tiers")
    if not tiers:
        # The schema would refuse an empty list in words meant for text ("… characters long").
        message = _("Choose at least one tier.")
        return render_template("web/error.html", status=422, message=message), 422
    data = {
        "scope": NETWORK_SCOPE,
        # Anything but digits goes to the schema as text, so that it is refused there.
        "tiers": [int(t) if t.isdecimal() else t for t in tiers],
        "include_contacts": request.form.get("include_contacts") == "on",
    }
    return _subscribe(current_user(), data)


@bp.get("/calendar-subscriptions")
def calendar_subscriptions() -> str:
    """The viewer's live calendar subscriptions, with when each was made and last fetched."""
    user = current_user()
    subs = calendars.list_subscriptions(user)
    return render_template(
        "web/calendar_subscriptions.html",
        subs=[calendars.present_subscription(s) | {"record": s} for s in subs],
        network_tiers=NETWORK_TIERS,
        contacts_allowed=may_include_contacts(user, NETWORK_SCOPE),
    )


@bp.post("/calendar-subscriptions/<int:subscription_id>/revoke")
def revoke_calendar_subscription(subscription_id: int) -> Response:
    """Revoke one of one's subscriptions: its link stops working at once."""
    user = current_user()
    sub = calendars.get_subscription(user, subscription_id)
    name = calendars.calendar_name(sub)
    calendars.revoke_subscription(user, sub, now())
    db.session.commit()
    flash(_("“%(name)s” is revoked: its link no longer works.", name=name), "success")
    return redirect(url_for("web.calendar_subscriptions"))


def register_hooks() -> None:
    """Put the "Subscribe" card on the Party page and the person form next to each person
    (once, however many apps are made)."""
    if subscribe_section not in hooks.PARTY_SECTIONS:
        hooks.PARTY_SECTIONS.insert(0, subscribe_section)
    if person_action not in hooks.PERSON_ACTIONS:
        hooks.PERSON_ACTIONS.append(person_action)
