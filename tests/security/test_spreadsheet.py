"""Spreadsheet exports: no cell reaches Excel or LibreOffice as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from common.spreadsheet import safe_cell
from reachability.present import report_csv


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+33612345678", "'+33612345678"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Anne Martin", "Anne Martin"),
        ("", ""),
        (3, 3),
        (-1.5, -1.5),
    ],
)
def test_cells_that_start_a_formula_are_neutralised(value, written):
    assert safe_cell(value) == written


def test_campaign_report_csv_neutralises_names():
    item = {
        "party": "FR",
        "party_name": "=cmd|' /C calc'!A0",
        "outcome": "confirmed",
        "reached": {"full_name": "@Eve"},
        "phone": "+33612345678",
        "tier": 1,
        "planned_at": "2026-12-01T09:00:00+00:00",
        "answered_at": None,
        "confirmed_at": None,
        "seconds_to_answer": None,
        "seconds_to_confirm": None,
        "attempts": 1,
        "path": [{"target": "person", "tier": 1, "outcome": "confirmed", "state": "done"}],
    }
    totals = {
        "parties": 1,
        "done": 1,
        "reach_rate": 1.0,
        "reached": 1,
        "confirmed": 1,
        "attempts": 1,
    }
    rows = list(csv.reader(io.StringIO(report_csv({"items": [item], "totals": totals}))))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
    assert rows[1][3] == "'@Eve"
