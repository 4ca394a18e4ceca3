"""Rotas, rotations and overrides through forms, with the preview of the next 14 days."""

from __future__ import annotations

import html as htmllib
import re

from common.db import db
from rota import service as rotas
from rota.models import OverrideRecord, RotaRecord
from tests.conftest import make_person
from tests.web.conftest import field_error, form


def _bars(html: str, marker: str) -> list[tuple[str, str]]:
    """(source, label) of the bars of the picture whose caption contains `marker`."""
    part = html.split(marker, 1)[1].split("</svg>")[0]
    return re.findall(r'<g class="shift[^"]*" data-source="(\w+)" data-person="([^"]*)"', part)


def test_the_rotas_page_lists_rotations_and_overrides(signed_in, france_rota):
    _party, _people, rota = france_rota
    html = signed_in.get("/parties/FR/rotas").text
    assert "Tier 1" in html and "Duty officer" in html
    assert "Anne Dupont → Bruno Petit → Carmen Ruiz" in html
    assert "every week, first handoff 2026-11-02 09:00" in html
    assert "every 1 weeks" not in html
    assert f"/rotas/{rota.id}/overrides/new" in html


def test_create_a_rota_and_a_taken_tier_is_shown_on_the_tier_field(signed_in, france_rota):
    resp = signed_in.post(
        "/parties/FR/rotas/new", data=form(name="Night desk", tier="1", timezone="")
    )
    assert resp.status_code == 409
    assert field_error(resp.text, "tier") == (
        "tier 1 is already the rota 'Duty officer': one rota per tier"
    )
    assert 'value="Night desk"' in resp.text
    resp = signed_in.post("/parties/FR/rotas/new", data=form(name="", tier="x", timezone=""))
    assert resp.status_code == 422
    assert field_error(resp.text, "tier") == "must be a whole number"
    assert field_error(resp.text, "name") == "required"
    resp = signed_in.post(
        "/parties/FR/rotas/new", data=form(name="Prosecutor", tier="2", timezone="")
    )
    assert resp.status_code == 302
    created = db.session.query(RotaRecord).filter_by(tier=2).one()
    assert created.timezone == "Europe/Paris"  # the contact point's
    assert resp.headers["Location"] == f"/rotas/{created.id}/rotations/new"


def _rotation_form(people, **extra):
    fields = {
        "name": "Nights",
        "members[0]": str(people[2].id),
        "members[1]": "",
        "start_local": "2026-12-01T20:00",
        "shift_count": "1",
        "shift_unit": "days",
        "restrictions[0].from_local": "20:00",
        "restrictions[0].to_local": "08:00",
    }
    fields.update(extra)
    return form(**fields)


def test_a_rotation_preview_draws_the_change_before_saving(signed_in, france_rota):
    _party, people, rota = france_rota
    data = _rotation_form(people, _action="preview")
    page = signed_in.post(f"/rotas/{rota.id}/rotations/new", data=data)
    assert page.status_code == 200
    assert "<html" in page.text
    after = _bars(page.text, "With your change")
    assert after[:3] == [
        ("rotation", "Bruno Petit"),
        ("rotation", "Carmen Ruiz"),  # Tuesday night 20:00 → 08:00
        ("rotation", "Bruno Petit"),
    ]
    assert _bars(page.text, "As saved")[0] == ("rotation", "Bruno Petit")
    assert len(rota.rotations) == 1  # nothing saved
    # The page's script asks for the preview alone.
    fragment = signed_in.post(
        f"/rotas/{rota.id}/rotations/new", data=data, headers={"X-Preview": "1"}
    )
    assert "<html" not in fragment.text
    assert _bars(fragment.text, "With your change") == after


def test_a_preview_of_a_bad_rotation_says_what_to_fix(signed_in, france_rota):
    _party, people, rota = france_rota
    data = _rotation_form(people, _action="preview", shift_count="0")
    fragment = signed_in.post(
        f"/rotas/{rota.id}/rotations/new", data=data, headers={"X-Preview": "1"}
    )
    assert "The preview appears once these are corrected" in fragment.text
    assert "Shift length: must be a whole number above zero" in fragment.text
    page = signed_in.post(f"/rotas/{rota.id}/rotations/new", data=data)
    assert page.status_code == 422
    assert field_error(page.text, "shift_length") == "must be a whole number above zero"


def test_saving_a_rotation_changes_the_party_timeline(signed_in, france_rota):
    _party, people, rota = france_rota
    resp = signed_in.post(
        f"/rotas/{rota.id}/rotations/new", data=_rotation_form(people, _action="save")
    )
    assert resp.status_code == 302
    db.session.expire_all()
    nights = rota.rotations[-1]
    assert nights.shift_length == "P1D" and nights.members == [people[2].id]
    assert nights.restrictions == [
        {"weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "from_local": "20:00",
         "to_local": "08:00"}
    ]  # fmt: skip
    html = signed_in.get("/parties/FR").text
    assert ("rotation", "Carmen Ruiz") in _bars(html, f'data-rota="{rota.id}"')[:3]


def test_edit_a_rotation_with_members_from_a_date(signed_in, france_rota, now):
    _party, people, rota = france_rota
    rotation = rota.rotations[0]
    page = signed_in.get(f"/rotations/{rotation.id}/edit").text
    assert 'name="shift_count" min="1" inputmode="numeric" value="1"' in page
    assert '<option value="weeks" selected>' in page
    resp = signed_in.post(
        f"/rotations/{rotation.id}/edit",
        data=form(
            **{
                "members[0]": str(people[1].id),
                "members[1]": str(people[0].id),
                "start_local": "2026-11-02T09:00",
                "shift_count": "1",
                "shift_unit": "weeks",
                "members_effective_at": "2026-12-07T09:00",
                "_action": "save",
            }
        ),
    )
    assert resp.status_code == 302
    db.session.expire_all()
    change = rotation.member_changes[-1]
    assert change.members == [people[1].id, people[0].id]
    assert change.effective_at.isoformat() == "2026-12-07T08:00:00+00:00"  # 09:00 Paris


def test_an_override_covers_tuesday_night_and_the_timeline_shows_it(signed_in, france_rota):
    _party, people, rota = france_rota
    anne = people[0]
    fields = form(
        person_id=str(anne.id),
        start="2026-12-08T20:00",
        end="2026-12-09T08:00",
        note="I cover Tuesday night",
    )
    preview = signed_in.post(
        f"/rotas/{rota.id}/overrides/new", data={**fields, "_action": "preview"}
    )
    assert ("override", "Anne Dupont") in _bars(preview.text, "With your change")
    assert ("override", "Anne Dupont") not in _bars(preview.text, "As saved")
    resp = signed_in.post(f"/rotas/{rota.id}/overrides/new", data={**fields, "_action": "save"})
    assert resp.status_code == 302
    override = db.session.query(OverrideRecord).one()
    assert override.start_at.isoformat() == "2026-12-08T19:00:00+00:00"  # 20:00 Paris
    html = signed_in.get("/parties/FR").text
    bars = _bars(html, f'data-rota="{rota.id}"')
    assert bars[:4] == [
        ("rotation", "Bruno Petit"),
        ("rotation", "Carmen Ruiz"),
        ("override", "Anne Dupont"),
        ("rotation", "Carmen Ruiz"),
    ]
    assert "Anne Dupont (override): Tue 8 Dec 20:00 – Wed 9 Dec 08:00" in html
    # Overlapping it again is refused, with the reason and the typed values.
    again = signed_in.post(f"/rotas/{rota.id}/overrides/new", data={**fields, "_action": "save"})
    assert again.status_code == 409
    # The message names the override in the way, in the rota's time.
    assert (
        "This overlaps the override of Anne Dupont from Tue 8 Dec 20:00 to Wed 9 Dec 08:00"
        in htmllib.unescape(again.text)
    )
    assert 'value="2026-12-08T20:00"' in again.text


def test_override_form_checks_order_and_person(signed_in, france_rota):
    _party, people, rota = france_rota
    resp = signed_in.post(
        f"/rotas/{rota.id}/overrides/new",
        data=form(person_id="", start="2026-12-08T20:00", end="2026-12-08T08:00"),
    )
    assert resp.status_code == 422
    assert field_error(resp.text, "person_id") == "required"
    resp = signed_in.post(
        f"/rotas/{rota.id}/overrides/new",
        data=form(person_id=str(people[0].id), start="2026-12-08T20:00", end="2026-12-08T08:00"),
    )
    assert field_error(resp.text, "end") == "must be after the start"
    resp = signed_in.post(
        f"/rotas/{rota.id}/overrides/new",
        data=form(person_id=str(people[0].id), start="tomorrow", end="2026-12-08T08:00"),
    )
    assert field_error(resp.text, "start") == "must be a date and time"


def test_a_gap_link_prefills_the_override_form(signed_in, france_rota):
    _party, _people, rota = france_rota
    html = signed_in.get(
        f"/rotas/{rota.id}/overrides/new?start=2026-12-08T20:00&end=2026-12-09T08:00"
    ).text
    assert 'value="2026-12-08T20:00"' in html and 'value="2026-12-09T08:00"' in html


def test_delete_an_override_and_a_rota(signed_in, france_rota, secretariat_user, now):
    from datetime import timedelta

    _party, people, rota = france_rota
    override = rotas.create_override(
        secretariat_user,
        rota,
        {"person_id": people[0].id, "start": now, "end": now + timedelta(hours=2)},
        now,
    )
    db.session.commit()
    assert signed_in.post(f"/overrides/{override.id}/delete", data=form()).status_code == 302
    assert db.session.query(OverrideRecord).count() == 0
    assert signed_in.post(f"/rotas/{rota.id}/delete", data=form()).status_code == 302
    assert db.session.query(RotaRecord).count() == 0


def test_an_override_on_a_rota_without_rotations_previews_and_saves(
    signed_in, france_rota, secretariat_user, now
):
    party, people, _rota = france_rota
    empty = rotas.create_rota(secretariat_user, party, {"name": "Prosecutor", "tier": 2}, now)
    db.session.commit()
    fields = form(person_id=str(people[1].id), start="2026-12-02T00:00", end="2026-12-03T00:00")
    preview = signed_in.post(
        f"/rotas/{empty.id}/overrides/new",
        data={**fields, "_action": "preview"},
        headers={"X-Preview": "1"},
    )
    assert _bars(preview.text, "With your change") == [
        ("gap", "Nobody on duty"),
        ("override", "Bruno Petit"),
        ("gap", "Nobody on duty"),
    ]
    resp = signed_in.post(f"/rotas/{empty.id}/overrides/new", data={**fields, "_action": "save"})
    assert resp.status_code == 302


def test_deleting_an_override_asks_first(signed_in, france_rota, now):
    _party, people, rota = france_rota
    fields = form(person_id=str(people[0].id), start="2026-12-08T20:00", end="2026-12-09T08:00")
    signed_in.post(f"/rotas/{rota.id}/overrides/new", data={**fields, "_action": "save"})
    override = db.session.query(OverrideRecord).one()

    html = signed_in.get("/parties/FR/rotas").text

    block = html.split(f'id="delete-override-{override.id}"')[1].split("</details>")[0]
    assert "<summary" in block and "Yes, delete the override of Anne Dupont" in block


def test_a_refused_save_keeps_the_preview(signed_in, france_rota, germany, now):
    _party, _people, rota = france_rota
    stranger = make_person(germany, "Greta Braun")
    fields = form(person_id=str(stranger.id), start="2026-12-08T20:00", end="2026-12-09T08:00")

    resp = signed_in.post(f"/rotas/{rota.id}/overrides/new", data={**fields, "_action": "save"})

    assert resp.status_code == 422
    preview = resp.text.split('id="preview"')[1].split("</section>")[0]
    assert "Fill in the form to see the next 14 days" not in preview
    assert "The preview appears once these are corrected" in preview
