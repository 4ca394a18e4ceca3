"""The health report (JSON and CSV), its score, and the 8-hour e-mail acknowledgement."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from common.db import db
from mail.models import EmailAck, OutboxMessage
from reachability.health import score_parts
from tests.conftest import make_party, make_person, make_user


def _cp(client, headers, iso2="FR", email="24-7@ofac.example"):
    body = {"unit_name": "OFAC", "kind": "police", "timezone": "Europe/Paris", "email": email}
    resp = client.put(f"/api/v1/parties/{iso2}/contact-point", headers=headers, json=body)
    assert resp.status_code == 200, resp.json


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("nothing-known", ("expired", {}, 0, 0, None, None, 720), 0),
        ("perfect", ("current", {"confirmed": 4}, 2, 0, "confirmed", 3600, 0), 100),
        ("due-soon-half-numbers", ("due_soon", {"confirmed": 1, "unreachable": 1}, 1, 1,
                                   "voicemail", 9 * 3600, 360), 25 + 12.5 + 0 + 5 + 0 + 5),
        ("ack-exactly-8h-counts", ("overdue", {}, 0, 0, None, 8 * 3600, 720), 10 + 10),
    ],
)  # fmt: skip
def test_the_score_adds_its_documented_parts(name, args, expected):
    assert sum(score_parts(*args).values()) == pytest.approx(expected), name


def test_health_report_json_and_csv_with_formulas_neutralised(client, clock, secretariat):
    make_party("FR", '=HYPERLINK("http://evil")')
    make_person(make_party("DE", "Germany"), "Dieter", phone="+4915112345678")
    resp = client.get("/api/v1/health-report", headers=secretariat)
    assert resp.status_code == 200
    body = resp.get_json()
    (fr,) = [r for r in body["items"] if r["iso2"] == "FR"]
    assert fr["freshness"] == "expired" and fr["score"] == 0
    assert fr["gap_hours_30d"] == 720.0
    assert len(body["trend"]) == 12 and body["trend"][-1]["month"] == "2026-11"
    csv = client.get("/api/v1/health-report", headers={**secretariat, "Accept": "text/csv"})
    assert csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].startswith("party,name,score,freshness")
    assert any(line.startswith("FR,'=HYPERLINK") or "\"'=HYPERLINK" in line for line in lines)


def test_members_may_not_read_the_health_report(client, member):
    assert client.get("/api/v1/health-report", headers=member).status_code == 403


def test_a_party_admin_reads_only_their_own_row(client, clock):
    france = make_party("FR", "France")
    make_party("DE", "Germany")
    _admin, headers = make_user("party_admin", france)
    body = client.get("/api/v1/health-report", headers=headers).get_json()
    assert [r["iso2"] for r in body["items"]] == ["FR"] and body["trend"] == []


def test_the_email_test_is_acknowledged_and_timed(client, clock, secretariat):
    make_party("FR", "France")
    make_party("DE", "Germany")
    _cp(client, secretariat)
    from directory.models import User
    from reachability import service

    sec = db.session.scalar(sa.select(User).where(User.role == "secretariat"))
    campaign = service.create_campaign(
        sec, "2026-12", ["FR", "DE"], "any-time", clock(), {"CALLS_PER_SECOND": 1}
    )
    db.session.commit()
    resp = client.post(f"/api/v1/campaigns/{campaign.id}/email-test", headers=secretariat)
    assert resp.get_json()["sent"] == ["FR"]  # Germany has no contact point address
    again = client.post(f"/api/v1/campaigns/{campaign.id}/email-test", headers=secretariat)
    assert again.get_json()["sent"] == []
    [message] = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "ack-test"))
    assert message.to_addr == "24-7@ofac.example" and "Germany" not in message.body_text
    link = re.search(r"http://art35.test(/mail/ack/\S+)", message.body_text).group(1)
    assert client.get(link).status_code == 200
    assert db.session.scalar(sa.select(EmailAck.acknowledged_at)) is None  # a GET: nothing
    clock.advance(hours=3)
    assert client.post(link).status_code == 200
    ack = db.session.scalar(sa.select(EmailAck))
    assert ack.seconds_to_ack == 3 * 3600
    assert client.post(link).status_code == 404
    body = client.get("/api/v1/health-report", headers=secretariat).get_json()
    (fr,) = [r for r in body["items"] if r["iso2"] == "FR"]
    assert fr["median_ack_s"] == 3 * 3600 and fr["acks_within_8h"] == 1 and fr["ack_tests"] == 1
