"""Every reason a page can show from the services reads in French, with no English left.

The services answer in English (the API's language); pages translate the reasons they know
(`web.messages.translate_reason`, `web.reachability_pages.reason_text`) and show any other one
as it is. Each reason here is produced by the service, schema or validator that gives it to a
page, so a reason dropped from the mappings, or reworded in a service, fails its test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import marshmallow as ma
import pytest
from flask_babel import force_locale

from calendars import service as calendars
from calendars.api import SubscriptionIn
from common.errors import Problem, flatten_messages
from directory import accounts, schemas, values
from directory import service as directory
from directory.values import parse_email, parse_language_tag, parse_phone, parse_timezone
from reachability import service as reach
from reachability.planning import parse_month
from reachability.schemas import CampaignIn
from rota import lookup
from rota import schemas as rota_schemas
from rota import service as rotas
from tests.conftest import make_party, make_person, make_user
from tests.web.conftest import form, sign_in
from web import forms
from web.messages import translate_reason
from web.reachability_pages import reason_text

#: Words of the services' English that French never uses: one left in a page means a reason,
#: or part of one, was not translated. (Values put into a reason are names, codes and numbers.)
ENGLISH = frozenset({
    "the", "is", "are", "be", "been", "was", "must", "may", "can", "cannot", "should", "needs",
    "not", "no", "only", "already", "this", "that", "it", "its", "of", "to", "in", "at", "by",
    "with", "from", "for", "than", "and", "or", "you", "your", "there", "after", "before",
    "between", "again", "try", "found", "listed", "twice", "two", "unknown", "required", "valid",
    "invalid", "characters", "sign", "period", "number", "phone", "email", "address", "person",
    "user", "token", "campaign", "subscription", "calendar", "month", "year", "left", "free",
    "call", "failed", "answered", "telephony", "configured", "account", "secretariat", "network",
    "details", "tier", "gap", "desk", "line", "shifts", "override", "overlap", "offset", "wall",
    "clock", "greater", "equal", "less", "one", "whole", "pattern", "string", "expected", "match",
    "any", "every", "each", "empty", "supplied",
})  # fmt: skip


def english_left(text: str) -> set[str]:
    """The words of `text` that are English only."""
    return set(re.findall(r"[^\W\d_]+", text.lower())) & ENGLISH


def untranslated(
    app, reasons: Iterable[str], translate: Callable[[str], str] = translate_reason
) -> dict[str, str]:
    """The reasons whose French text is the English one or still holds English words."""
    with app.test_request_context(), force_locale("fr"):
        shown = {reason: translate(reason) for reason in reasons}
    return {r: text for r, text in shown.items() if text == r or english_left(text)}


def refused(call: Callable[..., Any], *args: Any, **kwargs: Any) -> list[str]:
    """What a page shows when `call` refuses: each field's reason, else the Problem's detail."""
    with pytest.raises(Problem) as caught:
        call(*args, **kwargs)
    problem = caught.value
    return [e["reason"] for e in problem.errors] or [problem.detail]


def value_errors(parse: Callable[[str], Any], bad: Iterable[str]) -> list[str]:
    """The ValueError reason of `parse` for each bad input (each must be refused)."""
    found = []
    for text in bad:
        with pytest.raises(ValueError) as caught:
            parse(text)
        found.append(str(caught.value))
    return found


def schema_errors(schema: ma.Schema, data: dict[str, Any]) -> list[str]:
    """The reasons a schema gives for `data`, as forms.load hands them to the page."""
    with pytest.raises(ma.ValidationError) as caught:
        schema.load(data)
    return [e["reason"] for e in flatten_messages(caught.value.messages)]


def check(app, reasons: list[str], translate: Callable[[str], str] = translate_reason) -> None:
    """Every reason reads in French on a page that shows it through `translate`."""
    assert reasons
    # The words looked for are in each English reason: the check below is not vacuous.
    assert [r for r in reasons if not english_left(r)] == []
    assert untranslated(app, reasons, translate) == {}


# --- validators and schemas ------------------------------------------------------------------


def test_the_validators_reasons_are_translated(app):
    reasons = [
        *value_errors(
            lambda text: parse_phone(text, "FR"),
            [
                *("", "0" * 41, "abc", "0" * 30, "06 12", "+33 99 99 99 99 99", "+999 123456"),
                *("+3 1234567", "+1 200 555 0100"),
            ],
        ),
        *value_errors(lambda text: parse_phone(text, "US"), ["011"]),
        # The reasons phonenumbers' possibility check maps to (not all are easy to provoke).
        *values._POSSIBLE_REASONS.values(),
        "not a possible phone number",
        *value_errors(
            parse_email,
            [
                "abc",
                "@x.fr",
                "a@",
                "a@b",
                "a@x.123",
                "a@x.invalid",
                "a..b@x.fr",
                ".a@x.fr",
                "a.@x.fr",
                "a@.x.fr",
                "a@x.fr.",
                "a@-x.fr",
                "a@x.fr-",
                "a@x-.fr",
                "a;b@x.fr",
                "a@x,fr",
                "Bob <a@x.fr>",
                '"a"@x.fr',
                "a@[1.2.3.4]",
                "a@xn--x.fr",
                "x" * 321,
            ],
        ),
        *value_errors(parse_language_tag, ["x", "xq", "fr-Qaaa", "fr-ZZ", "fr-AQ"]),
        *value_errors(parse_timezone, ["Mars/Olympus"]),
        *value_errors(parse_month, ["December", "2026-13", "1999-01"]),
        *value_errors(lambda count: forms.shift_length_iso(count, "weeks"), ["0", "100001"]),
        *value_errors(lambda unit: forms.shift_length_iso("1", unit), ["fortnights"]),
        *value_errors(lambda text: forms.local_to_aware(text, "Europe/Paris"), ["Tuesday"]),
    ]
    check(app, reasons, reason_text)


def test_the_form_schemas_reasons_are_translated(app, now):
    later = (now + timedelta(days=400)).isoformat()
    reasons = [
        *schema_errors(
            schemas.PersonIn(),
            {
                "full_name": None,
                "email": "abc",
                "timezone": "Mars/Olympus",
                "phones": [{"number": "0" * 41, "kind": "satellite", "label": "x" * 101}],
                "languages": [{"tag": "x", "level": "divine"}],
            },
        ),
        *schema_errors(schemas.PersonIn(), {"full_name": "Anne"} | {"phones": [{}] * 11}),
        *schema_errors(
            schemas.PersonIn(),
            {
                "full_name": "Anne",
                "phones": [{"number": "1", "primary": True}, {"number": "2", "primary": True}],
            },
        ),
        *schema_errors(
            schemas.PersonIn(), {"full_name": "Anne", "languages": [{"tag": "fr"}, {"tag": "fr"}]}
        ),
        *schema_errors(schemas.PersonPatch(), {"full_name": ""}),
        *schema_errors(
            schemas.ContactPointIn(),
            {
                "unit_name": "",
                "kind": "army",
                "office_hours": [{"from_local": "25:00", "to_local": "", "weekdays": ["fri!"]}],
                "effective_from": "soon",
            },
        ),
        *schema_errors(rota_schemas.RotaIn(), {"name": "x" * 121, "tier": 0}),
        *schema_errors(rota_schemas.RotaIn(), {"name": "Duty", "tier": "first"}),
        *schema_errors(
            rota_schemas.RotationIn(),
            {"members": [0], "start_local": "2026-12-07T09:00+01:00", "shift_length": "PT5M"},
        ),
        *schema_errors(
            rota_schemas.RotationIn(),
            {"members": [], "start_local": "1900-01-01T09:00", "shift_length": "P400D"},
        ),
        *schema_errors(
            rota_schemas.RotationIn(),
            {"members": [1], "start_local": "Monday", "shift_length": "P7D"},
        ),
        *schema_errors(
            rota_schemas.OverrideIn(),
            {"person_id": 1, "start": now.isoformat(), "end": now.isoformat()},
        ),
        *schema_errors(
            rota_schemas.OverrideIn(), {"person_id": 1, "start": now.isoformat(), "end": later}
        ),
        *schema_errors(schemas.AuditQuery(), {"party": "1x", "entity": "x" * 33, "before_id": "0"}),
        *schema_errors(schemas.AuditQuery(), {"before_id": "latest"}),
        *schema_errors(CampaignIn(), {"month": "2026-13", "parties": ["FRA"], "window": "never"}),
        *schema_errors(CampaignIn(), {"month": "1999-12", "parties": []}),
        *schema_errors(SubscriptionIn(), {"scope": "party", "party": "FR", "tiers": ["x", 0]}),
    ]
    check(app, reasons, reason_text)


def test_a_422_detail_listing_fields_is_translated_part_by_part(app):
    """The calendar "Subscribe" form shows the detail of a refused form as a whole."""
    with pytest.raises(Problem) as caught:
        forms.load(SubscriptionIn(), {"scope": "party", "party": "FR", "tiers": ["x", 10]})
    detail = caught.value.detail
    assert detail.count("; ") == 1
    check(app, [detail])


# --- services --------------------------------------------------------------------------------


def test_the_directory_rota_and_account_services_reasons_are_translated(
    app, now, france_rota, germany, secretariat_user
):
    france, people, rota = france_rota
    anne, bruno = people[0], people[1]
    german_admin = make_user("party_admin", germany)[0]
    member = make_user("member", email="dora.lang@art35.example")[0]
    lonely = make_party("PT", "Portugal")
    start = now + timedelta(days=2)
    override = {"person_id": anne.id, "start": start, "end": start + timedelta(hours=8)}
    rotas.create_override(secretariat_user, rota, override, now)
    reasons = [
        *refused(rotas.create_rota, german_admin, france, {"name": "B", "tier": 2}, now),
        *refused(reach.create_campaign, member, "2026-12", ["FR"], "any-time", now, app.config),
        *refused(rotas.create_rota, secretariat_user, france, {"name": "Again", "tier": 1}, now),
        *refused(rotas.create_rota, secretariat_user, lonely, {"name": "Duty", "tier": 1}, now),
        *refused(
            rotas.create_override,
            secretariat_user,
            rota,
            override | {"end": start + timedelta(days=366, hours=1)},
            now,
        ),
        *refused(rotas.create_override, secretariat_user, rota, override, now),
        *refused(
            rotas.create_override, secretariat_user, rota, override | {"person_id": 999999}, now
        ),
        *refused(directory.delete_person, secretariat_user, bruno, now),
        *refused(
            lookup.preview_timeline,
            france,
            {
                "timezone": "Europe/Paris",
                "rotations": [],
                "overrides": [override, override | {"start": start + timedelta(hours=1)}],
            },
            now,
            now + timedelta(days=7),
            now=now,
        ),
        *refused(
            directory.update_person,
            secretariat_user,
            anne,
            {"phones": [{"number": "06 12 34 56 01"}, {"number": "+33612345601"}]},
            now,
        ),
        *refused(
            directory.set_contact_point,
            secretariat_user,
            france,
            {
                "unit_name": "OFAC",
                "kind": "police",
                "timezone": "Europe/Paris",
                "new_designation": True,
                "effective_from": now.date() - timedelta(days=30),
            },
            now,
        ),
        *refused(
            calendars.create_subscription,
            member,
            {"scope": "party", "party": "zz", "include_contacts": False},
            now,
        ),
        calendars.subscription_refusal(member, "network", True),
    ]
    for call in (
        lambda: accounts.create_user("abc", "member", now),
        lambda: accounts.create_user("eva@art35.example", "boss", now),
        lambda: accounts.create_user("eva@art35.example", "party_admin", now),
        lambda: accounts.create_user(member.email, "member", now),
        lambda: accounts.set_password(member, "short"),
        lambda: accounts.set_password(member, "x" * 129),
        lambda: accounts.set_password(member, "password1234"),
        lambda: accounts.set_password(member, "123456789012"),
        lambda: accounts.set_password(member, "art35 art35 art35"),
    ):
        with pytest.raises(ValueError) as caught:
            call()
        reasons.append(str(caught.value))
    accounts.set_password(member, "a long enough password")
    reasons += refused(accounts.change_password, member, "wrong", "a new passphrase", now)
    reasons += refused(accounts.use_password_link, "pw_unknown", "a new passphrase", now)
    for _ in range(5):
        reasons += refused(accounts.authenticate_password, member.email, "wrong", now)
    # The sixth attempt from the same source must wait (the account is not locked).
    reasons += refused(accounts.authenticate_password, member.email, "wrong", now)
    member.active = False
    reasons.append(calendars.subscription_refusal(member, "party", False))
    check(app, reasons)


def test_a_missing_record_is_named_in_french(app, now, secretariat_user):
    missing = 999999
    reasons = [
        *refused(directory.get_party, "ZZ"),
        *refused(directory.get_party, "FRA"),
        *refused(directory.get_party_by_id, missing),
        *refused(directory.get_person, missing),
        *refused(rotas.get_rota, missing),
        *refused(rotas.get_rotation, missing),
        *refused(rotas.get_override, missing),
        *refused(accounts.get_user, missing),
        *refused(accounts.get_token, missing),
        *refused(calendars.get_subscription, secretariat_user, missing),
        *refused(reach.get_attempt, missing),
        *refused(reach.get_campaign, missing),
    ]
    check(app, reasons)


def test_the_reachability_services_reasons_are_translated(app, now, france_rota, germany):
    france, people, _rota = france_rota
    secretariat = make_user("secretariat")[0]
    silent = make_person(france, "Élise Sansfil", phone=None)
    config = app.config
    reasons = [
        *refused(reach.request_test_call, secretariat, silent.id, None, now, config),
        *refused(reach.request_test_call, secretariat, people[0].id, "+33612345699", now, config),
        *refused(reach.request_test_call, secretariat, people[0].id, "abc", now, config),
    ]
    france.status = "signatory"
    germany.status = "signatory"
    reasons += refused(reach.create_campaign, secretariat, "2026-12", None, "any-time", now, config)
    reasons += refused(
        reach.create_campaign, secretariat, "2026-12", ["FR", "fr", "ZZ"], "any-time", now, config
    )
    reasons += refused(
        reach.create_campaign, secretariat, "2026-11", ["FR"], "any-time", now, config
    )
    # A campaign's steps that cannot be called: Portugal's tier 1 has no number, its tier 2 a
    # gap, it has no contact point; Germany has no rota; France's call finds telephony off.
    portugal = make_party("PT", "Portugal")
    nobody = make_person(portugal, "Nuno Semtelefone", phone=None)
    for tier, windows in (
        (1, []),
        (2, [{"weekdays": ["sun"], "from_local": "01:00", "to_local": "02:00"}]),
    ):
        rota = rotas.create_rota(
            secretariat,
            portugal,
            {"name": f"T{tier}", "tier": tier, "timezone": "Europe/Lisbon"},
            now,
        )
        rotas.add_rotation(
            secretariat,
            rota,
            rota_schemas.RotationIn().load(
                {
                    "members": [nobody.id],
                    "start_local": "2026-11-02T09:00",
                    "shift_length": "P7D",
                    "restrictions": windows,
                }
            ),
            now,
        )
    campaign = reach.create_campaign(
        None, "2026-12", ["PT", "DE", "FR"], "any-time", now, config, start_at=now
    )
    for slot in campaign.slots:
        reach.advance_slot(
            reach.claim_slot(slot.id, slot.next_step_at), now, config, telephony_on=False
        )
    steps = [a.reason for slot in campaign.slots for a in slot.attempts]
    assert None not in steps
    assert {
        "Nuno Semtelefone (tier 1) has no phone number",
        "no desk line: the Party has no contact point",
        "no tier-1 rota",
        "no tier-2 rota",
        reach.TELEPHONY_OFF,
    } <= set(steps)
    assert any(step.startswith("gap in the tier-2 rota at ") for step in steps)
    reasons += steps
    # What Twilio's events and the dialer leave on a finished call.
    reasons += [
        reach.outcome_of("completed", "human", {})[1],
        reach.outcome_of("completed", "machine_end_other", {})[1],
        reach.outcome_of("completed", "fax", {})[1],
        reach.outcome_of("failed", None, {})[1],
        reach.outcome_of("failed", None, {"SipResponseCode": "486"})[1],
        "The 'To' number +3361234 is not a valid phone number.",  # Twilio's error 21211
        "telephony transport error: HTTPSConnectionPool(host='api.twilio.com', port=443)",
        reach.TELEPHONY_OFF,
    ]
    check(app, reasons, reason_text)


# --- through the pages -----------------------------------------------------------------------


def test_pages_show_the_services_reasons_in_french(client, app, now, france_rota):
    france, people, rota = france_rota
    sign_in(client, make_user("secretariat")[0], lang="fr")

    missing = client.get("/people/999999/edit")
    assert missing.status_code == 404
    assert "il n’y a pas de personne 999999" in missing.text

    too_long = client.post(
        f"/rotas/{rota.id}/overrides/new",
        data=form(person_id=str(people[0].id), start="2026-12-08T09:00", end="2027-12-09T10:00"),
    )
    assert too_long.status_code == 422
    assert "doit être après le début et au plus 366 jours plus tard" in too_long.text

    subscribe = client.post(f"/parties/{france.iso2}/calendar-subscriptions", data=form(tiers="x"))
    assert subscribe.status_code == 422
    assert "doit être un nombre entier" in subscribe.text
    assert "Not a valid integer" not in subscribe.text

    campaign = client.post("/campaigns/new", data=form(month="2026-13", window="any-time"))
    assert campaign.status_code == 422
    assert "le mois doit être compris entre 01 et 12" in campaign.text

    phone = client.get("/check/phone?party=US&number=011")
    assert phone.json == {
        "ok": False,
        "reason": "le numéro est trop court après le préfixe international",
    }
