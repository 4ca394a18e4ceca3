"""What the callee hears: the catalogues are complete and compiled, the TwiML asks for one key,
twice, then says goodbye, in the callee's language."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from reachability import voice
from reachability.planning import SAY_VOICES

LANGUAGES = sorted(set(SAY_VOICES) - {"en"})
GATHER = "https://art35.example.org/twilio/gather/7"


def catalogue_paths(language: str) -> tuple[Path, Path]:
    folder = voice.TRANSLATIONS_DIR / language / "LC_MESSAGES"
    return folder / f"{voice.DOMAIN}.po", folder / f"{voice.DOMAIN}.mo"


def messages(catalog) -> dict[str, str]:
    return {m.id: m.string for m in catalog if m.id and not m.fuzzy}


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_mo_is_compiled_from_the_po(language):
    po_path, mo_path = catalogue_paths(language)
    with po_path.open("rb") as po, mo_path.open("rb") as mo:
        source, compiled = read_po(po), read_mo(mo)

    assert messages(compiled) == messages(source), (
        f"{mo_path} is stale: run pybabel compile -D calls -d reachability/translations"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    po_path, _ = catalogue_paths(language)
    with po_path.open("rb") as po:
        translated = messages(read_po(po))

    for message in voice.MESSAGES:
        assert translated.get(message), f"{language}: no translation of {message!r}"
        assert voice.text(language, message) == translated[message]
    assert set(translated) == set(voice.MESSAGES)  # nothing obsolete left behind


def test_template_lists_the_messages_of_the_code():
    with (voice.TRANSLATIONS_DIR / "calls.pot").open("rb") as pot:
        template = {m.id for m in read_po(pot) if m.id}
    assert template == set(voice.MESSAGES)


def test_unknown_language_falls_back_to_english():
    assert voice.text("hu", voice.PROMPT) == voice.PROMPT
    root = ET.fromstring(voice.prompt_twiml("hu", GATHER))  # noqa: S314 -- our own output
    assert {say.get("language") for say in root.iter("Say")} == {"en-GB"}


@pytest.mark.parametrize("language", sorted(SAY_VOICES))
def test_prompt_asks_for_one_key_twice_then_says_goodbye(language):
    root = ET.fromstring(voice.prompt_twiml(language, GATHER))  # noqa: S314 -- our own output

    verbs = [child.tag for child in root]
    assert verbs == ["Gather", "Gather", "Say", "Hangup"]
    say_language, polly = SAY_VOICES[language]
    for gather in root.findall("Gather"):
        assert gather.get("numDigits") == "1"
        assert gather.get("action") == GATHER and gather.get("method") == "POST"
        assert [say.text for say in gather.findall("Say")] == [
            voice.text(language, voice.INTRO),
            voice.text(language, voice.PROMPT),
        ]
    assert root.find("Say").text == voice.text(language, voice.GOODBYE)
    assert {say.get("language") for say in root.iter("Say")} == {say_language}
    assert {say.get("voice") for say in root.iter("Say")} == {polly}


def test_message_says_who_calls_and_what_to_press():
    assert "24/7 Network of the Budapest Convention" in voice.INTRO
    assert "on behalf of the network secretariat" in voice.INTRO
    assert "press 1" in voice.PROMPT
    assert "Convenzione di Budapest" in voice.text("it", voice.INTRO)
    assert "drücken Sie die 1" in voice.text("de", voice.PROMPT)
    assert "prima 1" in voice.text("pt", voice.PROMPT)
    assert "Pulse 1" in voice.text("es", voice.PROMPT)


def test_wrong_key_asks_again_only_once():
    again = ET.fromstring(voice.wrong_key_twiml("fr", GATHER + "?again=1"))  # noqa: S314
    last = ET.fromstring(voice.wrong_key_twiml("fr", None))  # noqa: S314

    assert [c.tag for c in again] == ["Say", "Gather", "Say", "Hangup"]
    assert again.find("Gather").get("action") == GATHER + "?again=1"
    assert [c.tag for c in last] == ["Say", "Say", "Hangup"]
    assert ET.fromstring(voice.hangup_twiml())[0].tag == "Hangup"  # noqa: S314
