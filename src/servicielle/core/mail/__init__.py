"""Outgoing mail: SMTP when configured, always recorded in the outbox."""
