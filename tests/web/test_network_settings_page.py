"""The secretariat's network settings page: read, change (audited like the API), errors at the
field with nothing lost, only what the user changed is written, roles, French."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from common.db import db
from directory import freshness
from directory.models import AuditEntry
from tests.conftest import make_party, make_user
from tests.web.conftest import field_error, form, input_value, sign_in

URL = "/secretariat/network-settings"
KEYS = ("confirmation_validity_months", "confirmation_due_soon_days", "confirmation_grace_days")
LABELS = {
    "confirmation_validity_months": "Validity of a confirmation (months)",
    "confirmation_due_soon_days": "Confirmation due soon (days before the end)",
    "confirmation_grace_days": "Grace period (days after the end)",
}


def settings_form(page: str, **changes: str) -> dict[str, str]:
    """What the browser posts: every input of the page as shown, with `changes` typed in."""
    fields = {"_version": input_value(page, "_version")}
    for key in KEYS:
        fields[key] = input_value(page, key)
        fields[f"shown_{key}"] = input_value(page, f"shown_{key}")
    fields.update(changes)
    return form(**fields)


def _audit() -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity == "network_setting")
            .order_by(AuditEntry.id)
        )
    )


def test_the_page_shows_the_settings_and_is_in_the_secretariat_menu(signed_in, now):
    page = signed_in.get(URL).text
    assert f'href="{URL}" aria-current="page">Network settings</a>' in page
    assert [input_value(page, key) for key in KEYS] == ["6", "30", "30"]
    assert "From 1 to 24; default 6." in page
    assert f'href="{URL}"' in signed_in.get("/campaigns").text


def test_a_change_is_saved_and_audited_as_the_api_does(signed_in, secretariat_user, member):
    page = signed_in.get(URL).text
    resp = signed_in.post(URL, data=settings_form(page, confirmation_validity_months="12"))
    assert resp.status_code == 303 and resp.headers["Location"] == URL
    assert freshness.setting("confirmation_validity_months") == 12
    [entry] = _audit()  # the two unchanged settings are not written
    assert (entry.actor_email, entry.action, entry.before, entry.after) == (
        secretariat_user.email,
        "update",
        None,
        {"key": "confirmation_validity_months", "value": 12},
    )
    page = signed_in.get(URL).text
    assert "The network settings are saved." in page
    assert input_value(page, "confirmation_validity_months") == "12"
    api = signed_in.application.test_client().get("/api/v1/network-settings", headers=member)
    assert api.json["confirmation_validity_months"] == 12
    # A second change records the value before.
    signed_in.post(URL, data=settings_form(page, confirmation_validity_months=" 9 "))
    assert _audit()[-1].before == {"value": 12} and _audit()[-1].after["value"] == 9


def test_nothing_changed_writes_nothing(signed_in):
    page = signed_in.get(URL).text
    assert signed_in.post(URL, data=settings_form(page)).status_code == 303
    assert _audit() == []
    assert "Nothing was changed" in signed_in.get(URL).text


@pytest.mark.parametrize(
    ("name", "field", "typed", "reason"),
    [
        ("validity-above-24", "confirmation_validity_months", "25", "must be from 1 to 24"),
        ("validity-zero", "confirmation_validity_months", "0", "must be from 1 to 24"),
        ("grace-negative", "confirmation_grace_days", "-1", "must be from 0 to 365"),
        ("due-soon-words", "confirmation_due_soon_days", "thirty", "must be a whole number"),
        ("due-soon-blank", "confirmation_due_soon_days", "", "must be a whole number"),
        ("validity-decimal", "confirmation_validity_months", "6.5", "must be a whole number"),
        ("huge", "confirmation_grace_days", "9" * 40, "must be a whole number"),
    ],
)
def test_a_bad_value_is_refused_at_its_field_and_nothing_is_written(
    signed_in, name, field, typed, reason
):
    page = signed_in.get(URL).text
    other = (
        "confirmation_grace_days"
        if field != "confirmation_grace_days"
        else "confirmation_due_soon_days"
    )
    resp = signed_in.post(URL, data=settings_form(page, **{field: typed, other: "40"}))
    assert resp.status_code == 422, name
    assert field_error(resp.text, field) == reason, name
    assert 'class="error-summary"' in resp.text
    assert f'href="#f-{field}">{LABELS[field]}: {reason}</a>' in resp.text
    assert input_value(resp.text, field) == typed  # nothing lost
    assert input_value(resp.text, other) == "40"
    assert input_value(resp.text, f"shown_{other}") == "30"
    assert _audit() == [] and freshness.setting(other) == 30


def test_a_stale_form_writes_nothing_and_says_what_changed_keeping_the_input(signed_in):
    page = signed_in.get(URL).text  # shows a grace period of 30 days
    colleague, headers = make_user("secretariat")
    api = signed_in.application.test_client().patch(
        "/api/v1/network-settings", headers=headers, json={"confirmation_grace_days": 60}
    )
    assert api.status_code == 200
    resp = signed_in.post(URL, data=settings_form(page, confirmation_validity_months="12"))
    assert resp.status_code == 409
    assert freshness.setting("confirmation_validity_months") == 6  # nothing written
    assert freshness.setting("confirmation_grace_days") == 60
    assert [e.after for e in _audit()] == [{"key": "confirmation_grace_days", "value": 60}]
    summary = resp.text.split("<h1>")[1].split('<section class="card')[0]  # at the top
    assert "Nothing was saved: someone saved the settings after you opened this page" in summary
    assert (
        f"{LABELS['confirmation_grace_days']}: 30 when you opened the page, now 60 "
        f"(saved by {colleague.email})"
    ) in summary
    assert LABELS["confirmation_validity_months"] not in summary  # nobody else changed it
    assert input_value(resp.text, "confirmation_validity_months") == "12"  # the input kept
    assert input_value(resp.text, "confirmation_grace_days") == "60"  # theirs, not put back
    # Saved again from the page the conflict showed: both changes stand.
    again = signed_in.post(URL, data=settings_form(resp.text))
    assert again.status_code == 303
    assert freshness.setting("confirmation_validity_months") == 12
    assert freshness.setting("confirmation_grace_days") == 60


def test_a_form_without_its_version_writes_nothing(signed_in):
    page = signed_in.get(URL).text
    data = settings_form(page, confirmation_validity_months="12")
    del data["_version"]
    resp = signed_in.post(URL, data=data)
    assert resp.status_code == 409 and "data-conflict" in resp.text
    assert _audit() == [] and freshness.setting("confirmation_validity_months") == 6


@pytest.mark.parametrize("role", ["member", "other_admin", "own_admin"])
def test_only_the_secretariat_reads_and_changes_them(client, now, role):
    france = make_party("FR", "France")
    party = {"member": None, "other_admin": make_party("DE", "Germany"), "own_admin": france}[role]
    user, _headers = make_user("member" if party is None else "party_admin", party)
    sign_in(client, user)
    assert client.get(URL).status_code == 403
    assert f'href="{URL}"' not in client.get("/").text
    resp = client.post(URL, data=form(confirmation_validity_months="12"))
    assert resp.status_code == 403
    assert _audit() == [] and freshness.setting("confirmation_validity_months") == 6


def test_signed_out_and_forged(client, signed_in, now):
    anonymous = signed_in.application.test_client()
    resp = anonymous.get(URL)
    assert resp.status_code in (302, 303) and "/login" in resp.headers["Location"]
    forged = signed_in.post(URL, data={"_csrf": "forged", "confirmation_validity_months": "12"})
    assert forged.status_code == 400
    assert _audit() == []


def test_in_french(client, secretariat_user, now):
    sign_in(client, secretariat_user, lang="fr")
    page = client.get(URL).text
    assert "Paramètres du réseau" in page and "Validité d&#39;une confirmation (mois)" in page
    resp = client.post(URL, data=settings_form(page, confirmation_validity_months="30"))
    assert resp.status_code == 422
    assert (
        field_error(resp.text, "confirmation_validity_months") == "doit être compris entre 1 et 24"
    )
