"""Back-office page of the hub: rejected messages, subscriptions and the notification outbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.core.accounts.auth import Authorize
from servicielle.core.db import utcnow
from servicielle.core.i18n import N_, _
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.territory.models import Organisation
from servicielle.sensors.models import DeadLetter, Notification, Subscription

router = APIRouter(prefix="/capteurs")
SensorsAdmin = Annotated[Principal, Authorize("sensors.admin")]
DEAD_LETTER_LIMIT = 100
SUBSCRIPTION_LIMIT = 500
EXCERPT_CHARS = 200
STATUS_LABELS = {
    "active": N_("Active"),
    "failing": N_("Failing"),
    "paused": N_("Paused"),
    "expired": N_("Expired"),
}


@dataclass(frozen=True)
class DeadLetterRow:
    """A rejected message as the page lists it."""

    received_at: dt.datetime
    source: str
    reason: str
    excerpt: str


@dataclass(frozen=True)
class SubscriptionRow:
    """A subscription with its delivery counters."""

    id: str
    organisation: str | None
    status: str
    times_sent: int
    times_failed: int
    last_success: dt.datetime | None
    last_failure: dt.datetime | None
    last_error_reason: str | None


@dataclass(frozen=True)
class OutboxCounts:
    """Notifications still to deliver, given up, and delivered."""

    pending: int
    failed: int
    delivered: int


def _status(subscription: Subscription, now: dt.datetime) -> str:
    if not subscription.is_active:
        return "paused"
    if subscription.expires_at is not None and subscription.expires_at <= now:
        return "expired"
    return "failing" if subscription.consecutive_errors else "active"


class OperationsRepository:
    """What operators watch: dead letters, subscriptions, outbox."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def dead_letters(self, limit: int = DEAD_LETTER_LIMIT) -> list[DeadLetterRow]:
        """The latest rejected messages, newest first, with the start of their payload."""
        rows = self.session.execute(
            select(
                DeadLetter.received_at,
                DeadLetter.source,
                DeadLetter.reason,
                func.substr(DeadLetter.payload, 1, EXCERPT_CHARS + 1),
            )
            .order_by(DeadLetter.received_at.desc(), DeadLetter.id.desc())
            .limit(limit)
        )
        return [
            DeadLetterRow(
                at,
                source,
                reason,
                payload[:EXCERPT_CHARS] + ("…" if len(payload) > EXCERPT_CHARS else ""),
            )
            for at, source, reason, payload in rows
        ]

    def subscriptions(self, limit: int = SUBSCRIPTION_LIMIT) -> list[SubscriptionRow]:
        """Subscriptions with their owner's name, those failing most first."""
        now = utcnow()
        rows = self.session.execute(
            select(Subscription, Organisation.name)
            .outerjoin(Organisation, Organisation.id == Subscription.organisation_id)
            .order_by(Subscription.times_failed.desc(), Subscription.id)
            .limit(limit)
        )
        return [
            SubscriptionRow(
                s.id,
                organisation,
                _status(s, now),
                s.times_sent,
                s.times_failed,
                s.last_success,
                s.last_failure,
                s.last_error_reason,
            )
            for s, organisation in rows
        ]

    def outbox(self) -> OutboxCounts:
        """How many notifications wait, were given up, were delivered."""
        pending = func.count().filter(
            Notification.delivered_at.is_(None), Notification.failed_at.is_(None)
        )
        failed = func.count().filter(Notification.failed_at.is_not(None))
        delivered = func.count().filter(Notification.delivered_at.is_not(None))
        row = self.session.execute(
            select(pending, failed, delivered).select_from(Notification)
        ).one()
        return OutboxCounts(int(row[0]), int(row[1]), int(row[2]))


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, session: DbSession, principal: SensorsAdmin) -> HTMLResponse:
    """Rejected messages, subscriptions with their counters, the outbox."""
    operations = OperationsRepository(session)
    return render(
        request,
        "sensors/admin/dashboard.html",
        {
            "dead_letters": operations.dead_letters(),
            "dead_letter_limit": DEAD_LETTER_LIMIT,
            "subscriptions": operations.subscriptions(),
            "outbox": operations.outbox(),
            "status_labels": {k: _(v) for k, v in STATUS_LABELS.items()},
        },
    )
