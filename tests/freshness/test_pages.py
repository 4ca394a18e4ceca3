"""Review-and-confirm, the flags on the board and the Party page, the outbox and health pages,
and the one-time link pages (GET shows a button, only POST acts)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from common.db import db
from directory.models import NumberState
from mail.links import mark_verified
from mail.models import MailPreference, MailToken, OutboxMessage, VerifiedEmail
from mail.reminders import run_reminders
from mail.tokens import issue_token
from tests.conftest import make_party, make_user
from tests.web.conftest import form, sign_in


def test_the_board_flags_an_unconfirmed_party_and_keeps_showing_it(client, france_rota, now):
    user = make_user("member")[0]
    sign_in(client, user)
    html = client.get("/").get_data(as_text=True)
    row = html[html.index('id="row-FR"') :][:3000]
    assert "fresh-expired" in row and "not confirmed" in row
    assert "Bruno Petit" in row  # expired entries are shown, never hidden


def test_a_party_admin_reviews_changes_and_confirms(client, france_rota, now, clock):
    party, _people = france_rota[0], france_rota[1]
    admin = make_user("party_admin", party)[0]
    sign_in(client, admin)
    page = client.get("/parties/FR").get_data(as_text=True)
    assert 'data-state="expired"' in page and "/parties/FR/review" in page
    review = client.get("/parties/FR/review").get_data(as_text=True)
    assert "Recorded changes" in review and "contact_point" in review
    resp = client.post("/parties/FR/review", data=form())
    assert resp.status_code == 302
    page = client.get("/parties/FR").get_data(as_text=True)
    assert 'data-state="current"' in page
    clock.advance(days=1)
    review = client.get("/parties/FR/review").get_data(as_text=True)
    assert "Nothing changed since the last confirmation" in review


def test_members_and_other_admins_cannot_confirm(client, france_rota, now):
    other = make_user("party_admin", make_party("DE", "Germany"))[0]
    sign_in(client, other)
    assert client.get("/parties/FR/review").status_code == 403
    assert client.post("/parties/FR/review", data=form()).status_code == 403


def test_numbers_and_emails_carry_their_state_on_the_party_page(client, france_rota, now):
    _party, people = france_rota[0], france_rota[1]
    people[0].email = "anne@ofac.example"
    db.session.add(
        NumberState(
            e164="+33612345601", failures_in_row=2, last_outcome="no-answer", last_result_at=now
        )
    )
    db.session.commit()
    sign_in(client, make_user("member")[0])
    html = client.get("/parties/FR").get_data(as_text=True)
    card = html[html.index(f'id="person-{people[0].id}"') :][:3000]
    assert "unreachable (failed twice)" in card and "e-mail not verified" in card
    mark_verified("anne@ofac.example", now)
    db.session.commit()
    html = client.get("/parties/FR").get_data(as_text=True)
    card = html[html.index(f'id="person-{people[0].id}"') :][:3000]
    assert "e-mail verified" in card


def test_the_secretariat_reads_every_message_in_the_outbox(
    client, france_rota, now, secretariat_user
):
    run_reminders(now, {"PUBLIC_BASE_URL": "http://art35.test"})
    db.session.commit()
    sign_in(client, secretariat_user)
    html = client.get("/secretariat/outbox").get_data(as_text=True)
    assert "Weekly digest" in html
    digest = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "digest"))
    page = client.get(f"/secretariat/outbox/{digest.id}").get_data(as_text=True)
    assert "never confirmed" in page and digest.message_id.strip("<>") in page
    member = make_user("member")[0]
    sign_in(client, member)
    assert client.get("/secretariat/outbox").status_code == 403


def test_the_health_page_draws_the_trend_inline(client, france_rota, now, secretariat_user):
    sign_in(client, secretariat_user)
    resp = client.get("/secretariat/health")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<svg" in html and 'id="health-FR"' in html
    assert "<script" not in html[html.index("<svg") : html.index("</svg>")]


def test_a_verification_link_verifies_only_when_its_button_is_pressed(client, now):
    secret = issue_token("verify", "Anne@OFAC.example", now)
    db.session.commit()
    page = client.get(f"/mail/verify/{secret}")
    assert page.status_code == 200 and '<form method="post"' in page.get_data(as_text=True)
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]
    assert db.session.get(VerifiedEmail, "anne@ofac.example") is None  # a scanner's GET: nothing
    assert client.post(f"/mail/verify/{secret}").status_code == 200
    assert db.session.get(VerifiedEmail, "anne@ofac.example") is not None
    assert client.post(f"/mail/verify/{secret}").status_code == 404  # single use
    stored = db.session.scalar(sa.select(MailToken))
    assert secret not in stored.token_hash and len(stored.token_hash) == 64


def test_a_verification_link_expires_after_seven_days(client, now, clock):
    secret = issue_token("verify", "anne@ofac.example", now)
    db.session.commit()
    clock.advance(days=7)
    assert client.get(f"/mail/verify/{secret}").status_code == 404
    assert client.post(f"/mail/verify/{secret}").status_code == 404


def test_one_click_unsubscribe_stops_duty_reminders(client, france_rota, now):
    person = france_rota[1][0]
    db.session.add(MailPreference(person_id=person.id, duty_reminder_hours=12, updated_at=now))
    secret = issue_token("unsubscribe", "anne@ofac.example", now, person_id=person.id)
    db.session.commit()
    resp = client.post(
        f"/mail/unsubscribe/{secret}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert resp.status_code == 200
    assert db.session.get(MailPreference, person.id).duty_reminder_hours is None
    assert re.search("no more duty reminders", resp.get_data(as_text=True))


def test_a_changed_address_needs_verifying_again(client, now):
    from mail.reminders import unverified_addresses
    from tests.conftest import make_person

    party = make_party("FR", "France")
    anne = make_person(party, "Anne", email="anne@ofac.example")
    _user, headers = make_user("secretariat")
    mark_verified("anne@ofac.example", now)
    db.session.commit()
    assert unverified_addresses() == {}
    resp = client.patch(
        f"/api/v1/people/{anne.id}", headers=headers, json={"email": "anne.new@ofac.example"}
    )
    assert resp.status_code == 200, resp.json
    assert unverified_addresses() == {party.id: ["anne.new@ofac.example"]}
    run_reminders(now, {"PUBLIC_BASE_URL": "http://art35.test"})
    db.session.commit()
    [link] = _verify_mails("anne.new@ofac.example")
    assert "/mail/verify/" in link.body_text
    assert link.locale == "fr" and "vérifier" in link.subject  # Anne's first language


def _verify_mails(address):
    return list(
        db.session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.kind == "verify", OutboxMessage.to_addr == address
            )
        )
    )


def test_an_editor_opts_a_person_in_to_duty_reminders_on_the_party_page(client, france_rota, now):
    party, people = france_rota[0], france_rota[1]
    people[0].email = "anne@ofac.example"
    db.session.commit()
    admin = make_user("party_admin", party)[0]
    sign_in(client, admin)
    html = client.get("/parties/FR").get_data(as_text=True)
    assert f'action="/people/{people[0].id}/duty-reminders"' in html
    assert f'action="/people/{people[1].id}/duty-reminders"' not in html  # no address
    resp = client.post(f"/people/{people[0].id}/duty-reminders", data=form(hours="12"))
    assert resp.status_code == 302
    assert db.session.get(MailPreference, people[0].id).duty_reminder_hours == 12
    client.post(f"/people/{people[0].id}/duty-reminders", data=form(hours="99"))
    assert db.session.get(MailPreference, people[0].id).duty_reminder_hours == 12
    client.post(f"/people/{people[0].id}/duty-reminders", data=form(hours=""))
    assert db.session.get(MailPreference, people[0].id).duty_reminder_hours is None
    sign_in(client, make_user("member")[0])
    html = client.get("/parties/FR").get_data(as_text=True)
    assert "duty-reminders" not in html
    assert (
        client.post(f"/people/{people[0].id}/duty-reminders", data=form(hours="5")).status_code
        == 403
    )


def test_the_review_page_sends_verification_links_again(client, france_rota, now, clock):
    party, people = france_rota[0], france_rota[1]
    people[0].email = "anne@ofac.example"
    db.session.commit()
    sign_in(client, make_user("party_admin", party)[0])
    assert client.post("/parties/FR/verification-links", data=form()).status_code == 302
    assert client.post("/parties/FR/verification-links", data=form()).status_code == 302
    assert len(_verify_mails("anne@ofac.example")) == 1  # a double click: one link
    clock.advance(minutes=5)
    client.post("/parties/FR/verification-links", data=form())
    assert len(_verify_mails("anne@ofac.example")) == 2  # later: a new link
