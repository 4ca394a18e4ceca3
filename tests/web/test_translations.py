"""The French catalogue is complete, compiled, and matches the messages in the code."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def _catalogue():
    with PO.open("rb") as fh:
        return read_po(fh, locale="fr")


def _key(value):
    return value if isinstance(value, str) else tuple(value)


def _strings(catalogue) -> dict:
    return {_key(m.id): _key(m.string) for m in catalogue if m.id}


def test_every_french_message_is_translated_and_none_is_fuzzy():
    catalogue = _catalogue()
    untranslated = [
        m.id
        for m in catalogue
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_their_placeholders():
    problems = [(m.id, [str(e) for e in errors]) for m, errors in _catalogue().check()]
    assert problems == []


def test_the_compiled_catalogue_is_up_to_date():
    with MO.open("rb") as fh:
        compiled = read_mo(fh)
    assert _strings(compiled) == _strings(_catalogue()), "run: pybabel compile -d translations"


def test_the_catalogue_has_every_message_of_the_code_and_no_stale_one():
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.add(_key(message))
    in_catalogue = {_key(m.id) for m in _catalogue() if m.id}
    assert found - in_catalogue == set(), "run pybabel extract and update (see babel.cfg)"
    assert in_catalogue - found == set(), "the catalogue has messages the code no longer uses"
