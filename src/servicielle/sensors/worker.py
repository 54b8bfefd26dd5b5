"""The background worker: delivers queued notifications and emails, applies retention hourly.

Delivery is at least once: a notification keeps its id across retries, so a receiver can
drop a repeat. A subscription's notifications go out in the order they were queued and one
that fails holds back the later ones until its retry, so a dead receiver is retried with
backoff instead of hammered. On PostgreSQL several workers may run: each locks the
subscriptions it delivers for (FOR NO KEY UPDATE SKIP LOCKED), which never blocks the writes
queueing new notifications. On SQLite run a single worker: two could send a notification twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from servicielle.config import Settings
from servicielle.core.db import utcnow
from servicielle.core.mail.service import deliver_queued
from servicielle.core.session import session_scope
from servicielle.core.tasks import TaskClock
from servicielle.sensors.models import Notification, Subscription
from servicielle.sensors.ngsild.contexts import CORE_CONTEXT_URL, link_header
from servicielle.sensors.ngsild.entity import format_instant
from servicielle.sensors.ngsild.http import JSON, LD_JSON
from servicielle.sensors.retention import apply_retention

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
FIRST_RETRY = dt.timedelta(seconds=5)
LONGEST_RETRY = dt.timedelta(hours=1)
# 5 s doubling to 1 h: about eleven hours of trying before a notification is given up.
MAX_ATTEMPTS = 20
SUBSCRIPTIONS_PER_BATCH = 10
NOTIFICATIONS_PER_SUBSCRIPTION = 50
DELIVERED_KEPT = dt.timedelta(days=7)
HOUSEKEEPING_SECONDS = 3600.0
IDLE_SECONDS = 1.0
ERROR_PAUSE_SECONDS = 5.0


def retry_delay(failures: int) -> dt.timedelta:
    """How long to wait after ``failures`` failed attempts in a row (exponential, capped)."""
    delay: dt.timedelta = FIRST_RETRY * 2 ** min(max(failures - 1, 0), 20)
    return min(delay, LONGEST_RETRY)


class OutboxRepository:
    """Queued notifications: what is due, in order, and what can be forgotten."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def due_subscriptions(self, now: dt.datetime, limit: int) -> Sequence[Subscription]:
        """Active subscriptions whose oldest pending notification is due, oldest first."""
        pending = and_(Notification.delivered_at.is_(None), Notification.failed_at.is_(None))
        heads = (
            select(
                Notification.subscription_pk.label("pk"), func.min(Notification.id).label("head")
            )
            .where(pending)
            .group_by(Notification.subscription_pk)
            .subquery()
        )
        statement = (
            select(Subscription)
            .join(heads, heads.c.pk == Subscription.pk)
            .join(Notification, Notification.id == heads.c.head)
            .where(Notification.next_attempt_at <= now, Subscription.is_active.is_(True))
            .order_by(heads.c.head)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True, key_share=True, of=Subscription)
        return self.session.scalars(statement).all()

    def pending(self, subscription_pk: int, limit: int) -> Sequence[Notification]:
        """The subscription's undelivered notifications, in the order they were queued."""
        return self.session.scalars(
            select(Notification)
            .where(
                Notification.subscription_pk == subscription_pk,
                Notification.delivered_at.is_(None),
                Notification.failed_at.is_(None),
            )
            .order_by(Notification.id)
            .limit(limit)
        ).all()

    def purge_delivered(self, before: dt.datetime) -> int:
        """Forget notifications delivered before ``before``; returns how many."""
        result = self.session.connection().execute(
            delete(Notification).where(Notification.delivered_at < before)
        )
        return result.rowcount


def _send(
    client: httpx.Client,
    subscription: Subscription,
    notification: Notification,
    now: dt.datetime,
) -> str | None:
    """POST one notification: None when the receiver took it, else why it did not."""
    endpoint = subscription.body["notification"]["endpoint"]
    ld = endpoint.get("accept") == LD_JSON
    headers = {"Content-Type": LD_JSON if ld else JSON}
    if not ld:
        contexts = subscription.body.get("@context") or [CORE_CONTEXT_URL]
        headers["Link"] = link_header(
            contexts[0] if isinstance(contexts[0], str) else CORE_CONTEXT_URL
        )
    headers.update({info["key"]: info["value"] for info in endpoint.get("receiverInfo", [])})
    body = {**notification.payload, "notifiedAt": format_instant(now)}
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        # Streamed so that a receiver answering with an endless body cannot stall the worker.
        with client.stream(
            "POST", endpoint["uri"], content=content, headers=headers, timeout=TIMEOUT_SECONDS
        ) as response:
            status, phrase = response.status_code, response.reason_phrase
    except httpx.TimeoutException:
        return f"no answer within {TIMEOUT_SECONDS:g} s"
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= status < 300:
        return None
    return f"HTTP {status} {phrase}".strip()


def _record(
    subscription: Subscription, notification: Notification, failure: str | None, now: dt.datetime
) -> None:
    notification.attempts += 1
    subscription.times_sent += 1
    subscription.last_notification = now
    if failure is None:
        notification.delivered_at = now
        notification.last_error = None
        subscription.last_success = now
        subscription.consecutive_errors = 0
        return
    notification.last_error = failure
    subscription.times_failed += 1
    subscription.consecutive_errors += 1
    subscription.last_failure = now
    subscription.last_error_reason = failure
    if notification.attempts >= MAX_ATTEMPTS:
        notification.failed_at = now
        log.warning(
            "notification %s of %s given up after %d attempts: %s",
            notification.id,
            subscription.id,
            notification.attempts,
            failure,
        )
        return
    failures = max(notification.attempts, subscription.consecutive_errors)
    notification.next_attempt_at = now + retry_delay(failures)


def deliver_due(
    session: Session,
    client: httpx.Client,
    now: dt.datetime,
    *,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Deliver one small batch of the notifications due at ``now``; returns how many were tried."""
    outbox = OutboxRepository(session)
    # Read everything first, write only at the end: on SQLite the write lock is then held
    # for the final flush, not while waiting on receivers (entity writes would stall).
    plan = [
        (subscription, outbox.pending(subscription.pk, NOTIFICATIONS_PER_SUBSCRIPTION))
        for subscription in outbox.due_subscriptions(now, SUBSCRIPTIONS_PER_BATCH)
    ]
    tried = 0
    for subscription, notifications in plan:
        for notification in notifications:
            if notification.next_attempt_at > now or (stop is not None and stop()):
                break
            failure = _send(client, subscription, notification, now)
            _record(subscription, notification, failure, now)
            tried += 1
            if failure is not None:
                break
    session.flush()
    return tried


def housekeeping(factory: sessionmaker[Session], settings: Settings) -> None:
    """Apply the retention of raw observations and forget old delivered notifications."""
    now = utcnow()
    with session_scope(factory, via="worker") as session:
        removed = apply_retention(session, now=now, raw_days=settings.sensors_raw_retention_days)
        purged = OutboxRepository(session).purge_delivered(now - DELIVERED_KEPT)
    log.info("retention: %d observations and %d notifications removed", removed, purged)


def _deliver_batch(
    factory: sessionmaker[Session], client: httpx.Client, stop: threading.Event
) -> int:
    with session_scope(factory, via="worker") as session:
        return deliver_due(session, client, utcnow(), stop=stop.is_set)


def _on_signals(stop: threading.Event) -> dict[int, Any]:
    """Make SIGTERM and SIGINT end the loop after the current delivery."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, Any] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, lambda _signum, _frame: stop.set())
    return previous


def run_worker(factory: sessionmaker[Session], settings: Settings, *, once: bool = False) -> None:
    """Deliver notifications and apply retention until SIGTERM/SIGINT, or until idle (once)."""
    stop = threading.Event()
    previous = _on_signals(stop)
    last_housekeeping: float | None = None
    tasks = TaskClock()
    log.info("worker started")
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            while not stop.is_set():
                if (
                    last_housekeeping is None
                    or time.monotonic() - last_housekeeping >= HOUSEKEEPING_SECONDS
                ):
                    last_housekeeping = time.monotonic()
                    try:
                        housekeeping(factory, settings)
                    except Exception:
                        log.exception("retention failed; trying again in an hour")
                tasks.run_due(factory, settings)
                try:
                    tried = _deliver_batch(factory, client, stop)
                    tried += deliver_queued(factory, settings)
                except Exception:
                    # The database or the network hiccupped: log it, keep the worker alive.
                    log.exception("delivery batch failed")
                    if once:
                        break
                    stop.wait(ERROR_PAUSE_SECONDS)
                    continue
                if not tried:
                    if once:
                        break
                    stop.wait(IDLE_SECONDS)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        log.info("worker stopped")
