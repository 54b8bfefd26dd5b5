"""Real-time hub at scale: ingest next to the raw driver, NGSI-LD, temporal, MQTT; SQLite and PG.

For each backend (and each ``--workers`` count), in a fresh database (a temporary SQLite file, or
a ``bench_sensors_<random>`` PostgreSQL database dropped at the end): ``servicielle migrate``,
``servicielle demo``, an API token of the demo administrator for the "agglomeration"
organisation, then ``servicielle serve`` on a free port of 127.0.0.1 and these steps (``--only``):

- ``ingest``: observations through ``POST /api/sensors/observations`` (JSON arrays), 1 then 2
  concurrent clients; the same rows written with no platform in between (psycopg ``COPY`` /
  sqlite3 ``executemany`` into a bare table with the same columns and primary key);
- ``ngsild``: single creates and gets by id, sequential and with concurrent clients;
- ``batch``: batch upserts of 1,000 entities with 4 observed Properties, created then replaced;
- ``query``: ``type`` + ``q`` over 10,000 then 100,000 entities, a page and a count;
- ``temporal``: PT1H avg/min/max over 100,000 instances of one attribute;
- ``mqtt``: publish (QoS 1) to stored, with ``servicielle ingest mqtt`` as a subprocess.

Progress goes to stderr, the Markdown report to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import json
import math
import os
import platform
import random
import secrets
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import paho.mqtt.client as mqtt
import psycopg
from http_baseline import (
    HOST,
    cpu_model,
    free_port,
    log_tail,
    memory_gib,
    run_setup,
    stop,
    venv_tool,
    version,
    wait_ready,
)
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from catalog import (
    PG_ADMIN,
    PG_URL,
    duration,
    ms,
    percentile,
    progress,
    server_version,
    source_revision,
    stop_on_sigterm,
)
from servicielle.core.accounts import tokens
from servicielle.core.accounts.auth import principal_for_user
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.accounts.service import add_membership
from servicielle.core.audit import listener
from servicielle.core.db import create_db_engine
from servicielle.core.modules import get_registry
from servicielle.core.session import session_scope
from servicielle.core.territory.repository import OrganisationRepository
from servicielle.sensors.models import DeadLetter, Observation, SensorEntity
from servicielle.sensors.store import SQLITE_TIME_FORMAT

T = TypeVar("T")

WORKDIR_PREFIX = "servicielle-bench-sensors-"
DB_PREFIX = "bench_sensors_"
ADMIN_EMAIL = "admin@demo.servicielle.fr"
ORGANISATION = "agglomeration"
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
LD = "application/ld+json"
JSON = {"Content-Type": "application/json"}
STEPS = ("ingest", "ngsild", "batch", "query", "temporal", "mqtt")
OBSERVATIONS = "/api/sensors/observations"
ENTITIES = "/ngsi-ld/v1/entities"
UPSERT = "/ngsi-ld/v1/entityOperations/upsert"
TEMPORAL = "/ngsi-ld/v1/temporal/entities"
Q = 'availableSpotNumber>150;status=="open"'
WEATHER = ("temperature", "relativeHumidity", "atmosphericPressure", "windSpeed")
PARKING_STATUS = ("open", "closed", "full", "almostFull")
PARKING_WEIGHTS = (70, 10, 10, 10)
OBSERVATION_STEP = dt.timedelta(minutes=1)
INSTANCE_STEP = dt.timedelta(seconds=10)
UPSERT_BATCH = 1000
WARMUP = 10
PROBE_TIMEOUT = 30.0
# Messages the MQTT publisher may be ahead of the database (under Mosquitto's 1,000).
MQTT_WINDOW = 900
STALL_TIMEOUT = 30.0
RAW_TABLE = "bench_raw_observations"
AFTER_ANALYZE = " after ANALYZE"

# name: (full size, --small size, help). Lists are comma-separated on the command line.
SIZES: dict[str, tuple[Any, Any, str]] = {
    "observations": (1_000_000, 20_000, "observations posted per ingest run"),
    "ingest_batch": (50_000, 5000, "observations per ingest request (at most 100,000)"),
    "ingest_entities": (1000, 100, "entities the ingested observations belong to"),
    "ingest_clients": ((1, 2), (1, 2), "concurrent posting clients of each ingest run"),
    "creates": (2000, 100, "single NGSI-LD creates per mode (sequential, concurrent)"),
    "gets": (2000, 200, "gets by id per mode (sequential, concurrent)"),
    "concurrency": (4, 4, "concurrent clients of the NGSI-LD create and get runs"),
    "batch_size": (1000, 200, "entities per batch upsert (at most 1,000)"),
    "batch_requests": (5, 2, "batch upserts timed creating, then as many updating"),
    "query_entities": ((10_000, 100_000), (500, 1500), "entity counts where type + q is timed"),
    "query_requests": (50, 10, "measured requests per query kind and size"),
    "instances": (100_000, 5000, "observations of the one attribute aggregated by time"),
    "temporal_requests": (50, 10, "measured temporal requests"),
    "mqtt_messages": (100_000, 2000, "MQTT messages published (one observation each)"),
    "mqtt_entities": (100, 20, "entities the MQTT observations belong to"),
}
ANCHORS = (
    "ingest goal (the issue): the platform at half the raw speed or better, and at least "
    "50,000 observations/s into PostgreSQL on 2 cores",
    "Orion 0.14 (NGSIv2, MongoDB, index on `_id.id`) on 2 vCPU Xeon E5620: creates 640–785/s "
    "(≈ 700), gets by id 2,190–2,270/s (≈ 2,200) (Orion-LD `indexes_analysis.md`)",
    "Orion-LD with TRoE: ≈ 15 s per upsert request of 2,000 entities, batches capped at 1,000 "
    "(FIWARE/context.Orion-LD#1951)",
    "Stellio on 8 vCPU: type + q p95 311 ms (≤ 10k entities), 1,350 ms (100k); temporal "
    "aggregation p95 321 ms over 100k instances (Stellio performance page)",
    "Mosquitto 2.0.15, the broker's own limit: 37.3k msg/s point to point, QoS 1, 16-byte "
    "payloads, on a 16 vCPU c5.4xlarge (EMQ's benchmark)",
    "targets of realtime.md §5 (2 cores): create p95 < 100 ms at ≥ 300 req/s; get by id p95 < "
    "20 ms; batch upsert of 1,000 < 1 s with history; type + q over 100k p95 < 300 ms; PT1H "
    "avg/min/max over 100k instances p95 < 300 ms; ingest ≥ 5,000 obs/s via MQTT",
)


class NotAvailable(Exception):
    """The platform does not offer what a step measures (yet)."""


@dataclass(frozen=True)
class Options:
    """What the command line asked for."""

    backends: tuple[str, ...]
    workers: tuple[int, ...]
    only: tuple[str, ...]
    broker: str
    seed: int
    small: bool
    observations: int
    ingest_batch: int
    ingest_entities: int
    ingest_clients: tuple[int, ...]
    creates: int
    gets: int
    concurrency: int
    batch_size: int
    batch_requests: int
    query_entities: tuple[int, ...]
    query_requests: int
    instances: int
    temporal_requests: int
    mqtt_messages: int
    mqtt_entities: int


def int_list(raw: str) -> tuple[int, ...]:
    """``"1,2"`` → ``(1, 2)``."""
    try:
        return tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas: {raw}") from None


def parse_args(argv: Sequence[str] | None) -> Options:
    """Read the command line; sizes not given come from the full or the --small preset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int_list, default=(1,), help="uvicorn workers, e.g. 1,2")
    parser.add_argument("--only", default=",".join(STEPS), help="steps: " + ",".join(STEPS))
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883", help="MQTT broker")
    parser.add_argument("--seed", type=int, default=20261122, help="seed of every generated value")
    parser.add_argument("--small", action="store_true", help="small sizes: a 1–2 minute check")
    for name, (full, small, text) in SIZES.items():
        listed = isinstance(full, tuple)
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=int_list if listed else int,
            default=None,
            help=f"{text} ({','.join(map(str, full)) if listed else full}; --small: "
            f"{','.join(map(str, small)) if listed else small})",
        )
    args = parser.parse_args(argv)
    sizes = {
        name: getattr(args, name) or (small if args.small else full)
        for name, (full, small, _text) in SIZES.items()
    }
    only = tuple(step.strip() for step in args.only.split(",") if step.strip())
    unknown = sorted(set(only) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps {unknown}; choose among {', '.join(STEPS)}")
    for name, value in (*sizes.items(), ("workers", args.workers)):
        values = value if isinstance(value, tuple) else (value,)
        if not values or min(values) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if sizes["ingest_batch"] > 100_000:
        parser.error("--ingest-batch is at most 100,000 (the server's sensors_batch_max_rows)")
    if sizes["batch_size"] > UPSERT_BATCH:
        parser.error("--batch-size is at most 1,000 (NGSI-LD batch cap)")
    if list(sizes["query_entities"]) != sorted(set(sizes["query_entities"])):
        parser.error("--query-entities must be increasing")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    return Options(
        backends=backends,
        workers=args.workers,
        only=only,
        broker=args.broker,
        seed=args.seed,
        small=args.small,
        **sizes,
    )


# --- generated entities and observations -----------------------------------------------------


def z(instant: dt.datetime) -> str:
    """An instant as NGSI-LD clients write it (UTC, Z, whole seconds)."""
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def location(rng: random.Random) -> dict[str, Any]:
    """A point in the Rochefort area."""
    lon, lat = -1.05 + rng.random() * 0.25, 45.85 + rng.random() * 0.15
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}


def weather_value(attribute: str, rng: random.Random) -> float:
    """A plausible reading of a WeatherObserved attribute, within the model's bounds."""
    if attribute == "temperature":
        return round(rng.uniform(-5, 35), 2)
    if attribute == "relativeHumidity":
        return round(rng.random(), 3)
    if attribute == "atmosphericPressure":
        return round(rng.uniform(980, 1040), 1)
    return round(rng.uniform(0, 25), 1)


def observed(value: Any, instant: dt.datetime) -> dict[str, Any]:
    """A Property with observedAt: the platform writes its history."""
    return {"type": "Property", "value": value, "observedAt": z(instant)}


def weather_entity(entity_id: str, rng: random.Random, instant: dt.datetime) -> dict[str, Any]:
    """A WeatherObserved with 4 observed Properties."""
    attrs = {name: observed(weather_value(name, rng), instant) for name in WEATHER}
    return {"id": entity_id, "type": "WeatherObserved", **attrs, "location": location(rng)}


def bare_weather_entity(entity_id: str, rng: random.Random) -> dict[str, Any]:
    """A WeatherObserved whose temperature has no observedAt: it starts with no history."""
    return {
        "id": entity_id,
        "type": "WeatherObserved",
        "temperature": {"type": "Property", "value": weather_value("temperature", rng)},
        "location": location(rng),
    }


def waste_entity(entity_id: str, rng: random.Random, instant: dt.datetime) -> dict[str, Any]:
    """A small WasteContainer: one observed Property, a status, a location."""
    return {
        "id": entity_id,
        "type": "WasteContainer",
        "fillingLevel": observed(round(rng.random(), 2), instant),
        "status": {"type": "Property", "value": "ok"},
        "location": location(rng),
        "@context": [CORE],
    }


@dataclass(frozen=True)
class Parking:
    """What one generated car park reports."""

    free: int
    total: int
    status: str

    def matches(self) -> bool:
        """Whether the benchmark's ``q`` selects it."""
        return self.free > 150 and self.status == "open"


def parkings(count: int, rng: random.Random) -> list[Parking]:
    """``count`` car parks, a fixed share of them open with more than 150 free spots."""
    return [
        Parking(rng.randint(0, 300), 300, rng.choices(PARKING_STATUS, weights=PARKING_WEIGHTS)[0])
        for _ in range(count)
    ]


def parking_entity(
    number: int, parking: Parking, rng: random.Random, instant: dt.datetime
) -> dict[str, Any]:
    """An OffStreetParking in normalized form."""
    return {
        "id": f"urn:ngsi-ld:OffStreetParking:bench-{number:06d}",
        "type": "OffStreetParking",
        "name": {"type": "Property", "value": f"Parking {number}"},
        "availableSpotNumber": observed(parking.free, instant),
        "totalSpotNumber": {"type": "Property", "value": parking.total},
        "status": {"type": "Property", "value": parking.status},
        "location": location(rng),
    }


def ld_body(entities: Sequence[dict[str, Any]]) -> bytes:
    """A batch body in application/ld+json: each entity carries the core context."""
    return json.dumps([{**e, "@context": [CORE]} for e in entities]).encode()


@dataclass(frozen=True)
class IngestPlan:
    """The observation rows of the ingest runs: run ``r`` is newer than run ``r - 1``.

    Row ``n`` of a run belongs to entity ``n % E``, attribute ``(n // E) % 4``, time slot
    ``n // (4 E)``: every request touches every entity, as a gateway's upload would.
    """

    entity_ids: tuple[str, ...]
    total: int
    batch: int
    start: dt.datetime
    seed: int

    @property
    def batches(self) -> int:
        """Requests per run."""
        return math.ceil(self.total / self.batch)

    @property
    def slots(self) -> int:
        """Time slots per run."""
        return math.ceil(self.total / (len(self.entity_ids) * len(WEATHER)))

    def rows(self, run: int, batch: int) -> list[tuple[int, str, dt.datetime, float]]:
        """(entity index, attribute, observedAt, value) of one request."""
        rng = random.Random(f"{self.seed}-{run}-{batch}")
        count = len(self.entity_ids)
        rows = []
        for n in range(batch * self.batch, min(self.total, (batch + 1) * self.batch)):
            attribute = WEATHER[(n // count) % len(WEATHER)]
            slot = run * self.slots + n // (count * len(WEATHER))
            instant = self.start + slot * OBSERVATION_STEP
            rows.append((n % count, attribute, instant, weather_value(attribute, rng)))
        return rows

    def body(self, run: int, batch: int) -> bytes:
        """The JSON array of one request."""
        return json.dumps(
            [
                {"entity": self.entity_ids[e], "attribute": a, "value": v, "observedAt": z(at)}
                for e, a, at, v in self.rows(run, batch)
            ],
            separators=(",", ":"),
        ).encode()


# --- HTTP load -------------------------------------------------------------------------------


@dataclass
class Timing:
    """Latencies of the requests of one run and its wall time."""

    latencies: list[float]
    wall: float
    failures: list[str]

    @property
    def rate(self) -> float:
        """Requests per second over the wall time."""
        return len(self.latencies) / self.wall if self.wall else 0.0

    def p(self, fraction: float) -> float:
        """A nearest-rank percentile of the latencies."""
        return percentile(self.latencies, fraction) if self.latencies else 0.0

    def summary(self) -> str:
        """Rate and percentiles for the table, and how many requests failed."""
        shown = f"{self.rate:,.0f} req/s, p50 {ms(self.p(0.5))}, p95 {ms(self.p(0.95))}"
        if self.failures:
            shown += f" (**{len(self.failures)} of {len(self.latencies)} failed**)"
        return shown


def drive(
    items: Sequence[T],
    send: Callable[[httpx.Client, T], str | None],
    clients: int,
    make_client: Callable[[], httpx.Client],
) -> Timing:
    """Send every item once, from ``clients`` threads with a connection each (closed loop).

    ``send`` answers None on success, else what went wrong; a connection error is a failed
    request too. Any other exception stops the run.
    """
    cancel = threading.Event()
    positions = itertools.count()
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client_loop() -> None:
        with make_client() as client:
            while not cancel.is_set():
                index = next(positions)
                if index >= len(items):
                    return
                sent = time.perf_counter()
                try:
                    problem = send(client, items[index])
                except httpx.TransportError as exc:
                    # A server that drops the connection fails this request, not the run.
                    problem = f"{type(exc).__name__}: {exc}"
                elapsed = time.perf_counter() - sent
                with lock:
                    latencies.append(elapsed)
                    if problem:
                        failures.append(problem)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(client_loop) for _ in range(clients)]
        try:
            for future in futures:
                future.result()
        finally:
            # Ctrl-C or a failed client: the others stop after their current request.
            cancel.set()
    return Timing(latencies, time.perf_counter() - started, failures)


def answer_problem(response: httpx.Response, *expected: int) -> str | None:
    """None when the status is expected, else the status and the start of the body."""
    if response.status_code in expected:
        return None
    return (
        f"{response.request.method} {response.request.url.path}: {response.status_code} "
        + (response.text[:300])
    )


# --- databases, processes --------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(backend: str, workdir: Path) -> Iterator[str]:
    """The URL of an empty database, removed afterwards (also on failure or Ctrl-C)."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'sensors.db'}"
        return
    name = f"{DB_PREFIX}{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    progress(f"created PostgreSQL database {name}")
    try:
        yield PG_URL.format(name=name)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        progress(f"dropped PostgreSQL database {name}")


def setup_command(command: list[str], env: dict[str, str], cwd: Path) -> None:
    """A servicielle command run to completion; a failure is an exception, not an exit."""
    try:
        run_setup(command, env, cwd)
    except SystemExit as exc:
        raise RuntimeError(str(exc)) from None


def admin_token(engine: Engine) -> str:
    """An API token of the demo administrator, made a member of the agglomeration."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with session_scope(factory, via="bench") as session:
        user = UserRepository(session).by_email(ADMIN_EMAIL)
        organisation = OrganisationRepository(session).by_slug(ORGANISATION)
        if user is None or organisation is None:
            raise RuntimeError(f"the demo has no {ADMIN_EMAIL} or no {ORGANISATION}")
        # A token speaks for its organisation only while its user is a member of it.
        add_membership(session, user=user, organisation_id=organisation.id)
        _token, secret = tokens.create_token(
            session, principal_for_user(user), name="bench", organisation_id=organisation.id
        )
    return str(secret)


@contextlib.contextmanager
def background(
    command: list[str], env: dict[str, str], cwd: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A process in a group of its own, its output in ``log``; always stopped afterwards."""
    progress(f"$ {shlex.join(command)}  (log: {log})")
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop(process)


def group_peak_rss(group: int) -> str:
    """High-water marks of resident memory of the processes of a group (server + workers)."""
    peaks = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != group:
                continue
            for line in (stat.parent / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except (OSError, ValueError, IndexError):
            continue
    if not peaks:
        return "unknown"
    return " + ".join(f"{p:,.0f}" for p in sorted(peaks, reverse=True)) + " MiB"


def raw_postgresql(url: str, batches: Iterable[list[tuple[Any, ...]]]) -> tuple[float, int]:
    """Seconds spent by ``COPY`` + commit per batch into a bare table, and the rows it holds."""
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    spent = 0.0
    with psycopg.connect(conninfo) as connection:
        connection.execute(
            f"CREATE TABLE {RAW_TABLE} (entity_pk integer NOT NULL, "
            "attribute varchar(120) NOT NULL, observed_at timestamptz NOT NULL, "
            "value_num double precision, value_text text, value_json jsonb, "
            "PRIMARY KEY (entity_pk, attribute, observed_at))"
        )
        connection.commit()
        for rows in batches:
            started = time.perf_counter()
            with (
                connection.cursor() as cursor,
                cursor.copy(
                    f"COPY {RAW_TABLE} (entity_pk, attribute, observed_at, value_num, value_text, "
                    "value_json) FROM STDIN"
                ) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            connection.commit()
            spent += time.perf_counter() - started
        stored = connection.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()
    return spent, int(stored[0] if stored else 0)


def raw_sqlite(path: Path, batches: Iterable[list[tuple[Any, ...]]]) -> tuple[float, int]:
    """Seconds spent by ``executemany`` + commit per batch, with the platform's pragmas."""
    connection = sqlite3.connect(path, isolation_level=None)
    spent = 0.0
    try:
        # The pragmas of servicielle.core.db._sqlite_on_connect.
        for pragma in ("foreign_keys=ON", "busy_timeout=10000", "journal_mode=WAL"):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(
            f"CREATE TABLE {RAW_TABLE} (entity_pk INTEGER NOT NULL, "
            "attribute VARCHAR(120) NOT NULL, observed_at DATETIME NOT NULL, "
            "value_num FLOAT, value_text TEXT, value_json JSON, "
            "PRIMARY KEY (entity_pk, attribute, observed_at))"
        )
        for rows in batches:
            started = time.perf_counter()
            connection.execute("BEGIN")
            connection.executemany(
                f"INSERT INTO {RAW_TABLE} (entity_pk, attribute, observed_at, value_num, "
                "value_text, value_json) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            connection.execute("COMMIT")
            spent += time.perf_counter() - started
        stored = connection.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]
    finally:
        connection.close()
    return spent, int(stored)


def mqtt_client(client_id: str) -> mqtt.Client:
    """A paho client (MQTT 3.1.1, clean session)."""
    return mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=True,
        protocol=mqtt.MQTTv311,
    )


def forget_mqtt_session(host: str, port: int, client_id: str) -> None:
    """Drop the persistent session the ingest worker left on the broker."""
    client = mqtt_client(client_id)
    with contextlib.suppress(OSError):
        client.connect(host, port)
        client.loop_start()
        deadline = time.monotonic() + 5
        while not client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.05)
        client.disconnect()
        client.loop_stop()


# --- one backend -----------------------------------------------------------------------------


@dataclass
class BackendRun:
    """Everything measured on one backend with one worker count."""

    name: str
    workers: int
    server_version: str = ""
    figures: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)


class Bench:
    """The measurements of one backend, in a working directory of its own."""

    def __init__(
        self, backend: str, workers: int, options: Options, workdir: Path, url: str
    ) -> None:
        self.options = options
        self.workers = workers
        self.workdir = workdir
        self.url = url
        self.run = BackendRun(backend, workers)
        self.env = {
            **os.environ,
            "SERVICIELLE_DATABASE_URL": url,
            "SERVICIELLE_DATA_DIR": str(workdir / "files"),
        }
        self.engine = create_db_engine(url)
        self.servicielle = venv_tool("servicielle")
        self.token = ""
        self.port = 0
        self.server: subprocess.Popen[bytes] | None = None
        # Every generated instant is before this one: observedAt may not be in the future.
        now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        self.now = now - dt.timedelta(minutes=2)

    # bookkeeping

    def figure(self, key: str, shown: str, number: float | None = None) -> None:
        self.run.figures[key] = shown
        if number is not None:
            self.run.numbers[key] = number

    def attempt(self, step: str, function: Callable[[], None]) -> bool:
        """Run one step; on failure keep its traceback as an anomaly and go on."""
        try:
            function()
        except NotAvailable as exc:
            progress(f"{self.label}: {step} not available: {exc}")
            self.run.missing.append(f"{step}: {exc}")
            return False
        except Exception:
            trace = traceback.format_exc()
            if self.server is not None:
                trace += "\nserver log, last lines:\n" + log_tail(self.workdir / "server.log", 15)
            progress(f"{self.label}: {step} FAILED\n{trace}")
            self.run.anomalies.append(f"{step}: {trace.strip().splitlines()[-1]}\n{trace}")
            return False
        return True

    def failures(self, step: str, problems: Sequence[str]) -> None:
        if problems:
            listed = "; ".join(problems[:3])
            self.run.anomalies.append(f"{step}: {len(problems)} failed requests, e.g. {listed}")

    @property
    def label(self) -> str:
        return f"{self.run.name} ({self.workers} worker{'s' if self.workers > 1 else ''})"

    # setup and server

    def setup(self) -> None:
        setup_command([self.servicielle, "migrate"], self.env, self.workdir)
        setup_command([self.servicielle, "demo"], self.env, self.workdir)
        # As the CLI does: every model known, the audit log listening.
        get_registry().import_models()
        listener.install()
        self.token = admin_token(self.engine)
        self.run.server_version = server_version(self.engine)

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        self.port = free_port()
        command = [self.servicielle, "serve", "--host", HOST, "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        log = self.workdir / "server.log"
        with background(command, self.env, self.workdir, log) as self.server:
            try:
                wait_ready(self.server, self.port, log)
            except SystemExit as exc:
                raise RuntimeError(str(exc)) from None
            try:
                yield
            finally:
                self.figure("rss", group_peak_rss(self.server.pid))
        if self.server.returncode not in (0, -signal.SIGTERM, None):
            self.run.anomalies.append(
                f"server exited with {self.server.returncode}:\n{log_tail(log)}"
            )

    def client(self, timeout: float = 120.0) -> httpx.Client:
        return httpx.Client(
            base_url=f"http://{HOST}:{self.port}",
            timeout=timeout,
            headers={"Authorization": f"Bearer {self.token}"},
        )

    def drive(
        self,
        items: Sequence[T],
        send: Callable[[httpx.Client, T], str | None],
        clients: int,
        timeout: float = 120.0,
    ) -> Timing:
        return drive(items, send, clients, lambda: self.client(timeout))

    def upsert(self, client: httpx.Client, body: bytes, *expected: int) -> float:
        """Seconds of one batch upsert; an unexpected answer stops the step."""
        started = time.perf_counter()
        response = client.post(UPSERT, content=body, headers={"Content-Type": LD})
        elapsed = time.perf_counter() - started
        problem = answer_problem(response, *(expected or (201, 204)))
        if problem:
            raise RuntimeError(problem)
        return elapsed

    def upsert_all(self, client: httpx.Client, entities: Sequence[dict[str, Any]]) -> float:
        """Upsert entities in batches of 1,000; the seconds it took."""
        spent = 0.0
        for first in range(0, len(entities), UPSERT_BATCH):
            spent += self.upsert(client, ld_body(entities[first : first + UPSERT_BATCH]))
        return spent

    def post_rows(self, client: httpx.Client, rows: Sequence[dict[str, Any]]) -> float:
        """Seconds to post rows through the ingest endpoint in batches; all must be stored."""
        spent = 0.0
        for start in range(0, len(rows), self.options.ingest_batch):
            part = rows[start : start + self.options.ingest_batch]
            sent = time.perf_counter()
            response = client.post(OBSERVATIONS, content=json.dumps(part).encode(), headers=JSON)
            spent += time.perf_counter() - sent
            problem = answer_problem(response, 200)
            if problem or response.json()["stored"] != len(part):
                raise RuntimeError(problem or f"{len(part)} rows posted: {response.text[:300]}")
        return spent

    def pks(self, prefix: str) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(SensorEntity.id, SensorEntity.pk).where(SensorEntity.id.startswith(prefix))
            )
            return {entity_id: pk for entity_id, pk in rows}

    def stored(self, pks: Iterable[int], attribute: str) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.scalar(
                    select(func.count())
                    .select_from(Observation)
                    .where(Observation.attribute == attribute, Observation.entity_pk.in_(pks))
                )
                or 0
            )

    # 1. ingest

    def step_ingest(self) -> None:
        o = self.options
        ids = tuple(f"urn:ngsi-ld:WeatherObserved:ingest-{n:05d}" for n in range(o.ingest_entities))
        slots = math.ceil(o.observations / (len(ids) * len(WEATHER)))
        start = self.now - len(o.ingest_clients) * slots * OBSERVATION_STEP
        plan = IngestPlan(ids, o.observations, o.ingest_batch, start, o.seed)
        rng = random.Random(f"{o.seed}-ingest")
        # Created before every row, so that each run moves the latest values forward.
        entities = [weather_entity(i, rng, start - OBSERVATION_STEP) for i in ids]
        with self.client(timeout=600) as client:
            spent = self.upsert_all(client, entities)
        self.figure("ingest_setup", f"{duration(spent)} ({len(ids) / spent:,.0f} entities/s)")
        for run, clients in enumerate(o.ingest_clients):
            progress(f"{self.label}: ingest run {run + 1}, {clients} client(s)")
            self.attempt(f"ingest, {clients} clients", partial(self.ingest, plan, run, clients))
        progress(f"{self.label}: raw limit")
        self.attempt("raw limit", lambda: self.raw_limit(plan))
        for run in range(len(o.ingest_clients)):
            ours, raw = self.run.numbers.get(f"ingest_{run}"), self.run.numbers.get("raw")
            if ours and raw:
                self.figure(f"ratio_{run}", f"{ours / raw:.2f}", ours / raw)

    def ingest(self, plan: IngestPlan, run: int, clients: int) -> None:
        bodies = [plan.body(run, batch) for batch in range(plan.batches)]
        answers: list[dict[str, Any]] = []

        def send(client: httpx.Client, body: bytes) -> str | None:
            response = client.post(OBSERVATIONS, content=body, headers=JSON)
            problem = answer_problem(response, 200)
            if problem is None:
                answers.append(response.json())
            return problem

        timing = self.drive(bodies, send, clients, timeout=600)
        stored = sum(int(a["stored"]) for a in answers)
        duplicates = sum(int(a["duplicates"]) for a in answers)
        rejected = [r for a in answers for r in a.get("rejections", [])]
        rate = stored / timing.wall
        self.figure(
            f"ingest_{run}",
            f"{rate:,.0f} obs/s ({stored:,} in {duration(timing.wall)}; request of "
            f"{plan.batch:,} rows p50 {duration(timing.p(0.5))}, p95 {duration(timing.p(0.95))})"
            + (f" (**{len(timing.failures)} requests failed**)" if timing.failures else ""),
            rate,
        )
        self.run.checks.append(
            f"ingest run {run + 1} ({clients} clients): {stored:,} stored, {duplicates:,} "
            f"duplicates, {sum(int(a['rejected']) for a in answers):,} rejected of "
            f"{plan.total:,} sent"
        )
        self.failures(f"ingest, {clients} clients", timing.failures)
        if stored != plan.total and not timing.failures:
            first = rejected[0] if rejected else "none listed"
            self.run.anomalies.append(
                f"ingest run {run + 1}: {stored:,} stored of {plan.total:,}; first rejection "
                f"{first}"
            )

    def raw_limit(self, plan: IngestPlan) -> None:
        pks = self.pks("urn:ngsi-ld:WeatherObserved:ingest-")
        by_index = [pks[entity_id] for entity_id in plan.entity_ids]
        sqlite = self.run.name == "sqlite"

        def batches() -> Iterator[list[tuple[Any, ...]]]:
            # Built before each timed write: the driver's work only is measured.
            for batch in range(plan.batches):
                yield [
                    (
                        by_index[e],
                        attribute,
                        at.strftime(SQLITE_TIME_FORMAT) if sqlite else at,
                        value,
                        None,
                        None,
                    )
                    for e, attribute, at, value in plan.rows(0, batch)
                ]

        if sqlite:
            spent, stored = raw_sqlite(self.workdir / "raw.db", batches())
            how = "sqlite3 `executemany` + commit per batch, WAL, synchronous=NORMAL"
        else:
            spent, stored = raw_postgresql(self.url, batches())
            how = f"psycopg `COPY` + commit per batch, unpartitioned table `{RAW_TABLE}`"
        rate = plan.total / spent
        self.figure("raw", f"{rate:,.0f} obs/s ({stored:,} in {duration(spent)}; {how})", rate)
        if stored != plan.total:
            self.run.anomalies.append(f"raw limit: {stored:,} rows stored of {plan.total:,}")

    # 2. NGSI-LD single requests

    def step_ngsild(self) -> None:
        o = self.options
        rng = random.Random(f"{o.seed}-ngsild")
        instant = self.now - dt.timedelta(minutes=10)

        def body(number: int) -> bytes:
            entity_id = f"urn:ngsi-ld:WasteContainer:single-{number:06d}"
            return json.dumps(waste_entity(entity_id, rng, instant)).encode()

        bodies = [body(n) for n in range(WARMUP + 2 * o.creates)]
        created: list[str] = []

        def create(client: httpx.Client, payload: bytes) -> str | None:
            response = client.post(ENTITIES + "/", content=payload, headers={"Content-Type": LD})
            problem = answer_problem(response, 201)
            if problem is None:
                created.append(response.headers["location"].rsplit("/", 1)[1])
            return problem

        def get(client: httpx.Client, entity_id: str) -> str | None:
            response = client.get(f"{ENTITIES}/{entity_id}", headers={"Accept": LD})
            problem = answer_problem(response, 200)
            if problem is None and response.json().get("id") != entity_id:
                return f"GET {entity_id} answered another entity"
            return problem

        self.drive(bodies[:WARMUP], create, 1)
        halves = (bodies[WARMUP : WARMUP + o.creates], bodies[WARMUP + o.creates :])
        for key, clients, part in (
            ("creates_1", 1, halves[0]),
            ("creates_n", o.concurrency, halves[1]),
        ):
            progress(f"{self.label}: {len(part)} creates, {clients} client(s)")
            timing = self.drive(part, create, clients)
            self.figure(key, timing.summary(), timing.rate)
            self.failures(f"creates, {clients} clients", timing.failures)
        if not created:
            raise RuntimeError("no entity was created")
        targets = rng.choices(created, k=o.gets)
        self.drive(targets[:WARMUP], get, 1)
        for key, clients in (("gets_1", 1), ("gets_n", o.concurrency)):
            progress(f"{self.label}: {len(targets)} gets by id, {clients} client(s)")
            timing = self.drive(targets, get, clients)
            self.figure(key, timing.summary(), timing.rate)
            self.failures(f"gets, {clients} clients", timing.failures)

    # 3. batch upserts

    def step_batch(self) -> None:
        o = self.options
        rng = random.Random(f"{o.seed}-batch")
        ids = [
            [f"urn:ngsi-ld:WeatherObserved:batch-{r}-{n:04d}" for n in range(o.batch_size)]
            for r in range(o.batch_requests)
        ]
        phases = (
            ("batch_create", self.now - dt.timedelta(hours=2), (201,)),
            ("batch_update", self.now - dt.timedelta(hours=1), (204,)),
        )
        with self.client(timeout=600) as client:
            self.upsert(
                client, ld_body([weather_entity("urn:ngsi-ld:WeatherObserved:warm", rng, self.now)])
            )
            for key, instant, expected in phases:
                bodies = [
                    ld_body([weather_entity(i, rng, instant) for i in batch]) for batch in ids
                ]
                progress(f"{self.label}: {key}, {len(bodies)} requests of {o.batch_size}")
                times = [self.upsert(client, body, *expected) for body in bodies]
                median = statistics.median(times)
                self.figure(
                    key,
                    f"{duration(median)} per request (min {duration(min(times))}, max "
                    f"{duration(max(times))}); {o.batch_size / median:,.0f} entities/s, "
                    f"{o.batch_size * len(WEATHER) / median:,.0f} observed values/s",
                    median,
                )
        pks = self.pks("urn:ngsi-ld:WeatherObserved:batch-")
        history = self.stored(pks.values(), WEATHER[0])
        expected_rows = 2 * o.batch_requests * o.batch_size
        self.run.checks.append(
            f"batch: {history:,} `{WEATHER[0]}` history rows ({expected_rows:,} expected)"
        )
        if history != expected_rows:
            self.run.anomalies.append(f"batch: {history:,} history rows, not {expected_rows:,}")

    # 4. type + q

    def step_query(self) -> None:
        o = self.options
        rng = random.Random(f"{o.seed}-query")
        cars = parkings(o.query_entities[-1], rng)
        instant = self.now - dt.timedelta(minutes=30)
        loaded = 0
        spent = 0.0
        with self.client(timeout=600) as client:
            for size in o.query_entities:
                progress(f"{self.label}: loading car parks up to {size:,}")
                entities = [parking_entity(n, cars[n], rng, instant) for n in range(loaded, size)]
                part = self.upsert_all(client, entities)
                spent += part
                # The rate of the last part tells whether upserts slow down as the table grows.
                self.figure(
                    f"query_load_{size}",
                    f"{duration(spent)} in all; {(size - loaded) / part:,.0f} entities/s from "
                    f"{loaded:,} to {size:,}",
                )
                loaded = size
                expected = sum(1 for car in cars[:size] if car.matches())
                self.attempt(f"type + q over {size:,}", partial(self.query, client, size, expected))
            # Right after a bulk load the planner has no statistics unless autovacuum ran (the
            # report says whether it is on); the second pass shows what they change.
            started = time.perf_counter()
            with self.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
            self.figure("analyze", duration(time.perf_counter() - started))
            self.query(client, loaded, expected, AFTER_ANALYZE)

    def query(self, client: httpx.Client, size: int, expected: int, stage: str = "") -> None:
        base = {"type": "OffStreetParking", "q": Q}
        page = {**base, "limit": "100"}
        count = {**base, "count": "true", "limit": "0"}
        counted: list[str] = []

        def send(params: dict[str, str]) -> Callable[[httpx.Client, int], str | None]:
            def one(c: httpx.Client, _n: int) -> str | None:
                response = c.get(ENTITIES, params=params, headers={"Accept": "application/json"})
                problem = answer_problem(response, 200)
                if problem is None and "count" in params:
                    counted.append(response.headers.get("NGSILD-Results-Count", "absent"))
                elif problem is None and len(response.json()) != min(100, expected):
                    return f"a page of {len(response.json())} entities, not {min(100, expected)}"
                return problem

            return one

        for key, params in (
            (f"query_page_{size}{stage}", page),
            (f"query_count_{size}{stage}", count),
        ):
            self.drive(range(3), send(params), 1)
            timing = self.drive(range(self.options.query_requests), send(params), 1)
            self.figure(key, f"p50 {ms(timing.p(0.5))}, p95 {ms(timing.p(0.95))}", timing.p(0.95))
            self.failures(key, timing.failures)
        wrong = sorted({c for c in counted if c != str(expected)})
        self.run.checks.append(
            f"type + q over {size:,}{stage}: NGSILD-Results-Count "
            f"{counted[-1] if counted else '—'} "
            f"({expected:,} expected)"
        )
        if wrong:
            self.run.anomalies.append(
                f"type + q over {size:,}{stage}: counts {wrong}, not {expected}"
            )

    # 5. temporal aggregation

    def step_temporal(self) -> None:
        o = self.options
        entity_id = "urn:ngsi-ld:WeatherObserved:temporal"
        rng = random.Random(f"{o.seed}-temporal")
        with self.client(timeout=600) as client:
            self.upsert(client, ld_body([bare_weather_entity(entity_id, rng)]))
            probe = client.get(f"{TEMPORAL}/{entity_id}", params={"attrs": "temperature"})
            if probe.status_code == 404:
                raise NotAvailable(
                    f"GET {TEMPORAL}/{{id}} answers 404 for an entity that exists: "
                    f"{probe.text[:200]}"
                )
            if probe.status_code != 200:
                raise RuntimeError(answer_problem(probe, 200))
            first = self.now - o.instances * INSTANCE_STEP
            instants = [first + n * INSTANCE_STEP for n in range(o.instances)]
            values = [weather_value("temperature", rng) for _ in instants]
            rows = [
                {"entity": entity_id, "attribute": "temperature", "value": v, "observedAt": z(at)}
                for at, v in zip(instants, values, strict=True)
            ]
            spent = self.post_rows(client, rows)
        self.figure("temporal_load", f"{duration(spent)} ({o.instances / spent:,.0f} obs/s)")
        hour_start = first.replace(minute=0, second=0)
        params = {
            "attrs": "temperature",
            "options": "aggregatedValues",
            "aggrMethods": "avg,min,max",
            "aggrPeriodDuration": "PT1H",
            "timerel": "between",
            "timeAt": z(hour_start),
            "endTimeAt": z(self.now + dt.timedelta(minutes=1)),
        }
        answers: list[dict[str, Any]] = []

        def send(client: httpx.Client, _n: int) -> str | None:
            response = client.get(f"{TEMPORAL}/{entity_id}", params=params)
            problem = answer_problem(response, 200)
            if problem is None:
                answers.append(response.json())
            return problem

        self.drive(range(3), send, 1)
        timing = self.drive(range(o.temporal_requests), send, 1)
        self.figure(
            "temporal", f"p50 {ms(timing.p(0.5))}, p95 {ms(timing.p(0.95))}", timing.p(0.95)
        )
        self.failures("temporal", timing.failures)
        if answers:
            self.check_buckets(answers[-1], instants, values)

    def check_buckets(
        self, answer: dict[str, Any], instants: list[dt.datetime], values: list[float]
    ) -> None:
        hours = len({at.replace(minute=0, second=0) for at in instants})
        attribute = answer.get("temperature") or {}
        buckets = {m: attribute.get(m) or [] for m in ("avg", "min", "max")}
        low = min((b[0] for b in buckets["min"]), default=None)
        high = max((b[0] for b in buckets["max"]), default=None)
        self.run.checks.append(
            f"temporal: {len(buckets['avg'])} PT1H buckets ({hours} expected), min {low} max "
            f"{high} ({min(values)} and {max(values)} sent)"
        )
        if len(buckets["avg"]) != hours or low != min(values) or high != max(values):
            self.run.anomalies.append("temporal: the aggregates do not match what was sent")

    # 6. MQTT

    def step_mqtt(self) -> None:
        o = self.options
        broker = urlsplit(o.broker)
        host, port = broker.hostname or HOST, broker.port or 1883
        rng = random.Random(f"{o.seed}-mqtt")
        ids = [f"urn:ngsi-ld:WeatherObserved:mqtt-{n:04d}" for n in range(o.mqtt_entities)]
        first = self.now - math.ceil(o.mqtt_messages / len(ids)) * dt.timedelta(seconds=1)
        # No history at creation: every row of these entities then comes through MQTT.
        with self.client() as client:
            self.upsert_all(client, [bare_weather_entity(i, rng) for i in ids])
        pks = list(self.pks("urn:ngsi-ld:WeatherObserved:mqtt-").values())
        payloads = [
            json.dumps(
                {
                    "entity": ids[n % len(ids)],
                    "attribute": "temperature",
                    "value": weather_value("temperature", rng),
                    "observedAt": z(first + (n // len(ids)) * dt.timedelta(seconds=1)),
                }
            ).encode()
            for n in range(o.mqtt_messages)
        ]
        tag = secrets.token_hex(4)
        topic, worker_id = f"bench/servicielle/{tag}/observations", f"bench-sensors-{tag}"
        command = [self.servicielle, "ingest", "mqtt", "--broker", o.broker, "--topic", topic]
        command += ["--client-id", worker_id]
        with self.engine.connect() as connection:
            dead_before = connection.scalar(select(func.count()).select_from(DeadLetter)) or 0
        publisher = mqtt_client(f"bench-publisher-{tag}")
        publisher.max_inflight_messages_set(1000)
        publisher.max_queued_messages_set(0)
        try:
            publisher.connect(host, port)
            publisher.loop_start()
            with background(command, self.env, self.workdir, self.workdir / "mqtt.log") as worker:
                self.mqtt_probe(publisher, worker, topic, ids[0], pks)
                self.mqtt_measure(publisher, topic, payloads, pks)
        finally:
            publisher.disconnect()
            publisher.loop_stop()
            forget_mqtt_session(host, port, worker_id)
        with self.engine.connect() as connection:
            dead = (
                connection.scalar(select(func.count()).select_from(DeadLetter)) or 0
            ) - dead_before
        # The worker stores what it holds when it stops: what was late is then in the database.
        self.run.checks.append(
            f"MQTT: {self.stored(pks, 'temperature'):,} of {o.mqtt_messages:,} stored once the "
            f"worker had stopped; {dead} dead letters written during the step"
        )

    def mqtt_probe(
        self,
        publisher: mqtt.Client,
        worker: subprocess.Popen[bytes],
        topic: str,
        entity_id: str,
        pks: list[int],
    ) -> None:
        """Publish probes until the worker stores one: it is then subscribed."""
        deadline = time.monotonic() + PROBE_TIMEOUT
        sent = 0
        while self.stored(pks, "relativeHumidity") <= 0:
            if worker.poll() is not None:
                tail = log_tail(self.workdir / "mqtt.log", 5).strip().splitlines()
                raise NotAvailable(
                    f"`servicielle ingest mqtt` exited with {worker.returncode}: "
                    f"{tail[-1] if tail else 'no output'}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"nothing stored {PROBE_TIMEOUT:.0f} s after the first probe:\n"
                    + log_tail(self.workdir / "mqtt.log")
                )
            row = {
                "entity": entity_id,
                "attribute": "relativeHumidity",
                "value": 0.5,
                "observedAt": z(self.now - dt.timedelta(days=1) + sent * dt.timedelta(seconds=1)),
            }
            publisher.publish(topic, json.dumps(row), qos=1)
            sent += 1
            time.sleep(0.5)

    def mqtt_measure(
        self, publisher: mqtt.Client, topic: str, payloads: list[bytes], pks: list[int]
    ) -> None:
        """Publish every message (QoS 1) at most MQTT_WINDOW ahead of the database, then poll
        until all are stored.

        Mosquitto keeps at most 1,000 messages per session (max_queued_messages): a publisher
        running further ahead of the worker would measure the broker's drops, not the worker.
        """
        total = len(payloads)
        progress(f"{self.label}: publishing {total:,} MQTT messages")
        started = time.perf_counter()
        stored = 0
        for sent, payload in enumerate(payloads):
            while sent - stored >= MQTT_WINDOW:
                time.sleep(0.01)
                stored = self.stored(pks, "temperature")
            publisher.publish(topic, payload, qos=1).wait_for_publish(timeout=STALL_TIMEOUT)
        published = time.perf_counter() - started
        count, changed = 0, time.perf_counter()
        stall = STALL_TIMEOUT / 3 if self.options.small else STALL_TIMEOUT
        while count < total and time.perf_counter() - changed < stall:
            time.sleep(0.2)
            now = self.stored(pks, "temperature")
            if now != count:
                count, changed = now, time.perf_counter()
        elapsed = max(changed - started, 1e-9)
        self.figure("mqtt_publish", f"{total / published:,.0f} msg/s ({duration(published)})")
        self.figure(
            "mqtt",
            f"{count / elapsed:,.0f} msg/s ({count:,} of {total:,} stored after "
            f"{duration(elapsed)})",
            count / elapsed,
        )
        if count != total:
            self.run.anomalies.append(
                f"MQTT: {count:,} of {total:,} stored, then no progress for {stall:.0f} s"
            )

    # the whole run

    def measure(self) -> BackendRun:
        progress(f"{self.label}: migrate + demo + token")
        try:
            if not self.attempt("setup", self.setup):
                return self.run
            with self.serving():
                for step in self.options.only:
                    progress(f"{self.label}: {step}")
                    self.attempt(step, getattr(self, f"step_{step}"))
        except Exception:
            trace = traceback.format_exc()
            self.run.anomalies.append(f"server: {trace.strip().splitlines()[-1]}\n{trace}")
        finally:
            self.engine.dispose()
        return self.run


# --- report ----------------------------------------------------------------------------------


def rows_of(options: Options) -> list[tuple[str, str]]:
    """The table's rows: key of the figure, label."""
    o = options
    rows = [("ingest_setup", f"ingest: {o.ingest_entities:,} WeatherObserved created (upsert)")]
    for run, clients in enumerate(o.ingest_clients):
        rows.append(
            (
                f"ingest_{run}",
                f"ingest `POST /api/sensors/observations`, {o.observations:,} rows, "
                f"{clients} client(s), JSON arrays of {o.ingest_batch:,}",
            )
        )
    rows.append(("raw", "raw limit: the rows of the first run, no platform, 1 connection"))
    for run, clients in enumerate(o.ingest_clients):
        rows.append((f"ratio_{run}", f"platform ÷ raw ({clients} client(s))"))
    n = o.concurrency
    rows += [
        ("creates_1", f"NGSI-LD create `POST /entities/` ×{o.creates:,}, sequential"),
        ("creates_n", f"… ×{o.creates:,}, {n} concurrent clients"),
        ("gets_1", f"NGSI-LD get by id `GET /entities/{{id}}` ×{o.gets:,}, sequential"),
        ("gets_n", f"… ×{o.gets:,}, {n} concurrent clients"),
        ("batch_create", f"batch upsert of {o.batch_size:,} new entities (4 observed Properties)"),
        ("batch_update", f"… the same {o.batch_size:,} again, new observedAt (replace)"),
    ]
    for size in o.query_entities:
        rows += [
            (f"query_load_{size}", f"load {size:,} OffStreetParking (batch upserts of 1,000)"),
            (f"query_page_{size}", f"`type` + `q` over {size:,}, `limit=100`"),
            (f"query_count_{size}", f"`type` + `q` over {size:,}, `count=true&limit=0`"),
        ]
    largest = o.query_entities[-1]
    rows += [
        ("analyze", "`ANALYZE` of the whole database (planner statistics)"),
        (
            f"query_page_{largest}{AFTER_ANALYZE}",
            f"`type` + `q` over {largest:,}, `limit=100`, after `ANALYZE`",
        ),
        (
            f"query_count_{largest}{AFTER_ANALYZE}",
            f"`type` + `q` over {largest:,}, count, after `ANALYZE`",
        ),
        ("temporal_load", f"load {o.instances:,} instances of one attribute (ingest endpoint)"),
        ("temporal", f"temporal PT1H avg,min,max over {o.instances:,} instances"),
        ("mqtt_publish", f"MQTT publish, {o.mqtt_messages:,} messages, QoS 1"),
        ("mqtt", "MQTT publish → stored (`servicielle ingest mqtt`)"),
        ("rss", "server peak RSS (VmHWM per process)"),
    ]
    return rows


def mosquitto_version() -> str:
    """What the local mosquitto binary says of itself."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    try:
        done = subprocess.run([binary, "-h"], capture_output=True, text=True, timeout=10)
    except OSError:
        return "mosquitto unknown"
    first = (done.stdout or done.stderr).strip().splitlines()
    return first[0] if first else "mosquitto unknown"


def goals(runs: list[BackendRun]) -> list[str]:
    """Whether each ingest run met the issue's goal."""
    lines = []
    for run in runs:
        name = column(run)
        for key, value in sorted(run.numbers.items()):
            if key.startswith("ratio_"):
                verdict = "met" if value >= 0.5 else "not met"
                run_number = int(key.removeprefix("ratio_")) + 1
                lines.append(
                    f"{name}, ingest run {run_number}: platform ÷ raw {value:.2f} "
                    f"(≥ 0.5: {verdict})"
                )
            if key.startswith("ingest_") and run.name == "postgresql":
                verdict = "met" if value >= 50_000 else "not met"
                run_number = int(key.removeprefix("ingest_")) + 1
                lines.append(
                    f"{name}, ingest run {run_number}: {value:,.0f} obs/s (≥ 50,000: {verdict})"
                )
    return lines


def column(run: BackendRun) -> str:
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    return f"{names[run.name]}, {run.workers} worker{'s' if run.workers > 1 else ''}"


def report(
    options: Options,
    runs: list[BackendRun],
    started: dt.datetime,
    load_before: tuple[float, float, float],
    revision: str,
) -> None:
    """Print machine, software, date, command, the table, anchors, checks and anomalies."""
    print()
    print("## Real-time hub (sensors)")
    print()
    kernel = f"{platform.system()} {platform.release()}"
    cores = len(os.sched_getaffinity(0))
    print(f"- machine: {cores} cores (nproc), {cpu_model()}, {memory_gib()} RAM, {kernel}")
    engines = ", ".join(dict.fromkeys(run.server_version for run in runs if run.server_version))
    print(
        f"- software: Python {platform.python_version()}, {engines}, SQLAlchemy "
        f"{version('sqlalchemy')}, psycopg {version('psycopg')}, uvicorn {version('uvicorn')}, "
        f"fastapi {version('fastapi')}, httpx {version('httpx')}, paho-mqtt "
        f"{version('paho-mqtt')}, {mosquitto_version()}"
    )
    print(f"- date (UTC): {started:%Y-%m-%d %H:%M}; source: {revision}")
    print(f"- command: `{shlex.join(sys.orig_argv)}`")
    print(
        f"- server: `servicielle serve --workers N` on 127.0.0.1, fresh database per column; "
        f"clients (httpx, paho-mqtt) on the same machine; steps: {', '.join(options.only)}"
        + ("; **--small sizes: the figures mean nothing**" if options.small else "")
    )
    print(
        "- load average (1/5/15 min) before: "
        + " ".join(f"{v:.2f}" for v in load_before)
        + ", after: "
        + " ".join(f"{v:.2f}" for v in os.getloadavg())
    )
    print()
    print("| measure | " + " | ".join(column(run) for run in runs) + " |")
    print("|---|" + "---|" * len(runs))
    for key, label in rows_of(options):
        cells = [run.figures.get(key, "—") for run in runs]
        if any(cell != "—" for cell in cells):
            print(f"| {label} | " + " | ".join(cells) + " |")
    print()
    print("Goals and anchors:")
    for line in (*goals(runs), *ANCHORS):
        print(f"- {line}")
    for run in runs:
        print()
        print(f"Checks ({column(run)}):")
        for check in run.checks:
            print(f"- {check}")
        for missing in run.missing:
            print(f"- not available: {missing}")
    anomalies = [(column(run), a) for run in runs for a in run.anomalies]
    if anomalies:
        print()
        print("Anomalies:")
        for name, anomaly in anomalies:
            first, _, rest = anomaly.partition("\n")
            print(f"- {name}: {first}")
            if rest:
                print("\n```\n" + rest.strip() + "\n```")


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each backend (and worker count) in turn and print the report."""
    options = parse_args(argv)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    revision = source_revision()
    runs: list[BackendRun] = []
    with tempfile.TemporaryDirectory(prefix=WORKDIR_PREFIX) as tmp:
        for backend in options.backends:
            for workers in options.workers:
                workdir = Path(tmp) / f"{backend}-{workers}"
                workdir.mkdir()
                run = BackendRun(backend, workers)
                try:
                    with fresh_database(backend, workdir) as url:
                        run = Bench(backend, workers, options, workdir, url).measure()
                except Exception as exc:
                    # PostgreSQL down, say: the other backends are still measured.
                    progress(f"{backend}: {exc!r}")
                    run.anomalies.append(f"database: {exc!r}")
                runs.append(run)
    if source_revision() != revision:
        revision += f", then {source_revision()} by the end of the run"
    report(options, runs, started, load_before, revision)
    return 1 if any(run.anomalies for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
