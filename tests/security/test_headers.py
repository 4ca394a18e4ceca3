"""Security headers on every kind of response: API, problems, docs, pages, feeds, webhooks,
static files (common/headers.py)."""

from __future__ import annotations

import pytest

from tests.conftest import make_party, make_user

PERSONAL = "no-store"


@pytest.fixture
def admin_headers():
    return make_user("secretariat")[1]


def assert_base(resp) -> None:
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Referrer-Policy"] in ("no-referrer", "same-origin")
    assert "camera=()" in resp.headers["Permissions-Policy"]


def test_api_answers_and_problems_are_not_stored(client, admin_headers):
    make_party()
    for resp in (
        client.get("/api/v1/parties", headers=admin_headers),
        client.get("/api/v1/parties/FR", headers=admin_headers),
        client.get("/api/v1/parties/ZZ", headers=admin_headers),  # 404 problem
        client.get("/api/v1/parties"),  # 401 problem
        client.get("/api/v1/no-such-route"),
        client.get("/api/v1/openapi.json"),
    ):
        assert_base(resp)
        assert PERSONAL in resp.headers["Cache-Control"], resp.request.path
        assert "Strict-Transport-Security" not in resp.headers  # http PUBLIC_BASE_URL


def test_api_docs_page_allows_only_its_own_inline_code(client):
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200
    assert_base(resp)
    csp = resp.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert "style-src 'sha256-" in csp  # its own inline style, by hash


def test_pages_keep_their_strict_csp(client):
    resp = client.get("/login")
    assert_base(resp)
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert PERSONAL in resp.headers["Cache-Control"]


def test_static_files_and_webhooks_and_feeds(client):
    static = client.get("/assets/web.css")
    assert static.status_code == 200
    assert_base(static)
    static.close()
    webhook = client.post("/twilio/status/1", data={"CallStatus": "completed"})
    assert webhook.status_code in (403, 404)
    assert_base(webhook)
    assert PERSONAL in webhook.headers["Cache-Control"]
    feed = client.get("/calendars/not-a-real-secret.ics")
    assert feed.status_code == 404
    assert_base(feed)
    assert "private" in feed.headers["Cache-Control"] or PERSONAL in feed.headers["Cache-Control"]


def test_feed_keeps_validators_but_no_shared_cache(client):
    from calendars import service as calendars
    from common.clock import now
    from common.db import db

    party = make_party()
    user = make_user("party_admin", party)[0]
    _sub, secret = calendars.create_subscription(
        user, {"scope": "party", "party": "FR", "include_contacts": False, "tiers": None}, now()
    )
    db.session.commit()
    resp = client.get("/" + calendars.feed_url(secret).split("/", 3)[3])
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "private, no-cache"
    assert resp.headers["ETag"]
    assert_base(resp)


def test_hsts_behind_https(client, app):
    app.config["PUBLIC_BASE_URL"] = "https://art35.example"
    try:
        for resp in (client.get("/api/v1/parties"), client.get("/login"), client.get("/healthz")):
            assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        app.config["PUBLIC_BASE_URL"] = "http://art35.test"
