"""CSV cells that a spreadsheet will not run: formula injection (CWE-1236) neutralised.

A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets; such cells are prefixed with a single quote, which the
spreadsheet shows as text (OWASP's recommendation). Numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, or its text prefixed with ' when a spreadsheet would read it as a formula."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value  # a number is data, even a negative one
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of a row made safe."""
    return [safe_cell(value) for value in row]


class SafeWriter:
    """csv.writer whose rows are neutralised; `getvalue()` is the text written so far."""

    def __init__(self, **kwargs: Any) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self.writer.writerow(safe_row(row))

    def getvalue(self) -> str:
        return self.buffer.getvalue()
