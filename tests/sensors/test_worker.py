"""The notification worker: retries with backoff, counters, no loss, restarts, clean stop."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from servicielle.config import Settings
from servicielle.core.db import create_db_engine, utcnow
from servicielle.core.migrations import upgrade
from servicielle.core.permissions import Principal
from servicielle.core.session import session_scope
from servicielle.core.territory.models import Organisation, OrganisationKind
from servicielle.sensors import service, subscriptions
from servicielle.sensors.models import Notification
from servicielle.sensors.ngsild.entity import parse_entity
from servicielle.sensors.ngsild.subscriptions_api import parse_subscription
from servicielle.sensors.worker import (
    LONGEST_RETRY,
    MAX_ATTEMPTS,
    deliver_due,
    run_worker,
)
from tests.conftest import SECRET, create_pg_database, drop_pg_database, pg_url
from tests.sensors.conftest import Ngsi, at, parking
from tests.sensors.test_subscriptions import GARE, Receiver, deliver, spots, subscription


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running receiver, stopped after the test."""
    running = Receiver()
    yield running
    running.close()


def _subscribe(ngsi: Ngsi, uri: str, **members: Any) -> str:
    created = ngsi.request("POST", "/subscriptions/", subscription(uri, **members))
    assert created.status_code == 201, created.text
    return str(created.headers["location"]).removeprefix("/ngsi-ld/v1")


def _values(receiver: Receiver) -> list[Any]:
    return [b["data"][0]["availableSpotNumber"]["value"] for b in receiver.bodies]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_failing_receiver_is_retried_with_backoff_and_counted(
    operator: Ngsi, receiver: Receiver, db: Session
) -> None:
    operator.create(parking("gare", 42))
    path = _subscribe(operator, receiver.url)
    receiver.status = 500
    spots(operator, GARE, 7)
    now = utcnow()
    assert deliver(db, now) == 1
    shown = operator.request("GET", path).json()
    assert shown["status"] == "failed"
    counters = shown["notification"]
    assert counters["status"] == "failed"
    assert (counters["timesSent"], counters["timesFailed"], counters["consecutiveErrors"]) == (
        1,
        1,
        1,
    )
    assert "HTTP 500" in counters["lastErrorReason"]
    assert "lastFailure" in counters
    assert "lastSuccess" not in counters

    assert deliver(db, now + dt.timedelta(seconds=4)) == 0  # waits 5 s
    assert deliver(db, now + dt.timedelta(seconds=6)) == 1
    queued = db.scalars(select(Notification)).one()
    assert queued.next_attempt_at == now + dt.timedelta(seconds=6 + 10)  # then 10 s
    receiver.status = 200
    assert deliver(db, now + dt.timedelta(seconds=15)) == 0
    assert deliver(db, now + dt.timedelta(seconds=17)) == 1
    shown = operator.request("GET", path).json()
    assert shown["status"] == "active"
    counters = shown["notification"]
    assert (counters["timesSent"], counters["timesFailed"], counters["consecutiveErrors"]) == (
        3,
        2,
        0,
    )
    assert counters["status"] == "ok"
    assert counters["lastSuccess"] > counters["lastFailure"]
    # Three attempts of one notification: same id, so the receiver can drop repeats.
    assert len(receiver.received) == 3
    assert len({b["id"] for b in receiver.bodies}) == 1
    assert _values(receiver) == [7, 7, 7]


def test_a_closed_port_holds_later_notifications_back_in_order(
    operator: Ngsi, receiver: Receiver, db: Session
) -> None:
    operator.create(parking("gare", 42))
    path = _subscribe(operator, f"http://127.0.0.1:{_closed_port()}/notify")
    spots(operator, GARE, 1, minutes_ago=2)
    spots(operator, GARE, 2, minutes_ago=1)
    now = utcnow()
    assert deliver(db, now) == 1  # the second waits behind the first
    queued = db.scalars(select(Notification).order_by(Notification.id)).all()
    assert [n.attempts for n in queued] == [1, 0]
    reason = operator.request("GET", path).json()["notification"]["lastErrorReason"]
    assert "ConnectError" in reason
    moved = {"notification": {"endpoint": {"uri": receiver.url}}}
    assert operator.request("PATCH", path, moved).status_code == 204
    assert deliver(db, now + dt.timedelta(seconds=6)) == 2
    assert _values(receiver) == [1, 2]


def test_after_the_last_attempt_the_failure_stays_visible(
    operator: Ngsi, receiver: Receiver, db: Session
) -> None:
    operator.create(parking("gare", 42))
    path = _subscribe(operator, receiver.url)
    receiver.status = 503
    spots(operator, GARE, 1, minutes_ago=2)
    spots(operator, GARE, 2, minutes_ago=1)
    instant = utcnow()
    with httpx.Client(timeout=5) as client:
        for _attempt in range(MAX_ATTEMPTS):
            db.expire_all()
            assert deliver_due(db, client, instant) == 1
            instant += LONGEST_RETRY + dt.timedelta(seconds=1)
    given_up, waiting = db.scalars(select(Notification).order_by(Notification.id)).all()
    assert given_up.failed_at is not None
    assert given_up.delivered_at is None
    assert waiting.attempts == 0
    shown = operator.request("GET", path).json()
    assert shown["status"] == "failed"
    assert shown["notification"]["timesFailed"] == MAX_ATTEMPTS
    receiver.status = 204
    assert deliver(db, instant) == 1
    assert _values(receiver)[-1] == 2
    assert operator.request("GET", path).json()["status"] == "active"


def test_a_worker_started_later_delivers_what_was_queued(
    operator: Ngsi,
    receiver: Receiver,
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    operator.create(parking("gare", 42))
    _subscribe(operator, receiver.url)
    for value, minutes_ago in ((10, 3), (11, 2), (12, 1)):
        spots(operator, GARE, value, minutes_ago)
    first = db.scalars(select(Notification).order_by(Notification.id)).first()
    assert first is not None
    now = utcnow()
    old = Notification(
        subscription_pk=first.subscription_pk,
        payload={},
        delivered_at=now - dt.timedelta(days=8),
    )
    recent = Notification(
        subscription_pk=first.subscription_pk,
        payload={},
        delivered_at=now - dt.timedelta(days=1),
    )
    db.add_all([old, recent])
    db.commit()
    old_id, recent_id = old.id, recent.id
    assert receiver.received == []
    run_worker(session_factory, settings, once=True)
    assert _values(receiver) == [10, 11, 12]
    db.expire_all()
    kept = db.scalars(select(Notification.id)).all()
    assert old_id not in kept  # delivered ones are kept 7 days
    assert recent_id in kept


def test_100_entities_updated_5_times_are_all_delivered(
    operator: Ngsi, receiver: Receiver, db: Session
) -> None:
    entities = [parking(f"p{n}", 100) for n in range(100)]
    created = operator.request("POST", "/entityOperations/create/", entities)
    assert created.status_code == 201, created.text
    _subscribe(operator, receiver.url)
    expected = set()
    for round_ in range(5):
        for n in range(100):
            value = round_ * 1000 + n
            spots(operator, f"urn:ngsi-ld:OffStreetParking:p{n}", value, minutes_ago=10 - round_)
            expected.add((f"urn:ngsi-ld:OffStreetParking:p{n}", value))
    assert deliver(db) == 500
    got = [
        (b["data"][0]["id"], b["data"][0]["availableSpotNumber"]["value"]) for b in receiver.bodies
    ]
    assert len(got) == 500
    assert set(got) == expected


# --- The worker as a process, on a database of its own -----------------------------------


@contextlib.contextmanager
def _fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database outside the rolled-back test transaction."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'worker.db'}"
        upgrade(url)
        yield url
        return
    name = create_pg_database("servicielle_worker")
    try:
        url = pg_url(name)
        upgrade(url)
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture(params=("sqlite", "postgresql"))
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of each backend for worker processes."""
    with _fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def own_pg_database(tmp_path: Path) -> Iterator[str]:
    """A PostgreSQL database for several worker processes."""
    with _fresh_database("postgresql", tmp_path) as url:
        yield url


def _queue_changes(url: str, uri: str, values: list[int], subscriptions_count: int = 1) -> None:
    """Commit an organisation, a car park, subscriptions and changes (hence notifications)."""
    engine = create_db_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    with session_scope(factory, via="test") as session:
        organisation = Organisation(slug="port", name="Port", kind=OrganisationKind.OPERATOR)
        session.add(organisation)
        session.flush()
        principal = Principal(organisation_ids=frozenset({organisation.id}))
        for _number in range(subscriptions_count):
            data = parse_subscription(subscription(uri), engine.dialect.name)
            subscriptions.create_subscription(
                session, data, principal=principal, organisation_id=organisation.id
            )
        writer = service.Writer(principal, organisation.id)
        entity = service.create_entity(session, writer, parse_entity(parking("gare", 42)))
        for index, value in enumerate(values):
            attrs = {
                "availableSpotNumber": {
                    "type": "Property",
                    "value": value,
                    "observedAt": at(len(values) - index),
                }
            }
            service.update_attributes(session, writer, entity, attrs)
    engine.dispose()


def _start_worker(url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SERVICIELLE_DATABASE_URL": url,
        "SERVICIELLE_SECRET_KEY": SECRET,
        "SERVICIELLE_BASE_URL": "http://127.0.0.1:9",
        "SERVICIELLE_DATA_DIR": str(tmp_path / "files"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "servicielle", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_for(receiver: Receiver, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while len(receiver.received) < count:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            output = process.communicate()[0].decode()
            pytest.fail(f"{len(receiver.received)} of {count} delivered:\n{output}")
        time.sleep(0.1)


def test_the_worker_process_delivers_the_outbox_and_stops_on_sigterm(
    own_database: str, receiver: Receiver, tmp_path: Path
) -> None:
    # Queued while no worker runs: the outbox is in the database, not in a process.
    _queue_changes(own_database, receiver.url, [5, 6, 7])
    process = _start_worker(own_database, tmp_path)
    try:
        _wait_for(receiver, 4, process)  # the creation, then three updates
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    assert _values(receiver) == [42, 5, 6, 7]


def test_two_workers_share_the_outbox_without_sending_twice(
    own_pg_database: str, receiver: Receiver, tmp_path: Path
) -> None:
    _queue_changes(own_pg_database, receiver.url, list(range(30)), subscriptions_count=4)
    workers = [_start_worker(own_pg_database, tmp_path) for _ in range(2)]
    try:
        _wait_for(receiver, 4 * 31, workers[0])
        time.sleep(1.5)  # a duplicate would arrive now
        for process in workers:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
            process.communicate()
    assert len(receiver.received) == 4 * 31
    assert len({b["id"] for b in receiver.bodies}) == 4 * 31
    by_subscription: dict[str, list[int]] = {}
    for body in receiver.bodies:
        value = body["data"][0]["availableSpotNumber"]["value"]
        by_subscription.setdefault(body["subscriptionId"], []).append(value)
    assert all(values == [42, *range(30)] for values in by_subscription.values())
