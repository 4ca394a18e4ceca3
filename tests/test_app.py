"""The factory, health probes and the API's general rules."""

from __future__ import annotations

import pytest

from app import create_app
from common.settings import SettingsError, load_settings
from tests.conftest import make_party


def test_factory_applies_overrides(app):
    assert app.config["TESTING"] is True
    assert app.config["PUBLIC_BASE_URL"] == "http://art35.test"


def test_factory_refuses_an_unknown_database_scheme(tmp_path):
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        create_app({"SQLALCHEMY_DATABASE_URI": "mysql://x"})


def test_settings_read_postgres_urls_for_psycopg(tmp_path):
    config = load_settings(str(tmp_path), {"DATABASE_URL": "postgres://u@h/db"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    config = load_settings(str(tmp_path), {})
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_settings_refuse_a_bad_public_url(tmp_path):
    with pytest.raises(SettingsError, match="PUBLIC_BASE_URL"):
        load_settings(str(tmp_path), {"PUBLIC_BASE_URL": "art35.example"})


def test_healthz_needs_nothing(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_reports_the_migrated_head(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json["status"] == "ok"


def test_api_docs_are_public_and_everything_else_needs_credentials(client, app):
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200
    for rule in app.url_map.iter_rules():
        path = str(rule)
        if not path.startswith("/api/v1/") or path.startswith(("/api/v1/openapi", "/api/v1/docs")):
            continue
        url = path.replace("<int:", "<").replace("<iso2>", "FR")
        for arg in (
            "<person_id>",
            "<rota_id>",
            "<rotation_id>",
            "<override_id>",
            "<id>",
            "<subscription_id>",
            "<campaign_id>",
            "<attempt_id>",
        ):
            url = url.replace(arg, "1")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            resp = client.open(url, method=method, json={})
            assert resp.status_code == 401, (method, url)
            assert resp.content_type == "application/problem+json"


def test_bad_token_is_401(client):
    resp = client.get("/api/v1/parties", headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401


def test_unknown_route_is_a_problem_not_html(client, member):
    resp = client.get("/api/v1/nowhere", headers=member)
    assert resp.status_code == 404
    assert resp.content_type == "application/problem+json"


def test_openapi_documents_every_route_with_its_errors(client, app):
    spec = client.get("/api/v1/openapi.json").json
    documented = {(path, m) for path, item in spec["paths"].items() for m in item}
    for rule in app.url_map.iter_rules():
        path = str(rule)
        if not path.startswith("/api/v1/") or path.startswith(("/api/v1/openapi", "/api/v1/docs")):
            continue
        oa_path = path.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (oa_path, method.lower()) in documented, (method, oa_path)
            responses = spec["paths"][oa_path][method.lower()]["responses"]
            assert "401" in responses, (method, oa_path)


def test_etag_gives_304(client, member):
    make_party("DE", "Germany")
    first = client.get("/api/v1/parties", headers=member)
    again = client.get(
        "/api/v1/parties", headers={**member, "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


def test_session_writes_to_the_api_need_the_csrf_header(app, client):
    from tests.conftest import make_user

    make_party("FR", "France")
    from tests.web.conftest import sign_in

    user, _headers = make_user("secretariat")
    sign_in(client, user)
    with client.session_transaction() as sess:
        sess["_csrf"] = "token-of-the-page"
    body = {"full_name": "X"}
    assert (
        client.get(
            "/api/v1/parties/FR",
        ).status_code
        == 200
    )
    assert client.post("/api/v1/parties/FR/people", json=body).status_code == 403
    resp = client.post(
        "/api/v1/parties/FR/people", json=body, headers={"X-CSRF-Token": "token-of-the-page"}
    )
    assert resp.status_code == 201


def test_https_public_url_makes_the_session_cookie_secure(tmp_path):
    config = load_settings(str(tmp_path), {"PUBLIC_BASE_URL": "https://art35.example"})
    assert config["SESSION_COOKIE_SECURE"] is True
