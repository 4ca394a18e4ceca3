"""Editing the contact point and people through forms: same rules and errors as the API."""

from __future__ import annotations

import html as htmllib

from common.clock import now
from common.db import db
from directory.audit import list_changes
from directory.models import Person
from tests.conftest import make_party, make_user
from tests.web.conftest import CSRF, field_error, form, input_value, person_form, sign_in


def test_a_bad_number_is_shown_next_to_its_field_and_nothing_typed_is_lost(signed_in, france_rota):
    _party, people, _rota = france_rota
    anne = people[0]
    page = signed_in.get(f"/people/{anne.id}/edit").text
    version = input_value(page, "_version")
    resp = signed_in.post(
        f"/people/{anne.id}/edit",
        data=person_form(
            _version=version,
            full_name="Anne Dupont-Martin",
            title="Commissaire",
            **{"phones[0].number": "+33 6 12", "phones[1].number": "01 23 45 67 80"},
        ),
    )
    assert resp.status_code == 422
    html = resp.text
    assert field_error(html, "phones[0].number") == "the number is too short"
    assert field_error(html, "phones[1].number") is None
    assert 'id="f-phones-0-number"' in html and 'aria-invalid="true"' in html
    assert "Nothing was saved" in html and 'href="#f-phones-0-number"' in html
    # What was typed is kept.
    assert input_value(html, "full_name") == "Anne Dupont-Martin"
    assert input_value(html, "title") == "Commissaire"
    assert input_value(html, "phones[0].number") == "+33 6 12"
    assert input_value(html, "phones[1].number") == "01 23 45 67 80"
    # The rows typed in, one blank row to add another, and no more.
    assert input_value(html, "phones[2].number") == ""
    assert 'name="phones[3].number"' not in html
    assert 'name="languages[1].tag"' in html and 'name="languages[2].tag"' not in html
    db.session.expire_all()
    assert db.session.get(Person, anne.id).full_name == "Anne Dupont"


def test_errors_land_on_the_form_row_even_when_empty_rows_are_skipped(signed_in, france_rota):
    _party, people, _rota = france_rota
    resp = signed_in.post(
        f"/people/{people[0].id}/edit",
        data=person_form(**{"phones[0].number": "", "phones[1].number": "12"}),
    )
    assert resp.status_code == 422
    assert field_error(resp.text, "phones[1].number") is not None
    assert 'name="phones[0].number"' not in resp.text  # the blank row is not drawn again
    assert input_value(resp.text, "phones[1].number") == "12"


def test_a_good_edit_is_saved_and_audited(signed_in, france_rota, secretariat_user):
    party, people, _rota = france_rota
    anne = people[0]
    page = signed_in.get(f"/people/{anne.id}/edit").text
    assert input_value(page, "phones[0].number") == "+33 6 12 34 56 01"
    resp = signed_in.post(
        f"/people/{anne.id}/edit",
        data=person_form(
            _version=input_value(page, "_version"),
            full_name="Anne Dupont",
            **{
                "phones[0].number": "06 12 34 56 01",
                "phones[1].number": "01 23 45 67 80",
                "phones[1].label": "office",
                "primary_phone": "1",
                "languages[0].tag": "fr",
                "languages[1].tag": "pt-br",
            },
        ),
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/parties/FR#person-{anne.id}"
    db.session.expire_all()
    anne = db.session.get(Person, anne.id)
    assert [(p.e164, p.primary, p.label) for p in anne.phones] == [
        ("+33612345601", False, None),
        ("+33123456780", True, "office"),
    ]
    assert [lang.tag for lang in anne.languages] == ["fr", "pt-BR"]
    entry = list_changes(party=party, entity="person", limit=1)[0]
    assert entry.actor_email == secretariat_user.email and entry.entity_id == anne.id
    assert "Anne Dupont is saved." in signed_in.get("/parties/FR").text


def test_a_stale_form_is_refused_and_shows_the_latest_version(signed_in, france_rota):
    _party, people, _rota = france_rota
    anne = people[0]
    old = input_value(signed_in.get(f"/people/{anne.id}/edit").text, "_version")
    first = signed_in.post(
        f"/people/{anne.id}/edit", data=person_form(_version=old, full_name="Anne One")
    )
    assert first.status_code == 302
    second = signed_in.post(
        f"/people/{anne.id}/edit", data=person_form(_version=old, full_name="Anne Two")
    )
    assert second.status_code == 409
    assert "saved a change since you opened this form" in second.text
    assert input_value(second.text, "full_name") == "Anne Two"
    again = signed_in.post(
        f"/people/{anne.id}/edit",
        data=person_form(_version=input_value(second.text, "_version"), full_name="Anne Two"),
    )
    assert again.status_code == 302


def test_adding_a_person_reads_national_numbers_in_the_partys_region(signed_in, france_rota):
    party, _people, _rota = france_rota
    resp = signed_in.post("/parties/FR/people/new", data=person_form())
    assert resp.status_code == 302
    dora = db.session.query(Person).filter_by(full_name="Dora Lang").one()
    assert dora.party_id == party.id
    assert dora.phones[0].e164 == "+33612345699" and dora.phones[0].kind == "mobile"


def test_a_new_person_needs_a_name(signed_in, france_rota):
    resp = signed_in.post("/parties/FR/people/new", data=person_form(full_name=" "))
    assert resp.status_code == 422
    assert field_error(resp.text, "full_name") == "required"
    assert field_error(resp.text, "languages[0].tag") is None


def test_unknown_language_and_duplicate_numbers(signed_in, france_rota):
    resp = signed_in.post(
        "/parties/FR/people/new",
        data=person_form(
            **{
                "languages[0].tag": "xx",
                "phones[1].number": "+33 6 12 34 56 99",
            }
        ),
    )
    assert resp.status_code == 422
    assert field_error(resp.text, "languages[0].tag") == "unknown language 'xx'"
    resp = signed_in.post(
        "/parties/FR/people/new", data=person_form(**{"phones[1].number": "+33 6 12 34 56 99"})
    )
    assert "the same number is listed twice" in htmllib.unescape(resp.text)


def test_someone_on_a_rotation_cannot_be_deleted(signed_in, france_rota):
    _party, people, _rota = france_rota
    resp = signed_in.post(f"/people/{people[0].id}/delete", data=form())
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/people/{people[0].id}/edit"
    page = signed_in.get(resp.headers["Location"]).text
    assert "is a member of a rotation" in page
    assert db.session.get(Person, people[0].id) is not None


def test_only_the_partys_admins_and_the_secretariat_edit(client, france_rota):
    _party, people, _rota = france_rota
    belgium = make_party("BE", "Belgium")
    for user, status in (
        (make_user("member")[0], 403),
        (make_user("party_admin", belgium)[0], 403),
        (make_user("party_admin", _party)[0], 200),
    ):
        sign_in(client, user)
        assert client.get(f"/people/{people[0].id}/edit").status_code == status
        assert client.get("/parties/FR/contact-point/edit").status_code == status
        post = client.post("/parties/FR/people/new", data=person_form())
        assert post.status_code == (302 if status == 200 else 403)
    page = client.get("/parties/BE/people/new")
    assert page.status_code == 403
    assert "you may change only your own Party" in page.text


def test_contact_point_form_checks_numbers_and_keeps_history(signed_in, france_rota):
    party, _people, _rota = france_rota
    page = signed_in.get("/parties/FR/contact-point/edit").text
    assert input_value(page, "unit_name") == "OFAC 24/7"
    assert input_value(page, "desk_phone") == "+33 1 23 45 67 89"
    fields = form(
        _version=input_value(page, "_version"),
        unit_name="OFAC 24/7",
        kind="police",
        timezone="Europe/Paris",
        desk_phone="01 23",
        address="",
        email="",
        **{
            "mla_authority.name": "Ministère de la Justice",
            "mla_authority.phone": "+33 1 44 77 60 60",
            "mla_authority.email": "not-an-address",
            "office_hours[0].weekdays": ["mon", "tue"],
            "office_hours[0].from_local": "09:00",
            "office_hours[0].to_local": "17:00",
        },
    )
    resp = signed_in.post("/parties/FR/contact-point/edit", data=fields)
    assert resp.status_code == 422
    assert field_error(resp.text, "mla_authority.email") is not None
    fields["mla_authority.email"] = "bepi@justice.example"
    resp = signed_in.post("/parties/FR/contact-point/edit", data=fields)
    assert resp.status_code == 422
    assert field_error(resp.text, "desk_phone") == "the number is too short"
    assert 'value="tue" checked' in resp.text  # ticked days kept
    fields["desk_phone"] = "01 23 45 67 00"
    fields["_version"] = input_value(resp.text, "_version")
    resp = signed_in.post("/parties/FR/contact-point/edit", data=fields)
    assert resp.status_code == 302
    db.session.expire_all()
    cp = party.contact_point_at(now())
    assert cp.desk_phone == "+33123456700"
    assert cp.office_hours == [
        {"weekdays": ["mon", "tue"], "from_local": "09:00", "to_local": "17:00"}
    ]
    # A new designation keeps the old one in history.
    page = signed_in.get("/parties/FR/contact-point/edit").text
    fields.update(
        _version=input_value(page, "_version"),
        unit_name="OFAC nouvelle unité",
        new_designation="on",
        effective_from="2027-01-01",
    )
    assert signed_in.post("/parties/FR/contact-point/edit", data=fields).status_code == 302
    db.session.expire_all()
    assert [c.unit_name for c in party.contact_points] == ["OFAC 24/7", "OFAC nouvelle unité"]


def test_phone_check_as_you_type(signed_in, now):
    ok = signed_in.get("/check/phone?party=FR&number=06 12 34 56 78").json
    assert ok == {
        "ok": True,
        "e164": "+33612345678",
        "international": "+33 6 12 34 56 78",
        "kind": "mobile",
        "kind_name": "mobile",
    }
    bad = signed_in.get("/check/phone?party=FR&number=06 12").json
    assert bad == {"ok": False, "reason": "the number is too short"}
    french = signed_in.get("/check/phone?party=FR&number=06 12&lang=fr").json
    assert french["reason"] == "le numéro est trop court"


def test_a_form_sent_without_its_token_changes_nothing(signed_in, france_rota):
    _party, people, _rota = france_rota
    data = person_form(full_name="Hijacked")
    data.pop("_csrf")
    resp = signed_in.post(f"/people/{people[0].id}/edit", data=data)
    assert resp.status_code == 400
    assert db.session.get(Person, people[0].id).full_name == "Anne Dupont"
    assert CSRF
