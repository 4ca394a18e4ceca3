"""The outbox sent over a real SMTP conversation: content, TLS, retries, refusals, crashes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from common.db import db
from mail.models import OutboxMessage
from mail.outbox import MailError, enqueue, outbox_depth
from mail.sender import MAX_ATTEMPTS, Sender, backoff, transport_from_config


def _sender(settings, clock, name="w-1"):
    config = {"PUBLIC_BASE_URL": "http://art35.test", **settings}
    return Sender(config, transport_from_config(config), name, clock)


def _queue(clock, **extra):
    values = {
        "to": "officer@ofac.example",
        "subject": "Test",
        "text": "Bonjour\n",
        "html": "<p>Bonjour</p>",
        "now": clock(),
        "kind": "test",
        "config": {"MAIL_DEFAULT_SENDER": "Art35 <art35@art35.test>"},
    }
    values.update(extra)
    row = enqueue(**values)
    db.session.commit()
    return row


def _row(row_id):
    return db.session.scalar(
        sa.select(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .execution_options(populate_existing=True)
    )


def test_a_queued_message_is_sent_once_with_its_message_id(smtp_server, clock):
    row = _queue(clock, headers={"List-Unsubscribe": "<http://art35.test/u/x>"})
    assert outbox_depth() == 1
    report = _sender(smtp_server.settings(), clock).tick()
    assert report.sent == 1
    [got] = smtp_server.inbox.messages
    assert got["Message-ID"] == row.message_id
    assert row.message_id.endswith("@art35.test>")
    assert got["To"] == "officer@ofac.example"
    assert got["From"] == "Art35 <art35@art35.test>"
    assert got["List-Unsubscribe"] == "<http://art35.test/u/x>"
    assert got.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Bonjour\n"
    assert got.get_body(("html",)).get_content().strip() == "<p>Bonjour</p>"
    sent = _row(row.id)
    assert sent.state == "sent" and sent.attempts == 1 and sent.sent_at == clock()
    assert outbox_depth() == 0
    assert _sender(smtp_server.settings(), clock).tick().sent == 0  # never twice


def test_starttls_with_a_self_signed_certificate_and_a_login(tls_smtp_server, clock):
    row = _queue(clock)
    settings = tls_smtp_server.settings(MAIL_USERNAME="relay-user", MAIL_PASSWORD="relay-secret")
    assert _sender(settings, clock).tick().sent == 1
    assert tls_smtp_server.inbox.ids() == [row.message_id]


def test_an_untrusted_certificate_is_refused_and_retried_later(tls_smtp_server, clock):
    row = _queue(clock)
    settings = tls_smtp_server.settings(MAIL_TLS_CA_FILE=None)
    report = _sender(settings, clock).tick()
    assert report.retried == 1 and tls_smtp_server.inbox.messages == []
    stored = _row(row.id)
    assert stored.state == "queued" and "CERTIFICATE_VERIFY_FAILED" in stored.last_error


def test_plain_login_without_tls_is_refused(tls_smtp_server, clock):
    _queue(clock)
    settings = tls_smtp_server.settings(
        MAIL_USE_TLS=False, MAIL_USERNAME="relay-user", MAIL_PASSWORD="relay-secret"
    )
    assert _sender(settings, clock).tick().retried == 1
    assert tls_smtp_server.inbox.messages == []


def test_a_server_down_means_retries_with_backoff_then_failed(smtp_server, clock):
    row = _queue(clock)
    down = smtp_server.settings(MAIL_PORT=1)  # nothing listens there
    sender = _sender(down, clock)
    for attempt in range(1, MAX_ATTEMPTS):
        assert sender.tick().retried == 1
        stored = _row(row.id)
        assert stored.attempts == attempt and stored.state == "queued"
        assert stored.next_attempt_at == clock() + backoff(attempt)
        assert sender.tick().retried == 0  # not due yet
        clock.advance(seconds=backoff(attempt).total_seconds())
    assert sender.tick().failed == 1
    assert _row(row.id).state == "failed"


def test_backoff_doubles_up_to_six_hours():
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert backoff(20) == timedelta(hours=6)


def test_a_refused_address_fails_at_once(smtp_server, clock):
    row = _queue(clock)
    smtp_server.inbox.refuse_rcpt = "550 5.1.1 No such user"
    assert _sender(smtp_server.settings(), clock).tick().failed == 1
    assert _row(row.id).state == "failed" and _row(row.id).attempts == 1


def test_a_temporary_refusal_is_retried(smtp_server, clock):
    row = _queue(clock)
    smtp_server.inbox.refuse_rcpt = "451 4.3.0 Try again later"
    assert _sender(smtp_server.settings(), clock).tick().retried == 1
    smtp_server.inbox.refuse_rcpt = None
    clock.advance(minutes=1)
    assert _sender(smtp_server.settings(), clock).tick().sent == 1
    assert smtp_server.inbox.ids() == [row.message_id]


def test_a_worker_killed_mid_send_is_recovered_with_the_same_message_id(smtp_server, clock):
    row = _queue(clock)
    dead = _sender(smtp_server.settings(), clock, name="dead")
    assert dead.claim(clock()) == row.id  # claimed and committed, then the worker died
    other = _sender(smtp_server.settings(), clock, name="other")
    assert other.tick().sent == 0  # the claim is young: maybe the dead one is only slow
    clock.advance(seconds=601)
    report = other.tick()
    assert report.requeued == 1 and report.sent == 1
    assert smtp_server.inbox.ids() == [row.message_id]
    assert _row(row.id).attempts == 2


def test_a_restarted_worker_settles_its_own_claims_at_once(smtp_server, clock):
    row = _queue(clock)
    assert _sender(smtp_server.settings(), clock, name="w-a").claim(clock()) == row.id
    report = _sender(smtp_server.settings(), clock, name="w-a").tick(startup=True)
    assert report.requeued == 1 and report.sent == 1


def test_without_smtp_mail_stays_in_the_outbox(clock):
    row = _queue(clock)
    sender = _sender({}, clock)
    assert sender.transport is None
    assert not sender.tick().busy
    assert _row(row.id).state == "queued"


def test_the_same_reminder_key_is_queued_once(clock):
    first = _queue(clock, dedupe_key="confirm-due:FR:20270529:1")
    second = _queue(clock, dedupe_key="confirm-due:FR:20270529:1")
    assert first is not None and second is None
    count = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
    assert count == 1


@pytest.mark.parametrize("bad", ["", "no-at-sign", "a@b.example, c@d.example", "a@b\r\nBcc: x@y"])
def test_bad_addresses_are_refused_before_any_row(clock, bad):
    with pytest.raises(MailError):
        enqueue(to=bad, subject="s", text="t", now=clock(), kind="test")
    assert outbox_depth() == 0


def test_a_header_injection_in_the_subject_is_flattened(smtp_server, clock):
    _queue(clock, subject="Hello\r\nBcc: evil@example.com")
    _sender(smtp_server.settings(), clock).tick()
    [got] = smtp_server.inbox.messages
    assert got["Bcc"] is None and "evil" in got["Subject"]


def test_a_failing_periodic_job_does_not_stop_the_mail(smtp_server, clock, monkeypatch):
    from mail import worker as worker_module

    def broken(now, config):
        raise RuntimeError("a bug in a job")

    monkeypatch.setattr(worker_module, "periodic_jobs", lambda: [broken])
    row = _queue(clock)
    config = {"PUBLIC_BASE_URL": "http://art35.test", **smtp_server.settings()}
    busy, _lines = worker_module.Worker(config, "w-1", clock).tick()
    assert busy and smtp_server.inbox.ids() == [row.message_id]
