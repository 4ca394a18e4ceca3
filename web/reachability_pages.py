"""Reachability pages: test calls from the Party page, its history, and the campaigns.

Every step is `reachability.service` (with `reachability.dialer` placing the call after the
commit, as the JSON API does) and `reachability.present` (the API's own shapes and the CSV), so
the pages can never tell another story than the API. Scripts follow a call or a campaign by
reading the API (`/api/v1/reachability/…`) with the session cookie.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_skeleton
from babel.numbers import format_percent
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from common.clock import now
from common.db import db
from common.errors import Problem
from common.i18n import N_
from directory import service as directory
from directory.access import can_edit_party
from directory.models import Party, Person, User
from directory.present import sorted_phones
from reachability import planning, quotas, service, tollfraud
from reachability.dialer import Dialer
from reachability.models import REACHED, Campaign
from reachability.present import (
    present_attempt,
    present_campaign,
    present_party_reachability,
    present_report,
    progress,
    report_csv,
)
from reachability.schemas import CampaignIn
from reachability.settings import setting
from web import bp, forms, hooks
from web import formatting as fmt
from web.board import fold
from web.messages import translate_reason, translated
from web.session import current_user, secretariat_only, viewer_zone

#: Test calls shown on a Party page (the newest); the API has them all.
HISTORY_ROWS = 20
#: Months in the reach-rate chart.
CHART_MONTHS = 12
#: How often the pages' script reads a call's or a campaign's state (milliseconds).
CALL_POLL_MS = 1500
CAMPAIGN_POLL_MS = 5000

OUTCOMES = {
    "confirmed": N_("confirmed (pressed 1)"),
    "answered": N_("answered, did not press 1"),
    "voicemail": N_("voicemail"),
    "busy": N_("busy"),
    "no-answer": N_("no answer"),
    "failed": N_("failed"),
    "canceled": N_("cancelled"),
    "not-tested": N_("not tested"),
}
CALL_STATES = {
    "queued": N_("waiting for a free line…"),
    "dialing": N_("dialling…"),
    "placed": N_("calling…"),
    "done": N_("finished"),
}
SLOT_STATES = {"planned": N_("planned"), "calling": N_("calling"), "done": N_("done")}
CAMPAIGN_STATUSES = {"planned": N_("planned"), "running": N_("running"), "done": N_("finished")}
WINDOWS = {"office-hours": N_("office hours"), "any-time": N_("any time (24/7)")}
KINDS = {"on_demand": N_("test call"), "campaign": N_("campaign")}

#: Reasons a finished call carries, from Twilio's events or the dialer (the scripts show them
#: too: they can only look up exact texts).
CALL_REASONS = {
    "answered without pressing 1": N_("nobody pressed 1"),
    "the call failed": N_("the call failed"),
    "answered by machine_start": N_("an answering machine picked up"),
    "answered by machine_end_beep": N_("an answering machine picked up"),
    "answered by machine_end_silence": N_("an answering machine picked up"),
    "answered by machine_end_other": N_("an answering machine picked up"),
    "answered by fax": N_("a fax machine picked up"),
    "telephony is not configured": N_("telephony is not configured"),
    "no desk line: the Party has no contact point": N_(
        "no desk line: the Party has no contact point"
    ),
    "no desk line: the contact point has no desk phone": N_(
        "no desk line: the contact point has no desk line"
    ),
}
_REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^no tier-(?P<tier>\d+) rota$"), N_("no tier-%(tier)s rota")),
    (
        re.compile(r"^gap in the tier-(?P<tier>\d+) rota at (?P<when>.+)$"),
        N_("nobody on duty in the tier-%(tier)s rota at %(when)s"),
    ),
    (
        re.compile(r"^(?P<name>.+) \(tier (?P<tier>\d+)\) has no phone number$"),
        N_("%(name)s (tier %(tier)s) has no phone number"),
    ),
    (re.compile(r"^(?P<name>.+) has no phone number to call$"), N_("%(name)s has no phone number")),
    (
        re.compile(r"^(?P<number>\+\d+) is not one of (?P<name>.+)'s numbers$"),
        N_("%(number)s is not one of %(name)s's numbers"),
    ),
    (
        re.compile(r"^(?P<month>\d{4}-\d\d) is over: no time is left to call (?P<iso2>\w+)$"),
        N_("%(month)s is over: no time is left to call %(iso2)s"),
    ),
    (re.compile(r"^must be a month such as 2026-12$"), N_("must be a month such as 2026-12")),
    (
        re.compile(r"^the month must be between 01 and 12$"),
        N_("the month must be between 01 and 12"),
    ),
    (
        re.compile(r"^the year must be between 2000 and 2200$"),
        N_("the year must be between 2000 and 2200"),
    ),
    (
        re.compile(r"^no Party has the status party: name the Parties to call$"),
        N_("no Party has the status Party: choose the Parties to call"),
    ),
    (re.compile(r"^no Party (?P<iso2>\w+)$"), N_("there is no Party %(iso2)s")),
    (re.compile(r"^(?P<iso2>[A-Z]{2}) is listed twice$"), N_("%(iso2)s is listed twice")),
    (
        re.compile(r"^no free second left in (?P<month>\d{4}-\d\d) to call (?P<iso2>\w+)$"),
        N_("no free time is left in %(month)s to call %(iso2)s"),
    ),
    (
        re.compile(r"^the call failed \(SIP (?P<sip>\d+)\)$"),
        N_("the call failed (SIP %(sip)s)"),
    ),
    # Twilio's own words for its most common refusal (error 21211).
    (
        re.compile(r"^The 'To' number (?P<number>\S+) is not a valid phone number\.$"),
        N_("%(number)s is not a valid phone number"),
    ),
    (
        re.compile(r"^telephony transport error: "),
        N_("the telephony provider could not be reached"),
    ),
]


def _pattern_of(template: str) -> re.Pattern[str]:
    """What `template % values` gives, each value a named group (a repeated one must match)."""
    parts = re.split(r"%\((\w+)\)s", template)
    seen: set[str] = set()
    out = [re.escape(parts[0])]
    for name, literal in zip(parts[1::2], parts[2::2], strict=True):
        out.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        out.append(re.escape(literal))
        seen.add(name)
    return re.compile("^" + "".join(out) + "$")


#: The services' own templates (toll fraud, quotas): the API's English is their msgid.
_TEMPLATES = [(_pattern_of(t), t) for t in (*tollfraud.REFUSALS, *quotas.SPENT.values())]
#: A campaign step whose number was refused says so before the refusal.
_NOT_CALLED = re.compile(r"^not called: (?P<reason>.+)$")


def reason_text(reason: str | None) -> str:
    """A reachability reason in the viewer's language when it is a known one."""
    if not reason:
        return ""
    refused = _NOT_CALLED.match(reason)
    if refused:
        return _("not called: %(reason)s", reason=reason_text(refused["reason"]))
    return (
        translated(reason, CALL_REASONS, _REASONS)
        or translated(reason, {}, _TEMPLATES)
        or translate_reason(reason)
    )


def _named(table: dict[str, str], code: str | None) -> str:
    return _(table[code]) if code in table else (code or "")


def outcome_name(code: str | None) -> str:
    return _named(OUTCOMES, code)


def labels() -> dict[str, dict[str, str]]:
    """Every state and outcome in the viewer's language, for the scripts that follow them."""
    return {
        "outcomes": {code: _(text) for code, text in OUTCOMES.items()},
        "states": {code: _(text) for code, text in CALL_STATES.items()},
        "slots": {code: _(text) for code, text in SLOT_STATES.items()},
        "statuses": {code: _(text) for code, text in CAMPAIGN_STATUSES.items()},
        "reasons": {reason: _(text) for reason, text in CALL_REASONS.items()},
    }


def at_text(iso_text: str | None, tz: str) -> str:
    """An ISO 8601 instant of the API's answers as the pages show it, in zone `tz`."""
    return fmt.when_long(datetime.fromisoformat(iso_text), tz) if iso_text else ""


def month_name(month: str, skeleton: str = "yMMM") -> str:
    """'2026-12' → 'Dec 2026' / 'déc. 2026'."""
    year, number = (int(part) for part in month.split("-"))
    return format_skeleton(skeleton, date(year, number, 1), locale=fmt.format_locale())


def percent(rate: float | None) -> str:
    """0.6667 → '66.7%' / '66,7 %' (at most one decimal)."""
    if rate is None:
        return ""
    return format_percent(round(rate, 3), locale=fmt.format_locale(), decimal_quantization=False)


def _helpers() -> dict[str, Any]:
    return {
        "outcome_name": outcome_name,
        "state_name": lambda code: _named(CALL_STATES, code),
        "slot_state_name": lambda code: _named(SLOT_STATES, code),
        "campaign_status_name": lambda code: _named(CAMPAIGN_STATUSES, code),
        "window_name": lambda code: _named(WINDOWS, code),
        "kind_name_of_call": lambda code: _named(KINDS, code),
        "reason_text": reason_text,
        "at_text": at_text,
        "month_name": month_name,
        "percent": percent,
        "labels": labels,
        "call_poll_ms": CALL_POLL_MS,
        "campaign_poll_ms": CAMPAIGN_POLL_MS,
    }


def _render(template: str, **context: Any) -> str:
    return render_template(template, **_helpers(), **context)


# --- the Party page: "Test call" buttons and the history -----------------------------------


def test_call_action(person: Person, user: User) -> Markup | None:
    """A "Test call" button next to a person (`web.hooks.PERSON_ACTIONS`): for the secretariat
    and the person's Party admins, when the person has a number."""
    if not can_edit_party(user, person.party_id) or not person.phones:
        return None
    return Markup(  # noqa: S704 -- template output, escaped by Jinja
        _render(
            "web/reachability_test_call_button.html", person=person, phones=sorted_phones(person)
        )
    )


def history_section(party: Party, user: User) -> Markup:
    """The Party's campaign results and test calls (`web.hooks.PARTY_SECTIONS`)."""
    slots, attempts = service.party_history(party, limit=HISTORY_ROWS + 1)
    history = present_party_reachability(party.iso2, slots, attempts)
    return Markup(  # noqa: S704 -- template output, escaped by Jinja
        _render(
            "web/reachability_party_section.html",
            party=party,
            history=history,
            calls=history["test_calls"][:HISTORY_ROWS],
            more_calls=max(0, len(history["test_calls"]) - HISTORY_ROWS),
            zone=viewer_zone(),
        )
    )


def _test_call_problem(problem: Problem) -> str:
    """What went wrong with a test-call request, in the viewer's language."""
    if problem.status == 429 and problem.extra.get("quota"):
        wait = int(problem.extra.get("retry_after") or 60)
        return _(
            "Test call refused: %(reason)s. Try again %(wait)s.",
            reason=reason_text(problem.detail.split("; try again in ")[0]),
            wait=fmt.relative(timedelta(seconds=wait)),
        )
    if problem.status == 429:
        wait = int(problem.extra.get("retry_after") or problem.headers.get("Retry-After") or 60)
        minutes = setting(current_app.config, "REACH_RATE_LIMIT_S") // 60
        return _(
            "This number was already test-called less than %(minutes)s minutes ago. "
            "Try again %(wait)s.",
            minutes=minutes,
            wait=fmt.relative(timedelta(seconds=wait)),
        )
    if problem.status == 503:
        return _(
            "Test calls are not possible: telephony is not configured on this server "
            "(the Twilio account settings are missing)."
        )
    if problem.errors:
        return "; ".join(reason_text(e["reason"]) for e in problem.errors)
    return reason_text(problem.detail)


def _wants_fragment() -> bool:
    return request.headers.get("X-Fragment") == "1"


@bp.post("/people/<int:person_id>/test-call")
def request_test_call(person_id: int) -> Any:
    """Ask for a test call now (secretariat, or the person's Party admins), as the API does:
    record and commit, then dial; the answer follows the call."""
    user = current_user()
    phone = forms.text_or_none(request.form, "phone")
    # End the read transaction of the sign-in, so that the service takes SQLite's write lock
    # first (see reachability.service.take_write_lock); a no-op on PostgreSQL.
    db.session.commit()
    try:
        attempt_id = service.request_test_call(user, person_id, phone, now(), current_app.config).id
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        if problem.status in (401, 404):
            raise
        headers = {k: v for k, v in problem.headers.items() if k == "Retry-After"}
        person = directory.get_person(person_id)
        context = {"person": person, "error": _test_call_problem(problem), "attempt": None}
        if _wants_fragment():
            return _render("web/reachability_call_status.html", **context), problem.status, headers
        return _render("web/reachability_test_call.html", **context), problem.status, headers
    Dialer.for_app(current_app.config, now).dispatch(attempt_id)
    if _wants_fragment():
        attempt = present_attempt(service.get_attempt(attempt_id))
        return _render("web/reachability_call_status.html", attempt=attempt, error=None), 201
    return redirect(url_for("web.test_call", attempt_id=attempt_id), 303)


@bp.get("/test-calls/<int:attempt_id>")
def test_call(attempt_id: int) -> str:
    """One test call: whom, which number, and where it stands (the page's script follows it)."""
    record = service.get_attempt(attempt_id)
    return _render(
        "web/reachability_test_call.html",
        attempt=present_attempt(record),
        person=record.person,
        party=record.party,
        error=None,
    )


# --- campaigns ------------------------------------------------------------------------------


def month_rates(campaigns: list[Campaign]) -> list[dict[str, Any]]:
    """The reach rate per month (Parties reached / Parties called, over that month's
    campaigns), the last CHART_MONTHS months that had a campaign, oldest first."""
    per_month: dict[str, dict[str, int]] = defaultdict(
        lambda: {"parties": 0, "reached": 0, "confirmed": 0, "done": 0, "campaigns": 0}
    )
    for campaign in campaigns:
        counts = progress(campaign)
        month = per_month[campaign.month]
        month["parties"] += counts["parties"]
        month["done"] += counts["done"]
        month["reached"] += sum(counts["outcomes"].get(name, 0) for name in REACHED)
        month["confirmed"] += counts["outcomes"].get("confirmed", 0)
        month["campaigns"] += 1
    months = sorted(per_month)[-CHART_MONTHS:]
    # A month whose calls have not started is "not run", never a 0% bar.
    return [
        {
            "month": month,
            **per_month[month],
            "rate": per_month[month]["reached"] / per_month[month]["parties"]
            if per_month[month]["parties"] and per_month[month]["done"]
            else None,
            "confirm_rate": per_month[month]["confirmed"] / per_month[month]["parties"]
            if per_month[month]["parties"] and per_month[month]["done"]
            else None,
        }
        for month in months
    ]


def chart(rates: list[dict[str, Any]], highlight: str | None = None) -> dict[str, Any]:
    """Bars of an inline SVG (240 high, 84 wide per month, drawn at its natural size so that
    its text stays readable: a phone scrolls it sideways), height = reach rate."""
    left, top, height, slot = 44, 24, 176, 84
    width = max(300, left + 8 + slot * len(rates))
    bar_width = 48.0
    bars = []
    for index, row in enumerate(rates):
        rate = row["rate"] or 0.0
        bar_height = round(rate * height, 1)
        x = round(left + index * slot + (slot - bar_width) / 2, 1)
        bars.append(
            {
                **row,
                "x": x,
                "y": round(top + height - bar_height, 1),
                "width": round(bar_width, 1),
                "height": bar_height,
                "centre": round(x + bar_width / 2, 1),
                "label": month_name(row["month"], "yMMM"),
                "value": percent(row["rate"]) if row["rate"] is not None else _("not run"),
                "not_run": row["rate"] is None,
                "current": row["month"] == highlight,
            }
        )
    grid = [
        {"y": round(top + height - fraction * height, 1), "label": percent(fraction)}
        for fraction in (0, 0.25, 0.5, 0.75, 1)
    ]
    return {"bars": bars, "grid": grid, "left": left, "width": width, "baseline": top + height}


def _party_options() -> list[tuple[str, str]]:
    return sorted(
        ((p.iso2, fmt.country(p.iso2, p.name)) for p in directory.list_parties()),
        key=lambda option: option[1],
    )


def _campaigns_page(state: forms.FormState, status: int = 200) -> tuple[str, int]:
    campaigns = service.list_campaigns()
    rows = []
    for campaign in campaigns:
        shown = present_campaign(campaign)
        counts = shown["progress"]
        reached = sum(counts["outcomes"].get(name, 0) for name in REACHED)
        shown["reach_rate"] = reached / counts["parties"] if counts["parties"] else None
        rows.append(shown)
    page = _render(
        "web/campaigns.html",
        campaigns=rows,
        state=state,
        party_options=_party_options(),
        chosen=set(state.values.getlist("parties")),
        window_options=[(code, _(text)) for code, text in WINDOWS.items()],
        rates=chart(month_rates(campaigns)),
        zone=viewer_zone(),
    )
    return page, status


@bp.get("/campaigns")
def campaigns() -> Any:
    """Every campaign with its progress; the secretariat plans new ones here."""
    return _campaigns_page(
        forms.FormState(MultiDict({"month": planning.next_month(now()), "window": "office-hours"}))
    )


@bp.post("/campaigns/new")
@secretariat_only
def new_campaign() -> Any:
    """Plan a month's campaign (secretariat): one call slot per Party, in its local time."""
    form = request.form
    data: dict[str, Any] = {
        "month": (form.get("month") or "").strip(),
        "window": form.get("window") or "office-hours",
        "parties": form.getlist("parties") or None,
    }
    try:
        args = forms.load(CampaignIn(), data)
        campaign = service.create_campaign(
            current_user(),
            args["month"],
            args["parties"],
            args["window"],
            now(),
            current_app.config,
        )
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        for error in problem.errors:
            error["field"] = re.sub(r"\[\d+\]$", "", error["field"])
            error["reason"] = reason_text(error["reason"])
        if problem.status == 409 and "campaign_id" in problem.extra:
            problem.errors = [
                {
                    "field": "month",
                    "reason": _(
                        "%(month)s is already planned (campaign #%(id)s): a month is planned "
                        "only once. Open that campaign to cancel it first, or choose another "
                        "month.",
                        month=month_name(data["month"], "yMMMM"),
                        id=problem.extra["campaign_id"],
                    ),
                }
            ]
        return _campaigns_page(forms.failed(problem, form.copy()), problem.status)
    flash(
        _(
            "The campaign of %(month)s is planned: %(parties)s Parties.",
            month=month_name(campaign.month, "yMMMM"),
            parties=len(campaign.slots),
        ),
        "success",
    )
    return redirect(url_for("web.campaign", campaign_id=campaign.id))


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int) -> str:
    """A campaign's progress, Party by Party (the page's script keeps it up to date)."""
    record = service.get_campaign(campaign_id)
    slots = sorted(record.slots, key=lambda s: (s.planned_at, s.party.iso2))
    return _render(
        "web/campaign.html",
        campaign=present_campaign(record),
        slots=slots,
        zone=viewer_zone(),
    )


@bp.post("/campaigns/<int:campaign_id>/cancel")
@secretariat_only
def cancel_campaign(campaign_id: int) -> Any:
    """Cancel a planned or running campaign (secretariat), after the page asked to confirm."""
    if request.form.get("confirm") != "yes":
        flash(_("Nothing was cancelled: tick the box to confirm."), "error")
        return redirect(url_for("web.campaign", campaign_id=campaign_id), 303)
    db.session.commit()  # end the read the sign-in opened: the service takes the write lock
    try:
        record = service.cancel_campaign(current_user(), campaign_id, now())
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        if problem.status != 409:
            raise
        flash(_("This campaign is already over or cancelled: nothing was changed."), "error")
        return redirect(url_for("web.campaign", campaign_id=campaign_id), 303)
    flash(
        _(
            "The campaign of %(month)s is cancelled: no further call will be placed.",
            month=month_name(record.month, "yMMMM"),
        ),
        "success",
    )
    return redirect(url_for("web.campaign", campaign_id=campaign_id), 303)


@bp.get("/campaigns/<int:campaign_id>/report")
def campaign_report(campaign_id: int) -> str:
    """Per Party: outcome, who was reached, the number, when; totals; the reach rate by month."""
    record = service.get_campaign(campaign_id)
    report = present_report(record)
    report["items"].sort(key=lambda item: fold(fmt.country(item["party"], item["party_name"])))
    return _render(
        "web/campaign_report.html",
        report=report,
        campaign=report["campaign"],
        zones={slot.party.iso2: slot.timezone for slot in record.slots},
        rates=chart(month_rates(service.list_campaigns()), highlight=record.month),
        zone=viewer_zone(),
    )


@bp.get("/campaigns/<int:campaign_id>/report.csv")
def campaign_report_csv(campaign_id: int) -> Response:
    """The report as CSV: the same bytes as the API's report with `Accept: text/csv`."""
    report = present_report(service.get_campaign(campaign_id))
    response = Response(report_csv(report), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="reachability-{report["campaign"]["month"]}-{campaign_id}.csv"'
    )
    return response


def register_hooks() -> None:
    """Test-call buttons, the history on Party pages, campaigns in the secretariat's menu."""
    if test_call_action not in hooks.PERSON_ACTIONS:
        hooks.PERSON_ACTIONS.append(test_call_action)
    if history_section not in hooks.PARTY_SECTIONS:
        hooks.PARTY_SECTIONS.append(history_section)
    if not any(endpoint == "web.campaigns" for endpoint, _label in hooks.SECRETARIAT_LINKS):
        hooks.SECRETARIAT_LINKS.append(("web.campaigns", lazy_gettext(N_("Campaigns"))))
