"""Test-call results grade each number; an unreachable number gives way to the person's others."""

from __future__ import annotations

from common.db import db
from directory.models import Phone
from directory.numbers import number_states, number_to_try, record_number_result
from reachability.models import Attempt
from reachability.service import finish_attempt
from tests.conftest import make_person


def _attempt(party, person, phone, now):
    attempt = Attempt(
        kind="on_demand", party_id=party.id, person_id=person.id, target="person",
        phone=phone, language="en", state="placed", requested_by="test", created_at=now,
        due_at=now,
    )  # fmt: skip
    db.session.add(attempt)
    db.session.flush()
    return attempt


def test_finished_calls_grade_their_number(france, clock):
    person = make_person(france, "Anne", phone="+33612345601")
    for outcome, expected in [
        ("no-answer", "failed_once"),
        ("busy", "unreachable"),
        ("not-tested", "unreachable"),
        ("confirmed", "confirmed"),
    ]:
        finish_attempt(_attempt(france, person, "+33612345601", clock()), outcome, clock(), {})
        assert number_states(["+33612345601"]) == {"+33612345601": expected}, outcome
        clock.advance(days=30)


def test_the_next_campaign_tries_the_persons_other_number(france, clock):
    person = make_person(france, "Anne", phone="+33612345601")
    person.phones.append(Phone(e164="+33612345602", kind="mobile", primary=False, position=1))
    db.session.commit()
    assert number_to_try(person).e164 == "+33612345601"
    record_number_result("+33612345601", "failed", clock())
    assert number_to_try(person).e164 == "+33612345601"  # failed once: still the primary
    record_number_result("+33612345601", "no-answer", clock())
    assert number_to_try(person).e164 == "+33612345602"
    record_number_result("+33612345602", "failed", clock())
    record_number_result("+33612345602", "failed", clock())
    assert number_to_try(person).e164 == "+33612345601"  # all unreachable: the primary again
