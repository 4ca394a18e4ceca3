"""Editing a Party's contact point and people (secretariat and that Party's administrators)."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from common.api import etag_of
from common.clock import now
from common.db import db
from common.errors import Problem
from directory import schemas
from directory import service as directory
from directory.models import ContactPoint, Party, Person
from directory.present import present_contact_point, present_person, sorted_phones
from directory.values import parse_phone
from web import bp, forms
from web import formatting as fmt
from web.labels import PHONE_KINDS
from web.messages import translate_reason
from web.session import current_user, require_editor

STALE = "the record changed since you opened this form"


def check_version(sent: str | None, current: Any) -> None:
    """409 when someone saved the record after this form was opened (like If-Match)."""
    if sent and sent != etag_of(current):
        raise Problem(409, STALE)


# --- contact point ---------------------------------------------------------------------------


def contact_point_values(cp: ContactPoint | None, party: Party) -> MultiDict:
    """The stored designation as the form shows it."""
    values: MultiDict = MultiDict()
    if cp is None:
        values["kind"] = "police"
        return values
    for key in ("unit_name", "kind", "address", "email", "timezone"):
        values[key] = getattr(cp, key) or ""
    values["desk_phone"] = fmt.phone(cp.desk_phone)
    for i, window in enumerate(cp.office_hours or []):
        values.setlist(f"office_hours[{i}].weekdays", list(window["weekdays"]))
        values[f"office_hours[{i}].from_local"] = window["from_local"]
        values[f"office_hours[{i}].to_local"] = window["to_local"]
    if cp.can_order_preservation:
        values["can_order_preservation"] = "on"
    values["mla_authority.name"] = cp.mla_authority_name or ""
    values["mla_authority.phone"] = fmt.phone(cp.mla_authority_phone)
    values["mla_authority.email"] = cp.mla_authority_email or ""
    values["_version"] = etag_of(present_contact_point(cp))
    return values


def _contact_point_page(party: Party, state: forms.FormState, status: int = 200) -> Any:
    page = render_template(
        "web/contact_point_form.html",
        party=party,
        name=fmt.country(party.iso2, party.name),
        state=state,
        cp=party.contact_point_at(now()),
    )
    return page, status


@bp.route("/parties/<iso2>/contact-point/edit", methods=["GET", "POST"])
def edit_contact_point(iso2: str) -> Any:
    """Correct the current designation, or record a new one (the old is kept in history)."""
    party = directory.get_party(iso2)
    require_editor(party.id)
    cp = party.contact_point_at(now())
    if request.method == "GET":
        return _contact_point_page(party, forms.FormState(contact_point_values(cp, party)))
    values = request.form.copy()
    data, rows = forms.contact_point_data(request.form)
    try:
        if cp is not None and not data["new_designation"]:
            check_version(request.form.get("_version"), present_contact_point(cp))
        loaded = forms.load(schemas.ContactPointIn(), data)
        directory.set_contact_point(current_user(), party, loaded, now())
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        if cp is not None:
            values["_version"] = etag_of(present_contact_point(party.contact_point_at(now())))
        return _contact_point_page(party, forms.failed(problem, values, rows), problem.status)
    flash(_("The contact point is saved."), "success")
    return redirect(url_for("web.party_page", iso2=party.iso2))


# --- people ----------------------------------------------------------------------------------


def person_values(person: Person) -> MultiDict:
    """The stored person as the form shows it (numbers in international format)."""
    values: MultiDict = MultiDict()
    values["full_name"] = person.full_name
    for key in ("title", "email", "timezone"):
        values[key] = getattr(person, key) or ""
    if person.active:
        values["active"] = "on"
    for i, phone in enumerate(sorted_phones(person)):
        values[f"phones[{i}].number"] = fmt.phone(phone.e164)
        values[f"phones[{i}].kind"] = phone.kind
        values[f"phones[{i}].label"] = phone.label or ""
        if phone.primary:
            values["primary_phone"] = str(i)
    for i, lang in enumerate(person.languages):
        values[f"languages[{i}].tag"] = lang.tag
        values[f"languages[{i}].level"] = lang.level
    values["_version"] = etag_of(present_person(person, "en"))
    return values


def _person_page(party: Party, person: Person | None, state: forms.FormState, status: int = 200):
    page = render_template(
        "web/person_form.html",
        party=party,
        name=fmt.country(party.iso2, party.name),
        person=person,
        state=state,
        phone_kinds=PHONE_KINDS,
    )
    return page, status


@bp.route("/parties/<iso2>/people/new", methods=["GET", "POST"])
def new_person(iso2: str) -> Any:
    """Add someone who can be on duty."""
    party = directory.get_party(iso2)
    require_editor(party.id)
    if request.method == "GET":
        values = MultiDict({"active": "on", "languages[0].level": "fluent"})
        return _person_page(party, None, forms.FormState(values))
    data, rows = forms.person_data(request.form)
    try:
        loaded = forms.load(schemas.PersonIn(), data)
        person = directory.create_person(current_user(), party, loaded, now())
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        state = forms.failed(problem, request.form.copy(), rows)
        return _person_page(party, None, state, problem.status)
    flash(_("%(name)s is added.", name=person.full_name), "success")
    return redirect(url_for("web.party_page", iso2=party.iso2, _anchor=f"person-{person.id}"))


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
def edit_person(person_id: int) -> Any:
    """Change a person; the phones and languages listed replace the stored ones."""
    person = directory.get_person(person_id)
    party = person.party
    require_editor(party.id)
    if request.method == "GET":
        return _person_page(party, person, forms.FormState(person_values(person)))
    values = request.form.copy()
    data, rows = forms.person_data(request.form)
    try:
        check_version(request.form.get("_version"), present_person(person, "en"))
        loaded = forms.load(schemas.PersonPatch(), data)
        directory.update_person(current_user(), person, loaded, now())
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        values["_version"] = etag_of(present_person(person, "en"))
        return _person_page(party, person, forms.failed(problem, values, rows), problem.status)
    flash(_("%(name)s is saved.", name=person.full_name), "success")
    return redirect(url_for("web.party_page", iso2=party.iso2, _anchor=f"person-{person.id}"))


@bp.post("/people/<int:person_id>/delete")
def delete_person(person_id: int) -> Response:
    """Remove someone (refused while they are named in a rotation)."""
    person = directory.get_person(person_id)
    iso2, name = person.party.iso2, person.full_name
    require_editor(person.party_id)
    try:
        directory.delete_person(current_user(), person, now())
        db.session.commit()
    except Problem as problem:
        db.session.rollback()
        flash(translate_reason(problem.detail), "error")
        return redirect(url_for("web.edit_person", person_id=person_id))
    flash(_("%(name)s is deleted.", name=name), "success")
    return redirect(url_for("web.party_page", iso2=iso2))


@bp.get("/check/phone")
def check_phone() -> Response:
    """As-you-type check of a number, read in the Party's region (same rule as on save)."""
    number = (request.args.get("number") or "")[:60]
    region = (request.args.get("party") or "")[:2] or None
    try:
        parsed = parse_phone(number, region)
    except ValueError as exc:
        return jsonify(ok=False, reason=translate_reason(str(exc)))
    return jsonify(
        ok=True,
        e164=parsed.e164,
        international=parsed.international,
        kind=parsed.kind,
        kind_name=_(PHONE_KINDS.get(parsed.kind, "other")),
    )
