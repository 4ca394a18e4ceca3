"""The e-mail carrying a one-time set-password link (a new account, or a reset by the
secretariat), in the reader's language, plain text with an HTML alternative."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from directory.models import User
from mail.models import OutboxMessage
from mail.outbox import enqueue
from mail.reminders import languages_of
from mail.render import Content, render_html, render_text
from mail.texts import language_of, t


def password_link_language(user: User) -> str:
    """The account's locale; without one, the first language of a person listed with the
    same address (as verification links); else English."""
    if user.locale:
        return language_of(user.locale)
    return languages_of([user.email]).get(user.email.strip().lower(), "en")


def password_link_content(email: str, url: str, lang: str, *, reset: bool) -> Content:
    """What the message says: a new account's first password, or a new one (`reset`)."""
    kind = "password.reset_" if reset else "password."
    return Content(
        subject=t(lang, f"{kind}subject"),
        greeting=t(lang, "hello"),
        paragraphs=[t(lang, f"{kind}body", email=email)],
        link=(t(lang, "password.link"), url),
        footer=[t(lang, "password.why"), t(lang, "signature")],
    )


def queue_password_link(
    user: User, url: str, now: datetime, config: Mapping[str, Any] | None = None
) -> OutboxMessage | None:
    """Queue the link for `user` in the caller's transaction (sent after the commit)."""
    lang = password_link_language(user)
    content = password_link_content(user.email, url, lang, reset=user.password_hash is not None)
    return enqueue(
        to=user.email,
        subject=content.subject,
        text=render_text(content),
        html=render_html(content),
        now=now,
        kind="password",
        locale=lang,
        config=config,
    )
