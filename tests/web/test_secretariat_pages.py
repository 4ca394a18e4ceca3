"""The secretariat's pages: coverage gaps, audit log, users and tokens."""

from __future__ import annotations

import re

from common.db import db
from directory import accounts
from directory.models import ApiToken, User
from tests.conftest import make_party, make_user
from tests.web.conftest import field_error, form, sign_in


def test_secretariat_pages_are_for_the_secretariat(client, now):
    party = make_party("FR", "France")
    for user in (make_user("member")[0], make_user("party_admin", party)[0]):
        sign_in(client, user)
        for url in ("/secretariat/gaps", "/secretariat/audit", "/secretariat/users"):
            resp = client.get(url)
            assert resp.status_code == 403, url
            assert "only the network secretariat" in resp.text
        assert "Coverage gaps" not in client.get("/").text  # not in their menu


def test_coverage_gaps_in_the_next_30_days(signed_in, france_rota, germany, secretariat_user, now):
    from rota import service as rotas
    from rota.schemas import RotationIn

    party, people, _rota = france_rota
    html = signed_in.get("/secretariat/gaps").text
    assert "1 gap · 1 Party" in html
    assert "Germany" in html and "no rota" in html and "beyond 30 days" in html
    assert "720" in html  # hours
    # A tier-2 rota covering only office hours leaves nights open.
    tier2 = rotas.create_rota(secretariat_user, party, {"name": "Prosecutor", "tier": 2}, now)
    rotas.add_rotation(
        secretariat_user,
        tier2,
        RotationIn().load(
            {
                "members": [people[0].id],
                "start_local": "2026-11-30T09:00",
                "shift_length": "P1D",
                "restrictions": [{"from_local": "09:00", "to_local": "17:00"}],
            }
        ),
        now,
    )
    db.session.commit()
    assert "1 gap · 1 Party" in signed_in.get("/secretariat/gaps").text
    html = signed_in.get("/secretariat/gaps?all_tiers=on").text
    assert "Prosecutor" in html
    assert "Tue 1 Dec 17:00" in html  # Paris time


def test_audit_log_with_filters(signed_in, france_rota, germany):
    html = signed_in.get("/secretariat/audit").text
    assert "Duty officer" in html or "rota" in html
    # Records by name, people in changes by name, never raw ids.
    assert "rota <strong>Duty officer</strong> created" in html
    assert "<ins>Anne Dupont → Bruno Petit → Carmen Ruiz</ins>" in html  # members by name
    assert "<li>id: " not in html
    assert not re.search(r"rota \d+ created", html)
    only_de = signed_in.get("/secretariat/audit?party=DE").text
    assert "BKA" in only_de and "OFAC" not in only_de
    only_rotas = signed_in.get("/secretariat/audit?entity=rota").text
    assert "contact point" not in only_rotas.split("<tbody>")[1].split("</tbody>")[0]
    bad = signed_in.get("/secretariat/audit?party=ZZ")
    assert "there is no Party ZZ" in bad.text


def test_create_a_user_who_sets_their_own_password(signed_in, france_rota):
    resp = signed_in.post(
        "/secretariat/users/new",
        data=form(email="admin@ofac.example", role="party_admin", party=""),
    )
    assert resp.status_code == 422
    assert field_error(resp.text, "party") == "a Party administrator needs a Party"
    resp = signed_in.post(
        "/secretariat/users/new",
        data=form(email="Admin@OFAC.example", role="party_admin", party="FR"),
    )
    assert resp.status_code == 200
    assert "/account/set-password/pw_" in resp.text  # a one-time link, shown this once
    user = db.session.query(User).filter_by(email="Admin@ofac.example").one()
    assert user.party.iso2 == "FR" and user.password_hash is None
    assert "/account/set-password/" not in signed_in.get(f"/secretariat/users/{user.id}").text
    html = signed_in.get("/secretariat/audit?entity=user").text
    assert "user account" in html and "created" in html


def test_tokens_are_shown_once_and_can_be_revoked(signed_in, now):
    user = make_user("member")[0]
    page = signed_in.post(f"/secretariat/users/{user.id}/tokens", data=form(name="monitoring"))
    assert page.status_code == 200
    secret = re.search(r'id="new-token">([^<]+)<', page.text).group(1)
    assert secret.startswith("art35_")
    assert accounts.user_for_token(secret, now).id == user.id
    assert secret not in signed_in.get(f"/secretariat/users/{user.id}").text
    token = db.session.query(ApiToken).filter_by(name="monitoring").one()
    assert signed_in.post(f"/secretariat/tokens/{token.id}/revoke", data=form()).status_code == 302
    assert accounts.user_for_token(secret, now) is None


def test_switch_an_account_off_and_on(signed_in, client, secretariat_user, now):
    user = make_user("member")[0]
    accounts.set_password(user, "a good password")
    db.session.commit()
    signed_in.post(f"/secretariat/users/{user.id}/active", data=form())
    db.session.expire_all()
    assert db.session.get(User, user.id).active is False
    signed_in.post(f"/secretariat/users/{user.id}/active", data=form(active="on"))
    db.session.expire_all()
    assert db.session.get(User, user.id).active is True
    # Nobody can lock themselves out by accident.
    signed_in.post(f"/secretariat/users/{secretariat_user.id}/active", data=form())
    db.session.expire_all()
    assert db.session.get(User, secretariat_user.id).active is True
