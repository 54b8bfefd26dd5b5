"""MQTT test helpers: committed databases, the ingest worker as a process, publishers.

The worker runs as ``python -m servicielle ingest mqtt`` against the real Mosquitto of
127.0.0.1:1883, so it needs a database it can see: a SQLite file or a PostgreSQL database of
its own, migrated and committed (the rolled-back ``db`` fixture is invisible to it).
``measure_throughput`` is what the benchmark reuses.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import Engine, func
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session

from servicielle.core.db import create_db_engine
from servicielle.core.migrations import upgrade
from servicielle.core.territory.models import Organisation, OrganisationKind
from servicielle.sensors.models import (
    DeadLetter,
    HourlyAggregate,
    LatestValue,
    Observation,
    SensorEntity,
)
from servicielle.sensors.store import join_value
from tests.conftest import create_pg_database, drop_pg_database, pg_url

BROKER_HOST, BROKER_PORT = "127.0.0.1", 1883
BROKER = f"mqtt://{BROKER_HOST}:{BROKER_PORT}"
MOSQUITTO_LOG = Path("/var/log/mosquitto/mosquitto.log")
MILLISECOND = dt.timedelta(milliseconds=1)


def unique(prefix: str) -> str:
    """A name no other test (nor xdist worker) uses."""
    return f"{prefix}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:10]}"


def iso(instant: dt.datetime) -> str:
    """An observedAt in UTC with a Z, to the microsecond."""
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def minutes_ago(minutes: float) -> str:
    """An observedAt ``minutes`` before now."""
    return iso(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes))


def row(entity: str, attribute: str, value: Any, observed_at: str) -> dict[str, Any]:
    """One observation as the ingest takes it."""
    return {"entity": entity, "attribute": attribute, "value": value, "observedAt": observed_at}


@contextmanager
def committed_database(backend: str, directory: Path) -> Iterator[str]:
    """A migrated database of ``backend`` whose commits other processes see; dropped after."""
    if backend == "sqlite":
        url = f"sqlite:///{directory / (unique('mqtt') + '.db')}"
        upgrade(url)
        yield url
        return
    name = create_pg_database("servicielle_mqtt")
    try:
        url = pg_url(name)
        upgrade(url)
        yield url
    finally:
        drop_pg_database(name)


def add_entities(engine: Engine, entity_type: str, names: Iterable[str]) -> list[str]:
    """Commit entities of ``entity_type`` (and their organisation); returns their ids."""
    ids = [f"urn:ngsi-ld:{entity_type}:{name}" for name in names]
    with Session(engine) as session:
        organisation = session.scalars(
            sql_select(Organisation).where(Organisation.slug == "operateur-mqtt")
        ).one_or_none()
        if organisation is None:
            organisation = Organisation(
                slug="operateur-mqtt", name="Opérateur MQTT", kind=OrganisationKind.OPERATOR
            )
            session.add(organisation)
            session.flush()
        for entity_id in ids:
            session.add(
                SensorEntity(
                    id=entity_id, type=entity_type, organisation_id=organisation.id, attrs={}
                )
            )
        session.commit()
    return ids


def observation_count(engine: Engine, entity_ids: Iterable[str] | None = None) -> int:
    """How many observations are stored (of these entities)."""
    statement = sql_select(func.count()).select_from(Observation)
    if entity_ids is not None:
        statement = statement.join(SensorEntity, SensorEntity.pk == Observation.entity_pk).where(
            SensorEntity.id.in_(list(entity_ids))
        )
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())


def stored_keys(engine: Engine, entity_ids: Iterable[str]) -> list[tuple[str, str, str]]:
    """(entity, attribute, observedAt) of every stored observation of these entities."""
    statement = (
        sql_select(SensorEntity.id, Observation.attribute, Observation.observed_at)
        .join(SensorEntity, SensorEntity.pk == Observation.entity_pk)
        .where(SensorEntity.id.in_(list(entity_ids)))
    )
    with engine.connect() as connection:
        return [(e, a, iso(at)) for e, a, at in connection.execute(statement)]


def hourly_count(engine: Engine, entity_ids: Iterable[str] | None) -> int:
    """Numeric observations counted by the hourly aggregates (of these entities)."""
    statement = sql_select(func.coalesce(func.sum(HourlyAggregate.count), 0))
    if entity_ids is not None:
        statement = statement.join(
            SensorEntity, SensorEntity.pk == HourlyAggregate.entity_pk
        ).where(SensorEntity.id.in_(list(entity_ids)))
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())


def history(engine: Engine, entity_id: str, attribute: str) -> list[tuple[str, Any]]:
    """(observedAt, value) of an attribute's stored observations, oldest first."""
    statement = (
        sql_select(
            Observation.observed_at,
            Observation.value_num,
            Observation.value_text,
            Observation.value_json,
        )
        .join(SensorEntity, SensorEntity.pk == Observation.entity_pk)
        .where(SensorEntity.id == entity_id, Observation.attribute == attribute)
        .order_by(Observation.observed_at)
    )
    with engine.connect() as connection:
        return [(iso(at), join_value(n, t, j)) for at, n, t, j in connection.execute(statement)]


def latest(engine: Engine, entity_id: str) -> dict[str, tuple[str, Any]]:
    """Attribute → (observedAt, value) of an entity's current values."""
    statement = (
        sql_select(
            LatestValue.attribute,
            LatestValue.observed_at,
            LatestValue.value_num,
            LatestValue.value_text,
            LatestValue.value_json,
        )
        .join(SensorEntity, SensorEntity.pk == LatestValue.entity_pk)
        .where(SensorEntity.id == entity_id)
    )
    with engine.connect() as connection:
        return {
            attribute: (iso(at) if at else "", join_value(n, t, j))
            for attribute, at, n, t, j in connection.execute(statement)
        }


def dead_letters(engine: Engine, topic: str) -> list[tuple[str, str]]:
    """(reason, payload) of the dead letters of ``topic``, oldest first."""
    statement = (
        sql_select(DeadLetter.reason, DeadLetter.payload)
        .where(DeadLetter.source == topic)
        .order_by(DeadLetter.id)
    )
    with engine.connect() as connection:
        return [(reason, payload) for reason, payload in connection.execute(statement)]


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class WorkerProcess:
    """``servicielle ingest mqtt`` as a process, its output kept in a log file."""

    database_url: str
    topic: str
    client_id: str
    log_path: Path
    broker: str = BROKER
    share: str | None = None
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> WorkerProcess:
        """Start the process (its log grows across restarts)."""
        env = {**os.environ, "SERVICIELLE_DATABASE_URL": self.database_url}
        env["SERVICIELLE_DATA_DIR"] = str(self.log_path.parent)
        args = ["--broker", self.broker, "--topic", self.topic, "--client-id", self.client_id]
        if self.share:
            args += ["--share", self.share]
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "servicielle", "ingest", "mqtt", *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        return self

    def log(self) -> str:
        """Everything the worker printed so far."""
        return self.log_path.read_text() if self.log_path.exists() else ""

    def wait_subscribed(self, timeout: float = 60) -> None:
        """Wait until the latest start has subscribed."""
        assert self.process is not None

        def subscribed() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited early:\n{self.log()}")
            return self.log().count("subscribed to") >= self.starts

        wait_until(subscribed, timeout, "the worker's subscription")

    def signal(self, number: signal.Signals) -> None:
        """Send a signal (SIGSTOP freezes the worker, SIGCONT thaws it)."""
        assert self.process is not None
        self.process.send_signal(number)

    def kill(self) -> None:
        """SIGKILL: no goodbye, no last commit."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 20) -> int:
        """SIGTERM and wait; returns the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the worker ignored SIGTERM:\n{self.log()}") from None


class Publisher:
    """A paho client publishing at QoS 1 (or another QoS) and waiting for the broker's PUBACKs."""

    def __init__(self, host: str = BROKER_HOST, port: int = BROKER_PORT) -> None:
        # MQTT 3.1.1: the broker's PUBACKs carry no properties for paho to parse.
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=unique("publisher"), protocol=mqtt.MQTTv311
        )
        # No client-side cap: paho rescans its whole queue on every PUBACK when one is set.
        self.client.max_inflight_messages_set(0)
        self.client.connect(host, port)
        self.client.loop_start()
        self._last: mqtt.MQTTMessageInfo | None = None

    def send(self, topic: str, payload: Any, qos: int = 1) -> None:
        """Publish ``payload`` (JSON-encoded unless bytes or str)."""
        data = payload if isinstance(payload, bytes | str) else json.dumps(payload)
        info = self.client.publish(topic, data, qos=qos)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise AssertionError(f"publish failed: {mqtt.error_string(info.rc)}")
        self._last = info

    def flush(self, timeout: float = 60) -> None:
        """Wait until the broker has acknowledged everything sent so far."""
        if self._last is not None:
            self._last.wait_for_publish(timeout)
            assert self._last.is_published(), "the broker did not acknowledge the messages"

    def close(self) -> None:
        """Flush and disconnect."""
        self.flush()
        self.client.disconnect()
        self.client.loop_stop()


def forget_session(client_id: str) -> None:
    """Make the broker drop a persistent session (and what it queued for it)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = 0
    client.connect(BROKER_HOST, BROKER_PORT, clean_start=True, properties=properties)
    client.loop_start()
    wait_until(client.is_connected, 10, "the broker's CONNACK")
    client.disconnect()
    client.loop_stop()


def broker_dropped_for(client_id: str) -> bool:
    """Whether Mosquitto logged dropping messages for ``client_id`` (its queue was full)."""
    try:
        return f"dropped for client {client_id}." in MOSQUITTO_LOG.read_text(errors="replace")
    except OSError:
        return False


def stored_so_far(engine: Engine) -> int:
    """Observations stored, read from the hourly counts: a few rows, cheap to poll often
    (numeric values only; exact checks read the observations themselves)."""
    return hourly_count(engine, None)


class ThrottledPublisher(threading.Thread):
    """Publishes each payload once, never more than ``window`` messages ahead of the database.

    Mosquitto (``max_queued_messages``, 1000 by default) drops what it holds beyond that for
    one session, whether the subscriber is offline or reads too slowly: a window well under it
    keeps the broker from losing anything.
    """

    def __init__(self, engine: Engine, topic: str, payloads: list[str], window: int) -> None:
        super().__init__(daemon=True)
        self.engine, self.topic, self.payloads, self.window = engine, topic, payloads, window
        self.published = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        """Publish everything, then wait for the broker's acknowledgements."""
        publisher = Publisher()
        try:
            stored = 0
            for payload in self.payloads:
                while self.published - stored >= self.window:
                    time.sleep(0.005)
                    stored = stored_so_far(self.engine)
                publisher.send(self.topic, payload)
                self.published += 1
            publisher.close()
        except BaseException as exc:
            self.error = exc


def measure_throughput(
    database_url: str, log_dir: Path, *, count: int = 50_000, window: int = 900
) -> float:
    """Messages per second from the first publish to the last commit, through a worker process
    (``servicielle ingest mqtt``) and the local Mosquitto; the database must be migrated.

    The publisher stays ``window`` messages ahead of the database: a connected worker then
    never has more than that waiting at the broker, under its 1000-packet limit.
    """
    engine = create_db_engine(database_url)
    ids = add_entities(engine, "OffStreetParking", [unique("bench") for _ in range(20)])
    topic, client_id = unique("servicielle-bench/obs"), unique("bench-ingest")
    worker = WorkerProcess(database_url, topic, client_id, log_dir / f"{client_id}.log").start()
    base = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=50)
    payloads = [
        json.dumps(row(ids[i % 20], "availableSpotNumber", i % 500, iso(base + i * MILLISECOND)))
        for i in range(count)
    ]
    try:
        worker.wait_subscribed()
        start = stored_so_far(engine)
        publisher = ThrottledPublisher(engine, topic, payloads, window)
        started = time.monotonic()
        publisher.start()
        wait_until(lambda: stored_so_far(engine) - start >= count, 600, "every observation")
        elapsed = time.monotonic() - started
        publisher.join(10)
        assert publisher.error is None, publisher.error
        return count / elapsed
    finally:
        worker.terminate()
        forget_session(client_id)
        engine.dispose()
