"""What the callee hears: TwiML documents, in the callee's language, from Babel catalogues.

The words live in `reachability/translations/<lang>/LC_MESSAGES/calls.po` (compiled `.mo` files
are committed next to them; `tests/reachability/test_voice.py` checks they are up to date).
English is the source text and the fallback. Regenerate after changing a message:

    pybabel extract -k N_ -o reachability/translations/calls.pot reachability/voice.py
    pybabel update -D calls -i reachability/translations/calls.pot -d reachability/translations
    pybabel compile -D calls -d reachability/translations
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

from babel.support import Translations
from twilio.twiml.voice_response import VoiceResponse

from reachability.planning import SAY_VOICES

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "calls"
GATHER_TIMEOUT_S = 6  # how long <Gather> waits for the key once the message is spoken


def N_(message: str) -> str:  # noqa: N802 -- the gettext convention for "mark, translate later"
    """Mark a message for extraction; it is translated when spoken."""
    return message


INTRO = N_(
    "Hello. This is the reachability test of the 24/7 Network of the Budapest Convention "
    "on Cybercrime, calling on behalf of the network secretariat."
)
PROMPT = N_("Please press 1 to confirm that this number reaches the 24/7 contact point.")
THANKS = N_("Thank you. Your reachability is confirmed. Goodbye.")
WRONG_KEY = N_("That was not the key 1.")
GOODBYE = N_("We did not receive your confirmation. Goodbye.")
MESSAGES = (INTRO, PROMPT, THANKS, WRONG_KEY, GOODBYE)


@lru_cache(maxsize=16)
def translations(language: str) -> gettext.NullTranslations:
    """The `calls` catalogue of a language (NullTranslations, i.e. English, when there is none)."""
    return Translations.load(str(TRANSLATIONS_DIR), [language], domain=DOMAIN)


def text(language: str, message: str) -> str:
    """A message in `language`, English when it has no translation."""
    return translations(language).gettext(message)


def _say(parent: VoiceResponse, language: str, message: str) -> None:
    say_language, voice = SAY_VOICES.get(language, SAY_VOICES["en"])
    parent.say(text(language, message), language=say_language, voice=voice)


def _gather(response: VoiceResponse, language: str, action: str, *messages: str) -> None:
    gather = response.gather(
        num_digits=1, action=action, method="POST", timeout=GATHER_TIMEOUT_S, input="dtmf"
    )
    for message in messages:
        _say(gather, language, message)


def prompt_twiml(language: str, gather_url: str) -> str:
    """Who is calling and "press 1 to confirm", waiting for one key; said twice, then goodbye."""
    response = VoiceResponse()
    _gather(response, language, gather_url, INTRO, PROMPT)
    _gather(response, language, gather_url, INTRO, PROMPT)
    _say(response, language, GOODBYE)
    response.hangup()
    return str(response)


def confirmed_twiml(language: str) -> str:
    """Thanks after the callee pressed 1."""
    response = VoiceResponse()
    _say(response, language, THANKS)
    response.hangup()
    return str(response)


def wrong_key_twiml(language: str, again_url: str | None) -> str:
    """Another key than 1: ask once more (when `again_url` is given), else goodbye."""
    response = VoiceResponse()
    _say(response, language, WRONG_KEY)
    if again_url:
        _gather(response, language, again_url, PROMPT)
    _say(response, language, GOODBYE)
    response.hangup()
    return str(response)


def hangup_twiml() -> str:
    """Nothing to say (an answering machine, or a call we no longer want)."""
    response = VoiceResponse()
    response.hangup()
    return str(response)
