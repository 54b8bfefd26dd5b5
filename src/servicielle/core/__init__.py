"""Core: database, sessions, errors, audit log, mail outbox, health; the base every module uses."""
