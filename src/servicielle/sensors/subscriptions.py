"""Subscriptions: which changes to notify, queued in the outbox with the change itself."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session


def enqueue(session: Session, changes: Mapping[int, set[str]]) -> int:
    """Queue notifications for the subscriptions these changes match; returns how many."""
    return 0
