"""No known key ever signs a session: the app refuses to start without a real SECRET_KEY."""

from __future__ import annotations

import pytest
from flask import Flask

from app import create_app
from common.settings import SettingsError, load_settings


def _settings(tmp_path, **extra):
    base = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/k.sqlite"}
    return {**base, **extra}


def test_without_a_secret_key_the_app_refuses_to_start_and_says_how(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)
    with pytest.raises(SettingsError, match="SECRET_KEY is not set") as error:
        create_app(_settings(tmp_path))
    assert "secrets.token_hex(32)" in str(error.value)
    assert "SECRET_KEY_FILE" in str(error.value)


def test_there_is_no_fallback_key_in_the_settings(tmp_path):
    assert load_settings(str(tmp_path), {})["SECRET_KEY"] is None


def test_a_short_key_is_refused_outside_the_tests(tmp_path):
    with pytest.raises(SettingsError, match="too short"):
        create_app(_settings(tmp_path, SECRET_KEY="dev-only-not-secret"))


def test_the_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("k" * 64 + "\n")
    assert (
        load_settings(str(tmp_path), {"SECRET_KEY_FILE": str(key_file)})["SECRET_KEY"] == "k" * 64
    )
    with pytest.raises(SettingsError, match="cannot be read"):
        load_settings(str(tmp_path), {"SECRET_KEY_FILE": str(tmp_path / "missing")})


def test_rotation_keeps_cookies_signed_with_a_fallback_key(tmp_path):
    old, new = "o" * 40, "n" * 40
    settings = load_settings(str(tmp_path), {"SECRET_KEY": new, "SECRET_KEY_FALLBACKS": old})
    assert settings["SECRET_KEY_FALLBACKS"] == [old]

    def app_with(key: str, fallbacks: list[str]) -> Flask:
        app = Flask(__name__)
        app.config.update(SECRET_KEY=key, SECRET_KEY_FALLBACKS=fallbacks)
        return app

    signer = app_with(old, []).session_interface.get_signing_serializer(app_with(old, []))
    cookie = signer.dumps({"sid": "s_x"})
    rotated = app_with(new, [old])
    assert rotated.session_interface.get_signing_serializer(rotated).loads(cookie) == {"sid": "s_x"}
    alone = app_with(new, [])
    with pytest.raises(Exception, match="Signature"):
        alone.session_interface.get_signing_serializer(alone).loads(cookie)


def test_a_cookie_naming_a_user_opens_nothing_even_signed_with_the_real_key(app, client, now):
    """The old attack: a cookie forged with the published key and {"user_id": …}."""
    from tests.conftest import make_user

    admin = make_user("secretariat")[0]
    for key in ("dev-only-not-secret", app.config["SECRET_KEY"]):
        forger = Flask(__name__)
        forger.config.update(SECRET_KEY=key)
        cookie = forger.session_interface.get_signing_serializer(forger).dumps(
            {"user_id": admin.id, "_csrf": "x"}
        )
        client.set_cookie("session", cookie)
        assert client.get("/secretariat/users").status_code == 302
        assert client.get("/api/v1/parties").status_code == 401
