"""The pages one-time links open: verify an address, stop duty reminders, acknowledge a test.

A GET only shows a page with a button; the deed is the POST (mail scanners fetch links, they do
not press buttons). The secret in the URL is the credential, so these pages need no session and
no CSRF token; RFC 8058 one-click unsubscribe POSTs straight to the same URL.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, Response, render_template, request

from common.clock import now
from common.db import db
from mail.models import EmailAck, MailPreference, OutboxMessage, VerifiedEmail
from mail.texts import language_of
from mail.tokens import peek_token, use_token

bp = Blueprint("mail_links", __name__, url_prefix="/mail", template_folder="templates")

#: These pages post their own form; nothing else may load or run.
CSP = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

WORDS = {
    "en": {
        "verify": ("Verify your e-mail address", "Confirm that {address} receives mail.",
                   "Verify", "Thank you: {address} is verified."),
        "unsubscribe": ("Stop duty reminders", "Stop the \"your duty starts soon\" reminders "
                        "sent to {address}.", "Stop the reminders",
                        "Done: no more duty reminders to {address}."),
        "ack": ("24/7 e-mail test", "Confirm that this test message reached {address}.",
                "Received", "Thank you: the receipt is recorded."),
        "gone": "This link was already used or has expired.",
    },
    "fr": {
        "verify": ("Vérifier votre adresse électronique", "Confirmez que {address} reçoit le "
                   "courrier.", "Vérifier", "Merci : {address} est vérifiée."),
        "unsubscribe": ("Ne plus recevoir les rappels", "Ne plus envoyer les rappels « votre "
                        "permanence commence bientôt » à {address}.", "Arrêter les rappels",
                        "C'est fait : plus de rappels à {address}."),
        "ack": ("Test de messagerie 24/7", "Confirmez que ce message de test est arrivé à "
                "{address}.", "Reçu", "Merci : la réception est enregistrée."),
        "gone": "Ce lien a déjà servi ou a expiré.",
    },
}  # fmt: skip


def _lang() -> str:
    return language_of(request.accept_languages.best_match(["en", "fr"]) or "en")


def _page(purpose: str, secret: str, state: str, address: str = "", status: int = 200) -> Response:
    words = WORDS[_lang()]
    title, prompt, button, done = words[purpose]
    html = render_template(
        "mail/link_page.html",
        lang=_lang(),
        title=title,
        message=str({"ask": prompt, "done": done, "gone": words["gone"]}[state]).format(
            address=address
        ),
        button=button if state == "ask" else None,
    )
    resp = Response(html, status=status, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"  # the secret is in the URL
    return resp


def _show(purpose: str, secret: str) -> Response:
    token = peek_token(purpose, secret, now())
    if token is None:
        return _page(purpose, secret, "gone", status=404)
    return _page(purpose, secret, "ask", token.address)


@bp.get("/verify/<secret>")
def verify_page(secret: str) -> Response:
    return _show("verify", secret)


@bp.post("/verify/<secret>")
def verify(secret: str) -> Response:
    """Use the link: the address is verified (until it changes: another address is not)."""
    at = now()
    token = use_token("verify", secret, at)
    if token is None:
        return _page("verify", secret, "gone", status=404)
    mark_verified(token.address, at)
    db.session.commit()
    return _page("verify", secret, "done", token.address)


def mark_verified(address: str, at: datetime) -> None:
    if db.session.get(VerifiedEmail, address) is None:
        db.session.add(VerifiedEmail(address=address, verified_at=at))
        db.session.flush()


@bp.get("/unsubscribe/<secret>")
def unsubscribe_page(secret: str) -> Response:
    return _show("unsubscribe", secret)


@bp.post("/unsubscribe/<secret>")
def unsubscribe(secret: str) -> Response:
    """Stop duty reminders (the page's button, or a mail client's RFC 8058 one-click POST)."""
    at = now()
    token = use_token("unsubscribe", secret, at)
    if token is None:
        return _page("unsubscribe", secret, "gone", status=404)
    if token.person_id is not None:
        pref = db.session.get(MailPreference, token.person_id)
        if pref is not None:
            pref.duty_reminder_hours = None
            pref.updated_at = at
    db.session.commit()
    return _page("unsubscribe", secret, "done", token.address)


@bp.get("/ack/<secret>")
def ack_page(secret: str) -> Response:
    return _show("ack", secret)


@bp.post("/ack/<secret>")
def ack(secret: str) -> Response:
    """Record that the contact point's test e-mail was received, and how long it took."""
    at = now()
    token = use_token("ack", secret, at)
    if token is None or token.ack_id is None:
        return _page("ack", secret, "gone", status=404)
    record_ack(token.ack_id, at)
    db.session.commit()
    return _page("ack", secret, "done", token.address)


def record_ack(ack_id: int, at: datetime) -> None:
    """Time to acknowledge, counted from when the server took the message (else from queuing)."""
    test = db.session.get(EmailAck, ack_id)
    if test is None or test.acknowledged_at is not None:
        return
    sent_at = None
    if test.outbox_id is not None:
        sent_at = db.session.scalar(
            sa.select(OutboxMessage.sent_at).where(OutboxMessage.id == test.outbox_id)
        )
    start = sent_at or test.created_at
    test.acknowledged_at = at
    test.seconds_to_ack = max(0.0, (at - start).total_seconds())
