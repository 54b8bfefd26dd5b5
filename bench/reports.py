"""Citizen reports at scale: Open311 POST and GET requests, duplicate lookup; SQLite and PG.

For each backend, in a fresh database (a temporary SQLite file, or a ``bench_reports_<random>``
PostgreSQL database dropped at the end):

1. ``servicielle migrate`` and ``servicielle demo`` (territory, accounts, the reports demo: its
   categories, routing rules and 400 reports), an API token of the demo administrator;
2. ``--reports`` (200,000) reports in all, bulk-inserted (PostgreSQL ``COPY``, SQLite
   ``executemany``) at points inside the communes over the last year, with their "created"
   and status timeline rows; then ``ANALYZE``;
3. ``servicielle serve``; ``POST /open311/v2/requests.json`` form-encoded with the ``api_key``
   in the body, sequential then with concurrent clients; next to it the raw limit: one
   ``INSERT`` + ``COMMIT`` per row into a bare copy of the table through the driver;
4. ``GET /open311/v2/requests.json`` filtered by status, by service_code and by area
   (lat/long/radius), a page of 100, and by status at the default page of 1,000 (FixMyStreet's
   cap): p50/p95; next to each, the raw limit: the same SELECT run through SQLAlchemy;
5. the duplicate lookup ``ReportRepository.nearby_open`` (250 m, same category, open) in
   process, at random points of the territory.

Progress goes to stderr, the Markdown report to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import random
import secrets
import shlex
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from http_baseline import HOST, cpu_model, free_port, log_tail, memory_gib, venv_tool, version
from http_baseline import wait_ready as wait_server
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

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
from sensors import Timing, admin_token, answer_problem, background, drive, group_peak_rss
from sensors import setup_command as run_command
from servicielle.core.audit import listener
from servicielle.core.db import create_db_engine, utcnow
from servicielle.core.modules import get_registry
from servicielle.core.territory.lookup import territory_index
from servicielle.core.territory.repository import TerritoryRepository
from servicielle.reports.demo_story import Sampler
from servicielle.reports.models import (
    OPEN_STATUSES,
    Report,
    ReportCategory,
    ReportUpdate,
    RoutingRule,
)
from servicielle.reports.repository import ReportRepository
from servicielle.reports.schemas import ReportFilters

WORKDIR_PREFIX = "servicielle-bench-reports-"
DB_PREFIX = "bench_reports_"
REQUESTS = "/open311/v2/requests.json"
ROCHEFORT = (45.9369, -0.9613)
BATCH = 10_000
WARMUP = 5
RAW_TABLE = "bench_raw_reports"
# Categories posted, with the answers their required questions need.
POSTED: tuple[tuple[str, dict[str, str]], ...] = (
    ("nid-de-poule", {"attribute[taille]": "moyen"}),
    ("lampadaire-eteint", {}),
    ("conteneur-deborde", {"attribute[flux]": "verre"}),
    ("depot-sauvage", {"attribute[volume]": "sac"}),
)
# Final statuses of the generated reports: old ones mostly dealt with, recent ones in flight.
OLD_STATUSES = (("fixed", 70), ("closed", 12), ("reopened", 3), ("acknowledged", 5), ("open", 10))
NEW_STATUSES = (("open", 35), ("acknowledged", 25), ("planned", 10), ("in_progress", 10),
                ("fixed", 18), ("closed", 2))  # fmt: skip
# What the GET requests measure: (key, label, query string, ReportFilters of the raw SELECT).
SIZES: dict[str, tuple[int, int, str]] = {
    "reports": (200_000, 5_000, "reports in the database, the demo's included"),
    "posts": (1_000, 60, "POST requests per run (sequential, then concurrent)"),
    "clients": (4, 4, "clients of the concurrent POST run"),
    "requests": (200, 20, "measured GET requests per filter"),
    "raw_repeat": (100, 10, "runs of each raw SELECT"),
    "lookups": (1_000, 50, "duplicate lookups"),
}
ANCHORS = (
    "FixMyStreet's Open311 server answers at most 1,000 requests per GET (`OPEN311_LIMIT`), "
    "the GeoReport v2 default is the last 90 days or 1,000 requests: the `page_size=1000` row "
    "is that page; the reference publishes no latency figure for FixMyStreet or any other "
    "GeoReport server, so the comparison is with the raw database query of the same filter, "
    "measured in the same run",
    "the raw SELECT is the page's report query only; the endpoint also reads the page's "
    "public notes, photos and organisation names, and serialises JSON",
    "the raw INSERT is one row and one commit per report through the driver, no check, no "
    "routing, no timeline, no follower, no audit entry: the database's ceiling for one "
    "transaction per request",
)


@dataclass(frozen=True)
class Options:
    """What the command line asked for."""

    backends: tuple[str, ...]
    workers: int
    seed: int
    small: bool
    reports: int
    posts: int
    clients: int
    requests: int
    raw_repeat: int
    lookups: int


def parse_args(argv: Sequence[str] | None) -> Options:
    """Read the command line; sizes not given come from the full or the --small preset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (1)")
    parser.add_argument("--seed", type=int, default=20261122, help="seed of every generated value")
    parser.add_argument("--small", action="store_true", help="small sizes: checks the script")
    for name, (full, small, help_text) in SIZES.items():
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=int,
            default=None,
            help=f"{help_text} ({full:,}; --small: {small:,})",
        )
    args = parser.parse_args(argv)
    sizes = {
        name: getattr(args, name) or (small if args.small else full)
        for name, (full, small, _help) in SIZES.items()
    }
    if min(sizes.values()) < 1 or args.workers < 1:
        parser.error("sizes and --workers must be at least 1")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    return Options(backends, args.workers, args.seed, args.small, **sizes)


@dataclass
class BackendRun:
    """Everything measured on one backend."""

    name: str
    server_version: str = ""
    figures: dict[str, str] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Query:
    """One measured GET: its query string and the filters of its raw SELECT."""

    key: str
    label: str
    params: dict[str, str]
    filters: ReportFilters
    page_size: int


def queries(now: dt.datetime) -> list[Query]:
    """The GET requests measured; the raw SELECT gets the endpoint's 90-day default window."""
    start = now - dt.timedelta(days=90)
    lat, lon = ROCHEFORT
    return [
        Query(
            "get_status",
            "`status=open`, page of 100",
            {"status": "open", "page_size": "100"},
            ReportFilters(statuses=["open"], start=start),
            100,
        ),
        Query(
            "get_service",
            "`service_code=nid-de-poule`, page of 100",
            {"service_code": "nid-de-poule", "page_size": "100"},
            ReportFilters(category_codes=["nid-de-poule"], start=start),
            100,
        ),
        Query(
            "get_area",
            "`lat`/`long`/`radius=500` (centre of Rochefort), page of 100",
            {"lat": str(lat), "long": str(lon), "radius": "500", "page_size": "100"},
            ReportFilters(lat=lat, lon=lon, radius=500, start=start),
            100,
        ),
        Query(
            "get_status_1000",
            "`status=open`, default page of 1,000 (FixMyStreet's cap)",
            {"status": "open"},
            ReportFilters(statuses=["open"], start=start),
            1000,
        ),
    ]


@contextlib.contextmanager
def fresh_database(backend: str, workdir: Path) -> Iterator[str]:
    """The URL of an empty database, removed afterwards (also on failure or Ctrl-C)."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'reports.db'}"
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


def timed(function: Callable[[], Any], repeat: int) -> list[float]:
    """Wall times of ``repeat`` calls after one unmeasured call."""
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def p50_p95(times: Sequence[float]) -> str:
    """The two percentiles the table shows."""
    return f"p50 {ms(percentile(times, 0.5))}, p95 {ms(percentile(times, 0.95))}"


class Bench:
    """The measurements of one backend, in a working directory of its own."""

    def __init__(self, backend: str, options: Options, workdir: Path, url: str) -> None:
        self.options = options
        self.workdir = workdir
        self.url = url
        self.run = BackendRun(backend)
        self.env = {
            **os.environ,
            "SERVICIELLE_DATABASE_URL": url,
            "SERVICIELLE_DATA_DIR": str(workdir / "files"),
        }
        self.engine: Engine = create_db_engine(url)
        self.factory = sessionmaker(self.engine, expire_on_commit=False)
        self.servicielle = venv_tool("servicielle")
        self.token = ""
        self.port = 0
        self.rng = random.Random(options.seed)
        self.now = utcnow()

    # --- bookkeeping ---------------------------------------------------------------------

    def figure(self, key: str, shown: str) -> None:
        self.run.figures[key] = shown

    def attempt(self, step: str, function: Callable[[], None]) -> bool:
        """Run one step; on failure keep its traceback as an anomaly and go on."""
        try:
            function()
        except Exception:
            trace = traceback.format_exc()
            trace += "\nserver log, last lines:\n" + log_tail(self.workdir / "server.log", 15)
            progress(f"{self.run.name}: {step} FAILED\n{trace}")
            self.run.anomalies.append(f"{step}: {trace.strip().splitlines()[-1]}\n{trace}")
            return False
        return True

    def count(self, model: type[Any]) -> int:
        with self.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(model)) or 0)

    # --- setup and data ------------------------------------------------------------------

    def setup(self) -> None:
        run_command([self.servicielle, "migrate"], self.env, self.workdir)
        run_command([self.servicielle, "demo"], self.env, self.workdir)
        get_registry().import_models()
        listener.install()
        self.token = admin_token(self.engine)
        self.run.server_version = server_version(self.engine)

    def rows(self, session: Session, first_id: int, count: int) -> Iterator[list[dict[str, Any]]]:
        """Batches of report rows and of their timeline rows, at points inside the communes."""
        sampler = Sampler(TerritoryRepository(session).communes())
        index = territory_index(session)
        categories = session.scalars(select(ReportCategory)).all()
        rules = {
            r.category_id: r.organisation_id
            for r in session.scalars(select(RoutingRule).where(RoutingRule.geozone_slug.is_(None)))
        }
        fallback = rules.get(None)
        rng = self.rng
        batch: list[dict[str, Any]] = []
        for n in range(count):
            code, lat, lon = sampler.point(rng)
            category = rng.choice(categories)
            created = self.now - dt.timedelta(days=365 * rng.random(), minutes=1)
            recent = self.now - created < dt.timedelta(days=60)
            weights = NEW_STATUSES if recent else OLD_STATUSES
            status = rng.choices([s for s, _w in weights], weights=[w for _s, w in weights])[0]
            handled = created + dt.timedelta(hours=rng.uniform(2, 200))
            done = status in ("fixed", "closed")
            batch.append(
                {
                    "id": first_id + n,
                    "category_id": category.id,
                    "organisation_id": rules.get(category.id, fallback),
                    "status": status,
                    "close_reason": "no_action" if status == "closed" else None,
                    "lat": lat,
                    "lon": lon,
                    "located_by": "map",
                    "commune_code": code,
                    "geozones": [z.key for z in index.locate(lon, lat).geozones],
                    "address_string": "",
                    "description": f"Signalement de charge n° {n} : {category.name.lower()}.",
                    "answers": {},
                    "media_url": "",
                    "reporter_name": "",
                    "reporter_email": f"charge{n}@exemple.fr",
                    "reporter_phone": "",
                    "channel": "open311",
                    "token": f"bench-{first_id + n}",
                    "confirmed_at": created,
                    "acknowledged_at": handled if status != "open" else None,
                    "fixed_at": handled if status == "fixed" else None,
                    "closed_at": handled if done else None,
                    "hidden": False,
                    "follower_count": 1,
                    "flag_count": 0,
                    "created_at": created,
                    "modified_at": handled if status != "open" else created,
                }
            )
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    @staticmethod
    def timeline(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A "created" step for each report, and a status step for those handled."""
        steps = []
        for row in reports:
            steps.append(
                {
                    "report_id": row["id"],
                    "created_at": row["created_at"],
                    "kind": "created",
                    "status_after": "open",
                    "note": "",
                    "internal_note": "",
                    "hidden": False,
                }
            )
            if row["status"] != "open":
                steps.append(
                    {
                        "report_id": row["id"],
                        "created_at": row["modified_at"],
                        "kind": "status",
                        "status_after": row["status"],
                        "note": "Pris en compte, merci.",
                        "internal_note": "",
                        "hidden": False,
                    }
                )
        return steps

    def load(self) -> None:
        """Bring the database to ``--reports`` reports, then gather planner statistics."""
        with self.factory() as session:
            existing = int(session.scalar(select(func.count()).select_from(Report)) or 0)
            first_id = int(session.scalar(select(func.max(Report.id))) or 0) + 1
            count = max(0, self.options.reports - existing)
            progress(f"{self.run.name}: generating and inserting {count:,} reports")
            started = time.perf_counter()
            inserted = 0
            for batch in self.rows(session, first_id, count):
                self.insert(batch, self.timeline(batch))
                inserted += len(batch)
            spent = time.perf_counter() - started
        self.figure(
            "load",
            f"{duration(spent)} ({inserted / spent:,.0f} reports/s with their timeline rows, "
            "points drawn in the communes included)",
        )
        with self.engine.connect() as connection:
            if self.engine.dialect.name == "postgresql":
                highest = connection.scalar(select(func.max(Report.id)))
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence('reports', 'id'), :n)"),
                    {"n": highest},
                )
            started = time.perf_counter()
            connection.execute(text("ANALYZE"))
            connection.commit()
            self.figure("analyze", duration(time.perf_counter() - started))
        total, steps = self.count(Report), self.count(ReportUpdate)
        self.run.checks.append(f"load: {total:,} reports and {steps:,} timeline rows")
        if total != self.options.reports and count:
            self.run.anomalies.append(f"load: {total:,} reports, {self.options.reports:,} asked")

    def insert(self, reports: list[dict[str, Any]], steps: list[dict[str, Any]]) -> None:
        """One batch: COPY on PostgreSQL, executemany on SQLite; one commit."""
        if self.engine.dialect.name != "postgresql":
            with self.engine.begin() as connection:
                connection.execute(insert(Report.__table__), reports)
                connection.execute(insert(ReportUpdate.__table__), steps)
            return
        conninfo = self.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo) as raw, raw.cursor() as cursor:
            for table, rows in (("reports", reports), ("report_updates", steps)):
                columns = list(rows[0])
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(
                            [
                                json.dumps(v) if isinstance(v, list | dict) else v
                                for v in row.values()
                            ]
                        )
            raw.commit()

    # --- server ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        self.port = free_port()
        command = [self.servicielle, "serve", "--host", HOST, "--port", str(self.port)]
        command += ["--workers", str(self.options.workers)]
        log = self.workdir / "server.log"
        with background(command, self.env, self.workdir, log) as server:
            try:
                wait_server(server, self.port, log)
            except SystemExit as exc:
                raise RuntimeError(str(exc)) from None
            try:
                yield
            finally:
                self.figure("rss", group_peak_rss(server.pid))

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=f"http://{HOST}:{self.port}", timeout=120)

    # --- POST ----------------------------------------------------------------------------

    def forms(self, count: int, tag: str) -> list[dict[str, str]]:
        with self.factory() as session:
            sampler = Sampler(TerritoryRepository(session).communes())
        forms = []
        for n in range(count):
            code, answers = POSTED[n % len(POSTED)]
            _commune, lat, lon = sampler.point(self.rng)
            forms.append(
                {
                    "api_key": self.token,
                    "service_code": code,
                    "lat": str(lat),
                    "long": str(lon),
                    "description": f"Signalement {tag} n° {n} envoyé par un client Open311.",
                    "email": f"client-{tag}-{n}@exemple.fr",
                    **answers,
                }
            )
        return forms

    def step_post(self) -> None:
        o = self.options
        before = self.count(Report)

        def send(client: httpx.Client, form: dict[str, str]) -> str | None:
            response = client.post(REQUESTS, data=form)
            problem = answer_problem(response, 200, 201)
            if problem is None and not response.json()[0].get("service_request_id"):
                return f"no service_request_id: {response.text[:200]}"
            return problem

        with self.client() as client:
            for form in self.forms(WARMUP, "warmup"):
                problem = send(client, form)
                if problem:
                    raise RuntimeError(problem)
        for key, clients in (("post_1", 1), ("post_n", o.clients)):
            timing = drive(self.forms(o.posts, key), send, clients, self.client)
            self.show(key, timing)
        stored = self.count(Report) - before
        expected = WARMUP + 2 * o.posts
        self.run.checks.append(f"POST: {stored:,} reports stored for {expected:,} requests sent")
        if stored != expected:
            self.run.anomalies.append(f"POST: {stored:,} stored, {expected:,} sent")
        self.raw_insert()

    def show(self, key: str, timing: Timing) -> None:
        self.figure(key, timing.summary())
        if timing.failures:
            listed = "; ".join(timing.failures[:3])
            self.run.anomalies.append(f"{key}: {len(timing.failures)} failed, e.g. {listed}")

    def raw_insert(self) -> None:
        """One INSERT + COMMIT per row into a bare copy of the reports table."""
        o = self.options
        with self.factory() as session:
            rows = list(self.rows(session, 10_000_000, o.posts))[0]
        columns = [c for c in rows[0] if c not in ("geozones", "answers")]
        with self.engine.connect() as connection:
            if self.engine.dialect.name == "postgresql":
                connection.execute(text(f"CREATE TABLE {RAW_TABLE} (LIKE reports)"))
            else:
                bare = f"CREATE TABLE {RAW_TABLE} AS SELECT * FROM reports LIMIT 0"
                connection.execute(text(bare))
            connection.commit()
            statement = text(
                f"INSERT INTO {RAW_TABLE} ({', '.join(columns)}, geozones, answers) "
                f"VALUES ({', '.join(':' + c for c in columns)}, '[]', '{{}}')"
            )
            started = time.perf_counter()
            latencies = []
            for row in rows:
                sent = time.perf_counter()
                connection.execute(statement, {c: row[c] for c in columns})
                connection.commit()
                latencies.append(time.perf_counter() - sent)
            spent = time.perf_counter() - started
        self.figure(
            "post_raw", f"{len(rows) / spent:,.0f} rows/s, {p50_p95(latencies)} (1 connection)"
        )

    # --- GET ------------------------------------------------------------------------------

    def step_get(self) -> None:
        o = self.options
        for query in queries(self.now):
            answers: list[int] = []

            def send(
                client: httpx.Client, params: dict[str, str], answers: list[int] = answers
            ) -> str | None:
                response = client.get(REQUESTS, params=params)
                problem = answer_problem(response, 200)
                if problem is None:
                    answers.append(len(response.json()))
                return problem

            with self.client() as client:
                for _ in range(WARMUP):
                    send(client, query.params)
            answers.clear()
            timing = drive([query.params] * o.requests, send, 1, self.client)
            self.show(query.key, timing)
            raw = self.raw_select(query)
            self.figure(query.key + "_raw", p50_p95(raw))
            ratio = percentile(timing.latencies, 0.5) / percentile(raw, 0.5)
            self.figure(query.key + "_ratio", f"× {ratio:,.1f}")
            self.run.checks.append(
                f"GET {query.label}: {min(answers, default=0):,}–{max(answers, default=0):,} "
                "requests per answer"
            )

    def raw_select(self, query: Query) -> list[float]:
        """The endpoint's report SELECT for this filter, run through SQLAlchemy."""
        with self.factory() as session:
            statement = (
                ReportRepository(session)
                .filtered(query.filters)
                .order_by(Report.created_at.desc(), Report.id.desc())
                .limit(query.page_size)
            )
        # A Core connection: rows as the driver returns them, no ORM objects built.
        with self.engine.connect() as connection:
            return timed(lambda: connection.execute(statement).all(), self.options.raw_repeat)

    # --- duplicate lookup -----------------------------------------------------------------

    def step_nearby(self) -> None:
        o = self.options
        with self.factory() as session:
            sampler = Sampler(TerritoryRepository(session).communes())
            categories = session.scalars(select(ReportCategory.id)).all()
            repository = ReportRepository(session)
            points = [
                (self.rng.choice(categories), *sampler.point(self.rng)[1:])
                for _ in range(o.lookups)
            ]
            found: list[int] = []
            latencies = []
            repository.nearby_open(points[0][0], points[0][1], points[0][2])
            for category_id, lat, lon in points:
                started = time.perf_counter()
                found.append(len(repository.nearby_open(category_id, lat, lon)))
                latencies.append(time.perf_counter() - started)
            in_rochefort = [
                len(repository.nearby_open(c, *ROCHEFORT, limit=1000)) for c in categories
            ]
            open_count = session.scalar(
                select(func.count()).where(Report.status.in_(OPEN_STATUSES))
            )
        self.figure(
            "nearby",
            f"{p50_p95(latencies)}, {len(latencies) / sum(latencies):,.0f} lookups/s",
        )
        self.run.checks.append(
            f"duplicate lookup: {sum(found) / len(found):.2f} candidates on average (at most 5); "
            f"open reports of each category within 250 m of the centre of Rochefort: "
            f"{min(in_rochefort)}–{max(in_rochefort)}; {open_count:,} open reports in all"
        )

    def measure(self) -> BackendRun:
        progress(f"{self.run.name}: migrate + demo + token")
        try:
            if not self.attempt("setup", self.setup) or not self.attempt("load", self.load):
                return self.run
            self.attempt("duplicate lookup", self.step_nearby)
            with self.serving():
                progress(f"{self.run.name}: POST requests")
                self.attempt("POST requests", self.step_post)
                progress(f"{self.run.name}: GET requests")
                self.attempt("GET requests", self.step_get)
        except Exception:
            trace = traceback.format_exc()
            self.run.anomalies.append(f"server: {trace.strip().splitlines()[-1]}\n{trace}")
        finally:
            self.engine.dispose()
        return self.run


def rows_of(options: Options) -> list[tuple[str, str]]:
    """The table's rows: key of the figure, label."""
    o = options
    rows = [
        ("load", f"bulk load to {o.reports:,} reports (+ timeline rows), one commit per {BATCH:,}"),
        ("analyze", "`ANALYZE` after the load"),
        ("post_1", f"`POST {REQUESTS}` form-encoded, ×{o.posts:,}, 1 client"),
        ("post_n", f"… ×{o.posts:,}, {o.clients} concurrent clients"),
        ("post_raw", "raw limit: one `INSERT` + `COMMIT` per report, driver only"),
    ]
    for query in queries(dt.datetime.now(dt.UTC)):
        rows += [
            (query.key, f"`GET {REQUESTS}` {query.label}, ×{o.requests}, 1 client"),
            (query.key + "_raw", "… raw limit: the same report SELECT through SQLAlchemy"),
            (query.key + "_ratio", "… endpoint p50 ÷ raw p50"),
        ]
    rows += [
        ("nearby", f"duplicate lookup `nearby_open` (250 m, same category, open) ×{o.lookups:,}"),
        ("rss", "server peak RSS (VmHWM per process)"),
    ]
    return rows


def report(
    options: Options,
    runs: list[BackendRun],
    started: dt.datetime,
    load_before: tuple[float, float, float],
    revision: str,
) -> None:
    """Print machine, software, date, command, the table, anchors, checks and anomalies."""
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    print()
    print("## Citizen reports (Open311)")
    print()
    kernel = f"{platform.system()} {platform.release()}"
    cores = len(os.sched_getaffinity(0))
    print(f"- machine: {cores} cores (nproc), {cpu_model()}, {memory_gib()} RAM, {kernel}")
    engines = ", ".join(run.server_version for run in runs if run.server_version)
    print(
        f"- software: Python {platform.python_version()}, {engines}, SQLAlchemy "
        f"{version('sqlalchemy')}, psycopg {version('psycopg')}, uvicorn {version('uvicorn')}, "
        f"fastapi {version('fastapi')}, httpx {httpx.__version__}"
    )
    print(f"- date (UTC): {started:%Y-%m-%d %H:%M}; source: {revision}")
    print(f"- command: `{shlex.join(sys.orig_argv)}`")
    print(
        f"- server: `servicielle serve --workers {options.workers}` on 127.0.0.1, fresh database "
        "per column; client httpx on the same machine; raw queries and the duplicate lookup in "
        "the benchmark's process"
        + ("; **--small sizes: the figures mean nothing**" if options.small else "")
    )
    print(
        "- load average (1/5/15 min) before: "
        + " ".join(f"{v:.2f}" for v in load_before)
        + ", after: "
        + " ".join(f"{v:.2f}" for v in os.getloadavg())
    )
    print()
    print("| measure | " + " | ".join(names[run.name] for run in runs) + " |")
    print("|---|" + "---|" * len(runs))
    for key, label in rows_of(options):
        cells = [run.figures.get(key, "—") for run in runs]
        if any(cell != "—" for cell in cells):
            print(f"| {label} | " + " | ".join(cells) + " |")
    print()
    print("Anchors:")
    for line in ANCHORS:
        print(f"- {line}")
    for run in runs:
        print()
        print(f"Checks ({names[run.name]}):")
        for check in run.checks:
            print(f"- {check}")
    anomalies = [(names[run.name], a) for run in runs for a in run.anomalies]
    if anomalies:
        print()
        print("Anomalies:")
        for name, anomaly in anomalies:
            first, _, rest = anomaly.partition("\n")
            print(f"- {name}: {first}")
            if rest:
                print("\n```\n" + rest.strip() + "\n```")


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each backend in turn and print the report."""
    options = parse_args(argv)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    revision = source_revision()
    runs: list[BackendRun] = []
    with tempfile.TemporaryDirectory(prefix=WORKDIR_PREFIX) as tmp:
        for backend in options.backends:
            workdir = Path(tmp) / backend
            workdir.mkdir()
            run = BackendRun(backend)
            try:
                with fresh_database(backend, workdir) as url:
                    run = Bench(backend, options, workdir, url).measure()
            except Exception as exc:
                progress(f"{backend}: {exc!r}")
                run.anomalies.append(f"database: {exc!r}")
            runs.append(run)
    if source_revision() != revision:
        revision += f", then {source_revision()} by the end of the run"
    report(options, runs, started, load_before, revision)
    return 1 if any(run.anomalies for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
