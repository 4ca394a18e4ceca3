"""Tests for calendars.ical: feeds checked with an independent parser, imports with worked instants.

Feeds are parsed back with ``icalendar.Calendar.from_ical`` and expanded with
``recurring_ical_events`` (neither is used by the writer), and their bytes are checked line by
line against RFC 5545 (75-octet lines, CRLF, no split UTF-8 characters).  Import expectations
are UTC instants worked out by hand from the zone rules, not recomputed with the code under test.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendars.ical import (
    FeedCalendar,
    FeedEvent,
    ImportedEvent,
    ImportProblem,
    parse_shifts_ics,
    render_feed,
    shift_uid,
)

PARIS = ZoneInfo("Europe/Paris")
SANTIAGO = ZoneInfo("America/Santiago")
STAMP = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
CALENDAR = FeedCalendar(name="France · Duty officers", refresh=timedelta(hours=1))
# The conftest's autouse database fixture is function-scoped; these tests never touch it.
FUZZ = settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])

# --------------------------------------------------------------------------------------------
# Helpers: an independent reading of the bytes
# --------------------------------------------------------------------------------------------


def physical_lines(data: bytes) -> list[bytes]:
    """Split on CRLF, asserting RFC 5545 line discipline on every physical line."""
    assert data.endswith(b"\r\n")
    lines = data[:-2].split(b"\r\n")
    for line in lines:
        assert b"\r" not in line, line
        assert b"\n" not in line, line
        assert len(line) <= 75, (len(line), line)
        line.decode("utf-8")  # strict: a split multi-byte character would raise here
        assert line != b" ", "an empty continuation line"
        assert not line.startswith(b"\t")
    return lines


def logical_lines(data: bytes) -> list[str]:
    """Unfold per RFC 5545 3.1, checking no fold separates a backslash from what it escapes."""
    logical: list[bytes] = []
    for line in physical_lines(data):
        if line.startswith(b" "):
            before = logical[-1]
            trailing = len(before) - len(before.rstrip(b"\\"))
            assert trailing % 2 == 0, f"fold splits an escape: {before[-20:]!r}"
            logical[-1] = before + line[1:]
        else:
            logical.append(line)
    return [line.decode("utf-8") for line in logical]


def parse_feed(data: bytes) -> list[icalendar.Component]:
    """Parse and expand a feed with the third-party libraries, sorted by UID."""
    calendar = icalendar.Calendar.from_ical(data)
    events = recurring_ical_events.of(calendar).between(
        datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    )
    return sorted(events, key=lambda event: str(event["UID"]))


def expected_text(value: str) -> str:
    """What a TEXT value reads back as: newlines normalised, unrepresentable controls dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in value if c in "\t\n" or not (ord(c) < 0x20 or ord(c) == 0x7F))


def unescape(value: str) -> str:
    """Undo RFC 5545 TEXT escaping (3.3.11), independently of the code under test."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


def one_event(summary: str, description: str = "", **overrides: object) -> FeedEvent:
    start = datetime(2026, 3, 28, 20, 0, tzinfo=PARIS)
    fields: dict[str, object] = {
        "uid": shift_uid(1, 2, start),
        "start": start,
        "end": start + timedelta(hours=12),
        "summary": summary,
        "description": description,
    }
    fields.update(overrides)
    return FeedEvent(**fields)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def dst_events() -> list[FeedEvent]:
    """Nightly shifts straddling the 2026 DST changes of Paris and Santiago."""
    events = []
    for zone, country, days in (
        (PARIS, "France", [date(2026, 3, d) for d in (27, 28, 29, 30)]),
        (PARIS, "France", [date(2026, 10, d) for d in (24, 25, 26)]),
        (SANTIAGO, "Chile", [date(2026, 4, d) for d in (3, 4, 5, 6)]),
        (SANTIAGO, "Chile", [date(2026, 9, d) for d in (5, 6, 7)]),
    ):
        for number, day in enumerate(days):
            start = datetime.combine(day, time(20), tzinfo=zone)
            end = datetime.combine(day + timedelta(days=1), time(8), tzinfo=zone)
            events.append(
                FeedEvent(
                    uid=shift_uid(7, number, start),
                    start=start,
                    end=end,
                    summary=f"{country} · Duty officer (tier 1) · Person {number}",
                    description=f"Night shift {number}",
                    sequence=number,
                    last_modified=STAMP - timedelta(days=number),
                    cancelled=number == 1,
                )
            )
    return events


def test_round_trip_through_icalendar_keeps_instants_across_dst() -> None:
    events = dst_events()
    data = render_feed(CALENDAR, events, stamp=STAMP)
    parsed = parse_feed(data)
    assert len(parsed) == len(events)
    by_uid = {str(event["UID"]): event for event in parsed}
    for event in events:
        got = by_uid[event.uid]
        assert got["DTSTART"].dt == event.start
        assert got["DTEND"].dt == event.end
        assert got["DTSTART"].dt.utcoffset() == timedelta(0)
        assert str(got["SUMMARY"]) == event.summary
        assert str(got["DESCRIPTION"]) == event.description
        assert got["SEQUENCE"] == event.sequence
        assert got["LAST-MODIFIED"].dt == event.last_modified
        assert got["DTSTAMP"].dt == STAMP
        assert str(got["STATUS"]) == ("CANCELLED" if event.cancelled else "CONFIRMED")
        assert str(got["TRANSP"]) == "TRANSPARENT"
        assert str(got["X-MICROSOFT-CDO-BUSYSTATUS"]) == "FREE"


def test_dst_instants_are_written_in_utc_as_worked_out_by_hand() -> None:
    data = render_feed(CALENDAR, dst_events(), stamp=STAMP).decode()
    # Paris: 28 March 20:00 CET is 19:00Z, and it ends 29 March 08:00 CEST = 06:00Z (11 hours).
    assert "DTSTART:20260328T190000Z\r\nDTEND:20260329T060000Z\r\n" in data
    assert "DTSTART:20260329T180000Z\r\n" in data  # 20:00 CEST
    assert "DTSTART:20261024T180000Z\r\nDTEND:20261025T070000Z\r\n" in data  # 13 hours
    # Santiago leaves DST (-03 -> -04) on 5 April 2026 and re-enters it on 6 September:
    # 4 April 20:00 -03 = 23:00Z to 5 April 08:00 -04 = 12:00Z (13 hours);
    # 5 September 20:00 -04 = 00:00Z to 6 September 08:00 -03 = 11:00Z (11 hours).
    assert "DTSTART:20260404T230000Z\r\nDTEND:20260405T120000Z\r\n" in data
    assert "DTSTART:20260906T000000Z\r\nDTEND:20260906T110000Z\r\n" in data
    assert "TZID" not in data
    assert "VTIMEZONE" not in data


def test_calendar_properties() -> None:
    data = render_feed(CALENDAR, [one_event("x")], stamp=STAMP)
    lines = logical_lines(data)
    assert lines[:8] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Art35//24-7 Network rotas//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:France · Duty officers",
        "NAME:France · Duty officers",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
    ]
    assert "X-PUBLISHED-TTL:PT1H" in lines
    assert lines[-1] == "END:VCALENDAR"
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["X-WR-CALNAME"]) == "France · Duty officers"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert "DTSTAMP:20260115T093000Z" in lines


@pytest.mark.parametrize(
    ("refresh", "text"),
    [
        (timedelta(hours=1), "PT1H"),
        (timedelta(minutes=30), "PT30M"),
        (timedelta(seconds=90), "PT1M30S"),
        (timedelta(days=1), "P1D"),
        (timedelta(days=1, hours=2, minutes=30), "P1DT2H30M"),
    ],
)
def test_refresh_interval_durations(refresh: timedelta, text: str) -> None:
    data = render_feed(FeedCalendar("x", refresh), [], stamp=STAMP).decode()
    assert f"REFRESH-INTERVAL;VALUE=DURATION:{text}\r\nX-PUBLISHED-TTL:{text}\r\n" in data
    assert icalendar.Calendar.from_ical(data)["REFRESH-INTERVAL"].dt == refresh


def test_last_modified_is_omitted_rather_than_invented() -> None:
    data = render_feed(CALENDAR, [one_event("x")], stamp=STAMP)
    assert b"LAST-MODIFIED" not in data


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (one_event("x", start=datetime(2026, 1, 1, 8)), "aware"),  # noqa: DTZ001
        (one_event("x", end=datetime(2026, 3, 28, 19, tzinfo=UTC)), "end after"),
        (one_event("x", end=datetime(2026, 3, 28, 19, 0, tzinfo=UTC)), "end after"),
        (one_event("x", sequence=-1), "SEQUENCE"),
        (one_event("x", last_modified=datetime(2026, 1, 1)), "aware"),  # noqa: DTZ001
    ],
)
def test_render_rejects_invalid_events(event: FeedEvent, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_feed(CALENDAR, [event], stamp=STAMP)


def test_render_rejects_duplicate_uids_naive_stamp_and_bad_refresh() -> None:
    with pytest.raises(ValueError, match="duplicate UID"):
        render_feed(CALENDAR, [one_event("a"), one_event("b")], stamp=STAMP)
    with pytest.raises(ValueError, match="aware"):
        render_feed(CALENDAR, [], stamp=datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="refresh"):
        render_feed(FeedCalendar("x", timedelta(0)), [], stamp=STAMP)


def test_shift_uid_is_stable_and_depends_on_the_instant_only() -> None:
    paris = datetime(2026, 3, 29, 20, 0, tzinfo=PARIS)
    utc = datetime(2026, 3, 29, 18, 0, tzinfo=UTC)
    assert shift_uid(3, 42, paris) == shift_uid(3, 42, utc)
    assert shift_uid(3, 42, utc) == "rota-3-person-42-20260329T180000Z@art35"
    assert shift_uid(3, None, utc, domain="example.org") == (
        "rota-3-person-vacant-20260329T180000Z@example.org"
    )
    assert len({shift_uid(3, 42, utc), shift_uid(4, 42, utc), shift_uid(3, 43, utc)}) == 3
    with pytest.raises(ValueError, match="aware"):
        shift_uid(3, 42, datetime(2026, 3, 29, 18))  # noqa: DTZ001


HOSTILE = [
    'Martin, Jeanne; "JJ" \\ back\\slash\nsecond line\r\nthird\rfourth',
    "Александра Константиновна Преображенская-Белозерская, дежурный офицер второго уровня; "
    "национальный контактный пункт по киберпреступности",
    "Παναγιώτης Χατζηδημητρίου-Καραμανλής, Υπεύθυνος Βάρδιας; Εθνικό Σημείο Επαφής "
    "Κυβερνοεγκλήματος, Δεύτερο Επίπεδο",
    "ალექსანდრე ჯავახიშვილი — მორიგე ოფიცერი, კიბერდანაშაულის ეროვნული საკონტაქტო პუნქტი; "
    "მეორე დონე",
    "عبد الرحمن بن محمد الهاشمي، ضابط المناوبة؛ نقطة الاتصال الوطنية للجرائم الإلكترونية, "
    "المستوى الثاني",
    "👩‍💻" * 40,
    "\\" * 201,
    "\\," * 120 + ";",
    "a" * 66 + "é" * 30,
    "tab\tand controls \x00\x01\x7f dropped",
]


@pytest.mark.parametrize("prefix", range(5))
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_text_is_escaped_folded_and_round_trips(name: str, prefix: int) -> None:
    summary = "x" * prefix + name
    event = one_event(summary, description=f"{name}\n{name}")
    data = render_feed(calendar_named(name), [event], stamp=STAMP)
    lines = logical_lines(data)  # all the line-level checks
    assert sum(line.startswith("SUMMARY:") for line in lines) == 1
    (parsed,) = parse_feed(data)
    assert str(parsed["SUMMARY"]) == expected_text(summary)
    assert str(parsed["DESCRIPTION"]) == expected_text(f"{name}\n{name}")
    # icalendar 7 keeps X-WR-CALNAME and NAME raw (vUnknown), so unescape them here.
    calendar = icalendar.Calendar.from_ical(data)
    assert unescape(calendar["X-WR-CALNAME"].to_ical().decode()) == expected_text(name)
    assert unescape(calendar["NAME"].to_ical().decode()) == expected_text(name)


def calendar_named(name: str) -> FeedCalendar:
    return FeedCalendar(name=name, refresh=timedelta(hours=6))


def test_escapes_are_rfc_5545() -> None:
    data = render_feed(CALENDAR, [one_event("a,b;c\\d\ne")], stamp=STAMP)
    assert "SUMMARY:a\\,b\\;c\\\\d\\ne" in logical_lines(data)


@FUZZ
@given(summary=st.text(), description=st.text(max_size=400))
def test_arbitrary_unicode_round_trips(summary: str, description: str) -> None:
    data = render_feed(CALENDAR, [one_event(summary, description)], stamp=STAMP)
    logical_lines(data)
    (parsed,) = parse_feed(data)
    assert str(parsed["SUMMARY"]) == expected_text(summary)
    assert str(parsed["DESCRIPTION"]) == expected_text(description)


# --------------------------------------------------------------------------------------------
# Importing
# --------------------------------------------------------------------------------------------

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2027, 1, 1, tzinfo=UTC)


def ics(text: str) -> bytes:
    """Turn a readable LF literal into CRLF iCalendar bytes."""
    return text.strip("\n").replace("\n", "\r\n").encode() + b"\r\n"


def parse(text: str) -> tuple[list[ImportedEvent], list[ImportProblem]]:
    return parse_shifts_ics(ics(text), since=SINCE, until=UNTIL)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


GOOGLE = """
BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:CERT-FR permanence
X-WR-TIMEZONE:Europe/Paris
BEGIN:VEVENT
DTSTART:20261201T190000Z
DTEND:20261202T070000Z
DTSTAMP:20261101T120000Z
ORGANIZER;CN=permanence@example.fr:mailto:permanence@example.fr
UID:5ptb0lbnm2ajv3ft0ahf0k0hv5@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Jeanne Mart
 in;X-NUM-GUESTS=0:MAILTO:Jeanne.Martin@Example.FR
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;CN=pierr
 e.durand@example.fr;X-NUM-GUESTS=0:mailto:pierre.durand@example.fr
CREATED:20261101T115900Z
DESCRIPTION:Permanence de nuit\\, niveau 1
LAST-MODIFIED:20261101T120000Z
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Night duty
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART:20261202T070000Z
DTEND:20261202T190000Z
DTSTAMP:20261101T120000Z
UID:0aa1@google.com
SUMMARY:Jeanne Martin
STATUS:CANCELLED
END:VEVENT
END:VCALENDAR
"""


def test_google_export_in_utc() -> None:
    events, problems = parse(GOOGLE)
    assert problems == []
    assert events == [
        ImportedEvent(
            uid="5ptb0lbnm2ajv3ft0ahf0k0hv5@google.com",
            summary="Night duty",
            start=utc(2026, 12, 1, 19),
            end=utc(2026, 12, 2, 7),
            attendee_emails=("jeanne.martin@example.fr", "pierre.durand@example.fr"),
            names=("Jeanne Martin", "Night duty"),  # Google's CN=<address> is no name
            line='event "Night duty" on 2026-12-01 20:00 (Europe/Paris)',
        )
    ]
    assert events[0].start.tzinfo is UTC


OUTLOOK_VTIMEZONE = """
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
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
END:VTIMEZONE
"""

OUTLOOK = f"""
BEGIN:VCALENDAR
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
VERSION:2.0
METHOD:PUBLISH
X-MS-OLK-FORCEINSPECTOROPEN:TRUE
{OUTLOOK_VTIMEZONE.strip()}
BEGIN:VEVENT
ATTENDEE;CN="Martin, Jeanne";RSVP=TRUE:mailto:jeanne.martin@interieur.gouv.fr
ATTENDEE;CN=Duty Desk;CUTYPE=RESOURCE:mailto:Duty.Desk@interieur.gouv.fr
CLASS:PUBLIC
CREATED:20260201T101010Z
DTEND;TZID="W. Europe Standard Time":20260310T080000
DTSTAMP:20260201T101010Z
DTSTART;TZID="W. Europe Standard Time":20260309T200000
EXDATE;TZID="W. Europe Standard Time":20260323T200000
LAST-MODIFIED:20260201T101010Z
ORGANIZER;CN=Coordinator:mailto:coordinator@interieur.gouv.fr
PRIORITY:5
RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO
SEQUENCE:0
SUMMARY;LANGUAGE=fr-fr:Night duty
TRANSP:OPAQUE
UID:040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5D201000000000000000010
 000000D1A3C9E0A1B2C3D4E5F60718293A4B5C
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
END:VEVENT
BEGIN:VEVENT
DTEND;TZID="W. Europe Standard Time":20260407T060000
DTSTAMP:20260201T101010Z
DTSTART;TZID="W. Europe Standard Time":20260406T220000
RECURRENCE-ID;TZID="W. Europe Standard Time":20260406T200000
SEQUENCE:1
SUMMARY:Night duty (late start)
UID:040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5D201000000000000000010
 000000D1A3C9E0A1B2C3D4E5F60718293A4B5C
ATTENDEE;CN="Martin, Jeanne":mailto:jeanne.martin@interieur.gouv.fr
END:VEVENT
BEGIN:VEVENT
DTEND;TZID="W. Europe Standard Time":20260414T080000
DTSTAMP:20260201T101010Z
DTSTART;TZID="W. Europe Standard Time":20260413T200000
RECURRENCE-ID;TZID="W. Europe Standard Time":20260413T200000
STATUS:CANCELLED
SUMMARY:Canceled: Night duty
UID:040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5D201000000000000000010
 000000D1A3C9E0A1B2C3D4E5F60718293A4B5C
END:VEVENT
END:VCALENDAR
"""


def test_outlook_weekly_series_across_paris_dst_with_exdate_and_overrides() -> None:
    events, problems = parse(OUTLOOK)
    assert problems == []
    # Mondays 20:00-08:00 Berlin/Paris time.  CET (+01) until 29 March 2026, CEST (+02) after.
    # 23 March is excluded, 6 April moved to 22:00-06:00, 13 April cancelled.
    assert [(event.start, event.end, event.summary) for event in events] == [
        (utc(2026, 3, 9, 19), utc(2026, 3, 10, 7), "Night duty"),
        (utc(2026, 3, 16, 19), utc(2026, 3, 17, 7), "Night duty"),
        (utc(2026, 3, 30, 18), utc(2026, 3, 31, 6), "Night duty"),
        (utc(2026, 4, 6, 20), utc(2026, 4, 7, 4), "Night duty (late start)"),
    ]
    first = events[0]
    assert first.uid is not None
    assert first.uid.startswith("040000008200E00074C5B7101A82E008")
    assert first.uid.endswith("A4B5C")
    assert first.attendee_emails == (
        "jeanne.martin@interieur.gouv.fr",
        "duty.desk@interieur.gouv.fr",
    )
    assert first.names == ("Martin, Jeanne", "Duty Desk", "Night duty")
    assert first.line == 'event "Night duty" on 2026-03-09 20:00 (Europe/Berlin)'
    assert events[3].attendee_emails == ("jeanne.martin@interieur.gouv.fr",)


def test_recurring_night_across_the_dst_night_keeps_wall_clock_times() -> None:
    # recurring_ical_events gives each occurrence the wall-clock length of the first one:
    # 20:00-08:00 stays 20:00-08:00 on the night clocks go forward (11 real hours), which is
    # what the person on duty sees in Outlook.
    tzid = ";TZID=Romance Standard Time"
    events, problems = parse(
        single(
            f"{tzid}:20260321T200000",
            f"{tzid}:20260322T080000",
            "RRULE:FREQ=WEEKLY;COUNT=3\n",
        )
    )
    assert problems == []
    assert [(event.start, event.end) for event in events] == [
        (utc(2026, 3, 21, 19), utc(2026, 3, 22, 7)),
        (utc(2026, 3, 28, 19), utc(2026, 3, 29, 6)),
        (utc(2026, 4, 4, 18), utc(2026, 4, 5, 6)),
    ]


def test_window_is_by_start_time() -> None:
    since = utc(2026, 3, 16, 19)  # exactly the second occurrence's start: included
    until = utc(2026, 4, 6, 20)  # exactly the moved occurrence's start: excluded
    events, problems = parse_shifts_ics(ics(OUTLOOK), since=since, until=until)
    assert problems == []
    assert [event.start for event in events] == [utc(2026, 3, 16, 19), utc(2026, 3, 30, 18)]
    events, _ = parse_shifts_ics(ics(OUTLOOK), since=utc(2026, 3, 10), until=UNTIL)
    assert events[0].start == utc(2026, 3, 16, 19)  # 9 March still running at since: not ours


def single(dtstart: str, dtend: str = "", extra: str = "", vtimezone: str = "") -> str:
    """A one-event calendar; dtstart/dtend are whole property lines' tails."""
    end = f"DTEND{dtend}\n" if dtend else ""
    return f"""
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
{vtimezone.strip()}
BEGIN:VEVENT
UID:one@test
DTSTAMP:20260101T000000Z
SUMMARY:Shift
DTSTART{dtstart}
{end}{extra}END:VEVENT
END:VCALENDAR
""".replace("\n\n", "\n")


@pytest.mark.parametrize(
    ("tzid", "start", "end"),
    [
        # 1 July 2026 10:00-12:00 local time, offsets from the zone rules for that date.
        ("W. Europe Standard Time", utc(2026, 7, 1, 8), utc(2026, 7, 1, 10)),  # CEST +02
        ("Romance Standard Time", utc(2026, 7, 1, 8), utc(2026, 7, 1, 10)),  # CEST +02
        ("Eastern Standard Time", utc(2026, 7, 1, 14), utc(2026, 7, 1, 16)),  # EDT -04
        ("GMT Standard Time", utc(2026, 7, 1, 9), utc(2026, 7, 1, 11)),  # BST +01
        ("Pacific SA Standard Time", utc(2026, 7, 1, 14), utc(2026, 7, 1, 16)),  # -04 winter
        ("Tokyo Standard Time", utc(2026, 7, 1, 1), utc(2026, 7, 1, 3)),  # JST +09
        ("Central Europe Standard Time", utc(2026, 7, 1, 8), utc(2026, 7, 1, 10)),  # Budapest
        ("Europe/Paris", utc(2026, 7, 1, 8), utc(2026, 7, 1, 10)),
        ("/mozilla.org/20050126_1/America/Santiago", utc(2026, 7, 1, 14), utc(2026, 7, 1, 16)),
    ],
)
def test_windows_and_iana_zone_names_without_vtimezone(
    tzid: str, start: datetime, end: datetime
) -> None:
    events, problems = parse(
        single(f";TZID={tzid}:20260701T100000", f";TZID={tzid}:20260701T120000")
    )
    assert problems == []
    assert [(event.start, event.end) for event in events] == [(start, end)]


def custom_zone(offset: str, name: str = "Customized Time Zone") -> str:
    return f"""
BEGIN:VTIMEZONE
TZID:{name}
BEGIN:STANDARD
DTSTART:16010101T000000
TZOFFSETFROM:{offset}
TZOFFSETTO:{offset}
END:STANDARD
END:VTIMEZONE
"""


def test_unknown_tzid_uses_this_files_vtimezone_not_a_cached_one() -> None:
    # icalendar caches non-IANA VTIMEZONEs process-wide, first definition wins; we must not.
    for offset, start in (("+0500", utc(2026, 7, 1, 5)), ("+0300", utc(2026, 7, 1, 7))):
        events, problems = parse(
            single(
                ";TZID=Customized Time Zone:20260701T100000",
                ";TZID=Customized Time Zone:20260701T120000",
                vtimezone=custom_zone(offset),
            )
        )
        assert problems == []
        assert [event.start for event in events] == [start]


def test_custom_vtimezone_with_daylight_rules() -> None:
    zone = OUTLOOK_VTIMEZONE.replace("W. Europe Standard Time", "Amsterdam, Berlin custom")
    events, problems = parse(
        single(
            ';TZID="Amsterdam, Berlin custom":20260701T100000',
            ';TZID="Amsterdam, Berlin custom":20260701T120000',
            vtimezone=zone.replace("TZID:Amsterdam, Berlin", "TZID:Amsterdam\\, Berlin"),
        )
    )
    assert problems == []
    assert [event.start for event in events] == [utc(2026, 7, 1, 8)]


def test_bogus_vtimezone_for_a_windows_name_is_ignored_for_the_cldr_mapping() -> None:
    bogus = custom_zone("+0900", name="Romance Standard Time")
    tzid = ";TZID=Romance Standard Time"
    for vtimezone in (bogus, ""):
        events, problems = parse(
            single(f"{tzid}:20260701T100000", f"{tzid}:20260701T120000", vtimezone=vtimezone)
        )
        assert problems == []
        assert [event.start for event in events] == [utc(2026, 7, 1, 8)]


def test_duration_instead_of_dtend() -> None:
    events, problems = parse(single(":20260701T100000Z", extra="DURATION:PT12H\n"))
    assert problems == []
    assert [(event.start, event.end) for event in events] == [
        (utc(2026, 7, 1, 10), utc(2026, 7, 1, 22))
    ]


def test_floating_time_with_x_wr_timezone_is_read_in_that_zone() -> None:
    text = single(":20260701T100000", ":20260701T120000").replace(
        "PRODID:-//test//EN", "PRODID:-//test//EN\nX-WR-TIMEZONE:Europe/Paris"
    )
    events, problems = parse(text)
    assert problems == []
    assert [event.start for event in events] == [utc(2026, 7, 1, 8)]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (single(":20260701T100000", ":20260701T120000"), "floating"),
        (single(";VALUE=DATE:20260701", ";VALUE=DATE:20260702"), "all-day"),
        (single(";TZID=Mars/Olympus:20260701T100000", ";TZID=Mars/Olympus:20260701T1200"), "DTEND"),
        (single(";TZID=Mars/Olympus:20260701T100000", ":20260701T120000Z"), "unknown time zone"),
        (single(":20260701T100000Z", ":20260701T100000Z"), "ends before or when"),
        (single(":20260701T100000Z", ":20260701T090000Z"), "ends before or when"),
        (single(":20260701T100000Z"), "neither an end"),
        (single(":20260701T100000Z", extra="DURATION:-PT1H\n"), "DURATION"),
        (single(":garbage", ":20260701T100000Z"), "DTSTART"),
        (single(":20260701T100000Z", ":20260701T120000Z", "RRULE:FREQ=SECONDLY\n"), "frequent"),
        (single(":20260701T100000Z", ":20260701T120000Z", "RRULE:FREQ=FORTNIGHTLY\n"), "RRULE"),
        (
            single(":16010101T100000Z", ":16010101T120000Z", "RRULE:FREQ=DAILY;BYHOUR=1,2\n"),
            "too long ago",
        ),
    ],
)
def test_problems_are_reported_not_raised(text: str, reason: str) -> None:
    events, problems = parse(text)
    assert events == []
    assert len(problems) == 1
    assert problems[0].where.startswith('event "Shift"')
    assert reason in problems[0].reason


def test_a_bad_event_does_not_stop_the_good_ones() -> None:
    good = GOOGLE.replace("END:VCALENDAR", "")
    bad = single(";VALUE=DATE:20260701", ";VALUE=DATE:20260702").split("BEGIN:VEVENT", 1)[1]
    events, problems = parse(good + "BEGIN:VEVENT" + bad)
    assert [event.summary for event in events] == ["Night duty"]
    assert [problem.where for problem in problems] == ['event "Shift" starting 2026-07-01']


def test_cancelled_series_is_skipped_silently() -> None:
    events, problems = parse(single(":20260701T100000Z", ":20260701T120000Z", "STATUS:CANCELLED\n"))
    assert (events, problems) == ([], [])


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe\x00g\x00a\x00r\x00b\x00a\x00g\x00e",
        b"hello world",
        b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jeanne\r\nEND:VCARD\r\n",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n",
        "BEGIN:VCALENDAR\r\nSUMMARY:Réunion\r\nEND:VCALENDAR\r\n".encode("latin-1"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ],
)
def test_unreadable_files_raise_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="iCalendar"):
        parse_shifts_ics(data, since=SINCE, until=UNTIL)


def test_window_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_shifts_ics(ics(GOOGLE), since=datetime(2026, 1, 1), until=UNTIL)  # noqa: DTZ001
    with pytest.raises(ValueError, match="after"):
        parse_shifts_ics(ics(GOOGLE), since=UNTIL, until=SINCE)


def test_a_rendered_feed_imports_back() -> None:
    events = dst_events()
    data = render_feed(CALENDAR, events, stamp=STAMP)
    imported, problems = parse_shifts_ics(data, since=SINCE, until=UNTIL)
    assert problems == []
    live = sorted((e.start, e.end, e.summary) for e in events if not e.cancelled)
    assert [(e.start, e.end, e.summary) for e in imported] == live


LINES = st.sampled_from(
    [
        "BEGIN:VEVENT",
        "END:VEVENT",
        "DTSTART:20260701T100000Z",
        "DTSTART;TZID=Europe/Paris:20260701T100000",
        "DTSTART;VALUE=DATE:20260701",
        "DTEND:20260701T120000Z",
        "DURATION:PT1H",
        "RRULE:FREQ=DAILY;COUNT=3",
        "RRULE:FREQ=WEEKLY;INTERVAL=x",
        "EXDATE:20260702T100000Z",
        "RECURRENCE-ID:20260702T100000Z",
        "RDATE;VALUE=PERIOD:20260705T100000Z/PT2H",
        "UID:a",
        "ATTENDEE;CN=X:mailto:x@example.org",
        "ATTENDEE:urn:uuid:1",
        "STATUS:CANCELLED",
        "BEGIN:VTIMEZONE",
        "TZID:Weird",
        "END:VTIMEZONE",
    ]
)


@FUZZ
@given(lines=st.lists(st.one_of(LINES, st.text(max_size=30)), max_size=12))
def test_fuzzed_calendars_never_crash(lines: list[str]) -> None:
    data = "\r\n".join(["BEGIN:VCALENDAR", *lines, "END:VCALENDAR", ""]).encode("utf-8", "replace")
    try:
        events, problems = parse_shifts_ics(data, since=SINCE, until=UNTIL)
    except ValueError:
        return
    for event in events:
        assert SINCE <= event.start < UNTIL
        assert event.end > event.start
        assert event.start.tzinfo is UTC
    assert all(isinstance(problem, ImportProblem) for problem in problems)


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes_raise_value_error_or_parse(data: bytes) -> None:
    with contextlib.suppress(ValueError):
        parse_shifts_ics(data, since=SINCE, until=UNTIL)
