"""MQTT ingest: the real worker process, the real Mosquitto, a committed database per backend.

Each backend gets a database and a worker (``servicielle ingest mqtt``) subscribed to
``<unique base>/#``; each test publishes on its own topic below it, about its own entities.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import select
import signal
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from servicielle.core.db import create_db_engine
from tests.conftest import PG_ADMIN_URL
from tests.sensors.mqtt_support import (
    BROKER_HOST,
    BROKER_PORT,
    Publisher,
    WorkerProcess,
    add_entities,
    committed_database,
    dead_letters,
    forget_session,
    history,
    hourly_count,
    iso,
    latest,
    minutes_ago,
    observation_count,
    row,
    unique,
    wait_until,
)

AVAILABLE = "availableSpotNumber"

# The module's tests share one worker process per backend: keep them on one xdist worker.
pytestmark = pytest.mark.xdist_group("mqtt")


@dataclass
class Hub:
    """A backend's committed database, the worker feeding it and a publisher."""

    backend: str
    url: str
    engine: Engine
    base: str
    publisher: Publisher
    logs: Path

    def topic(self) -> str:
        """A topic of the test's own, which the module's worker listens to."""
        return f"{self.base}/{unique('t')}"

    @staticmethod
    def other_topic() -> str:
        """A topic the module's worker does not listen to, for a test's own worker."""
        return unique("servicielle-test/own")

    def parkings(self, count: int = 1) -> list[str]:
        """New OffStreetParking entities."""
        return add_entities(self.engine, "OffStreetParking", [unique("p") for _ in range(count)])

    def stored(self, ids: list[str], count: int) -> None:
        """Wait until these entities have ``count`` observations."""
        wait_until(lambda: observation_count(self.engine, ids) >= count, 30, f"{count} stored")


@dataclass
class TcpProxy:
    """A loopback TCP relay to the broker whose connections the test can cut."""

    target: tuple[str, int] = (BROKER_HOST, BROKER_PORT)
    port: int = 0
    _server: socket.socket = field(init=False)
    _pairs: list[tuple[socket.socket, socket.socket]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False

    def start(self) -> TcpProxy:
        """Listen on a free loopback port."""
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        """The broker URL that goes through the proxy."""
        return f"mqtt://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                inside, _ = self._server.accept()
            except OSError:
                return
            outside = socket.create_connection(self.target)
            with self._lock:
                self._pairs.append((inside, outside))
            threading.Thread(target=self._relay, args=(inside, outside), daemon=True).start()

    def _relay(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 0.5)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            a.close()
            b.close()

    def cut(self) -> int:
        """Close every open connection, as a network loss would; returns how many."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for a, b in pairs:
            for sock in (a, b):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        return len(pairs)

    def close(self) -> None:
        """Stop listening and cut everything."""
        self._closed = True
        self._server.close()
        self.cut()


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """One database and one worker per backend, shared by this module's tests."""
    logs = tmp_path_factory.mktemp("mqtt")
    with committed_database(request.param, logs) as url:
        engine = create_db_engine(url)
        base, client_id = unique("servicielle-test/mqtt"), unique("mqtt-ingest")
        worker = WorkerProcess(url, f"{base}/#", client_id, logs / "worker.log").start()
        publisher = Publisher()
        try:
            worker.wait_subscribed()
            yield Hub(request.param, url, engine, base, publisher, logs)
        finally:
            publisher.close()
            worker.terminate()
            forget_session(client_id)
            engine.dispose()


def test_an_object_and_an_array_are_stored(hub: Hub) -> None:
    topic = hub.topic()
    (parking,) = hub.parkings()
    (air,) = add_entities(hub.engine, "AirQualityObserved", [unique("air")])
    first, second = minutes_ago(10), minutes_ago(5)
    hub.publisher.send(topic, row(parking, AVAILABLE, 42, first))
    hub.stored([parking], 1)
    assert latest(hub.engine, parking) == {AVAILABLE: (first, 42)}
    hub.publisher.send(
        topic,
        [
            row(parking, AVAILABLE, 40, second),
            row(parking, "status", "open", second),
            row(air, "no2", 23.5, second),
        ],
    )
    hub.stored([parking, air], 4)
    assert history(hub.engine, parking, AVAILABLE) == [(first, 42), (second, 40)]
    assert latest(hub.engine, parking) == {AVAILABLE: (second, 40), "status": (second, "open")}
    assert latest(hub.engine, air) == {"no2": (second, 23.5)}


def test_repeats_are_stored_once_and_late_values_do_not_overwrite(hub: Hub) -> None:
    topic = hub.topic()
    (parking,) = hub.parkings()
    newer, older = minutes_ago(2), minutes_ago(40)
    message = row(parking, AVAILABLE, 12, newer)
    for _ in range(3):
        hub.publisher.send(topic, message)
    hub.publisher.send(topic, [message, message])
    # Late and out of order: an older reading arrives after the newer one.
    hub.publisher.send(topic, row(parking, AVAILABLE, 90, older))
    hub.stored([parking], 2)
    # Messages are handled in order: once a later one is stored, the repeats were seen.
    hub.publisher.send(topic, row(parking, "status", "full", minutes_ago(1)))
    hub.stored([parking], 3)
    assert history(hub.engine, parking, AVAILABLE) == [(older, 90), (newer, 12)]
    assert latest(hub.engine, parking)[AVAILABLE] == (newer, 12)
    assert hourly_count(hub.engine, [parking]) == 2


def test_malformed_messages_go_to_dead_letters_and_the_worker_goes_on(hub: Hub) -> None:
    topic = hub.topic()
    (parking,) = hub.parkings()
    at = minutes_ago(3)
    no_zone = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat()
    future = iso(dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    big = b'{"entity": "' + b"x" * 40_000 + b'"'
    bad: dict[bytes, str] = {
        b"{not json": "the payload is not valid JSON",
        b'"hello"': "the payload must be a JSON object or an array of objects",
        b"\xff\xfe\x00": "the payload is not UTF-8 text",
        b"": "the payload is empty",
        json.dumps({"entity": parking}).encode(): "missing attribute, value, observedAt",
        json.dumps(row("urn:ngsi-ld:OffStreetParking:nowhere", AVAILABLE, 1, at)).encode(): (
            "unknown entity (urn:ngsi-ld:OffStreetParking:nowhere availableSpotNumber)"
        ),
        json.dumps(row(parking, AVAILABLE, "many", at)).encode(): "expected a number, got a string",
        json.dumps(row(parking, AVAILABLE, 3, no_zone)).encode(): "observedAt has no time zone",
        json.dumps(row(parking, AVAILABLE, 3, future)).encode(): "observedAt is in the future",
        json.dumps(row(parking, "colour", "red", at)).encode(): "has no attribute colour",
        json.dumps(row(parking, AVAILABLE, -5, at)).encode(): "-5 is below the minimum 0",
        big: "the payload is not valid JSON",
    }
    for payload in bad:
        hub.publisher.send(topic, payload)
    mixed = [row(parking, AVAILABLE, 7, at), row(parking, AVAILABLE, "x", at), ["no"]]
    hub.publisher.send(topic, mixed)
    hub.publisher.send(topic, row(parking, "status", "open", at))
    hub.stored([parking], 2)
    assert latest(hub.engine, parking) == {AVAILABLE: (at, 7), "status": (at, "open")}
    letters = dict((payload, reason) for reason, payload in dead_letters(hub.engine, topic))
    assert len(letters) == len(bad) + 1
    for payload, reason in bad.items():
        if payload is big:
            continue
        assert reason in letters[payload.decode("utf-8", errors="replace").replace("\x00", "�")]
    kept = next(p for p in letters if p.startswith('{"entity": "xxx'))
    assert len(kept) < 17_000
    assert kept.endswith("(40013 characters in all)")
    assert letters[json.dumps(mixed)] == (
        f"item 1: expected a number, got a string ({parking} availableSpotNumber); "
        "item 2: a row must be a JSON object"
    )


def test_a_value_the_database_refuses_is_set_aside_alone(hub: Hub) -> None:
    topic = hub.topic()
    (thing,) = add_entities(hub.engine, "Thing", [unique("thing")])
    at = [minutes_ago(m) for m in (9, 8, 7)]
    # PostgreSQL text cannot hold NUL characters; SQLite can.
    hub.publisher.send(topic, row(thing, "label", "before", at[0]))
    hub.publisher.send(topic, row(thing, "label", "nul\u0000here", at[1]))
    hub.publisher.send(topic, row(thing, "label", "after", at[2]))
    hub.publisher.flush()
    if hub.backend == "postgresql":
        hub.stored([thing], 2)
        assert history(hub.engine, thing, "label") == [(at[0], "before"), (at[2], "after")]
        ((reason, payload),) = dead_letters(hub.engine, topic)
        assert reason.startswith("the database refused it: DataError")
        assert "nul\\u0000here" in payload
    else:
        hub.stored([thing], 3)
        assert history(hub.engine, thing, "label")[1] == (at[1], "nul\u0000here")
        assert dead_letters(hub.engine, topic) == []


def test_sigterm_commits_what_it_has_and_the_session_brings_the_rest(hub: Hub) -> None:
    topic, client_id = hub.other_topic(), unique("sigterm-ingest")
    ids = hub.parkings(5)
    base = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    worker = WorkerProcess(hub.url, topic, client_id, hub.logs / f"{client_id}.log").start()
    try:
        worker.wait_subscribed()
        for i in range(900):
            at = iso(base + dt.timedelta(seconds=i))
            hub.publisher.send(topic, row(ids[i % 5], AVAILABLE, i % 100, at))
        wait_until(lambda: observation_count(hub.engine, ids) > 0, 30, "a first batch")
        assert worker.terminate() == 0
        assert "messages/s" in worker.log()
        # What it had not acknowledged comes back to the next worker of the same session.
        worker.start().wait_subscribed()
        hub.stored(ids, 900)
        assert observation_count(hub.engine, ids) == 900
        assert hourly_count(hub.engine, ids) == 900
        assert "session resumed" in worker.log()
    finally:
        worker.terminate()
        forget_session(client_id)


def test_the_worker_reconnects_when_the_broker_connection_drops(hub: Hub) -> None:
    topic, client_id = hub.other_topic(), unique("proxied-ingest")
    (parking,) = hub.parkings()
    proxy = TcpProxy().start()
    worker = WorkerProcess(hub.url, topic, client_id, hub.logs / f"{client_id}.log", proxy.url)
    try:
        worker.start().wait_subscribed()
        hub.publisher.send(topic, row(parking, AVAILABLE, 1, minutes_ago(20)))
        hub.stored([parking], 1)
        assert proxy.cut() == 1
        # Published while the worker is cut off: the broker keeps them for its session.
        for minutes in (15, 10):
            hub.publisher.send(topic, row(parking, AVAILABLE, minutes, minutes_ago(minutes)))
        hub.stored([parking], 3)
        log = worker.log()
        assert "connection to the broker lost" in log
        assert "(session resumed)" in log
        assert [v for _, v in history(hub.engine, parking, AVAILABLE)] == [1, 15, 10]
    finally:
        worker.terminate()
        proxy.close()
        forget_session(client_id)


def test_a_shared_subscription_splits_the_messages(hub: Hub) -> None:
    topic, group = hub.other_topic(), unique("group")
    ids = hub.parkings(4)
    workers = [
        WorkerProcess(hub.url, topic, unique(f"shared-{n}"), hub.logs / f"shared-{n}.log")
        for n in range(2)
    ]
    for worker in workers:
        worker.share = group
        worker.start()
    base = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    try:
        for worker in workers:
            worker.wait_subscribed()
        for i in range(400):
            at = iso(base + dt.timedelta(seconds=i))
            hub.publisher.send(topic, row(ids[i % 4], AVAILABLE, i % 50, at))
        hub.stored(ids, 400)
        for worker in workers:
            assert worker.terminate() == 0
        totals = [
            int(re.findall(r"since start: (\d+) messages", worker.log())[-1]) for worker in workers
        ]
        assert sum(totals) == 400
        assert min(totals) > 0
        assert observation_count(hub.engine, ids) == 400
    finally:
        for worker in workers:
            worker.terminate()
            forget_session(worker.client_id)


def test_a_database_outage_is_waited_out_without_losing_messages(tmp_path: Path) -> None:
    with committed_database("postgresql", tmp_path) as url:
        engine = create_db_engine(url)
        (parking,) = add_entities(engine, "OffStreetParking", [unique("p")])
        name = engine.url.database
        topic, client_id = unique("servicielle-test/outage"), unique("outage-ingest")
        worker = WorkerProcess(url, topic, client_id, tmp_path / "worker.log").start()
        publisher = Publisher()
        try:
            worker.wait_subscribed()
            publisher.send(topic, row(parking, AVAILABLE, 1, minutes_ago(30)))
            wait_until(lambda: observation_count(engine) == 1, 30, "the first message")
            engine.dispose()
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )
                for minutes in range(20, 10, -1):
                    publisher.send(topic, row(parking, AVAILABLE, minutes, minutes_ago(minutes)))
                wait_until(lambda: "database error, retrying" in worker.log(), 30, "a retry")
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            wait_until(lambda: observation_count(engine) == 11, 60, "the messages held back")
            assert [v for _, v in history(engine, parking, AVAILABLE)] == [1, *range(20, 10, -1)]
            assert worker.process is not None
            assert worker.process.poll() is None
        finally:
            publisher.close()
            worker.terminate()
            forget_session(client_id)
            engine.dispose()


def test_sigint_stops_the_worker_too(hub: Hub) -> None:
    client_id = unique("sigint-ingest")
    worker = WorkerProcess(hub.url, hub.other_topic(), client_id, hub.logs / f"{client_id}.log")
    try:
        worker.start().wait_subscribed()
        assert worker.process is not None
        worker.process.send_signal(signal.SIGINT)
        assert worker.process.wait(timeout=20) == 0
    finally:
        worker.terminate()
        forget_session(client_id)
