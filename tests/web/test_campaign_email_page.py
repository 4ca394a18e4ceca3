"""The campaign page's e-mail test: the button, what it queued, the acknowledgement times, roles."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from common.db import db
from directory import service as directory
from directory.schemas import ContactPointIn
from mail.links import record_ack
from mail.models import EmailAck, OutboxMessage
from reachability import service
from tests.conftest import make_party, make_user
from tests.web.conftest import form, sign_in

ADDRESS = "24-7@ofac.example"


def _row(page: str, iso2: str) -> str:
    """The e-mail test table's row of a Party."""
    section = page.split('id="email-test"')[1]
    return section.split(f'data-party="{iso2}"')[1].split("</tr>")[0]


def _messages() -> list[OutboxMessage]:
    return list(
        db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "ack-test"))
    )


@pytest.fixture
def campaign(france_rota, germany, secretariat_user, now):
    """December's campaign of France (its contact point has an address) and Germany (none)."""
    france = france_rota[0]
    body = {
        "unit_name": "OFAC 24/7",
        "kind": "police",
        "timezone": "Europe/Paris",
        "desk_phone": "+33 1 23 45 67 89",
        "email": ADDRESS,
    }
    directory.set_contact_point(secretariat_user, france, ContactPointIn().load(body), now)
    record = service.create_campaign(
        secretariat_user, "2026-12", ["FR", "DE"], "any-time", now, {"CALLS_PER_SECOND": 1}
    )
    db.session.commit()
    return record


def test_the_secretariat_tests_e_mail_and_sees_what_was_queued(signed_in, campaign):
    page = signed_in.get(f"/campaigns/{campaign.id}").text
    assert f'action="/campaigns/{campaign.id}/email-test"' in page
    assert "Also test e-mail (8-hour acknowledgement)" in page
    assert 'data-ack="not-tested"' in _row(page, "FR")

    resp = signed_in.post(f"/campaigns/{campaign.id}/email-test", data=form())
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"/campaigns/{campaign.id}#email-test"
    [message] = _messages()
    assert message.to_addr == ADDRESS and message.locale == "fr"
    page = signed_in.get(f"/campaigns/{campaign.id}").text
    assert f"Test e-mails queued: 1 (France → {ADDRESS})." in page
    assert 'data-ack="waiting"' in _row(page, "FR") and ADDRESS in _row(page, "FR")
    germany = _row(page, "DE")
    assert 'data-ack="not-tested"' in germany
    assert "the contact point has no e-mail address" in germany


def test_asking_again_queues_nothing_new_as_the_api_does(signed_in, campaign, secretariat):
    assert signed_in.post(f"/campaigns/{campaign.id}/email-test", data=form()).status_code == 303
    again = signed_in.post(f"/campaigns/{campaign.id}/email-test", data=form())
    assert again.status_code == 303
    page = signed_in.get(f"/campaigns/{campaign.id}").text
    assert "No test e-mail was queued: every Party of this campaign was already tested" in page
    assert len(_messages()) == 1
    # The API and the page share one record per campaign and Party.
    api = signed_in.application.test_client().post(
        f"/api/v1/campaigns/{campaign.id}/email-test", headers=secretariat
    )
    assert api.status_code == 200 and api.json == {"campaign": campaign.id, "sent": []}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EmailAck)) == 1


def test_a_test_the_api_queued_shows_on_the_page(signed_in, campaign, secretariat):
    api = signed_in.application.test_client().post(
        f"/api/v1/campaigns/{campaign.id}/email-test", headers=secretariat
    )
    assert api.json["sent"] == ["FR"]
    signed_in.post(f"/campaigns/{campaign.id}/email-test", data=form())
    assert len(_messages()) == 1
    assert 'data-ack="waiting"' in _row(signed_in.get(f"/campaigns/{campaign.id}").text, "FR")


@pytest.mark.parametrize(
    ("name", "hours", "acknowledged", "state", "words"),
    [
        ("acknowledged-in-3h", 3, True, "within", "received after 3 hours (within 8 hours)"),
        ("acknowledged-in-9h", 9, True, "late", "received after 9 hours (more than 8 hours)"),
        ("waiting-2h", 2, False, "waiting", "not yet (waiting for 2 hours)"),
        ("silent-9h", 9, False, "overdue", "not yet: no answer after 9 hours (more than 8"),
    ],
)
def test_the_acknowledgement_time_against_8_hours(
    signed_in, campaign, clock, name, hours, acknowledged, state, words
):
    signed_in.post(f"/campaigns/{campaign.id}/email-test", data=form())
    clock.advance(hours=hours)
    if acknowledged:
        record_ack(db.session.scalar(sa.select(EmailAck.id)), clock())
        db.session.commit()
    row = _row(signed_in.get(f"/campaigns/{campaign.id}").text, "FR")
    assert f'data-ack="{state}"' in row, name
    assert words in row, name


@pytest.mark.parametrize("role", ["member", "other_admin", "own_admin"])
def test_only_the_secretariat_may_send_it(client, campaign, role):
    france = next(s.party for s in campaign.slots if s.party.iso2 == "FR")
    party = {"member": None, "other_admin": make_party("IT", "Italy"), "own_admin": france}[role]
    user, _headers = make_user("member" if party is None else "party_admin", party)
    sign_in(client, user)
    page = client.get(f"/campaigns/{campaign.id}").text
    assert "/email-test" not in page  # no button
    resp = client.post(f"/campaigns/{campaign.id}/email-test", data=form())
    assert resp.status_code == 403
    assert _messages() == []


def test_who_sees_which_acknowledgements(client, campaign):
    france = next(s.party for s in campaign.slots if s.party.iso2 == "FR")
    member, _ = make_user("member")
    sign_in(client, member)
    assert 'id="email-test"' not in client.get(f"/campaigns/{campaign.id}").text
    admin, _ = make_user("party_admin", france)
    sign_in(client, admin)
    page = client.get(f"/campaigns/{campaign.id}").text
    assert 'data-party="FR" data-ack=' in page and 'data-party="DE" data-ack=' not in page


def test_signed_out_forged_and_unknown(signed_in, campaign):
    anonymous = signed_in.application.test_client()
    with anonymous.session_transaction() as session:
        session["_csrf"] = form()["_csrf"]
    resp = anonymous.post(f"/campaigns/{campaign.id}/email-test", data=form())
    assert resp.status_code in (302, 303) and "/login" in resp.headers["Location"]
    forged = signed_in.post(f"/campaigns/{campaign.id}/email-test", data={"_csrf": "forged"})
    assert forged.status_code == 400
    assert signed_in.post("/campaigns/999999/email-test", data=form()).status_code == 404
    assert _messages() == []


def test_in_french(client, campaign, secretariat_user):
    sign_in(client, secretariat_user, lang="fr")
    page = client.get(f"/campaigns/{campaign.id}").text
    assert "Tester aussi le courriel (accusé de réception sous 8 heures)" in page
    client.post(f"/campaigns/{campaign.id}/email-test", data=form())
    page = client.get(f"/campaigns/{campaign.id}").text
    assert re.search(r"Courriels de test mis en file : 1 \(France → " + re.escape(ADDRESS), page)
    assert "pas encore" in _row(page, "FR")


def test_the_section_costs_the_same_statements_for_2_or_6_parties(signed_in, campaign, now):
    from tests.sql_statements import sql_statements

    def page_statements(campaign_id: int) -> int:
        db.session.expire_all()
        with sql_statements() as sent:
            assert signed_in.get(f"/campaigns/{campaign_id}").status_code == 200
        return len(sent)

    codes = ["IT", "ES", "PT", "NL"]
    for code in codes:
        make_party(code, code)
    bigger = service.create_campaign(
        None, "2027-01", ["FR", "DE", *codes], "any-time", now, {"CALLS_PER_SECOND": 1}
    )
    db.session.commit()
    small_id, bigger_id = campaign.id, bigger.id
    page_statements(small_id)  # the session's first request also records it was seen
    assert page_statements(bigger_id) == page_statements(small_id)
