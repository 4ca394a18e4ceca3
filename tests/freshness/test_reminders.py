"""Reminders, escalation, the digest and duty reminders: who gets what, when, once, in which
language, and that nobody reads another Party's contact data."""

from __future__ import annotations

import sqlalchemy as sa

from common.db import db
from directory import freshness
from mail.models import MailPreference, OutboxMessage
from mail.reminders import run_reminders
from tests.conftest import make_party, make_person, make_user

CONFIG = {"PUBLIC_BASE_URL": "http://art35.test"}


def _run(clock):
    summary = run_reminders(clock(), CONFIG)
    db.session.commit()
    return summary


def _mail(kind=None, to=None):
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    if to:
        query = query.where(OutboxMessage.to_addr == to)
    return list(db.session.scalars(query))


def _confirmed(party, user, clock):
    freshness.confirm_party(user, party, clock())
    db.session.commit()


def test_due_then_overdue_then_escalation_each_once(clock, france):
    admin = make_user("party_admin", france, email="admin@fr.example")[0]
    sec = make_user("secretariat", email="sec@art35.example")[0]
    _confirmed(france, admin, clock)  # 29 Nov 2026: valid until 29 May 2027
    _run(clock)
    assert _mail("reminder-due") == [] and _mail("reminder-overdue") == []

    clock.set(clock().replace(year=2027, month=4, day=29))  # 30 days before: due soon
    _run(clock)
    _run(clock)  # a second pass (or a second worker) queues nothing more
    [due] = _mail("reminder-due")
    assert due.to_addr == "admin@fr.example" and "29 May 2027" in due.subject
    assert "http://art35.test/parties/FR/review" in due.body_text
    assert due.dedupe_key == f"confirm-due:FR:20270529:{admin.id}"

    clock.set(clock().replace(month=5, day=29))  # valid_until: overdue
    _run(clock)
    [overdue] = _mail("reminder-overdue")
    assert overdue.to_addr == "admin@fr.example" and "OVERDUE" in overdue.subject
    assert _mail("reminder-escalate") == []

    clock.advance(days=7)  # a week late: the secretariat hears of it, once
    _run(clock)
    _run(clock)
    [escalation] = _mail("reminder-escalate")
    assert escalation.to_addr == sec.email and "admin@fr.example" in escalation.body_text
    assert len(_mail("reminder-overdue")) == 1

    _confirmed(france, admin, clock)  # a new validity: a new period, reminded again later
    clock.advance(days=160)
    _run(clock)
    assert len(_mail("reminder-due")) == 2


def test_reminders_speak_the_readers_language_in_text_and_html(clock, france):
    admin = make_user("party_admin", france, email="admin@fr.example")[0]
    admin.locale = "fr"
    db.session.commit()
    _run(clock)  # never confirmed
    [never] = _mail("reminder-never")
    assert never.locale == "fr"
    assert "merci de confirmer" in never.subject and "France" in never.subject
    assert "Vérifier et confirmer" in never.body_text
    assert never.body_html.startswith("<!doctype html>") and "<script" not in never.body_html


def test_a_party_admin_reads_only_their_own_party(clock, france):
    germany = make_party("DE", "Germany")
    make_person(germany, "Dieter Geheim", phone="+4915112345678", email="dieter@bka.example")
    make_user("party_admin", france, email="admin@fr.example")
    _run(clock)
    for message in _mail(to="admin@fr.example"):
        assert "Dieter" not in message.body_text and "+4915112345678" not in message.body_text
        assert "Germany" not in message.body_text


def test_the_weekly_digest_reaches_the_secretariat_once_a_week(clock, france):
    sec = make_user("secretariat", email="sec@art35.example")[0]
    make_person(france, "Anne", phone="+33612345601", email="anne@ofac.example")
    from directory.numbers import record_number_result

    record_number_result("+33612345601", "failed", clock())
    record_number_result("+33612345601", "failed", clock())
    db.session.commit()
    _run(clock)
    [digest] = _mail("digest")
    assert digest.to_addr == sec.email and "2026-W48" in digest.subject
    text = digest.body_text
    assert "France: never confirmed" in text
    assert "Anne, +33612345601 (2 failures in a row" in text
    assert "anne@ofac.example" in text
    assert "France: tier 1" in text  # no rota at all: a gap over the 14 days
    clock.advance(hours=6)  # still Sunday: the same ISO week
    _run(clock)
    assert len(_mail("digest")) == 1
    clock.advance(days=7)
    _run(clock)
    assert len(_mail("digest")) == 2


def test_duty_reminders_only_for_those_who_opt_in_with_an_unsubscribe_link(client, clock):
    from tests.web.conftest import NOW

    clock.set(NOW)
    party = make_party("FR", "France")
    sec = make_user("secretariat")[0]
    anne = make_person(party, "Anne", phone="+33612345601", email="anne@ofac.example")
    bruno = make_person(party, "Bruno", phone="+33612345602", email="bruno@ofac.example")
    from rota import service as rotas
    from rota.schemas import RotationIn

    rota = rotas.create_rota(
        sec, party, {"name": "Duty", "tier": 1, "timezone": "Europe/Paris"}, clock()
    )
    rotas.add_rotation(
        sec,
        rota,
        RotationIn().load(
            {
                "members": [bruno.id, anne.id],
                "start_local": "2026-11-30T09:00",
                "shift_length": "P1D",
            }
        ),
        clock(),
    )
    db.session.add(MailPreference(person_id=bruno.id, duty_reminder_hours=24, updated_at=clock()))
    db.session.commit()
    _run(clock)  # Tue 1 Dec 13:00 Paris: Bruno's next shift is Wed 09:00, in 20 h
    [duty] = _mail("duty")
    assert duty.to_addr == "bruno@ofac.example"
    assert "2026-12-02 09:00" in duty.body_text
    unsubscribe = duty.headers["List-Unsubscribe"].strip("<>")
    assert duty.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in duty.body_text
    _run(clock)
    assert len(_mail("duty")) == 1
    path = unsubscribe.removeprefix("http://art35.test")
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    clock.advance(days=2)
    _run(clock)
    assert len(_mail("duty")) == 1  # unsubscribed: no more
    assert _mail(to="anne@ofac.example", kind="duty") == []
