"""The campaign page's e-mail test (issue 15): the secretariat asks every Party's contact point to
acknowledge a test e-mail, and the page shows who did and how fast, against 8 hours.

The same service as `POST /api/v1/campaigns/{id}/email-test` (`reachability.email_test`): the
page parses nothing, calls it, commits and says what was queued.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from common.clock import now
from common.db import db
from directory import service as directory
from directory.models import Party
from reachability import email_test
from reachability.health import ACK_TARGET_S
from reachability.models import Slot
from web import bp
from web import formatting as fmt
from web.board import fold
from web.session import current_user, secretariat_only, viewer_zone


def _row(party: Party, test: email_test.EmailTest | None, at: datetime) -> dict[str, Any]:
    """One Party's line of the table: where its test stands, in words."""
    row: dict[str, Any] = {"party": party, "test": test}
    if test is None:
        cp = party.contact_point_at(at)
        row["state"] = "not-tested"
        row["no_address"] = not (cp and cp.email)
    elif test.acknowledged_at is not None:
        row["state"] = "within" if test.within_target else "late"
        row["took"] = fmt.duration(timedelta(seconds=test.seconds_to_ack or 0))
    else:
        row["state"] = "overdue" if test.overdue(at) else "waiting"
        row["waited"] = fmt.duration(timedelta(seconds=test.waited_s(at)))
    return row


@bp.app_template_global("campaign_email_section")
def campaign_email_section(campaign_id: int, slots: list[Slot]) -> Markup:
    """The e-mail test section of a campaign's page (its slots, Parties loaded): the secretariat
    sees every Party and the button, a Party administrator their own Party's line, members
    nothing."""
    user = current_user()
    if user.role not in ("secretariat", "party_admin"):
        return Markup("")
    tests = email_test.campaign_email_tests(campaign_id)
    parties = [slot.party for slot in slots]
    if user.role != "secretariat":
        parties = [p for p in parties if p.id == user.party_id]
    parties.sort(key=lambda p: fold(fmt.country(p.iso2, p.name)))
    if any(p.id not in tests for p in parties):
        directory.list_parties()  # the untested Parties' designations, in one query, not one each
    at = now()
    return Markup(  # noqa: S704 -- template output, escaped by Jinja
        render_template(
            "web/campaign_email_section.html",
            campaign_id=campaign_id,
            rows=[_row(p, tests.get(p.id), at) for p in parties],
            target_hours=ACK_TARGET_S // 3600,
            can_send=user.role == "secretariat",
            zone=viewer_zone(),
        )
    )


@bp.post("/campaigns/<int:campaign_id>/email-test")
@secretariat_only
def campaign_email_test(campaign_id: int) -> Response:
    """Queue the campaign's test e-mails (secretariat), then back to the campaign's page."""
    db.session.commit()  # end the read the sign-in opened: the writes below take the lock
    queued = email_test.send_campaign_email_test(
        current_user(), campaign_id, now(), current_app.config
    )
    db.session.commit()
    if queued:
        flash(
            _(
                "Test e-mails queued: %(count)s (%(to_whom)s). Each contact point is asked to "
                "click “Received”; the times show below.",
                count=len(queued),
                to_whom="; ".join(f"{fmt.country(q.iso2)} → {q.address}" for q in queued),
            ),
            "success",
        )
    else:
        flash(
            _(
                "No test e-mail was queued: every Party of this campaign was already tested in "
                "it, or its contact point has no e-mail address."
            ),
            "error",
        )
    return redirect(url_for("web.campaign", campaign_id=campaign_id, _anchor="email-test"), 303)
