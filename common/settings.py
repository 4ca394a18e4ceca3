"""Configuration from the environment, validated once when the app is created."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common.limits import limit_settings


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names it and says how to fix it."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def load_settings(instance_path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read the environment into Flask config keys, with development defaults."""
    env = os.environ if env is None else env
    default_db = "sqlite:///" + str(Path(instance_path) / "art35.sqlite")
    database_url = env.get("DATABASE_URL") or default_db
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://") :]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    public = (env.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    if urlsplit(public).scheme not in ("http", "https"):
        raise SettingsError(f"PUBLIC_BASE_URL must start with http:// or https://, got {public!r}")
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        # No fallback: without a key the app refuses to start (validate_settings says how).
        "SECRET_KEY": _secret_key(env),
        # Rotation: the old keys still verify cookies while new ones are signed with SECRET_KEY.
        "SECRET_KEY_FALLBACKS": [k for k in env.get("SECRET_KEY_FALLBACKS", "").split(",") if k],
        "SESSION_IDLE_MINUTES": _int(env, "SESSION_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_HOURS": _int(env, "SESSION_ABSOLUTE_HOURS", 12),
        "REQUIRE_SECOND_FACTOR": env.get("REQUIRE_SECOND_FACTOR", "").lower()
        in ("1", "true", "yes"),
        "PUBLIC_BASE_URL": public,
        # Behind https, the session cookie must never travel over plain http.
        "SESSION_COOKIE_SECURE": public.startswith("https://"),
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID") or None,
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN") or None,
        "TWILIO_AUTH_TOKEN_SECONDARY": env.get("TWILIO_AUTH_TOKEN_SECONDARY") or None,
        "TWILIO_FROM_NUMBER": env.get("TWILIO_FROM_NUMBER") or None,
        "TWILIO_API_BASE_URL": env.get("TWILIO_API_BASE_URL") or None,
        "CALLS_PER_SECOND": _int(env, "CALLS_PER_SECOND", 1),
        "CALENDAR_PAST_DAYS": _int(env, "CALENDAR_PAST_DAYS", 30),
        "CALENDAR_FUTURE_DAYS": _int(env, "CALENDAR_FUTURE_DAYS", 365),
        # Outgoing mail, under Flask-Mailman's names; without MAIL_SERVER mail stays in the outbox.
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int(env, "MAIL_PORT", 0) or None,
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes"),
        "MAIL_USE_SSL": env.get("MAIL_USE_SSL", "").lower() in ("1", "true", "yes"),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER") or None,
        "MAIL_TLS_CA_FILE": env.get("MAIL_TLS_CA_FILE") or None,
        **limit_settings(env),
    }


MIN_SECRET_KEY_LENGTH = 32
HOW_TO_MAKE_A_KEY = (
    "generate one with `python3 -c 'import secrets; print(secrets.token_hex(32))'` and set it as "
    "SECRET_KEY in the environment, or write it to a file readable only by the service and set "
    "SECRET_KEY_FILE to its path (`make run` does this for local development)"
)


def _secret_key(env: Mapping[str, str]) -> str | None:
    """SECRET_KEY, else the contents of the file SECRET_KEY_FILE names, else None."""
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    path = env.get("SECRET_KEY_FILE")
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").strip() or None
    except OSError as exc:
        raise SettingsError(f"SECRET_KEY_FILE {path!r} cannot be read: {exc.strerror}") from None


def validate_settings(config: Mapping[str, Any]) -> None:
    """Refuse to start with settings that cannot work; say which one and why."""
    key = config.get("SECRET_KEY")
    if not key:
        raise SettingsError("SECRET_KEY is not set: " + HOW_TO_MAKE_A_KEY)
    if len(str(key)) < MIN_SECRET_KEY_LENGTH and not config.get("TESTING"):
        raise SettingsError(
            f"SECRET_KEY is too short ({len(str(key))} characters, at least "
            f"{MIN_SECRET_KEY_LENGTH}): " + HOW_TO_MAKE_A_KEY
        )
    if config.get("MAIL_USE_TLS") and config.get("MAIL_USE_SSL"):
        raise SettingsError(
            "MAIL_USE_TLS (STARTTLS, port 587) and MAIL_USE_SSL (implicit TLS, port 465) "
            "exclude each other: set one"
        )
    uri = config.get("SQLALCHEMY_DATABASE_URI", "")
    if not uri.startswith(("sqlite", "postgresql")):
        raise SettingsError(
            f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, got {uri.split(':')[0]!r}"
        )


def telephony_settings(config: Mapping[str, Any]) -> dict[str, str] | None:
    """The Twilio settings when all needed are present, else None (telephony off)."""
    keys = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
    if not all(config.get(k) for k in keys):
        return None
    return {k: config[k] for k in keys}
