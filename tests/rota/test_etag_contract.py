"""The ETag a client reads is the one its next write may send: accepted once, then stale."""

from __future__ import annotations

import pytest

from tests.rota.conftest import add_rotation, new_rota


def _write(client, headers, method, url, body, tag):
    return getattr(client, method)(url, headers={**headers, "If-Match": tag}, json=body)


@pytest.mark.parametrize(
    "lang",
    ["en", "fr"],
    ids=["english", "french"],  # names in the answer follow Accept-Language
)
def test_every_etag_read_is_accepted_by_the_write_then_refused_as_stale(client, paris, lang):
    _party, people, headers = paris
    headers = {**headers, "Accept-Language": lang}
    rota = new_rota(client, headers)
    rotation = add_rotation(
        client,
        headers,
        rota["id"],
        members=[people[0].id, people[1].id],
        start_local="2026-01-05T09:00",
        shift_length="P7D",
    )["rotations"][0]
    person = people[2].id
    cases = [
        ("/api/v1/parties/FR", "patch", "/api/v1/parties/FR", {"name": "French Republic"}),
        (
            "/api/v1/parties/FR/contact-point",
            "put",
            "/api/v1/parties/FR/contact-point",
            {"unit_name": "OFAC 24/7", "kind": "police", "timezone": "Europe/Paris"},
        ),
        (f"/api/v1/people/{person}", "patch", f"/api/v1/people/{person}", {"title": "Cdt"}),
        (f"/api/v1/rotas/{rota['id']}", "patch", f"/api/v1/rotas/{rota['id']}", {"name": "DO"}),
        (
            f"/api/v1/rotas/{rota['id']}",
            "patch",
            f"/api/v1/rotations/{rotation['id']}",
            {"shift_length": "P14D"},
        ),
        (
            "/api/v1/network-settings",
            "patch",
            "/api/v1/network-settings",
            {"confirmation_grace_days": 45},
        ),
    ]
    for read_url, method, write_url, body in cases:
        tag = client.get(read_url, headers=headers).headers["ETag"]
        first = _write(client, headers, method, write_url, body, tag)
        assert first.status_code == 200, (write_url, first.json)
        assert first.headers["ETag"] != tag, write_url
        stale = _write(client, headers, method, write_url, body, tag)
        assert stale.status_code == 412, write_url


@pytest.mark.parametrize("tag", ['"x"x"x', '""x', "W/"], ids=["broken-quotes", "junk", "bare-w"])
def test_an_if_match_naming_no_readable_tag_fails_the_precondition(client, paris, tag):
    """werkzeug reads such a header as no tag at all: ignoring it would write unconditionally."""
    _party, people, headers = paris
    url = f"/api/v1/people/{people[2].id}"
    before = client.get(url, headers=headers).json
    refused = _write(client, headers, "patch", url, {"title": "Cdt"}, tag)
    assert refused.status_code == 412, refused.json
    assert client.get(url, headers=headers).json == before  # nothing written
    settings = _write(
        client, headers, "patch", "/api/v1/network-settings", {"confirmation_grace_days": 45}, tag
    )
    assert settings.status_code == 412
