"""Importing .ics files of fixed shifts as overrides: matching, problems, preview, all-or-nothing.

Expected instants are worked out by hand from the zone rules (Paris: UTC+1 until the last Sunday
of March, UTC+2 after), never recomputed with the code under test.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from calendars import ical_import
from common.db import db
from common.errors import Problem
from directory.models import AuditEntry
from rota import service as rota_service
from rota.models import OverrideRecord, RotaRecord
from tests.conftest import make_party, make_person, make_user
from tests.rota.conftest import add_rotation, new_rota


def ics(*events: str, extra: str = "") -> bytes:
    body = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", extra, *events, "END:VCALENDAR"]
    )
    return (body.replace("\r\n\r\n", "\r\n") + "\r\n").encode()


def vevent(uid: str, start: str, end: str, *lines: str) -> str:
    return "\r\n".join(
        ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTART{start}", f"DTEND{end}", *lines, "END:VEVENT"]
    )


GOOGLE = ics(
    vevent(
        "g1@google.com",
        ":20261205T080000Z",
        ":20261206T080000Z",
        "SUMMARY:Duty",
        "ATTENDEE;CN=Anne D.;PARTSTAT=ACCEPTED:mailto:ANNE@cyber.fr.example",
    ),
    vevent("g2@google.com", ":20261210T080000Z", ":20261211T080000Z", "SUMMARY:Bruno"),
)

ROMANCE = """BEGIN:VTIMEZONE
TZID:Romance Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE""".replace("\n", "\r\n")

OUTLOOK = ics(
    vevent(
        "040000008200E00074C5B7101A82E00800000000",
        ";TZID=Romance Standard Time:20270313T090000",
        ";TZID=Romance Standard Time:20270315T090000",
        "RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=SA",
        "SUMMARY:Permanence week-end",
        'ATTENDEE;CN="Carmen";RSVP=TRUE:mailto:carmen@cyber.fr.example',
    ),
    extra="METHOD:PUBLISH\r\n" + ROMANCE,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def rota(client, paris):
    """France's tier 1: Anne, Bruno, Carmen weekly from Monday 09:00 Paris; e-mails for two."""
    _party, people, headers = paris
    people[0].email = "anne@cyber.fr.example"
    people[2].email = "Carmen@Cyber.fr.example"
    db.session.flush()
    rota = new_rota(client, headers)
    add_rotation(
        client,
        headers,
        rota["id"],
        members=[p.id for p in people[:3]],
        start_local="2026-03-02T09:00",
        shift_length="P7D",
    )
    return rota, people, headers


def post(client, headers, rota_id: int, data: bytes, *, preview=None, query: str = ""):
    form = {"file": (io.BytesIO(data), "shifts.ics")}
    if preview is not None:
        form["preview"] = preview
    return client.post(
        f"/api/v1/rotas/{rota_id}/import-ical{query}",
        headers=headers,
        data=form,
        content_type="multipart/form-data",
    )


def overrides_of(rota_id: int) -> list[OverrideRecord]:
    return list(
        db.session.scalars(
            sa.select(OverrideRecord)
            .where(OverrideRecord.rota_id == rota_id)
            .order_by(OverrideRecord.start_at)
        )
    )


def test_preview_matches_by_email_then_exact_name_and_writes_nothing(client, rota):
    record, people, headers = rota
    resp = post(client, headers, record["id"], GOOGLE, preview="true")
    assert resp.status_code == 200, resp.json
    report = resp.json
    assert report["applied"] is False and report["problems"] == []
    first, second = report["overrides"]
    assert first["person"] == {"id": people[0].id, "full_name": "Anne"}
    assert first["matched_by"] == "email"  # ANNE@… matches anne@… whatever the case
    assert (first["start"], first["end"]) == (
        "2026-12-05T08:00:00+00:00",
        "2026-12-06T08:00:00+00:00",
    )
    assert second["person"]["full_name"] == "Bruno" and second["matched_by"] == "name"
    assert first["id"] is None
    # 2026-11-30 starts Anne's week (39 weeks after the first handoff), 12-07 Bruno's.
    assert [r["person"]["full_name"] for r in first["replaces"]] == ["Anne"]
    assert [r["person"]["full_name"] for r in second["replaces"]] == ["Bruno"]
    assert overrides_of(record["id"]) == []
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity == "override")
        )
        == 0
    )


def test_preview_also_as_a_query_parameter_and_raw_text_calendar_body(client, rota):
    record, _people, headers = rota
    resp = client.post(
        f"/api/v1/rotas/{record['id']}/import-ical?preview=true",
        headers={**headers, "Content-Type": "text/calendar"},
        data=GOOGLE,
    )
    assert resp.status_code == 200 and len(resp.json["overrides"]) == 2
    assert overrides_of(record["id"]) == []
    resp = client.post(
        f"/api/v1/rotas/{record['id']}/import-ical",
        headers={**headers, "Content-Type": "text/calendar; charset=utf-8"},
        data=GOOGLE,
    )
    assert resp.status_code == 201, resp.json
    assert len(overrides_of(record["id"])) == 2


def test_import_creates_audited_overrides_and_reimporting_changes_nothing(client, rota, clock):
    record, people, headers = rota
    resp = post(client, headers, record["id"], GOOGLE)
    assert resp.status_code == 201, resp.json
    assert resp.json["applied"] is True
    created = overrides_of(record["id"])
    assert [(o.person_id, o.start_at, o.end_at) for o in created] == [
        (people[0].id, utc(2026, 12, 5, 8), utc(2026, 12, 6, 8)),
        (people[1].id, utc(2026, 12, 10, 8), utc(2026, 12, 11, 8)),
    ]
    assert [o["id"] for o in resp.json["overrides"]] == [o.id for o in created]
    assert created[0].note.startswith('imported: event "Duty" on 2026-12-05 08:00')
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "override")).all()
    assert len(audit) == 2 and all(a.action == "create" for a in audit)
    on_call = client.get("/api/v1/parties/FR/on-call?at=2026-12-05T12:00:00Z", headers=headers).json
    assert on_call["tiers"][0]["person"]["full_name"] == "Anne"
    assert on_call["tiers"][0]["source"] == "override"

    again = post(client, headers, record["id"], GOOGLE)
    assert again.status_code == 201, again.json
    assert again.json["overrides"] == []
    assert [u["override_id"] for u in again.json["unchanged"]] == [o.id for o in created]
    assert len(overrides_of(record["id"])) == 2


def test_outlook_weekly_series_in_a_windows_zone_across_the_spring_change(client, rota):
    record, people, headers = rota
    resp = post(client, headers, record["id"], OUTLOOK)
    assert resp.status_code == 201, resp.json
    carmen = people[2].id
    assert [(o.person_id, o.start_at, o.end_at) for o in overrides_of(record["id"])] == [
        (carmen, utc(2027, 3, 13, 8), utc(2027, 3, 15, 8)),  # 09:00 CET
        (carmen, utc(2027, 3, 20, 8), utc(2027, 3, 22, 8)),
        (carmen, utc(2027, 3, 27, 8), utc(2027, 3, 29, 7)),  # ends 09:00 CEST (28 March)
        (carmen, utc(2027, 4, 3, 7), utc(2027, 4, 5, 7)),
    ]
    assert {o["matched_by"] for o in resp.json["overrides"]} == {"email"}


def test_every_event_that_cannot_be_matched_is_listed_and_nothing_is_imported(client, rota, paris):
    record, _people, headers = rota
    make_person(paris[0], "Bruno")  # a second Bruno: the name alone is ambiguous now
    germany = make_party("DE", "Germany")
    make_person(germany, "Hans", email="hans@cyber.de.example")
    data = ics(
        vevent(
            "ok", ":20261205T080000Z", ":20261206T080000Z", "ATTENDEE:mailto:anne@cyber.fr.example"
        ),
        vevent(
            "stranger",
            ":20261207T080000Z",
            ":20261208T080000Z",
            "SUMMARY:Zed Unknown",
            "ATTENDEE;CN=Zed:mailto:zed@elsewhere.example",
        ),
        vevent(
            "foreign",
            ":20261209T080000Z",
            ":20261210T080000Z",
            "SUMMARY:Hans",
            "ATTENDEE:mailto:hans@cyber.de.example",
        ),
        vevent("ambiguous", ":20261211T080000Z", ":20261212T080000Z", "SUMMARY:Bruno"),
        vevent("allday", ";VALUE=DATE:20261214", ";VALUE=DATE:20261215", "SUMMARY:Anne"),
        vevent("nobody", ":20261216T080000Z", ":20261217T080000Z"),
    )
    preview = post(client, headers, record["id"], data, preview="true")
    assert preview.status_code == 200
    reasons = {p["event"]: p["reason"] for p in preview.json["problems"]}
    assert len(reasons) == 5
    by_name = {event.split('"')[1] if '"' in event else event: r for event, r in reasons.items()}
    assert "no person of France matches it" in by_name["Zed Unknown"]
    assert "zed@elsewhere.example" in by_name["Zed Unknown"] and "'Zed'" in by_name["Zed Unknown"]
    assert "no person of France" in by_name["Hans"]  # people of other Parties never match
    assert "several people" in by_name["Bruno"]
    assert "all-day" in by_name["Anne"]
    assert "names nobody" in by_name["(untitled)"]
    assert [o["person"]["full_name"] for o in preview.json["overrides"]] == ["Anne"]

    resp = post(client, headers, record["id"], data)
    assert resp.status_code == 422
    assert "nothing was imported" in resp.json["detail"]
    assert len(resp.json["errors"]) == 5 and len(resp.json["report"]["problems"]) == 5
    assert overrides_of(record["id"]) == []


def test_overlaps_with_the_rota_or_within_the_file_are_problems(client, rota):
    record, people, headers = rota
    resp = client.post(
        f"/api/v1/rotas/{record['id']}/overrides",
        headers=headers,
        json={
            "person_id": people[1].id,
            "start": "2026-12-05T20:00:00Z",
            "end": "2026-12-06T20:00Z",
        },
    )
    assert resp.status_code == 201
    existing = resp.json["id"]
    data = ics(
        vevent("a", ":20261205T080000Z", ":20261206T080000Z", "SUMMARY:Anne"),
        vevent("b", ":20261210T080000Z", ":20261211T080000Z", "SUMMARY:Anne"),
        vevent("c", ":20261210T200000Z", ":20261211T200000Z", "SUMMARY:Carmen"),
    )
    report = post(client, headers, record["id"], data, preview="1").json
    reasons = [p["reason"] for p in report["problems"]]
    assert any(f"overlaps override {existing}" in r for r in reasons)
    assert any("in the same file" in r for r in reasons)
    assert post(client, headers, record["id"], data).status_code == 422
    assert [o.id for o in overrides_of(record["id"])] == [existing]


def test_an_override_failing_midway_leaves_nothing_behind(client, rota, monkeypatch, clock):
    record, _people, _headers = rota
    real = rota_service.create_override
    calls = []

    def second_fails(actor, rota_record, data, now):
        calls.append(data)
        if len(calls) == 2:
            raise Problem(409, "someone else just added an override there")
        return real(actor, rota_record, data, now)

    monkeypatch.setattr(rota_service, "create_override", second_fails)
    actor, _h = make_user("secretariat")
    rota_record = db.session.get(RotaRecord, record["id"])
    with pytest.raises(Problem) as raised:
        ical_import.import_calendar(
            actor,
            rota_record,
            GOOGLE,
            since=clock.at,
            until=utc(2027, 11, 1),
            preview=False,
            now=clock.at,
        )
    assert raised.value.status == 409
    assert len(calls) == 2
    assert overrides_of(record["id"]) == []  # the first one was rolled back with the savepoint


@pytest.mark.parametrize("role", ["member", "other_admin"])
def test_only_the_partys_editors_may_import_or_preview(client, rota, role):
    record, _people, _headers = rota
    party = make_party("DE", "Germany") if role == "other_admin" else None
    _user, headers = make_user("party_admin" if party else "member", party)
    for preview in ("true", None):
        assert post(client, headers, record["id"], GOOGLE, preview=preview).status_code == 403
    assert overrides_of(record["id"]) == []


def test_the_partys_own_admin_may_import(client, rota, paris):
    record, _people, _headers = rota
    _user, headers = make_user("party_admin", paris[0])
    assert post(client, headers, record["id"], GOOGLE).status_code == 201


@pytest.mark.parametrize(
    ("send", "status", "field"),
    [
        ({"data": {"preview": "true"}, "content_type": "multipart/form-data"}, 422, "file"),
        ({"json": {"file": "BEGIN:VCALENDAR"}}, 415, None),
        (
            {"data": b"this is not a calendar", "headers": {"Content-Type": "text/calendar"}},
            422,
            "file",
        ),
        (
            {
                "data": {"file": (io.BytesIO(GOOGLE), "x.ics"), "preview": "maybe"},
                "content_type": "multipart/form-data",
            },
            422,
            "preview",
        ),
    ],
)
def test_bad_uploads(client, rota, send, status, field):
    record, _people, headers = rota
    extra_headers = send.pop("headers", {})
    resp = client.post(
        f"/api/v1/rotas/{record['id']}/import-ical", headers={**headers, **extra_headers}, **send
    )
    assert resp.status_code == status, resp.json
    assert resp.mimetype == "application/problem+json"
    if field:
        assert field in {e["field"] for e in resp.json["errors"]}


def test_unknown_rota_and_window_checks(client, rota):
    record, _people, headers = rota
    assert post(client, headers, 999999, GOOGLE).status_code == 404
    resp = post(
        client,
        headers,
        record["id"],
        GOOGLE,
        query="?since=2026-12-01T00:00:00Z&until=2026-11-01T00:00:00Z",
    )
    assert resp.status_code == 422
    narrow = post(
        client,
        headers,
        record["id"],
        GOOGLE,
        preview="true",
        query="?since=2026-12-08T00:00:00Z&until=2026-12-31T00:00:00Z",
    )
    assert [o["person"]["full_name"] for o in narrow.json["overrides"]] == ["Bruno"]
