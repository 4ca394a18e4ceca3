"""The timeline picture's labels, its day-by-day list for phones, and gaps offered to cover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from rota import resolution as r
from web.timeline import build_picture, fitted, initials

SINCE = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # Tuesday 1 Dec, 00:00 in Paris
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _picture(app, shifts, days=2, gap_href=None):
    people = {
        1: SimpleNamespace(id=1, full_name="Anne Dupont"),
        2: SimpleNamespace(id=2, full_name="Bruno Petit"),
    }
    rota = SimpleNamespace(tier=1, name="Duty officer", id=7)
    with app.test_request_context():
        return build_picture(
            [(rota, shifts)],
            people,
            SINCE,
            SINCE + timedelta(days=days),
            "Europe/Paris",
            NOW,
            gap_href=gap_href,
        )


def _shift(hours_from: float, hours_to: float, person: int | None) -> r.Shift:
    return r.Shift(
        SINCE + timedelta(hours=hours_from),
        SINCE + timedelta(hours=hours_to),
        person,
        r.SOURCE_GAP if person is None else r.SOURCE_ROTATION,
    )


def test_initials_and_what_fits():
    assert initials("Anne Dupont") == "AD"
    assert initials("ნიკა მაისურაძე (Nika Maisuradze)") == "ნმ"
    assert fitted("Anne Dupont", "AD", 400) == "Anne Dupont"
    assert fitted("Anne Dupont", "AD", 40) == "AD"
    assert fitted("Anne Dupont", "AD", 20) == ""


def test_every_bar_is_named_or_in_the_legend(app):
    picture = _picture(app, [_shift(0, 12, 1), _shift(12, 14, None), _shift(14, 72, 2)], days=14)
    [lane] = picture.lanes
    assert [bar.shown for bar in lane.bars] == ["AD", "", "Bruno Petit"]
    assert ("AD", "Anne Dupont") in lane.legend and ("✗", "Nobody on duty") in lane.legend


def test_the_day_list_cuts_shifts_at_local_midnight_and_marks_now(app):
    picture = _picture(app, [_shift(0, 9, 1), _shift(9, 11, None), _shift(11, 48, 2)])
    [lane] = picture.lanes
    first, second = lane.days
    assert [(e.start, e.end, e.label, e.gap) for e in first.entries] == [
        ("00:00", "09:00", "Anne Dupont", False),
        ("09:00", "11:00", "Nobody on duty", True),
        ("11:00", "24:00", "Bruno Petit", False),
    ]
    assert [e.now for e in first.entries] == [False, False, True]
    assert [(e.start, e.end, e.now) for e in second.entries] == [("00:00", "24:00", False)]


def test_only_gaps_still_to_come_are_offered_to_cover(app):
    picture = _picture(
        app,
        [_shift(0, 2, None), _shift(2, 20, 1), _shift(20, 22, None), _shift(22, 48, 2)],
        gap_href=lambda rota, shift: f"/cover/{shift.start:%H}",
    )
    gaps = [bar for bar in picture.lanes[0].bars if bar.gap]
    assert [bar.href for bar in gaps] == [None, "/cover/19"]
