"""HTML forms to the API's input shapes and back: the API's schemas validate both.

Field names in the pages are the API's field paths (`mla_authority.phone`, `phones[2].number`),
so an error a service reports for a field lands next to that field. Empty rows of repeated
fields are dropped before validation; `Rows` maps the remaining rows back to the form's rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from werkzeug.datastructures import MultiDict

from common.errors import Problem, flatten_messages
from rota.resolution import format_duration, parse_duration
from web.messages import translate_reason

_ROW = re.compile(r"^(?P<list>[a-z_]+)\[(?P<index>\d+)\]")
SHIFT_UNITS = ("minutes", "hours", "days", "weeks")
#: Parts of a row that always carry a value (list boxes, ticks): they alone do not keep a row.
_CHOICES = frozenset({"kind", "level", "weekdays"})
MAX_ROWS = 50


def field_id(name: str) -> str:
    """The HTML id of the input named `name` (error links point at it)."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")


@dataclass
class FormState:
    """What a form page needs: the values to show, and errors per field in the UI language."""

    values: MultiDict = field(default_factory=MultiDict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    message: str | None = None

    def error_list(self) -> list[tuple[str, str]]:
        return [(name, reason) for name, reasons in self.errors.items() for reason in reasons]

    def rows(self, name: str, extra: int = 1) -> list[int]:
        """The rows of a repeated field worth drawing again, plus `extra` blank ones.

        A row counts when something was typed in it (a choice in a list box alone does not)
        or when it has an error; blank rows sent back are not drawn twice.
        """
        found = set()
        for key in self.values:
            match = _ROW.match(key)
            if not match or match["list"] != name or int(match["index"]) >= MAX_ROWS:
                continue
            part = key[match.end() :].lstrip(".")
            typed = part not in _CHOICES and any(v.strip() for v in self.values.getlist(key))
            if typed or any(e.startswith(match.group(0)) for e in self.errors):
                found.add(int(match["index"]))
        ordered = sorted(found)
        start = (ordered[-1] + 1) if ordered else 0
        return ordered + list(range(start, start + extra))


class Rows:
    """Remembers which form row each kept list item came from."""

    def __init__(self) -> None:
        self.kept: dict[str, list[int]] = {}

    def keep(self, name: str, form_index: int) -> None:
        self.kept.setdefault(name, []).append(form_index)

    def to_form(self, path: str) -> str:
        """`phones[0].number` (data) → `phones[3].number` (the form's fourth row)."""
        match = _ROW.match(path)
        if not match or match["list"] not in self.kept:
            return path
        rows = self.kept[match["list"]]
        index = int(match["index"])
        if index >= len(rows):
            return path
        return f"{match['list']}[{rows[index]}]" + path[match.end() :]


def row_indexes(form: MultiDict, name: str) -> list[int]:
    return sorted(
        {
            int(m["index"])
            for key in form
            if (m := _ROW.match(key)) and m["list"] == name and int(m["index"]) < MAX_ROWS
        }
    )


def text_or_none(form: MultiDict, name: str) -> str | None:
    value = (form.get(name) or "").strip()
    return value or None


def load(schema: ma.Schema, data: dict[str, Any], pre_errors: Sequence[dict[str, str]] = ()) -> Any:
    """Validate with the API's schema; a 422 Problem listing every bad field otherwise."""
    errors = list(pre_errors)
    loaded = None
    try:
        loaded = schema.load(data)
    except ma.ValidationError as exc:
        taken = {e["field"] for e in errors}
        errors += [e for e in flatten_messages(exc.messages) if e["field"] not in taken]
    if errors:
        raise Problem(422, "; ".join(f"{e['field']}: {e['reason']}" for e in errors), errors=errors)
    return loaded


def failed(
    problem: Problem, values: MultiDict, rows: Rows | None = None, *, general: str | None = None
) -> FormState:
    """The form again with what the user typed and each reason next to its field."""
    state = FormState(values=values)
    for error in problem.errors:
        name = rows.to_form(error["field"]) if rows else error["field"]
        state.errors.setdefault(name, []).append(translate_reason(error["reason"]))
    if not problem.errors:
        state.message = general or translate_reason(problem.detail)
    return state


# --- local wall-clock times from <input type="datetime-local"> -------------------------------


def local_to_aware(value: str | None, tz_name: str) -> str | None:
    """'2026-12-08T20:00' read in `tz_name` → an ISO instant with its offset.

    A time skipped by a DST change takes the offset from before the gap, a repeated one its
    first occurrence (`fold=0`), as everywhere else in Art35.
    """
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be a date and time") from None
    if naive.tzinfo is not None:
        return naive.isoformat()
    return naive.replace(tzinfo=ZoneInfo(tz_name)).isoformat()


def aware_to_local(at: datetime | None, tz_name: str) -> str:
    """An instant as the value of a datetime-local input in zone `tz_name`."""
    if at is None:
        return ""
    return at.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%dT%H:%M")


# --- shift lengths as a number and a unit ----------------------------------------------------


def shift_length_parts(iso: str | None) -> tuple[str, str]:
    """'P7D' → ('1', 'weeks'); 'PT12H' → ('12', 'hours')."""
    if not iso:
        return "1", "weeks"
    length = parse_duration(iso)
    seconds = int(length.total_seconds())
    if seconds % (7 * 86400) == 0:
        return str(seconds // (7 * 86400)), "weeks"
    if seconds % 86400 == 0:
        return str(seconds // 86400), "days"
    if seconds % 3600 == 0:
        return str(seconds // 3600), "hours"
    return str(seconds // 60), "minutes"


def shift_length_iso(count: str | None, unit: str | None) -> str:
    """('12', 'hours') → 'PT12H'; ValueError with a reason for nonsense."""
    if not count or not count.strip().isdigit() or int(count) < 1:
        raise ValueError("must be a whole number above zero")
    n = int(count)
    if n > 100000:
        raise ValueError("shifts longer than a year are not supported")
    span = {
        "minutes": timedelta(minutes=n),
        "hours": timedelta(hours=n),
        "days": timedelta(days=n),
        "weeks": timedelta(weeks=n),
    }.get(unit or "")
    if span is None:
        raise ValueError("choose minutes, hours, days or weeks")
    return format_duration(span)


# --- one converter per form ------------------------------------------------------------------


def _windows(form: MultiDict, name: str, rows: Rows) -> list[dict[str, Any]]:
    windows = []
    for i in row_indexes(form, name):
        start = text_or_none(form, f"{name}[{i}].from_local")
        end = text_or_none(form, f"{name}[{i}].to_local")
        days = form.getlist(f"{name}[{i}].weekdays")
        if not start and not end:
            continue
        rows.keep(name, i)
        window: dict[str, Any] = {"from_local": start or "", "to_local": end or ""}
        if days:
            window["weekdays"] = days
        windows.append(window)
    return windows


def contact_point_data(form: MultiDict) -> tuple[dict[str, Any], Rows]:
    """The contact-point form as the body of PUT /parties/{iso2}/contact-point."""
    rows = Rows()
    data: dict[str, Any] = {
        "address": text_or_none(form, "address"),
        "email": text_or_none(form, "email"),
        "desk_phone": text_or_none(form, "desk_phone"),
        "office_hours": _windows(form, "office_hours", rows),
        "can_order_preservation": form.get("can_order_preservation") == "on",
        "mla_authority": {
            "name": text_or_none(form, "mla_authority.name"),
            "phone": text_or_none(form, "mla_authority.phone"),
            "email": text_or_none(form, "mla_authority.email"),
        },
        "new_designation": form.get("new_designation") == "on",
    }
    for required in ("unit_name", "kind", "timezone"):
        value = text_or_none(form, required)
        if value is not None:
            data[required] = value
    if text_or_none(form, "effective_from"):
        data["effective_from"] = text_or_none(form, "effective_from")
    return data, rows


def person_data(form: MultiDict) -> tuple[dict[str, Any], Rows]:
    """The person form as the body of POST …/people or PATCH /people/{id} (lists replace)."""
    rows = Rows()
    phones = []
    primary = form.get("primary_phone")
    for i in row_indexes(form, "phones"):
        number = text_or_none(form, f"phones[{i}].number")
        if number is None:
            continue
        rows.keep("phones", i)
        phones.append(
            {
                "number": number,
                "kind": text_or_none(form, f"phones[{i}].kind"),
                "label": text_or_none(form, f"phones[{i}].label"),
                "primary": primary == str(i),
            }
        )
    languages = []
    for i in row_indexes(form, "languages"):
        tag = text_or_none(form, f"languages[{i}].tag")
        if tag is None:
            continue
        rows.keep("languages", i)
        languages.append({"tag": tag, "level": form.get(f"languages[{i}].level") or "working"})
    data = {
        "full_name": text_or_none(form, "full_name"),
        "title": text_or_none(form, "title"),
        "email": text_or_none(form, "email"),
        "timezone": text_or_none(form, "timezone"),
        "active": form.get("active") == "on",
        "phones": phones,
        "languages": languages,
    }
    return data, rows


def _integer(raw: str | None) -> Any:
    """Digits become an int; anything else is passed on for the schema to refuse."""
    value = (raw or "").strip()
    return int(value) if value.isdigit() else value


def rota_data(form: MultiDict) -> dict[str, Any]:
    """The rota form as the body of POST …/rotas (or PATCH /rotas/{id})."""
    data: dict[str, Any] = {"tier": _integer(form.get("tier"))}
    for name in ("name", "timezone"):
        value = text_or_none(form, name)
        if value is not None:
            data[name] = value
    return data


def rotation_data(
    form: MultiDict, tz_name: str, *, editing: bool = False
) -> tuple[dict[str, Any], Rows, list[dict[str, str]]]:
    """The rotation form as the body of POST /rotas/{id}/rotations or PATCH /rotations/{id}."""
    rows = Rows()
    pre: list[dict[str, str]] = []
    members = []
    for i in row_indexes(form, "members"):
        raw = text_or_none(form, f"members[{i}]")
        if raw is None:
            continue
        rows.keep("members", i)
        members.append(_integer(raw))
    data: dict[str, Any] = {
        "name": text_or_none(form, "name"),
        "members": members,
        "restrictions": _windows(form, "restrictions", rows),
    }
    if text_or_none(form, "start_local"):
        data["start_local"] = text_or_none(form, "start_local")
    try:
        data["shift_length"] = shift_length_iso(form.get("shift_count"), form.get("shift_unit"))
    except ValueError as exc:
        pre.append({"field": "shift_length", "reason": str(exc)})
    if editing and text_or_none(form, "members_effective_at"):
        try:
            data["members_effective_at"] = local_to_aware(form.get("members_effective_at"), tz_name)
        except ValueError as exc:
            pre.append({"field": "members_effective_at", "reason": str(exc)})
    return data, rows, pre


def override_data(form: MultiDict, tz_name: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The override form (local times in the rota's zone) as the body of POST …/overrides."""
    pre: list[dict[str, str]] = []
    data: dict[str, Any] = {"note": text_or_none(form, "note")}
    if text_or_none(form, "person_id"):
        data["person_id"] = _integer(form.get("person_id"))
    for name in ("start", "end"):
        try:
            value = local_to_aware(text_or_none(form, name), tz_name)
        except ValueError as exc:
            pre.append({"field": name, "reason": str(exc)})
            continue
        if value is not None:
            data[name] = value
    return data, pre
