"""Pages of issue 15: review and confirm a Party's entries, the flags on the Party page, the
secretariat's outbox and network health. Words come from PAGE_TEXTS (English and French) so
that the shared message catalogue stays untouched."""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from common.clock import now
from common.db import db
from common.errors import not_found
from directory import freshness, numbers
from directory import service as directory
from directory.models import Party
from mail import outbox
from mail.models import MailPreference, OutboxMessage, VerifiedEmail
from web import bp, hooks
from web import formatting as fmt
from web.secretariat import changes_of
from web.session import current_user, require_editor, secretariat_only

PAGE_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "upcoming": "Announced: from {when} ({zone}) the contact point will be {unit}.",
        "current": "confirmed",
        "due_soon": "confirmation due soon",
        "overdue": "confirmation overdue",
        "expired": "not confirmed",
        "never": "These entries have never been confirmed by the Party.",
        "confirmed_on": "Confirmed on {when} by {by}; valid until {until}.",
        "review": "Review and confirm",
        "review_title": "Review and confirm the entries of {party}",
        "review_intro": "Check the contact point, people, numbers, e-mail addresses and rotas "
        "below, then confirm that they are true. The confirmation holds for {months} months.",
        "changes": "Changed since the last confirmation",
        "changes_all": "Recorded changes (never confirmed yet)",
        "no_changes": "Nothing changed since the last confirmation.",
        "confirm_button": "Everything is true: confirm",
        "confirmed_flash": "The entries of {party} are confirmed until {until}.",
        "unreachable": "unreachable (failed twice)",
        "failed_once": "failed once",
        "confirmed_number": "reached",
        "unverified": "e-mail not verified",
        "verified": "e-mail verified",
        "outbox": "Outbox",
        "reminders": "Duty reminders by e-mail, hours before each shift (empty: none)",
        "save": "Save",
        "hours_bad": "Give a whole number of hours from 1 to 72, or nothing.",
        "hours_saved": "Duty reminders for {name} are saved.",
        "send_links": "Send a verification link to every unverified address",
        "links_sent": "{count} verification link(s) sent.",
        "health": "Network health",
        "when": "When",
        "to": "To",
        "subject": "Subject",
        "state": "State",
        "kind": "Kind",
        "attempts": "Attempts",
        "no_mail": "No message yet.",
        "outbox_intro": "Every e-mail the service sends, newest first. Without MAIL_SERVER "
        "nothing leaves: messages stay here as queued.",
        "text": "Plain text",
        "html": "HTML alternative (source)",
        "headers": "Headers",
        "field": "Field",
        "before": "Before",
        "after": "After",
        "by": "By",
        "entities": "Record",
    },
    "fr": {
        "upcoming": "Annoncé : à partir du {when} ({zone}), le point de contact sera {unit}.",
        "current": "confirmées",
        "due_soon": "confirmation à renouveler",
        "overdue": "confirmation en retard",
        "expired": "non confirmées",
        "never": "Ces données n'ont jamais été confirmées par la Partie.",
        "confirmed_on": "Confirmées le {when} par {by} ; valables jusqu'au {until}.",
        "review": "Vérifier et confirmer",
        "review_title": "Vérifier et confirmer les données de {party}",
        "review_intro": "Vérifiez le point de contact, les personnes, les numéros, les adresses "
        "électroniques et les permanences ci-dessous, puis confirmez qu'ils sont exacts. La "
        "confirmation vaut {months} mois.",
        "changes": "Modifié depuis la dernière confirmation",
        "changes_all": "Modifications enregistrées (jamais confirmées)",
        "no_changes": "Rien n'a changé depuis la dernière confirmation.",
        "confirm_button": "Tout est exact : confirmer",
        "confirmed_flash": "Les données de {party} sont confirmées jusqu'au {until}.",
        "unreachable": "injoignable (deux échecs)",
        "failed_once": "un échec",
        "confirmed_number": "joint",
        "unverified": "adresse non vérifiée",
        "verified": "adresse vérifiée",
        "outbox": "Messages envoyés",
        "reminders": "Rappels de permanence par courriel, heures avant chaque permanence "
        "(vide : aucun)",
        "save": "Enregistrer",
        "hours_bad": "Indiquez un nombre entier d'heures de 1 à 72, ou rien.",
        "hours_saved": "Les rappels de permanence de {name} sont enregistrés.",
        "send_links": "Envoyer un lien de vérification à chaque adresse non vérifiée",
        "links_sent": "{count} lien(s) de vérification envoyé(s).",
        "health": "Santé du réseau",
        "when": "Date",
        "to": "Destinataire",
        "subject": "Objet",
        "state": "État",
        "kind": "Type",
        "attempts": "Essais",
        "no_mail": "Aucun message pour l'instant.",
        "outbox_intro": "Tous les messages du service, du plus récent au plus ancien. Sans "
        "MAIL_SERVER, rien ne part : les messages restent ici, en attente.",
        "text": "Texte brut",
        "html": "Version HTML (source)",
        "headers": "En-têtes",
        "field": "Champ",
        "before": "Avant",
        "after": "Après",
        "by": "Par",
        "entities": "Fiche",
    },
}


def ft(key: str, **values: Any) -> str:
    """A page text in the viewer's language."""
    lang = "fr" if fmt.ui_language() == "fr" else "en"
    return PAGE_TEXTS[lang][key].format(**values)


class LazyText:
    """A menu label that follows the viewer's language when rendered."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __str__(self) -> str:
        return ft(self.key)


# --- flags shown on the Party page and the board --------------------------------------------


def party_freshness(party: Party) -> dict[str, Any]:
    """The Party's block for the present, with the words to show."""
    conf = freshness.latest_confirmation(party)
    block = freshness.freshness_block(conf, now())
    return {
        **block,
        "label": ft(block["state"]),
        "detail": ft(
            "confirmed_on",
            when=fmt.when_long(conf.confirmed_at, "UTC"),
            by=conf.confirmed_by,
            until=fmt.when_long(conf.valid_until, "UTC"),
        )
        if conf
        else ft("never"),
        "editable": _may_edit(party),
        "upcoming": party.announced_contact_point_at(now()),
    }


def _may_edit(party: Party) -> bool:
    from directory.access import can_edit_party

    return can_edit_party(current_user(), party.id)


def _per_request(name: str, load: Any) -> Any:
    """`load()` once per request (g may outlive a request when an app context is shared)."""
    marker = id(request._get_current_object())  # type: ignore[attr-defined]
    cached = g.get(name)
    if cached is None or cached[0] != marker:
        cached = (marker, load())
        setattr(g, name, cached)
    return cached[1]


def number_state(e164: str) -> str:
    """A number's graded state; all states are read once per request."""
    return _per_request("fresh_number_states", numbers.number_states).get(e164, "unknown")


def email_verified(address: str | None) -> bool:
    if not address:
        return False
    verified = _per_request(
        "fresh_verified", lambda: set(db.session.scalars(db.select(VerifiedEmail.address)))
    )
    return address.strip().lower() in verified


def person_flags(person: Any, user: Any) -> str | None:
    """Next to a person: each number's state when it is not plain, and the e-mail's; for the
    Party's editors, the duty-reminder opt-in."""
    from directory.access import can_edit_party

    flagged = [(p, number_state(p.e164)) for p in person.phones]
    editable = can_edit_party(user, person.party_id) and bool(person.email)
    return render_template(
        "web/_person_flags.html",
        person=person,
        flagged=[(p, state) for p, state in flagged if state != "unknown"],
        reminder_hours=db.session.get(MailPreference, person.id) if editable else None,
        editable=editable,
    )


@bp.post("/people/<int:person_id>/duty-reminders")
def set_duty_reminders_page(person_id: int) -> Response:
    """Opt a person in to duty reminders (hours before each shift), or out (empty)."""
    person = directory.get_person(person_id)
    require_editor(person.party_id)
    raw = (request.form.get("hours") or "").strip()
    hours = int(raw) if raw.isdigit() and 1 <= int(raw) <= 72 else None
    if raw and hours is None:
        flash(ft("hours_bad"), "error")
    elif person.email:
        pref = db.session.get(MailPreference, person.id)
        if pref is None:
            pref = MailPreference(person_id=person.id, updated_at=now())
            db.session.add(pref)
        pref.duty_reminder_hours, pref.updated_at = hours, now()
        db.session.commit()
        flash(ft("hours_saved", name=person.full_name), "success")
    iso2 = person.party.iso2
    return redirect(url_for("web.party_page", iso2=iso2) + f"#person-{person.id}")


@bp.post("/parties/<iso2>/verification-links")
def send_verification_links_page(iso2: str) -> Response:
    """Send the Party's unverified addresses a new one-time link."""
    from flask import current_app

    from mail.reminders import queue_messages, verification_messages

    party = directory.get_party(iso2)
    require_editor(party.id)
    at = now()
    mine = [o for o in verification_messages(at, current_app.config) if o.party_id == party.id]
    for outgoing in mine:
        outgoing.key = f"{outgoing.key}:{at:%Y%m%dT%H%M%S}"
    count = queue_messages(mine, at, current_app.config)
    db.session.commit()
    flash(ft("links_sent", count=count), "success")
    return redirect(url_for("web.review_party", iso2=party.iso2))


# --- review and confirm ---------------------------------------------------------------------


@bp.get("/parties/<iso2>/review")
def review_party(iso2: str) -> str:
    """What changed since the last confirmation, everything as it stands, and one button."""
    party = directory.get_party(iso2)
    require_editor(party.id)
    conf = freshness.latest_confirmation(party)
    changes = freshness.changes_since(party, conf)
    return render_template(
        "web/freshness_review.html",
        party=party,
        name=fmt.country(party.iso2, party.name),
        fresh=party_freshness(party),
        changes=[(entry, changes_of(entry)) for entry in changes],
        never=conf is None,
        cp=party.contact_point_at(now()),
        people=directory.list_people(party),
        months=freshness.policy().validity_months,
    )


@bp.post("/parties/<iso2>/review")
def confirm_party_page(iso2: str) -> Response:
    """Confirm the Party's entries (its administrators, the secretariat)."""
    party = directory.get_party(iso2)
    require_editor(party.id)
    conf = freshness.confirm_party(current_user(), party, now())
    db.session.commit()
    name = fmt.country(party.iso2, party.name)
    flash(
        ft("confirmed_flash", party=name, until=fmt.when_long(conf.valid_until, "UTC")), "success"
    )
    return redirect(url_for("web.party_page", iso2=party.iso2))


# --- the secretariat's outbox ----------------------------------------------------------------


@bp.get("/secretariat/outbox")
@secretariat_only
def outbox_page() -> str:
    """Every message, newest first (with no SMTP configured, this is where mail is read)."""
    before = request.args.get("before_id", type=int)
    messages = outbox.list_messages(limit=100, before_id=before)
    return render_template(
        "web/outbox.html",
        messages=messages,
        depth=outbox.outbox_depth(),
        next_before=messages[-1].id if len(messages) == 100 else None,
    )


@bp.get("/secretariat/outbox/<int:message_id>")
@secretariat_only
def outbox_message(message_id: int) -> str:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise not_found(f"message {message_id}")
    return render_template("web/outbox_message.html", message=message)


def init_freshness_pages(app: Flask) -> None:
    """Template helpers and the hooks that put flags and links on other pages."""
    app.add_template_global(ft, "ft")
    app.add_template_global(party_freshness, "party_freshness")
    app.add_template_global(number_state, "number_state")
    app.add_template_global(email_verified, "email_verified")
    if person_flags not in hooks.PERSON_ACTIONS:
        hooks.PERSON_ACTIONS.insert(0, person_flags)
    for endpoint, key in (("web.outbox_page", "outbox"), ("web.health_page", "health")):
        if all(e != endpoint for e, _label in hooks.SECRETARIAT_LINKS):
            hooks.SECRETARIAT_LINKS.append((endpoint, LazyText(key)))


# --- network health ---------------------------------------------------------------------------

TREND_LABELS = {
    "en": {
        "title": "The network by month",
        "confirmed_share": "Parties with confirmed entries",
        "reached_share": "Campaign calls that reached someone",
        "ack_share": "Test e-mails acknowledged within 8 hours",
        "score": "Score",
        "party": "Party",
        "state": "Entries",
        "confirmed": "Last confirmed",
        "emails": "E-mails not verified",
        "numbers": "Numbers: reached / failed once / unreachable / untested",
        "campaign": "Last campaign",
        "ack": "Median acknowledgement",
        "gaps": "Gap hours, next 30 days",
        "csv": "Download as CSV (GET /api/v1/health-report with Accept: text/csv)",
        "score_doc": "Score out of 100: confirmation 30, numbers reached 25, e-mails verified "
        "10, last campaign 15, e-mail acknowledged within 8 h 10, tier-1 coverage 10.",
    },
    "fr": {
        "title": "Le réseau, mois par mois",
        "confirmed_share": "Parties aux données confirmées",
        "reached_share": "Appels de campagne ayant joint quelqu'un",
        "ack_share": "Courriels de test acquittés en 8 heures",
        "score": "Note",
        "party": "Partie",
        "state": "Données",
        "confirmed": "Dernière confirmation",
        "emails": "Adresses non vérifiées",
        "numbers": "Numéros : joints / un échec / injoignables / non testés",
        "campaign": "Dernière campagne",
        "ack": "Accusé de réception (médiane)",
        "gaps": "Heures sans permanence, 30 jours",
        "csv": "Télécharger en CSV (GET /api/v1/health-report avec Accept: text/csv)",
        "score_doc": "Note sur 100 : confirmation 30, numéros joints 25, adresses vérifiées 10, "
        "dernière campagne 15, courriel acquitté en 8 h 10, permanence de niveau 1 10.",
    },
}


@bp.get("/secretariat/health")
@secretariat_only
def health_page() -> str:
    """Per Party health with its score, and the network's trend by month as a chart."""
    from markupsafe import Markup

    from reachability.health import health_report, monthly_trend, trend_svg

    labels = TREND_LABELS["fr" if fmt.ui_language() == "fr" else "en"]
    at = now()
    rows = sorted(health_report(at), key=lambda r: (r.score, r.iso2))
    chart = Markup(trend_svg(monthly_trend(at), labels))  # noqa: S704 -- escaped by trend_svg
    return render_template("web/health.html", rows=rows, chart=chart, labels=labels, at=at)
