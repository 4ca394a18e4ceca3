"""The set-password and verification e-mails speak their reader's language (English or French),
in the subject, the plain text and the HTML alternative alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from common.auth import hash_password
from common.db import db
from mail.models import OutboxMessage
from mail.reminders import queue_messages, verification_messages
from tests.conftest import make_party, make_person, make_user
from tests.web.conftest import form, sign_in
from web.account_security import mail_password_link

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CONFIG = {"PUBLIC_BASE_URL": "http://art35.test"}
LINK = "http://art35.test/account/set-password/pw_abc"


@pytest.fixture
def now(clock):
    clock.set(NOW)
    return NOW


@pytest.fixture
def mail_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.art35.test")


def _mails(kind: str, to: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.to_addr == to)
        )
    )


def _user(email: str, locale: str | None, *, with_password: bool = False):
    user = make_user("member", email=email)[0]
    user.locale = locale
    if with_password:
        user.password_hash = hash_password("a long enough password")
    db.session.commit()
    return user


# --- the set-password link --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "with_password", "subject", "text_words", "html_words", "absent"),
    [
        (
            "fr",
            False,
            "[Art35] Choisissez votre mot de passe",
            ["Bonjour,", "est prêt pour", "il ne sert qu'une fois et reste valable 24 heures"],
            ["Choisir votre mot de passe</a>", "prévenez le secrétariat du réseau"],
            ["Hello", "Choose", "password", "link"],
        ),
        (
            "fr",
            True,
            "[Art35] Choisissez un nouveau mot de passe",
            ["Bonjour,", "un nouveau mot de passe pour votre compte", "continue de fonctionner"],
            ["Choisir votre mot de passe</a>", "Si vous ne vous attendiez pas"],
            ["Hello", "Choose", "password", "link"],
        ),
        (
            "en",
            False,
            "[Art35] Choose your password",
            ["Hello,", "is ready for", "it works once, for 24 hours"],
            ["Choose your password</a>", "tell the network secretariat"],
            ["Bonjour", "mot de passe", "Choisir"],
        ),
        (
            "en",
            True,
            "[Art35] Choose a new password",
            ["Hello,", "choose a new password for your account", "still works"],
            ["Choose your password</a>", "If you did not expect"],
            ["Bonjour", "mot de passe", "Choisir"],
        ),
    ],
    ids=["fr-new", "fr-reset", "en-new", "en-reset"],
)
def test_the_password_link_in_the_users_language(
    now, mail_on, locale, with_password, subject, text_words, html_words, absent
):
    user = _user(f"{locale}-{with_password}@art35.example", locale, with_password=with_password)
    assert mail_password_link(user, LINK) is True
    [mail] = _mails("password", user.email)
    assert mail.locale == locale
    assert mail.subject == subject
    assert LINK in mail.body_text and f'href="{LINK}"' in mail.body_html
    assert user.email in mail.body_text
    for words in text_words:
        assert words in mail.body_text
    for words in html_words:
        assert words in mail.body_html.replace("&#39;", "'")
    for words in absent:
        assert words not in mail.subject + mail.body_text.replace(LINK, "")


def test_an_account_without_a_locale_follows_the_person_with_its_address(now, mail_on):
    france = make_party("FR", "France")
    make_person(france, "Anne Dupont", languages=("fr", "en"), email="Anne@ofac.example")
    anne = _user("anne@ofac.example", None)
    nobody = _user("nobody@art35.example", None)
    mail_password_link(anne, LINK)
    mail_password_link(nobody, LINK)
    [french] = _mails("password", anne.email)
    [english] = _mails("password", nobody.email)
    assert (french.locale, french.subject) == ("fr", "[Art35] Choisissez votre mot de passe")
    assert (english.locale, english.subject) == ("en", "[Art35] Choose your password")


def test_a_reset_from_the_secretariat_page_is_mailed_in_french(client, now, mail_on):
    secretariat = make_user("secretariat")[0]
    reader = _user("lea@art35.example", "fr", with_password=True)
    sign_in(client, secretariat)  # the secretariat's own page language plays no part

    resp = client.post(f"/secretariat/users/{reader.id}/password", data=form())

    assert resp.status_code in (302, 303)
    [mail] = _mails("password", reader.email)
    assert mail.subject == "[Art35] Choisissez un nouveau mot de passe"
    assert "/account/set-password/pw_" in mail.body_text
    assert "Choisir votre mot de passe</a>" in mail.body_html


# --- the verification link --------------------------------------------------------------------


def _verify_mail(address: str) -> OutboxMessage:
    queue_messages(verification_messages(NOW, CONFIG), NOW, CONFIG)
    db.session.commit()
    [mail] = _mails("verify", address)
    return mail


FRENCH_VERIFY = (
    "[Art35] Merci de vérifier votre adresse électronique",
    "figure dans l'annuaire du réseau 24/7 pour France",
    "Vérifier cette adresse</a>",
)
ENGLISH_VERIFY = (
    "[Art35] Please verify your e-mail address",
    "is listed in the 24/7 Network directory for France",
    "Verify this address</a>",
)


def _assert_verify(mail: OutboxMessage, locale: str, words: tuple[str, str, str]) -> None:
    subject, body, link = words
    assert mail.locale == locale
    assert mail.subject == subject
    assert body in mail.body_text and "/mail/verify/" in mail.body_text
    assert body in mail.body_html.replace("&#39;", "'") and link in mail.body_html


def test_verification_in_the_persons_first_language(now):
    france = make_party("FR", "France")
    make_person(france, "Anne Dupont", languages=("fr", "en"), email="anne@ofac.example")
    make_person(france, "Bruno Petit", languages=("en", "fr"), email="bruno@ofac.example")
    _assert_verify(_verify_mail("anne@ofac.example"), "fr", FRENCH_VERIFY)
    _assert_verify(_verify_mail("bruno@ofac.example"), "en", ENGLISH_VERIFY)


def test_verification_follows_the_account_when_no_person_language_is_known(now):
    france = make_party("FR", "France")
    make_person(france, "Carole Sanslangue", languages=(), email="carole@ofac.example")
    make_person(france, "Dan Nolanguage", languages=(), email="dan@ofac.example")
    _user("Carole@ofac.example", "fr")  # her account's pages are in French
    _assert_verify(_verify_mail("carole@ofac.example"), "fr", FRENCH_VERIFY)
    _assert_verify(_verify_mail("dan@ofac.example"), "en", ENGLISH_VERIFY)
