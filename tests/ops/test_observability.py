"""Request log lines, redaction, request ids and /metrics, in process."""

from __future__ import annotations

import json
import logging

import pytest
from twilio.base.exceptions import TwilioRestException

from common.metrics import REGISTRY
from common.observability import JsonFormatter, TextFormatter, log_format, log_level, redact
from common.settings import SettingsError
from reachability.metrics import campaign_metrics, twilio_error_metrics
from reachability.placer import _from_twilio
from tests.conftest import make_user
from tests.rota.conftest import add_rotation, new_rota, paris  # noqa: F401 -- fixture

ON_CALL = "/api/v1/parties/FR/on-call?at=2026-12-01T10:00:00Z"


def _requests(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "art35.request"]


def test_one_line_per_request_with_route_user_status_and_id(client, paris, caplog):  # noqa: F811
    _party, _people, headers = paris
    user, headers = make_user("member")
    caplog.set_level(logging.INFO, logger="art35.request")
    resp = client.get(ON_CALL, headers={**headers, "X-Request-ID": "chosen-by-client"})
    assert resp.status_code == 200
    (record,) = _requests(caplog)
    assert record.route == "/api/v1/parties/<iso2>/on-call"  # the rule, never the raw path
    assert record.status == 200 and record.method == "GET"
    assert record.user_id == user.id
    # No trusted proxy in front: the client's id is not taken.
    assert resp.headers["X-Request-ID"] == record.request_id != "chosen-by-client"
    assert record.duration_ms >= 0
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "request" and line["level"] == "info" and "ts" in line


def test_every_answer_carries_a_request_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/no-such-page").headers["X-Request-ID"]
    assert first and second and first != second


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer art35_0123456789abcdefghij",
        "GET /calendars/Zx9_secretpart-123.ics?utm=1",
        "password=hunter2&next=/",
        'payload {"token": "s3cr3t-value"}',
        "dsn postgresql://art35:pa55word@db.example/art35",
        "https://example.org/cb?Signature=abcdef&x=1",
    ],
)
def test_secrets_are_redacted(text):
    out = redact(text)
    for secret in ("art35_0123", "Zx9_secretpart", "hunter2", "s3cr3t", "pa55word", "abcdef"):
        assert secret not in out
    assert "[redacted" in out


def test_rule_placeholders_are_kept():
    assert redact("/calendars/<token>.ics") == "/calendars/<token>.ics"


def test_formatters_redact_message_and_fields():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "token=%s", ("abc123",), None)
    record.detail = "Bearer zzzzzz"
    line = json.loads(JsonFormatter().format(record))
    assert "abc123" not in json.dumps(line) and "zzzzzz" not in json.dumps(line)
    text = TextFormatter().format(record)
    assert text.split()[1] == "warning" and "abc123" not in text and "detail=" in text


def test_log_settings_name_the_variable():
    assert log_format({}) == "json" and log_format({"LOG_FORMAT": "text"}) == "text"
    with pytest.raises(SettingsError, match="LOG_FORMAT"):
        log_format({"LOG_FORMAT": "xml"})
    assert log_level({"LOG_LEVEL": "warning"}) == logging.WARNING
    with pytest.raises(SettingsError, match="LOG_LEVEL"):
        log_level({"LOG_LEVEL": "loud"})


def test_metrics_need_the_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", None)
    assert client.get("/metrics").status_code == 404
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "right-token")
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer wrong-token"})
    assert wrong.status_code == 401 and wrong.content_type.startswith("application/problem+json")
    ok = client.get("/metrics", headers={"Authorization": "Bearer right-token"})
    assert ok.status_code == 200 and ok.content_type.startswith("text/plain")
    text = ok.get_data(as_text=True)
    assert (
        'art35_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/metrics"}'
        in (text)
    )
    assert "art35_mail_outbox_messages" in text and "art35_db_pool_connections_in_use" in text


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_answer_cache_hits_and_misses_are_counted(client, paris):  # noqa: F811
    _party, _people, headers = paris
    hits, misses = (
        _sample("art35_answer_cache_lookups_total", result="hit"),
        _sample("art35_answer_cache_lookups_total", result="miss"),
    )
    assert client.get(ON_CALL, headers=headers).status_code == 200
    assert client.get(ON_CALL, headers=headers).status_code == 200
    assert _sample("art35_answer_cache_lookups_total", result="miss") == misses + 1
    assert _sample("art35_answer_cache_lookups_total", result="hit") == hits + 1


def test_request_latency_is_counted_per_route(client):
    before = _sample("art35_http_request_duration_seconds_count", route="/healthz", method="GET")
    client.get("/healthz")
    client.get("/healthz")
    after = _sample("art35_http_request_duration_seconds_count", route="/healthz", method="GET")
    assert after == before + 2


def test_twilio_errors_are_counted():
    before = _sample("art35_twilio_errors_total", kind="TwilioRestException", code="21211")
    error = _from_twilio(TwilioRestException(400, "/Calls", "Invalid 'To'", code=21211))
    assert error.code == 21211
    after = _sample("art35_twilio_errors_total", kind="TwilioRestException", code="21211")
    assert after == before + 1


def test_campaign_and_worker_metrics_read_the_database():
    families = {f.name: f for f in campaign_metrics()}
    assert set(families) == {"art35_campaign_slots", "art35_campaign_outcomes"}
    (errors,) = twilio_error_metrics()
    assert errors.name == "art35_twilio_call_errors_last_24h" and errors.samples == []
