"""Messages that flag a gap, a failure or an expiry cannot be read as their opposite, in English
or in French: every such message of both catalogues is walked here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parents[2] / "translations" / "fr" / "LC_MESSAGES" / "messages.po"

#: What marks an English message as flagging a gap, a failure or an expiry.
FLAGS = re.compile(
    r"\b(nobody|no one|without anyone|gaps?|fail(ed|s)?|could not|cannot|expired?|out of date|"
    r"not updated|offline|not run|not tested|no answer|unreachable|no desk line|no rota|"
    r"refused|too many|wrong|locked|lost|not right|revoked)\b",
    re.I,
)
#: An absence said as an absence (English): the message must name what is missing.
EN_ABSENCE = re.compile(
    r"\b(nobody|no one|without|gaps?|no|not|never|none|fail(ed|s)?|cannot|could not|expired?|"
    r"out of date|offline|refused|too many|wrong|locked|lost|revoked|unknown|busy|voicemail)\b",
    re.I,
)
#: The same in French: a negation, or a word that names the failure or the absence.
FR_ABSENCE = re.compile(
    r"(\b(aucun|aucune|sans|ne|non|jamais|pas|rien|plus|personne n|échec|échoué|impossible|"
    r"introuvable|expiré|expirée|trou|trous|hors ligne|occupé|messagerie|manque|incorrect|"
    r"incorrecte|bloqué|révoqué|inconnu|perdu|refusé|refusée|trop|erreur)\b|\bn[’'])",
    re.I,
)
#: "personne de permanence" is "the person on duty": never the words of a gap.
#: ("la personne de permanence", with its article, is fine where a person is meant).
MISREAD = re.compile(r"(?<!la )(?<!une )(?<!chaque )personne de permanence", re.I)


def _flagged() -> list[tuple[str, str]]:
    with PO.open("rb") as fh:
        catalogue = read_po(fh, locale="fr")
    out = []
    for message in catalogue:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for english in ids:
            if FLAGS.search(english):
                out.extend((english, french) for french in strings if french)
    return out


def misreadings(english: str, french: str) -> list[str]:
    """Why this pair could be read the wrong way (empty when it cannot)."""
    problems = []
    if not EN_ABSENCE.search(english):
        problems.append("the English does not say what is missing or went wrong")
    if not FR_ABSENCE.search(french):
        problems.append("the French has no negation nor a word for the failure")
    if re.search(r"\b(nobody|no one|without anyone)\b", english, re.I) and MISREAD.search(french):
        problems.append("'personne de permanence' reads as 'the person on duty'")
    return problems


def test_the_checker_catches_the_old_french():
    assert misreadings("NOBODY ON DUTY", "PERSONNE DE PERMANENCE")
    assert misreadings("nobody on duty", "personne de permanence")
    assert misreadings(
        "%(hours)s hours without anyone on duty", "%(hours)s heures sans personne de permanence"
    )
    assert not misreadings("NOBODY ON DUTY", "AUCUNE PERMANENCE ASSURÉE")
    assert not misreadings("nobody on duty", "personne n’est de permanence")


def test_there_are_such_messages_to_walk():
    english = {pair[0] for pair in _flagged()}
    assert {"NOBODY ON DUTY", "nobody on duty", "No desk line known", "not run"} <= english
    assert len(english) > 40


@pytest.mark.parametrize(("english", "french"), _flagged())
def test_every_gap_failure_and_expiry_message_reads_right(english, french):
    assert misreadings(english, french) == []


def test_the_board_in_french_names_the_gap_plainly(client, france_rota, germany, secretariat_user):
    from tests.web.conftest import sign_in

    sign_in(client, secretariat_user, lang="fr")
    page = client.get("/").text
    assert "AUCUNE PERMANENCE ASSURÉE" in page
    assert "PERSONNE DE PERMANENCE" not in page
