"""MQTT ingest: observations from a broker, stored in batches, acknowledged once committed.

A message is one row ``{"entity", "attribute", "value", "observedAt"}`` or a JSON array of
them, as ``POST /api/sensors/observations`` takes. Messages are gathered for a short while
(``linger``, less when the flow pauses; at most ``batch_size``), stored in one transaction and
only then acknowledged (manual PUBACK): a crash before the commit makes the broker deliver
them again, and the primary key (entity, attribute, observedAt) makes the second delivery
harmless. Every message the broker hands over is thus stored exactly once. What cannot be
stored goes to the dead-letter table in the same transaction, with the reason, and never
stops the worker.

The broker bounds what it keeps for us: Mosquitto's ``max_queued_messages`` (1000 by default)
caps the messages held for a session whose worker is down, and the packets waiting for a
worker that reads too slowly. A broker that must ride out long worker outages or bursts
faster than one worker (several share a subscription with ``share``) needs it raised.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from servicielle.core.session import AuditContext
from servicielle.sensors.ingest import IngestReport, Rejection, check_rows, store_rows
from servicielle.sensors.models import DeadLetter

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
BATCH_BYTES = 8 * 1_048_576
LINGER = 0.1
# A batch also closes when the flow pauses this long: a quiet sensor network gets its values
# stored at once, a busy one still gets large transactions.
IDLE = 0.01
# Mosquitto sends at most the client's Receive Maximum unacknowledged (else its own limit, 20):
# a large one keeps messages flowing while a batch is being committed.
RECEIVE_MAXIMUM = 65535
SESSION_EXPIRY = 7 * 24 * 3600
REPORT_EVERY = 5.0
MAX_PAYLOAD_KEPT = 16_384
MAX_REASONS_LISTED = 10
RETRY_FIRST, RETRY_MAX = 0.5, 30.0
# Bad data (and errors of our own code on it): isolated in a dead letter. Any other database
# error (connection lost, locked, schema missing) is the database's: retried, never acked.
_POISON: tuple[type[Exception], ...] = (
    sa_exc.DataError, sa_exc.IntegrityError, psycopg.DataError, psycopg.IntegrityError,
    sqlite3.DataError, sqlite3.IntegrityError,
)  # fmt: skip
_INFRASTRUCTURE = (sa_exc.SQLAlchemyError, psycopg.Error, sqlite3.Error, OSError, MemoryError)


class Received(NamedTuple):
    """A message as delivered: the connection it came on, its packet id, topic and body."""

    generation: int
    mid: int
    qos: int
    topic: str
    payload: bytes


@dataclass
class BatchResult:
    """What a batch of messages gave."""

    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0

    def add(self, other: BatchResult) -> None:
        """Add ``other``'s counts to these."""
        self.messages += other.messages
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.dead_letters += other.dead_letters

    def describe(self) -> str:
        """The counts in words, for the progress log."""
        return (
            f"{self.messages} messages, {self.stored} stored, {self.duplicates} duplicates, "
            f"{self.dead_letters} dead letters"
        )


@dataclass(frozen=True)
class Broker:
    """Where to connect, from an ``mqtt://user:password@host:port`` URL."""

    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> Broker:
        """Read ``mqtt://``, ``tcp://`` or ``mqtts://`` (TLS) URLs."""
        parts = urlsplit(url if "://" in url else f"mqtt://{url}")
        if parts.scheme not in ("mqtt", "tcp", "mqtts", "ssl"):
            raise ValueError(f"unsupported broker URL scheme {parts.scheme!r}: use mqtt://")
        tls = parts.scheme in ("mqtts", "ssl")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (8883 if tls else 1883),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def decode_payload(payload: bytes) -> tuple[list[Any], bool] | str:
    """The rows a message carries and whether they came as an array, or why it carries none."""
    if not payload.strip():
        return "the payload is empty"
    try:
        data = json.loads(payload.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return "the payload is not UTF-8 text"
    except json.JSONDecodeError as exc:
        return f"the payload is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except RecursionError:
        return "the payload is nested too deeply"
    if isinstance(data, dict):
        return [data], False
    if isinstance(data, list):
        return data, True
    return "the payload must be a JSON object or an array of objects"


def _kept(text: str, limit: int) -> str:
    # PostgreSQL text cannot hold NUL characters.
    text = text.replace("\x00", "\ufffd")
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters in all)"


def _describe(rejection: Rejection) -> str:
    where = " ".join(p for p in (rejection.entity, rejection.attribute) if p)
    return f"{rejection.reason} ({where})" if where else rejection.reason


def dead_letter(topic: str, payload: bytes, reason: str) -> DeadLetter:
    """A dead letter for a message, its payload and reason cut to a sensible size."""
    return DeadLetter(
        source=topic[:300],
        reason=_kept(reason, 4000),
        payload=_kept(payload.decode("utf-8", errors="replace"), MAX_PAYLOAD_KEPT),
    )


def store_messages(session: Session, messages: Sequence[tuple[str, bytes]]) -> BatchResult:
    """Store the rows of ``(topic, payload)`` messages, dead-letter the rest; flushes only."""
    items: list[Any] = []
    owners: list[tuple[int, int]] = []  # item → (message, position in its array)
    arrays: set[int] = set()
    problems: dict[int, list[str]] = {}
    for number, (_topic, payload) in enumerate(messages):
        decoded = decode_payload(payload)
        if isinstance(decoded, str):
            problems[number] = [decoded]
            continue
        rows, is_array = decoded
        if is_array:
            arrays.add(number)
        owners.extend((number, position) for position in range(len(rows)))
        items.extend(rows)
    report = IngestReport()
    store_rows(session, check_rows(items, report), report, principal=None)
    for rejection in sorted(report.rejections, key=lambda r: r.index):
        number, position = owners[rejection.index]
        reason = _describe(rejection)
        problems.setdefault(number, []).append(
            f"item {position}: {reason}" if number in arrays else reason
        )
    for number, reasons in sorted(problems.items()):
        more = len(reasons) - MAX_REASONS_LISTED
        reason = "; ".join(reasons[:MAX_REASONS_LISTED]) + (
            f"; and {more} more" if more > 0 else ""
        )
        session.add(dead_letter(*messages[number], reason))
    session.flush()
    return BatchResult(len(messages), report.stored, report.duplicates, len(problems))


def default_client_id(topic: str, share: str | None) -> str:
    """A client id stable across restarts of this host's worker for this subscription."""
    digest = hashlib.sha1(f"{topic}\n{share or ''}".encode()).hexdigest()[:8]
    return f"servicielle-ingest-{socket.gethostname()[:40]}-{digest}"


class MqttIngest:
    """The ingest worker: subscribe, batch, store, commit, acknowledge; ``stop()`` ends it."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        broker: str,
        topic: str,
        client_id: str | None = None,
        share: str | None = None,
        batch_size: int = BATCH_SIZE,
        linger: float = LINGER,
        session_expiry: int = SESSION_EXPIRY,
    ) -> None:
        self.factory = factory
        self.broker = Broker.from_url(broker)
        self.topic = topic
        self.subscription = f"$share/{share}/{topic}" if share else topic
        self.client_id = client_id or default_client_id(topic, share)
        self.batch_size = batch_size
        self.linger = linger
        self.session_expiry = session_expiry
        self.totals = BatchResult()
        self._queue: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        # Bumped on every connection change: a packet id is only acknowledged on the
        # connection that delivered it (the broker redelivers the others and may reuse ids).
        self._generation = 0
        self._connections = 0
        self.subscribed = threading.Event()
        self._client = self._make_client()
        self._interval = BatchResult()
        self._interval_start = time.monotonic()

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set()
        client.reconnect_delay_set(1, 30)
        client.enable_logger(logging.getLogger(f"{__name__}.paho"))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    # --- network thread (paho) -------------------------------------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: Any,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        with self._lock:
            self._generation += 1
        if reason.is_failure:
            log.error("mqtt ingest: the broker refused the connection: %s", reason)
            return
        self._connections += 1
        if self._connections > 1 and not flags.session_present:
            log.warning(
                "mqtt ingest: the broker lost our session; messages sent meanwhile are gone"
            )
        log.info(
            "mqtt ingest: connected to %s:%d as %s (session %s)",
            self.broker.host,
            self.broker.port,
            self.client_id,
            "resumed" if flags.session_present else "new",
        )
        client.subscribe(self.subscription, options=SubscribeOptions(qos=1))

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _p: Any
    ) -> None:
        with self._lock:
            self._generation += 1
        self.subscribed.clear()
        if not self._stop.is_set():
            log.warning("mqtt ingest: connection to the broker lost (%s); reconnecting", reason)

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, codes: list[ReasonCode], _p: Any
    ) -> None:
        if any(code.is_failure for code in codes):
            log.error("mqtt ingest: subscription to %s refused: %s", self.subscription, codes)
            return
        log.info("mqtt ingest: subscribed to %s (QoS %s)", self.subscription, codes[0].value)
        self.subscribed.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._queue.put(
            Received(
                self._generation, message.mid, message.qos, message.topic, bytes(message.payload)
            )
        )

    # --- worker thread -----------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the worker to finish its batch and leave (safe from signal handlers, threads)."""
        self._stop.set()

    def run(self) -> BatchResult:
        """Receive and store until ``stop()``; returns the totals."""
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self.session_expiry
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        self._client.connect_async(
            self.broker.host, self.broker.port, keepalive=30, clean_start=False,
            properties=properties,
        )  # fmt: skip
        self._client.loop_start()
        try:
            while not self._stop.is_set():
                batch = self._next_batch(wait=0.25)
                if batch:
                    self._handle(batch)
                self._report()
            # What was already received is stored and acknowledged before leaving; what comes
            # after stays unacknowledged, for the broker to deliver to the next session.
            left = [self._queue.get_nowait() for _ in range(self._queue.qsize())]
            for start in range(0, len(left), self.batch_size):
                self._handle(left[start : start + self.batch_size])
        finally:
            self._client.disconnect()
            self._client.loop_stop()
            self._report(force=True)
        return self.totals

    def _next_batch(self, wait: float) -> list[Received]:
        try:
            first = self._queue.get(timeout=wait)
        except queue.Empty:
            return []
        batch, size = [first], len(first.payload)
        deadline = time.monotonic() + self.linger
        while len(batch) < self.batch_size and size < BATCH_BYTES:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                item = self._queue.get(timeout=min(remaining, IDLE))
            except queue.Empty:
                break
            batch.append(item)
            size += len(item.payload)
        return batch

    def _handle(self, batch: list[Received]) -> None:
        delay = RETRY_FIRST
        while True:
            try:
                result = self._write_isolating(batch)
                break
            except _INFRASTRUCTURE as exc:
                log.error("mqtt ingest: database error, retrying in %.1f s: %s", delay, exc)
                if self._stop.wait(delay):
                    # Leaving without acknowledging: the broker delivers these again.
                    return
                delay = min(delay * 2, RETRY_MAX)
        with self._lock:
            for message in batch:
                if message.qos and message.generation == self._generation:
                    self._client.ack(message.mid, message.qos)
        self.totals.add(result)
        self._interval.add(result)

    def _write(self, batch: Sequence[Received]) -> BatchResult:
        session = self.factory()
        session.info["audit"] = AuditContext(via="mqtt")
        try:
            result = store_messages(session, [(m.topic, m.payload) for m in batch])
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _write_isolating(self, batch: Sequence[Received]) -> BatchResult:
        """Write a batch; a message the database refuses is found by halving, dead-lettered."""
        try:
            return self._write(batch)
        except Exception as exc:
            if isinstance(exc, _INFRASTRUCTURE) and not isinstance(exc, _POISON):
                raise
            if len(batch) == 1:
                return self._refuse(batch[0], exc)
            result = self._write_isolating(batch[: len(batch) // 2])
            result.add(self._write_isolating(batch[len(batch) // 2 :]))
            return result

    def _refuse(self, message: Received, exc: Exception) -> BatchResult:
        log.warning("mqtt ingest: message on %s refused by the database: %s", message.topic, exc)
        session = self.factory()
        try:
            reason = f"the database refused it: {type(exc).__name__}: {exc}"
            session.add(dead_letter(message.topic, message.payload, reason))
            session.commit()
        finally:
            session.close()
        return BatchResult(messages=1, dead_letters=1)

    def _report(self, *, force: bool = False) -> None:
        elapsed = time.monotonic() - self._interval_start
        if elapsed < REPORT_EVERY and not force:
            return
        if self._interval.messages or force:
            rate = self._interval.messages / max(elapsed, 1e-9)
            log.info(
                "mqtt ingest: %.0f messages/s: %s (since start: %s)",
                rate,
                self._interval.describe(),
                self.totals.describe(),
            )
        self._interval, self._interval_start = BatchResult(), time.monotonic()


def run_mqtt_ingest(
    factory: sessionmaker[Session],
    *,
    broker: str,
    topic: str,
    client_id: str | None = None,
    share: str | None = None,
) -> BatchResult:
    """Run the ingest worker until SIGTERM or SIGINT, logging progress to stderr."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    ingest = MqttIngest(factory, broker=broker, topic=topic, client_id=client_id, share=share)
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda _signum, _frame: ingest.stop())
    return ingest.run()
