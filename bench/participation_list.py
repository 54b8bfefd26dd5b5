"""The public proposals list with 10,000 proposals: p50/p95 per page kind; SQLite and PG.

For each backend, in a fresh database (a temporary SQLite file, or a ``bench_plist_<random>``
PostgreSQL database dropped at the end):

1. ``servicielle migrate``; in this process the territory demo and the participation demo
   (its running "Budget participatif 2026" process, a hundred proposals, 240 demo inhabitants);
2. proposals bulk-inserted into that process up to ``--proposals`` (10,000): the demo's ideas
   at the demo's places, states, counters and dates drawn from a seeded generator; ``ANALYZE``;
3. ``servicielle serve``; ``GET /participation/{slug}/propositions``: the first page, a
   category, a text search, sorted by supports, page 50, the map view (``?vue=carte``) and the
   map's GeoJSON, each ``--requests`` times from one client, after warm-up: p50/p95;
4. next to each, the raw limit: the page's repository query (the SELECT of the page and its
   COUNT, or the map's SELECT) run through SQLAlchemy in this process: p50/p95 and the ratio.

Progress goes to stderr, the Markdown report to stdout. The anchor is Decidim, whose
proposals list took 7.4 s for 900 proposals (the reference's pain point).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
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
from sensors import Timing, answer_problem, background, drive, group_peak_rss
from sensors import setup_command as run_command
from servicielle.core.accounts.models import User
from servicielle.core.db import create_db_engine, utcnow
from servicielle.core.modules import get_registry
from servicielle.core.pagination import PageParams
from servicielle.core.session import session_scope
from servicielle.core.territory import demo as territory_demo
from servicielle.core.territory.models import Commune, GeoZone
from servicielle.participation import demo, demo_data
from servicielle.participation.demo import outlines
from servicielle.participation.demo_proposals import Places
from servicielle.participation.models import Process, Proposal, ProposalCategory, ProposalState
from servicielle.participation.proposals.repository import ProposalFilters, ProposalRepository
from servicielle.participation.proposals.similarity import fold

WORKDIR_PREFIX = "servicielle-bench-plist-"
DB_PREFIX = "bench_plist_"
SLUG = "budget-participatif-2026"
LIST = f"/participation/{SLUG}/propositions"
PAGE_SIZE = 20
BATCH = 2_000
WARMUP = 5
STATES = ((ProposalState.PUBLISHED, 55), (ProposalState.EVALUATING, 8),
          (ProposalState.ACCEPTED, 17), (ProposalState.REJECTED, 17),
          (ProposalState.MERGED, 2), (ProposalState.WITHDRAWN, 1))  # fmt: skip
ANCHORS = (
    "Decidim's proposals list took 7.4 s for 900 proposals (the reference's pain point, "
    "../shared/reference/participation.md); CONSUL caches its lists; neither publishes a "
    "figure for 10,000",
    "the time is the client's round trip on 127.0.0.1 (server time plus a loopback hop); the "
    "raw limit is the page's own repository query: the page SELECT (20 rows, the text and "
    "answer columns deferred) and its COUNT, or the map's SELECT of at most 2,000 points; the "
    "page also reads the process, its phases, categories, geozones, authors' names, and "
    "renders the Jinja template",
)


@dataclass(frozen=True)
class Options:
    """What the command line asked for."""

    backends: tuple[str, ...]
    workers: int
    seed: int
    small: bool
    proposals: int
    requests: int
    raw_repeat: int


def parse_args(argv: Sequence[str] | None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (1)")
    parser.add_argument("--seed", type=int, default=20260601)
    parser.add_argument("--small", action="store_true", help="small sizes: checks the script")
    parser.add_argument("--proposals", type=int, default=None, help="10,000 (--small: 500)")
    parser.add_argument("--requests", type=int, default=None, help="per page: 100 (--small: 10)")
    parser.add_argument("--raw-repeat", type=int, default=None, help="100 (--small: 10)")
    args = parser.parse_args(argv)
    proposals = args.proposals or (500 if args.small else 10_000)
    requests = args.requests or (10 if args.small else 100)
    raw_repeat = args.raw_repeat or (10 if args.small else 100)
    if min(proposals, requests, raw_repeat, args.workers) < 1:
        parser.error("sizes and --workers must be at least 1")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    return Options(backends, args.workers, args.seed, args.small, proposals, requests, raw_repeat)


@dataclass(frozen=True)
class Query:
    """One measured page: its path and query string, and its raw query's filters."""

    key: str
    label: str
    path: str
    params: dict[str, str]
    filters: ProposalFilters
    page: int = 1
    map_points: bool = False


def queries(category_id: int) -> list[Query]:
    """The pages measured."""
    geojson = f"{LIST}/carte.json"
    return [
        Query("first", "first page (newest)", LIST, {}, ProposalFilters()),
        Query(
            "category",
            "one category",
            LIST,
            {"categorie": str(category_id)},
            ProposalFilters(category_id=category_id),
        ),
        Query(
            "search",
            "text search `q=jardin partagé`",
            LIST,
            {"q": "jardin partagé"},
            ProposalFilters(text=fold("jardin partagé")),
        ),
        Query(
            "supports",
            "sorted by supports",
            LIST,
            {"tri": "supports"},
            ProposalFilters(sort="supports"),
        ),
        Query("page50", "page 50", LIST, {"page": "50"}, ProposalFilters(), page=50),
        Query("map", "map view `?vue=carte`", LIST, {"vue": "carte"}, ProposalFilters()),
        Query(
            "geojson",
            "the map's GeoJSON `carte.json` (≤ 2,000 points)",
            geojson,
            {},
            ProposalFilters(),
            map_points=True,
        ),
    ]


@dataclass
class BackendRun:
    """Everything measured on one backend."""

    name: str
    server_version: str = ""
    figures: dict[str, str] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)


def p50_p95(times: Sequence[float]) -> str:
    """The two percentiles the table shows."""
    return f"p50 {ms(percentile(times, 0.5))}, p95 {ms(percentile(times, 0.95))}"


@contextlib.contextmanager
def fresh_database(backend: str, workdir: Path) -> Iterator[str]:
    """The URL of an empty database, removed afterwards (also on failure or Ctrl-C)."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'participation.db'}"
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


class Bench:
    """The measurements of one backend."""

    def __init__(self, backend: str, options: Options, workdir: Path, url: str) -> None:
        self.options = options
        self.workdir = workdir
        self.run = BackendRun(backend)
        self.env = {
            **os.environ,
            "SERVICIELLE_DATABASE_URL": url,
            "SERVICIELLE_DATA_DIR": str(workdir / "files"),
        }
        self.engine: Engine = create_db_engine(url)
        self.factory = sessionmaker(self.engine, expire_on_commit=False)
        self.rng = random.Random(options.seed)
        self.port = 0
        self.process_id = 0
        self.category_id = 0

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

    def setup(self) -> None:
        """Migrate, then the territory and participation demos in this process."""
        run_command([venv_tool("servicielle"), "migrate"], self.env, self.workdir)
        get_registry().import_models()
        with session_scope(self.factory, via="bench") as session:
            if session.scalar(select(Commune.insee_code).limit(1)) is None:
                territory_demo.load(session)
            started = time.perf_counter()
            progress(f"{self.run.name}: participation demo: {demo.load(session)}")
            self.run.figures["demo"] = duration(time.perf_counter() - started)
        self.run.server_version = server_version(self.engine)

    def load(self) -> None:
        """Bulk-insert proposals into the demo's running process up to ``--proposals``."""
        with session_scope(self.factory, via="bench") as session:
            process = session.scalars(select(Process).where(Process.slug == SLUG)).one()
            self.process_id = process.id
            categories = {
                slug: id_
                for slug, id_ in session.execute(select(ProposalCategory.slug, ProposalCategory.id))
            }
            self.category_id = categories["mobilites-douces"]
            zones = {slug: id_ for slug, id_ in session.execute(select(GeoZone.slug, GeoZone.id))}
            authors = list(
                session.scalars(
                    select(User.id).where(User.email.like(f"%@{demo_data.INHABITANTS_DOMAIN}"))
                )
            )
            existing = session.scalar(select(func.count()).where(Proposal.process_id == process.id))
            places = Places(outlines(session))
        count = max(0, self.options.proposals - int(existing or 0))
        progress(f"{self.run.name}: inserting {count:,} proposals")
        rng = self.rng
        now = utcnow()
        started = time.perf_counter()
        rows: list[dict[str, Any]] = []
        for n in range(count):
            idea = rng.choice(demo_data.IDEAS)
            place = rng.choices(demo_data.PLACES, [p.weight for p in demo_data.PLACES])[0]
            title = idea.title.format(lieu=place.phrase)
            lat, lon = places.point(rng, place)
            created = now - dt.timedelta(days=rng.uniform(0, 120))
            state = rng.choices([s for s, _w in STATES], [w for _s, w in STATES])[0]
            rows.append(
                {
                    "process_id": self.process_id,
                    "title": title[:150],
                    "body": f"{idea.body} (proposition de charge n° {n})",
                    "folded": fold(f"{title} {idea.body}"),
                    "category_id": categories[idea.category],
                    "geozone_id": zones[place.zone] if place.zone else None,
                    "latitude": lat,
                    "longitude": lon,
                    "address": place.address,
                    "author_id": rng.choice(authors),
                    "state": state,
                    "answer": "Réponse de l'agglomération." if state != "published" else "",
                    "supports_count": int(rng.lognormvariate(2.3, 1.1)),
                    "comments_count": int(rng.expovariate(0.4)),
                    "flags_count": 0,
                    "hidden": rng.random() < 0.003,
                    "created_at": created,
                    "modified_at": created,
                }
            )
            if len(rows) == BATCH:
                self.insert(rows)
                rows = []
        if rows:
            self.insert(rows)
        spent = time.perf_counter() - started
        self.run.figures["load"] = f"{duration(spent)} ({count / max(spent, 1e-9):,.0f} rows/s)"
        with self.engine.connect() as connection:
            started = time.perf_counter()
            connection.execute(text("ANALYZE"))
            connection.commit()
            self.run.figures["analyze"] = duration(time.perf_counter() - started)
            total = connection.scalar(
                select(func.count()).where(Proposal.process_id == self.process_id)
            )
        self.run.checks.append(f"{total:,} proposals in the process")

    def insert(self, rows: list[dict[str, Any]]) -> None:
        """One batch, one commit."""
        with self.engine.begin() as connection:
            connection.execute(insert(Proposal.__table__), rows)

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        """``servicielle serve`` on a free port, stopped afterwards."""
        self.port = free_port()
        command = [venv_tool("servicielle"), "serve", "--host", HOST, "--port", str(self.port)]
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
                self.run.figures["rss"] = group_peak_rss(server.pid)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=f"http://{HOST}:{self.port}", timeout=120)

    def step_get(self) -> None:
        """Each page ``--requests`` times, then its raw query."""
        for query in queries(self.category_id):
            sizes: list[int] = []

            def send(
                client: httpx.Client,
                params: dict[str, str],
                sizes: list[int] = sizes,
                path: str = query.path,
            ) -> str | None:
                response = client.get(path, params=params)
                problem = answer_problem(response, 200)
                if problem is None:
                    sizes.append(len(response.content))
                return problem

            with self.client() as client:
                for _ in range(WARMUP):
                    problem = send(client, query.params)
                    if problem:
                        raise RuntimeError(problem)
            sizes.clear()
            timing: Timing = drive([query.params] * self.options.requests, send, 1, self.client)
            self.run.figures[query.key] = timing.summary()
            if timing.failures:
                self.run.anomalies.append(f"{query.key}: {timing.failures[0]}")
            raw, found = self.raw(query)
            self.run.figures[query.key + "_raw"] = p50_p95(raw)
            ratio = percentile(timing.latencies, 0.5) / percentile(raw, 0.5)
            self.run.figures[query.key + "_ratio"] = f"× {ratio:,.1f}"
            self.run.checks.append(
                f"{query.label}: {found} (raw query); answers of "
                f"{min(sizes, default=0) / 1024:,.0f}–{max(sizes, default=0) / 1024:,.0f} kB"
            )

    def raw(self, query: Query) -> tuple[list[float], str]:
        """The page's repository query in this process, timed."""
        with self.factory() as session:
            repository = ProposalRepository(session)

            def run() -> Any:
                if query.map_points:
                    return repository.located(self.process_id, query.filters)
                session.expunge_all()  # each call builds its page's objects afresh
                return repository.page(
                    self.process_id,
                    query.filters,
                    _paging(query.page),
                )

            last = run()
            times = []
            for _ in range(self.options.raw_repeat):
                started = time.perf_counter()
                last = run()
                times.append(time.perf_counter() - started)
        if query.map_points:
            return times, f"{len(last):,} points"
        rows, total = last
        return times, f"{len(rows)} rows of {total:,}"

    def measure(self) -> BackendRun:
        progress(f"{self.run.name}: migrate + demos")
        try:
            if not self.attempt("setup", self.setup) or not self.attempt("load", self.load):
                return self.run
            with self.serving():
                progress(f"{self.run.name}: GET requests")
                self.attempt("GET requests", self.step_get)
        except Exception:
            trace = traceback.format_exc()
            self.run.anomalies.append(f"server: {trace.strip().splitlines()[-1]}\n{trace}")
        finally:
            self.engine.dispose()
        return self.run


def _paging(page: int) -> PageParams:
    return PageParams(page=page, page_size=PAGE_SIZE)


def rows_of(options: Options) -> list[tuple[str, str]]:
    """The table's rows: key of the figure, label."""
    rows = [
        ("demo", "participation demo load, in process (both editions, ballots, tallies)"),
        ("load", f"bulk insert up to {options.proposals:,} proposals, one commit per {BATCH:,}"),
        ("analyze", "`ANALYZE` after the load"),
    ]
    for query in queries(0):
        path = "carte.json" if query.map_points else "propositions"
        rows += [
            (query.key, f"`GET …/{path}` {query.label}, ×{options.requests}, 1 client"),
            (query.key + "_raw", "… raw limit: the page's repository query, in process"),
            (query.key + "_ratio", "… page p50 ÷ raw p50"),
        ]
    rows.append(("rss", "server peak RSS (VmHWM per process)"))
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
    print(f"## Participation: the proposals list with {options.proposals:,} proposals")
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
        "per column; client httpx on the same machine, sequential requests"
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
