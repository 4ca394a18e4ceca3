"""API rate limits (common/limits.py): per address, per token, bad credentials, feeds; 429 with
Retry-After; counters shared through Redis between app instances; TRUSTED_PROXIES."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade

from common.db import db
from common.limits import SettingsError, parse_trusted_proxies, per_worker_counters_warning
from tests.conftest import make_app, make_party, make_user

pytestmark = pytest.mark.own_app


def _limited(url: str, **settings) -> Flask:
    return make_app(url, RATELIMIT_ENABLED=True, **settings)


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app with the limiter on (in memory), on its own SQLite database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('limits')}/limits.sqlite"
    app = _limited(url)
    with app.app_context():
        upgrade(revision="heads")
        make_party("FR", "France")
    yield app
    with app.app_context():
        db.engine.dispose()


def _client(app: Flask, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _token(app: Flask, role: str = "member") -> dict[str, str]:
    with app.app_context():
        return make_user(role)[1]


def test_two_hundred_bad_tokens_meet_429(limited):
    client = _client(limited, "192.0.2.10")
    statuses = [
        client.get("/api/v1/parties", headers={"Authorization": f"Bearer guess-{i}"}).status_code
        for i in range(200)
    ]
    assert statuses[:20] == [401] * 20  # RATELIMIT_BAD_CREDENTIALS: 20 per minute
    assert set(statuses[20:]) == {429}
    refused = client.get("/api/v1/parties", headers={"Authorization": "Bearer guess-x"})
    assert refused.mimetype == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    # The address is blocked for a token it does hold too, until the window ends …
    good = _token(limited)
    assert client.get("/api/v1/parties", headers=good).status_code == 429
    # … while another address is not.
    assert _client(limited, "192.0.2.11").get("/api/v1/parties", headers=good).status_code == 200


def test_per_token_limit(limited, monkeypatch):
    monkeypatch.setitem(limited.config, "RATELIMIT_PER_TOKEN", "5 per minute")
    token, other = _token(limited), _token(limited)
    client = _client(limited, "192.0.2.20")
    statuses = [client.get("/api/v1/parties", headers=token).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    resp = client.get("/api/v1/parties", headers=token)
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    # The same token from elsewhere is the same token: still refused.
    assert _client(limited, "192.0.2.21").get("/api/v1/parties", headers=token).status_code == 429
    assert client.get("/api/v1/parties", headers=other).status_code == 200


def test_per_address_limit_spares_static_and_health(limited, monkeypatch):
    monkeypatch.setitem(limited.config, "RATELIMIT_PER_ADDRESS", "10 per minute")
    client = _client(limited, "192.0.2.30")
    statuses = [client.get("/api/v1/openapi.json").status_code for _ in range(12)]
    assert statuses == [200] * 10 + [429] * 2
    assert client.get("/healthz").status_code == 200
    static = client.get("/assets/web.css")
    assert static.status_code == 200
    static.close()
    page = client.get("/login")  # pages are counted too
    assert page.status_code == 429


def test_unknown_feed_secrets_count_as_bad_credentials(limited):
    client = _client(limited, "192.0.2.40")
    statuses = [client.get(f"/calendars/guess{i}.ics").status_code for i in range(25)]
    assert statuses[:20] == [404] * 20
    assert set(statuses[20:]) == {429}


def test_forwarded_for_is_ignored_without_trusted_proxies(limited, monkeypatch):
    monkeypatch.setitem(limited.config, "RATELIMIT_PER_ADDRESS", "3 per minute")
    client = _client(limited, "192.0.2.50")
    statuses = [
        client.get(
            "/api/v1/openapi.json", headers={"X-Forwarded-For": f"203.0.113.{i}"}
        ).status_code
        for i in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]  # spoofed addresses do not reset the count


@pytest.mark.parametrize("trusted", ["1", "10.0.0.0/8"])
def test_trusted_proxies_give_the_client_address(tmp_path, trusted):
    app = _limited(f"sqlite:///{tmp_path}/p.sqlite", TRUSTED_PROXIES=trusted)
    app.config["RATELIMIT_PER_ADDRESS"] = "2 per minute"
    proxy = _client(app, "10.0.0.5")
    seen = []
    for client_address in ("198.51.100.1", "198.51.100.1", "198.51.100.1", "198.51.100.2"):
        resp = proxy.get(
            "/healthz/../api/v1/openapi.json".replace("/healthz/..", ""),
            headers={"X-Forwarded-For": client_address},
        )
        seen.append(resp.status_code)
    assert seen == [200, 200, 429, 200]  # counted per client behind the proxy


def test_an_untrusted_peer_cannot_claim_an_address(tmp_path):
    app = _limited(f"sqlite:///{tmp_path}/q.sqlite", TRUSTED_PROXIES="10.0.0.0/8")
    app.config["RATELIMIT_PER_ADDRESS"] = "2 per minute"
    outsider = _client(app, "192.0.2.60")
    seen = [
        outsider.get(
            "/api/v1/openapi.json", headers={"X-Forwarded-For": f"198.51.100.{i}"}
        ).status_code
        for i in range(3)
    ]
    assert seen == [200, 200, 429]


def test_trusted_proxies_setting_is_checked():
    assert parse_trusted_proxies("2") == 2
    assert len(parse_trusted_proxies("10.0.0.1, 172.16.0.0/12")) == 2
    with pytest.raises(SettingsError):
        parse_trusted_proxies("a proxy")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
def test_instances_share_counts_through_redis(tmp_path):
    prefix = f"art35-test-{os.urandom(4).hex()}"
    settings = {
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_PER_ADDRESS": "5 per minute",
    }
    first = _limited(f"sqlite:///{tmp_path}/a.sqlite", **settings)
    second = _limited(f"sqlite:///{tmp_path}/b.sqlite", **settings)
    a, b = _client(first, "192.0.2.70"), _client(second, "192.0.2.70")
    seen = [(a if i % 2 else b).get("/api/v1/openapi.json").status_code for i in range(7)]
    assert seen == [200] * 5 + [429] * 2  # one budget across both instances


def test_per_worker_counters_are_flagged_unless_shared_or_single():
    warning = per_worker_counters_warning({}, 5)
    assert warning is not None and "5 workers" in warning and "REDIS_URL" in warning
    assert per_worker_counters_warning({"REDIS_URL": "redis://127.0.0.1:6379/0"}, 5) is None
    assert per_worker_counters_warning({"RATELIMIT_STORAGE_URI": "redis://r:6379/1"}, 5) is None
    assert per_worker_counters_warning({"RATELIMIT_ENABLED": "0"}, 5) is None
    assert per_worker_counters_warning({}, 1) is None


@pytest.mark.own_app
def test_art35_serve_warns_at_start_when_workers_count_alone(tmp_path):
    from tests.ops.served import serve

    with serve(
        tmp_path, workers=2, RATELIMIT_ENABLED="1", REDIS_URL="", RATELIMIT_STORAGE_URI=""
    ) as served:
        started = served.log.read_text(encoding="utf-8")
    assert "counted in each of the 2 workers' memory" in started
