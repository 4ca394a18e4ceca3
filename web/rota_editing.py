"""Rotas, rotations and overrides: forms with a live preview of the resulting timeline."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from common.clock import now
from common.db import db
from common.errors import Problem
from directory import service as directory
from directory.models import Party
from rota import lookup, schemas
from rota import service as rota_service
from rota.models import RotaRecord, RotationRecord
from web import bp, forms
from web import formatting as fmt
from web.messages import translate_reason
from web.session import current_user, require_editor
from web.timeline import build_picture, day_start

PREVIEW_DAYS = 14


def _party_people(party: Party) -> list[tuple[int, str]]:
    return [(p.id, p.full_name) for p in directory.list_people(party) if p.active]


def _window(since_zone: str) -> tuple[datetime, datetime]:
    start = day_start(now(), ZoneInfo(since_zone))
    return start.astimezone(UTC), (start + timedelta(days=PREVIEW_DAYS)).astimezone(UTC)


# --- rotas -----------------------------------------------------------------------------------


def _rotas_page(party: Party, new_state: forms.FormState, status: int = 200) -> Any:
    at = now()
    entries = []
    for rota in rota_service.list_rotas(party):
        overrides = rota_service.list_overrides(rota, since=at)
        people = directory.people_by_id({o.person_id for o in overrides})
        entries.append((rota, overrides, people))
    names = {p.id: p.full_name for p in directory.list_people(party)}
    page = render_template(
        "web/rotas.html",
        party=party,
        name=fmt.country(party.iso2, party.name),
        entries=entries,
        names=names,
        state=new_state,
        at=at,
    )
    return page, status


@bp.get("/parties/<iso2>/rotas")
def rotas(iso2: str) -> Any:
    """Every rota of the Party with its rotations and coming overrides."""
    party = directory.get_party(iso2)
    require_editor(party.id)
    cp = party.contact_point_at(now())
    values = MultiDict({"timezone": cp.timezone if cp else "", "tier": ""})
    return _rotas_page(party, forms.FormState(values))


@bp.post("/parties/<iso2>/rotas/new")
def new_rota(iso2: str) -> Any:
    """A duty line with its tier (1 = call first)."""
    party = directory.get_party(iso2)
    require_editor(party.id)
    try:
        loaded = forms.load(schemas.RotaIn(), forms.rota_data(request.form))
        rota = rota_service.create_rota(current_user(), party, loaded, now())
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        state = forms.failed(problem, request.form.copy())
        if problem.status == 409:
            state.errors["tier"] = [translate_reason(problem.detail)]
            state.message = None
        return _rotas_page(party, state, problem.status)
    flash(_("The rota %(name)s is created: now add a rotation.", name=rota.name), "success")
    return redirect(url_for("web.new_rotation", rota_id=rota.id))


def _rota_form(rota: RotaRecord, party: Party, state: forms.FormState, status: int = 200) -> Any:
    page = render_template(
        "web/rota_form.html",
        rota=rota,
        party=party,
        name=fmt.country(party.iso2, party.name),
        state=state,
    )
    return page, status


@bp.route("/rotas/<int:rota_id>/edit", methods=["GET", "POST"])
def edit_rota(rota_id: int) -> Any:
    """Rename a rota, change its tier or zone."""
    rota = rota_service.get_rota(rota_id)
    party = rota_service.party_of(rota)
    require_editor(party.id)
    if request.method == "GET":
        values = MultiDict({"name": rota.name, "tier": str(rota.tier), "timezone": rota.timezone})
        return _rota_form(rota, party, forms.FormState(values))
    try:
        loaded = forms.load(schemas.RotaPatch(), forms.rota_data(request.form))
        rota_service.update_rota(current_user(), rota, loaded, now())
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        state = forms.failed(problem, request.form.copy())
        if problem.status == 409:
            state.errors["tier"] = [translate_reason(problem.detail)]
            state.message = None
        return _rota_form(rota, party, state, problem.status)
    flash(_("The rota is saved."), "success")
    return redirect(url_for("web.rotas", iso2=party.iso2))


@bp.post("/rotas/<int:rota_id>/delete")
def delete_rota(rota_id: int) -> Response:
    rota = rota_service.get_rota(rota_id)
    party = rota_service.party_of(rota)
    require_editor(party.id)
    rota_service.delete_rota(current_user(), rota, now())
    db.session.commit()
    flash(_("The rota is deleted."), "success")
    return redirect(url_for("web.rotas", iso2=party.iso2))


# --- the preview -----------------------------------------------------------------------------


def _stored_rotation(rotation: RotationRecord, at: datetime) -> dict[str, Any]:
    """A saved rotation in the shape of a loaded RotationIn, with its members as of `at`."""
    members = list(rotation.members)
    for change in rotation.member_changes:
        if change.effective_at <= at:
            members = list(change.members)
    return {
        "start_local": rotation.start_local,
        "shift_length": rotation.shift_length,
        "members": members,
        "restrictions": [
            {
                "weekdays": w["weekdays"],
                "from_local": time.fromisoformat(w["from_local"]),
                "to_local": time.fromisoformat(w["to_local"]),
            }
            for w in rotation.restrictions or []
        ],
    }


def preview_pictures(
    rota: RotaRecord,
    party: Party,
    *,
    rotation: dict[str, Any] | None = None,
    replacing: int | None = None,
    override: dict[str, Any] | None = None,
) -> tuple[Any, Any]:
    """The rota's 14 days as saved, and as they would be with the proposed change."""
    at = now()
    since, until = _window(rota.timezone)
    proposed = []
    for stored in rota.rotations:
        if stored.id == replacing and rotation is not None:
            proposed.append(rotation)
        else:
            proposed.append(_stored_rotation(stored, at))
    if rotation is not None and replacing is None:
        proposed.append(rotation)
    overrides = [
        {"person_id": o.person_id, "start": o.start_at, "end": o.end_at}
        for o in rota_service.list_overrides(rota, since, until)
    ]
    if override is not None:
        overrides.append(override)
    data = {"timezone": rota.timezone, "rotations": proposed, "overrides": overrides}
    after = lookup.preview_timeline(party, data, since, until, now=now())
    before = next(
        (s for r, s in lookup.party_timelines(party, since, until, rota.tier) if r.id == rota.id),
        [],
    )
    ids = {s.person_id for s in [*before, *after] if s.person_id}
    people = directory.people_by_id(ids)
    lane_before = SimpleNamespace(tier=rota.tier, name=_("As saved"), id=None)
    lane_after = SimpleNamespace(tier=rota.tier, name=_("With your change"), id=None)
    return (
        build_picture([(lane_before, before)], people, since, until, rota.timezone, at),
        build_picture([(lane_after, after)], people, since, until, rota.timezone, at),
    )


def _quiet_preview(rota: RotaRecord, party: Party, **change: Any) -> Any:
    """The preview for a page re-shown after a refused save, or None if it cannot be drawn."""
    try:
        return preview_pictures(rota, party, **change)
    except Problem:
        db.session.rollback()
        return None


def _conflict_text(problem: Problem, tz: str) -> str | None:
    """'Overlaps the override of Anne Dupont, Tue 1 Dec 20:00 – Wed 2 Dec 08:00': which one."""
    clash = problem.extra.get("conflict") if problem.status == 409 else None
    if not clash:
        return None
    people = directory.people_by_id({clash["person_id"]}) if clash.get("person_id") else {}
    person = people.get(clash["person_id"]) if clash.get("person_id") else None
    return _(
        "This overlaps the override of %(name)s from %(start)s to %(end)s (rota time): "
        "delete that override first, or choose other times.",
        name=person.full_name if person else "#" + str(clash.get("person_id")),
        start=fmt.when(datetime.fromisoformat(clash["start"]), tz),
        end=fmt.when(datetime.fromisoformat(clash["end"]), tz),
    )


def _wants_fragment() -> bool:
    return request.headers.get("X-Preview") == "1"


def _preview_fragment(pictures: Any, problem: Problem | None, rows: forms.Rows | None) -> str:
    state = forms.failed(problem, MultiDict(), rows) if problem else None
    return render_template("web/_preview.html", pictures=pictures, preview_state=state)


# --- rotations -------------------------------------------------------------------------------


def rotation_values(rotation: RotationRecord) -> MultiDict:
    values: MultiDict = MultiDict()
    values["name"] = rotation.name or ""
    members = rotation.member_changes[-1].members if rotation.member_changes else rotation.members
    for i, pid in enumerate(members):
        values[f"members[{i}]"] = str(pid)
    values["start_local"] = rotation.start_local.strftime("%Y-%m-%dT%H:%M")
    values["shift_count"], values["shift_unit"] = forms.shift_length_parts(rotation.shift_length)
    for i, window in enumerate(rotation.restrictions or []):
        values.setlist(f"restrictions[{i}].weekdays", list(window["weekdays"]))
        values[f"restrictions[{i}].from_local"] = window["from_local"]
        values[f"restrictions[{i}].to_local"] = window["to_local"]
    return values


def _rotation_page(
    rota: RotaRecord,
    party: Party,
    rotation: RotationRecord | None,
    state: forms.FormState,
    pictures: Any,
    status: int = 200,
) -> Any:
    page = render_template(
        "web/rotation_form.html",
        rota=rota,
        party=party,
        name=fmt.country(party.iso2, party.name),
        rotation=rotation,
        state=state,
        people=_party_people(party),
        pictures=pictures,
        # After a refused save the preview says what to correct, never "fill in the form".
        preview_state=state if (state.errors or state.message) and not pictures else None,
    )
    return page, status


def _rotation_submit(rota: RotaRecord, party: Party, rotation: RotationRecord | None) -> Any:
    """Preview or save the rotation form (new when `rotation` is None)."""
    editing = rotation is not None
    data, rows, pre = forms.rotation_data(request.form, rota.timezone, editing=editing)
    schema = schemas.RotationPatch() if editing else schemas.RotationIn()
    previewing = request.form.get("_action") == "preview"
    pictures = None
    loaded: dict[str, Any] | None = None
    try:
        loaded = forms.load(schema, data, pre)
        preview_data = {k: v for k, v in loaded.items() if k != "members_effective_at"}
        preview_data.setdefault("restrictions", [])
        if previewing:
            pictures = preview_pictures(
                rota, party, rotation=preview_data, replacing=rotation.id if rotation else None
            )
        elif rotation is not None:
            rota_service.update_rotation(current_user(), rotation, loaded, now())
            db.session.commit()
        else:
            rota_service.add_rotation(current_user(), rota, loaded, now())
            db.session.commit()
    except Problem as problem:
        db.session.rollback()
        if _wants_fragment():
            return _preview_fragment(None, problem, rows)
        state = forms.failed(problem, request.form.copy(), rows)
        if loaded is not None and not previewing and rotation is not None:
            # The form was sound but the save was refused: keep showing what it would do.
            pictures = _quiet_preview(rota, party, rotation=preview_data, replacing=rotation.id)
        elif loaded is not None and not previewing:
            pictures = _quiet_preview(rota, party, rotation=preview_data)
        return _rotation_page(rota, party, rotation, state, pictures, problem.status)
    if previewing:
        if _wants_fragment():
            return _preview_fragment(pictures, None, None)
        state = forms.FormState(request.form.copy())
        return _rotation_page(rota, party, rotation, state, pictures)
    flash(_("The rotation is saved."), "success")
    return redirect(url_for("web.rotas", iso2=party.iso2))


@bp.route("/rotas/<int:rota_id>/rotations/new", methods=["GET", "POST"])
def new_rotation(rota_id: int) -> Any:
    """Add a layer of people taking turns; it wins where it overlaps earlier ones."""
    rota = rota_service.get_rota(rota_id)
    party = rota_service.party_of(rota)
    require_editor(party.id)
    if request.method == "POST":
        return _rotation_submit(rota, party, None)
    start = day_start(now(), ZoneInfo(rota.timezone)).replace(hour=9)
    values = MultiDict(
        {"start_local": start.strftime("%Y-%m-%dT%H:%M"), "shift_count": "1", "shift_unit": "weeks"}
    )
    return _rotation_page(rota, party, None, forms.FormState(values), None)


@bp.route("/rotations/<int:rotation_id>/edit", methods=["GET", "POST"])
def edit_rotation(rotation_id: int) -> Any:
    """Change a rotation; new members apply from the time given (past shifts keep theirs)."""
    rotation = rota_service.get_rotation(rotation_id)
    rota = rotation.rota
    party = rota_service.party_of(rota)
    require_editor(party.id)
    if request.method == "POST":
        return _rotation_submit(rota, party, rotation)
    return _rotation_page(rota, party, rotation, forms.FormState(rotation_values(rotation)), None)


@bp.post("/rotations/<int:rotation_id>/delete")
def delete_rotation(rotation_id: int) -> Response:
    rotation = rota_service.get_rotation(rotation_id)
    party = rota_service.party_of(rotation.rota)
    require_editor(party.id)
    rota_service.delete_rotation(current_user(), rotation, now())
    db.session.commit()
    flash(_("The rotation is deleted."), "success")
    return redirect(url_for("web.rotas", iso2=party.iso2))


# --- overrides -------------------------------------------------------------------------------


def _override_page(
    rota: RotaRecord, party: Party, state: forms.FormState, pictures: Any, status: int = 200
) -> Any:
    page = render_template(
        "web/override_form.html",
        rota=rota,
        party=party,
        name=fmt.country(party.iso2, party.name),
        state=state,
        people=_party_people(party),
        pictures=pictures,
        # After a refused save the preview says what to correct, never "fill in the form".
        preview_state=state if (state.errors or state.message) and not pictures else None,
    )
    return page, status


@bp.route("/rotas/<int:rota_id>/overrides/new", methods=["GET", "POST"])
def new_override(rota_id: int) -> Any:
    """Someone covers the rota for a while ("I cover Tuesday night"), times in the rota's zone."""
    rota = rota_service.get_rota(rota_id)
    party = rota_service.party_of(rota)
    require_editor(party.id)
    if request.method == "GET":
        values = MultiDict(
            {k: request.args.get(k, "") for k in ("start", "end", "person_id") if k in request.args}
        )
        return _override_page(rota, party, forms.FormState(values), None)
    data, pre = forms.override_data(request.form, rota.timezone)
    previewing = request.form.get("_action") == "preview"
    pictures = None
    loaded: dict[str, Any] | None = None
    try:
        loaded = forms.load(schemas.OverrideIn(), data, pre)
        if previewing:
            pictures = preview_pictures(rota, party, override=loaded)
        else:
            rota_service.create_override(current_user(), rota, loaded, now())
            db.session.commit()
    except Problem as problem:
        db.session.rollback()
        conflict = _conflict_text(problem, rota.timezone)
        if conflict:
            problem.errors = [{"field": "start", "reason": conflict}]
        if _wants_fragment():
            return _preview_fragment(None, problem, None)
        state = forms.failed(problem, request.form.copy())
        if loaded is not None and not previewing and not conflict:
            pictures = _quiet_preview(rota, party, override=loaded)
        return _override_page(rota, party, state, pictures, problem.status)
    if previewing:
        if _wants_fragment():
            return _preview_fragment(pictures, None, None)
        return _override_page(rota, party, forms.FormState(request.form.copy()), pictures)
    flash(_("The override is saved."), "success")
    return redirect(url_for("web.party_page", iso2=party.iso2, _anchor="timeline-h"))


@bp.post("/overrides/<int:override_id>/delete")
def delete_override(override_id: int) -> Response:
    override = rota_service.get_override(override_id)
    party = rota_service.party_of(rota_service.get_rota(override.rota_id))
    require_editor(party.id)
    rota_service.delete_override(current_user(), override, now())
    db.session.commit()
    flash(_("The override is deleted."), "success")
    return redirect(url_for("web.rotas", iso2=party.iso2))
