"""The demo document: plausible, valid, fictional and deterministic (pure: no app, no database)."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import phonenumbers
import pytest

from directory.demo import ascii_slug, demo_document
from directory.models import CONTACT_POINT_KINDS, LANGUAGE_LEVELS
from directory.transfer import FORMAT, VERSION, _Document, _normalize_numbers, parties_from_csv
from directory.values import parse_email, parse_language_tag, parse_timezone


@pytest.fixture(scope="module")
def csv_parties() -> list[dict[str, Any]]:
    return parties_from_csv()


@pytest.fixture(scope="module")
def doc(csv_parties: list[dict[str, Any]]) -> dict[str, Any]:
    return demo_document(copy.deepcopy(csv_parties))


def _people(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(party["iso2"], person) for party in doc["parties"] for person in party["people"]]


def _numbers(doc: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for party in doc["parties"]:
        iso2 = party["iso2"]
        for cp in party["contact_points"]:
            found += [(iso2, cp["desk_phone"]), (iso2, cp["mla_authority"]["phone"])]
        for person in party["people"]:
            found += [(iso2, phone["number"]) for phone in person["phones"]]
    return found


def test_document_envelope_and_party_fields_unchanged(csv_parties, doc):
    assert doc["format"] == FORMAT
    assert doc["version"] == VERSION
    assert len(doc["parties"]) == len(csv_parties) == 87
    for original, party in zip(csv_parties, doc["parties"], strict=True):
        for key, value in original.items():
            if key not in ("contact_points", "people"):
                assert party[key] == value, (party["iso2"], key)


def test_input_is_not_mutated(csv_parties):
    before = copy.deepcopy(csv_parties)
    demo_document(csv_parties)
    assert csv_parties == before


def test_same_output_every_call(csv_parties, doc):
    assert demo_document(parties_from_csv()) == doc
    assert demo_document(copy.deepcopy(csv_parties)) == doc


def test_every_party_has_one_current_contact_point(doc):
    for party in doc["parties"]:
        cps = party["contact_points"]
        current = [cp for cp in cps if cp["effective_to"] is None]
        assert len(current) == 1, party["iso2"]
        cp = current[0]
        assert cp is cps[-1]
        assert cp["kind"] in CONTACT_POINT_KINDS
        assert cp["unit_name"].endswith("(demo)")
        assert cp["address"]
        assert cp["email"] == f"24-7@cyber.{party['iso2'].lower()}.example"
        assert cp["mla_authority"]["email"] == f"mla@justice.{party['iso2'].lower()}.example"
        assert cp["mla_authority"]["name"]
        assert cp["office_hours"] == [
            {
                "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                "from_local": "09:00",
                "to_local": "17:00",
            }
        ]
        assert cp["effective_from"] == (party["in_force_date"] or "2020-01-01") or len(cps) > 1
    preservation = [
        party["contact_points"][-1]["can_order_preservation"] for party in doc["parties"]
    ]
    assert 0.3 < sum(preservation) / len(preservation) < 0.7


def test_a_few_parties_show_a_designation_history(doc):
    with_history = [party for party in doc["parties"] if len(party["contact_points"]) > 1]
    assert 3 <= len(with_history) <= 4
    for party in with_history:
        former, current = party["contact_points"]
        assert former["effective_to"] == current["effective_from"]
        assert former["effective_from"] < current["effective_from"]
        assert former["effective_from"] == (party["in_force_date"] or "2020-01-01")
        assert (former["unit_name"], former["kind"]) != (current["unit_name"], current["kind"])


def test_every_party_has_three_to_six_people(doc):
    for party in doc["parties"]:
        people = party["people"]
        assert 3 <= len(people) <= 6, party["iso2"]
        assert sum(not person["active"] for person in people) <= 1
        emails = [person["email"] for person in people]
        assert len(set(emails)) == len(emails), party["iso2"]
        for person in people:
            assert person["full_name"] and person["title"]
            assert person["timezone"] is None
            assert person["last_confirmed_at"] is None
    inactive = sum(not person["active"] for _, person in _people(doc))
    assert 1 <= inactive <= 20


def test_phones_are_valid_for_the_party_region_and_unique(doc):
    numbers = _numbers(doc)
    assert all(number for _, number in numbers)
    for region, number in numbers:
        parsed = phonenumbers.parse(number, None)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.is_valid_number_for_region(parsed, region), (region, number)
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
    duplicates = [n for n, count in Counter(n for _, n in numbers).items() if count > 1]
    assert duplicates == []


def test_people_have_one_or_two_phones_the_first_primary(doc):
    kinds = Counter()
    for _, person in _people(doc):
        phones = person["phones"]
        assert 1 <= len(phones) <= 2
        assert [phone["primary"] for phone in phones] == [True] + [False] * (len(phones) - 1)
        for phone in phones:
            assert phone["kind"] in ("mobile", "fixed_line")
            kinds[phone["kind"]] += 1
    assert kinds["mobile"] > kinds["fixed_line"] > 0


def test_fictional_ranges_are_used_where_they_exist(doc):
    by_iso2 = {party["iso2"]: party for party in doc["parties"]}
    us = [n for region, n in _numbers(doc) if region == "US"]
    assert all(n.startswith("+120155501") for n in us)
    assert by_iso2["GB"]["contact_points"][-1]["desk_phone"].startswith("+442079460")


def test_language_tags_are_valid(doc):
    for iso2, person in _people(doc):
        tags = [lang["tag"] for lang in person["languages"]]
        assert len(set(tags)) == len(tags), (iso2, tags)
        assert person["languages"][0]["level"] == "native"
        for lang in person["languages"]:
            assert parse_language_tag(lang["tag"]) == lang["tag"]
            assert lang["level"] in LANGUAGE_LEVELS


def test_most_people_speak_english(doc):
    people = _people(doc)
    english = [p for _, p in people if any(lang["tag"] == "en" for lang in p["languages"])]
    assert len(english) / len(people) >= 0.75
    others = Counter(
        lang["tag"] for _, p in people for lang in p["languages"][1:] if lang["tag"] != "en"
    )
    assert {"fr", "de", "es"} <= set(others)


def test_timezones_are_iana_zones_of_the_capital(doc):
    zones = {party["iso2"]: party["contact_points"][-1]["timezone"] for party in doc["parties"]}
    for zone in zones.values():
        assert parse_timezone(zone) == zone
    assert "UTC" not in zones.values()  # every CSV Party is in the mapping
    assert zones["US"] == "America/New_York"
    assert zones["CA"] == "America/Toronto"
    assert zones["AU"] == "Australia/Sydney"
    assert zones["BR"] == "America/Sao_Paulo"
    assert zones["JP"] == "Asia/Tokyo"


def test_emails_are_valid_ascii_and_fictional(doc):
    for party in doc["parties"]:
        domain = f"@cyber.{party['iso2'].lower()}.example"
        for cp in party["contact_points"]:
            assert parse_email(cp["email"]) == cp["email"]
            assert parse_email(cp["mla_authority"]["email"]) == cp["mla_authority"]["email"]
        for person in party["people"]:
            email = person["email"]
            assert parse_email(email) == email
            assert email.isascii() and email.endswith(domain)
            local = email.removesuffix(domain)
            assert local.count(".") == 1 and all(local.split("."))


def test_local_scripts_come_with_a_transliteration(doc):
    by_iso2 = {party["iso2"]: party for party in doc["parties"]}
    for iso2 in ("GE", "GR", "UA", "AM", "JP"):
        for person in by_iso2[iso2]["people"]:
            native, _, latin = person["full_name"].partition(" (")
            assert not native.isascii() and latin.endswith(")") and latin.isascii()


def test_ascii_slug():
    assert ascii_slug("Đorđević") == "djordjevic"
    assert ascii_slug("O'Brien") == "obrien"
    assert ascii_slug("van der Merwe") == "vandermerwe"
    assert ascii_slug("Sigurðardóttir") == "sigurdardottir"
    assert ascii_slug("Məmmədli") == "memmedli"
    assert ascii_slug("Jean-François") == "jean-francois"


def test_the_importer_would_accept_the_document(doc):
    loaded = _Document().load(copy.deepcopy(doc))
    errors: list[dict[str, str]] = []
    for i, party in enumerate(loaded["parties"]):
        _normalize_numbers(party, f"parties[{i}]", errors)
    assert errors == []


def test_a_party_missing_from_the_mapping_still_gets_valid_data():
    party = {
        "iso2": "IN",
        "name": "India",
        "status": "invited",
        "ratified_date": None,
        "in_force_date": None,
        "source": None,
        "contact_points": [],
        "people": [],
    }
    [demo] = demo_document([party])["parties"]
    assert demo["contact_points"][0]["timezone"] == "UTC"
    assert 3 <= len(demo["people"]) <= 6
    for _, number in _numbers({"parties": [demo]}):
        assert phonenumbers.is_valid_number_for_region(phonenumbers.parse(number), "IN")
