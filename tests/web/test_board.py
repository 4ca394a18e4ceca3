"""The duty board: whom to call now in every Party, searchable in English and French."""

from __future__ import annotations

import re
from datetime import timedelta

from common.db import db
from directory import service as directory
from tests.conftest import make_party, make_person
from tests.web.conftest import sign_in


def _rows(html: str) -> list[str]:
    """ISO codes of the Parties listed as rows, in order."""
    return re.findall(r'<tr id="row-([A-Z]{2})"', html)


def test_board_shows_who_is_on_duty_with_a_tel_link(signed_in, france_rota):
    html = signed_in.get("/").text
    row = html[html.index('id="row-FR"') :].split("</tr>")[0]
    assert "Bruno Petit" in row
    assert 'href="tel:+33612345602"' in row
    assert "+33 6 12 34 56 02" in row
    assert "French" in row
    assert "Tue 13:00" in row  # local time in Paris (UTC+1)
    assert "Mon 09:00" in row and "in 6 days" in row  # until the Monday handoff


def test_a_gap_is_loud_and_gives_the_desk_line(signed_in, france_rota, germany):
    html = signed_in.get("/").text
    assert "1 Party has nobody on duty on tier 1 now" in html
    row = html[html.index('id="row-DE"') :].split("</tr>")[0]
    assert 'class="is-gap"' in row
    assert "NOBODY ON DUTY" in row
    assert 'href="tel:+49301234567"' in row


def test_parties_are_in_alphabetical_order_of_the_viewers_language(
    client, secretariat_user, france_rota, germany
):
    make_party("ES", "Spain")
    sign_in(client, secretariat_user)
    assert _rows(client.get("/").text) == ["FR", "DE", "ES"]  # France, Germany, Spain
    assert _rows(client.get("/?lang=fr").text) == ["DE", "ES", "FR"]  # Allemagne, Espagne, France


def test_search_finds_a_country_by_english_or_french_name_or_iso_code(
    signed_in, france_rota, germany
):
    for query in ("germany", "Allemagne", "allem", "DE", "de"):
        assert _rows(signed_in.get(f"/?q={query}").text) == ["DE"], query
    assert _rows(signed_in.get("/?q=etats").text) == []
    make_party("US", "United States")
    assert _rows(signed_in.get("/?q=etats-unis").text) == ["US"]  # accents are optional
    assert _rows(signed_in.get("/?q=États").text) == ["US"]


def test_every_row_carries_its_names_for_the_in_page_filter(signed_in, france_rota, germany):
    html = signed_in.get("/").text
    assert 'data-search="allemagne|de|germany"' in html


def test_who_speaks_spanish_now(signed_in, france_rota, germany, clock):
    # Bruno (French only) is on duty: Carmen speaks Spanish, next week.
    for asked in ("es", "Spanish", "espagnol"):
        html = signed_in.get(f"/?speaks={asked}").text
        assert _rows(html) == [], asked
        assert "Nobody on duty now speaks Spanish." in html
        later = html[html.index("Speaking Spanish later") :]
        assert "Carmen Ruiz from Mon 09:00 (local time)" in later
    clock.advance(days=6, hours=1)  # Monday 7 Dec 10:00 Paris: Carmen's week
    html = signed_in.get("/?speaks=es").text
    assert _rows(html) == ["FR"]
    assert "Speaks Spanish: Carmen Ruiz (tier 1)" in html
    assert '<span class="lang match" lang="es">Spanish</span>' in html


def test_an_unknown_language_is_reported_next_to_the_box(signed_in, france_rota):
    html = signed_in.get("/?speaks=klingonese").text
    assert 'id="speaks-error"' in html and 'aria-invalid="true"' in html
    assert _rows(html) == ["FR"]


def test_the_rows_fragment_refreshes_with_the_clock(signed_in, france_rota, clock):
    fragment = signed_in.get("/board/rows").text
    assert "<html" not in fragment
    assert "Bruno Petit" in fragment
    clock.advance(days=6)  # past Monday's handoff
    assert "Carmen Ruiz" in signed_in.get("/board/rows").text


def test_a_cover_is_marked(signed_in, france_rota, secretariat_user, now):
    from datetime import timedelta

    from rota import service as rotas

    _party, people, rota = france_rota
    rotas.create_override(
        secretariat_user,
        rota,
        {"person_id": people[0].id, "start": now, "end": now + timedelta(hours=3)},
        now,
    )
    db.session.commit()
    row = signed_in.get("/").text.split('id="row-FR"')[1].split("</tr>")[0]
    assert "Anne Dupont" in row and ">cover<" in row
    assert "Tue 16:00" in row  # until the override ends, Paris time


def test_board_in_french_uses_french_names_times_and_words(client, secretariat_user, france_rota):
    sign_in(client, secretariat_user, lang="fr")
    html = client.get("/").text
    row = html[html.index('id="row-FR"') :].split("</tr>")[0]
    assert "mar. 13:00" in row  # mardi
    assert "dans 6 jours" in row
    assert "français" in row
    assert "Qui appeler maintenant" in html


def test_inactive_people_and_parties_without_contact_point_still_show(signed_in, now):
    party = make_party("JP", "Japan")
    make_person(party, "Kenji Sato", languages=("ja",))
    directory.list_parties()
    html = signed_in.get("/").text
    assert _rows(html) == ["JP"]
    assert "No desk line known" in html


def test_the_board_reuses_its_rows_but_redraws_the_clock_and_sees_every_write(
    signed_in, france_rota, clock, secretariat_user, monkeypatch
):
    from rota import lookup
    from rota import service as rotas
    from rota.schemas import OverrideIn

    _party, people, rota = france_rota
    calls = []
    real = lookup.resolve_on_call
    monkeypatch.setattr(lookup, "resolve_on_call", lambda *a, **k: calls.append(1) or real(*a, **k))

    def france_row() -> str:
        html = signed_in.get("/board/rows").text
        return html[html.index('id="row-FR"') :].split("</tr>")[0]

    assert "Tue 13:00" in france_row()
    clock.advance(days=2, hours=2)
    row = france_row()
    assert len(calls) == 1  # the second board came from the cache
    assert "Thu 15:00" in row and "Bruno Petit" in row  # the clock is redrawn, not cached
    assert "Mon 09:00" in row and "in 4 days" in row
    rotas.create_override(
        secretariat_user,
        rota,
        OverrideIn().load(
            {
                "person_id": people[2].id,
                "start": clock().isoformat(),
                "end": (clock() + timedelta(hours=4)).isoformat(),
            }
        ),
        clock(),
    )
    db.session.commit()
    row = france_row()
    assert len(calls) == 2
    assert people[2].full_name in row and "Bruno Petit" not in row
