"""Debian's nginx in front of `art35 serve` (2 gunicorn workers), as docs/deploy.md configures it:
the client address, the https scheme, request ids, Twilio signatures, calendar URLs, /metrics."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from tests.fakes.clock import pause
from tests.ops.served import (
    METRICS_TOKEN,
    TWILIO_AUTH_TOKEN,
    art35,
    free_port,
    request,
    serve,
)

NGINX = "/usr/sbin/nginx"
PUBLIC = "https://art35.example"

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="needs Debian's nginx")

NGINX_CONF = """
daemon off;
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream art35 {{ server 127.0.0.1:{upstream}; }}
    server {{
        listen 127.0.0.1:{port};
        # As in docs/deploy.md, where nginx terminates TLS; here plain http on loopback.
        location / {{
            proxy_pass http://art35;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Request-ID $request_id;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("proxy")
    extra = {
        "PUBLIC_BASE_URL": PUBLIC,
        "TRUSTED_PROXIES": "127.0.0.1/32",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+33100000000",
    }
    with serve(tmp, workers=2, **extra) as served:
        env = served.env
        art35(env, "directory", "load-parties")
        art35(env, "users", "create", "ops@art35.example", "--role", "secretariat")
        token = art35(env, "tokens", "create", "ops@art35.example").strip().splitlines()[-1]
        port = free_port()
        user = "user root;" if os.geteuid() == 0 else ""
        conf = tmp / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(tmp=tmp, upstream=served.port, port=port, user=user),
            encoding="utf-8",
        )
        nginx = subprocess.Popen(
            [NGINX, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "nginx-error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    if request(port, "GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    if nginx.poll() is not None or time.monotonic() > deadline:
                        log = (tmp / "nginx-error.log").read_text(encoding="utf-8")
                        raise RuntimeError(f"nginx did not start: {log}") from None
                    pause(0.1)
            yield served, port, token
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
    shutil.rmtree(tmp / "metrics", ignore_errors=True)


def _line_for(served, request_id: str) -> dict:
    for _ in range(50):
        for line in served.log_lines():
            if line.get("request_id") == request_id:
                return line
        pause(0.05)
    raise AssertionError(f"no log line with request id {request_id}")


def test_client_address_scheme_and_request_id_come_from_the_proxy(stack):
    served, port, _token = stack
    status, headers, _ = request(
        port,
        "GET",
        "/healthz",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Request-ID": "client-chosen"},
    )
    assert status == 200
    request_id = headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id, not the client's
    line = _line_for(served, request_id)
    # nginx appended the address it saw: the real client, not what the client claimed.
    assert line["client"] == "127.0.0.2"
    assert line["scheme"] == "https"
    assert line["route"] == "/healthz" and line["status"] == 200
    assert line["duration_ms"] >= 0 and "user_id" in line


def test_straight_to_gunicorn_no_forwarded_header_is_believed(stack):
    served, _port, _token = stack
    status, headers, _ = request(
        served.port,
        "GET",
        "/healthz",
        headers={
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
            "X-Request-ID": "client-chosen",
        },
    )
    assert status == 200 and headers["x-request-id"] != "client-chosen"
    line = _line_for(served, headers["x-request-id"])
    assert line["client"] == "127.0.0.2" and line["scheme"] == "http"


def test_twilio_signatures_are_checked_on_the_public_https_url(stack):
    _served, port, _token = stack
    path = "/twilio/voice/999999"
    form = {"CallSid": "CA" + "1" * 32, "CallStatus": "in-progress", "AnsweredBy": "human"}
    body = "&".join(f"{k}={v}" for k, v in form.items()).encode()
    validator = RequestValidator(TWILIO_AUTH_TOKEN)
    good = validator.compute_signature(PUBLIC + path, form)
    seen_by_app = validator.compute_signature(f"http://127.0.0.1:{port}{path}", form)
    content = {"Content-Type": "application/x-www-form-urlencoded"}
    ok = request(port, "POST", path, body=body, headers={**content, "X-Twilio-Signature": good})
    assert ok[0] == 200 and b"<Hangup" in ok[2]
    bad = request(
        port, "POST", path, body=body, headers={**content, "X-Twilio-Signature": seen_by_app}
    )
    assert bad[0] == 403


def test_calendar_urls_are_public_https_and_their_secrets_stay_out_of_the_log(stack):
    served, port, token = stack
    status, _headers, body = request(
        port,
        "POST",
        "/api/v1/calendar-subscriptions",
        body=json.dumps({"scope": "network"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert status == 201, body
    url = json.loads(body)["url"]
    assert url.startswith(PUBLIC + "/calendars/") and url.endswith(".ics")
    path = url[len(PUBLIC) :]
    status, headers, feed = request(port, "GET", path + "?utm=1")
    assert status == 200 and headers["content-type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in feed
    line = _line_for(served, headers["x-request-id"])
    assert line["route"] == "/calendars/<token>.ics"
    log = served.log.read_text(encoding="utf-8")
    secret = path.removeprefix("/calendars/").removesuffix(".ics")
    assert secret not in log and token not in log


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        named = line.startswith((name + "{", name + " "))
        if named and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_add_up_over_both_workers(stack):
    served, port, _token = stack
    auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    assert request(port, "GET", "/metrics")[0] == 401
    assert request(port, "GET", "/metrics", headers={"Authorization": "Bearer wrong"})[0] == 401
    before = _metric(
        request(port, "GET", "/metrics", headers=auth)[2].decode(),
        "art35_http_requests_total",
        route="/readyz",
    )
    sent = 0
    pids: set[int] = set()
    for _burst in range(5):
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda _: request(port, "GET", "/readyz"), range(24)))
        sent += len(answers)
        pause(0.2)
        pids = {line["pid"] for line in served.log_lines() if line.get("route") == "/readyz"} | pids
        if len(pids) >= 2:
            break
    assert len(pids) == 2, "both workers should have answered"
    status, _headers, body = request(port, "GET", "/metrics", headers=auth)
    assert status == 200
    text = body.decode()
    after = _metric(text, "art35_http_requests_total", route="/readyz")
    assert after - before == sent
    count = _metric(text, "art35_http_request_duration_seconds_count", route="/readyz")
    assert count == after
    assert "art35_db_pool_connections_open" in text
    assert "art35_mail_outbox_messages" in text and "art35_campaign_slots" in text
