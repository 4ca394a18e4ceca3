"""Outgoing e-mail: a durable outbox, SMTP sending by workers, one-time links (issue 15)."""
