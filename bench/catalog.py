"""Open-data catalogue at scale: CKAN package_search, group_by on 1M rows, exports; SQLite and PG.

For each backend, in a fresh database (a temporary SQLite file, or a ``bench_catalog_<random>``
PostgreSQL database dropped at the end):

1. ``servicielle migrate`` and ``servicielle demo`` (territory, organisations, demo catalogue);
2. N realistic datasets through ``create_dataset`` + ``add_resource`` (links), committed every
   500; then ``POST /api/action/package_search`` timed on the live server (one worker);
3. a CSV of R rows x 8 columns (fixed seed) loaded through ``add_resource`` with an ``Upload``;
   the records API ``group_by`` timed over HTTP and as SQL, next to DuckDB on the same data;
4. the CSV and Parquet exports of the R rows streamed over HTTP.

Progress goes to stderr, the Markdown report to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import os
import platform
import random
import re
import secrets
import shlex
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
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
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import sessionmaker

BATCH = 500
WORKDIR_PREFIX = "servicielle-bench-catalog-"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
UPLOAD_LIMIT = 8 * 1024**3
CSV_HEADER = ["date", "commune", "categorie", "nombre", "montant", "paye", "latitude", "longitude"]
GROUP_SELECT = "count(*) as n, sum({amount}) as total, avg({amount}) as moyenne"
SOLR_ANCHOR = (
    "CKAN + Solr (catalog.data.gov, from the issue's reference): package_search median 10 s "
    "under a 250-user load test; 0.2–0.3 s per Solr request on developer machines"
)

# Subjects of the generated datasets: title stem, EU theme, keywords.
SUBJECTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Comptages vélo", "TRAN", ("vélo", "mobilité", "comptage")),
    ("Stationnement payant", "TRAN", ("stationnement", "parking", "voirie")),
    ("Qualité de l'air", "ENVI", ("air", "pollution", "environnement")),
    ("Consommations électriques des bâtiments", "ENER", ("énergie", "électricité", "bâtiments")),
    ("Collecte des déchets ménagers", "ENVI", ("déchets", "collecte", "propreté")),
    ("Budget primitif", "ECON", ("budget", "finances", "comptabilité")),
    ("Subventions aux associations", "GOVE", ("subventions", "associations")),
    ("Marchés publics attribués", "GOVE", ("marchés publics", "achats", "commande publique")),
    ("Délibérations du conseil communautaire", "GOVE", ("délibérations", "conseil", "actes")),
    ("Équipements sportifs", "EDUC", ("sport", "équipements")),
    ("Fréquentation des médiathèques", "EDUC", ("culture", "lecture", "médiathèque")),
    ("Arbres d'alignement", "ENVI", ("arbres", "patrimoine végétal", "nature en ville")),
    ("Éclairage public", "ENER", ("éclairage", "candélabres", "énergie")),
    ("Bornes de recharge électrique", "TRAN", ("IRVE", "recharge", "véhicules électriques")),
    ("Prénoms des nouveau-nés", "SOCI", ("état civil", "naissances", "prénoms")),
    ("Population légale", "SOCI", ("population", "recensement", "démographie")),
    ("Horaires des lignes de bus", "TRAN", ("bus", "transports en commun", "GTFS")),
    ("Travaux de voirie", "TRAN", ("travaux", "voirie", "chantiers")),
    ("Points d'apport volontaire", "ENVI", ("tri", "verre", "déchets")),
    ("Défibrillateurs", "HEAL", ("santé", "défibrillateurs", "secours")),
    ("Permis de construire", "REGI", ("urbanisme", "permis", "logement")),
    ("Plan local d'urbanisme", "REGI", ("PLU", "urbanisme", "zonage")),
    ("Qualité des eaux de baignade", "HEAL", ("baignade", "eau", "plages")),
    ("Relevés du marégraphe", "ENVI", ("marée", "littoral", "océan")),
    ("Production agricole locale", "AGRI", ("agriculture", "circuits courts", "marchés")),
    ("Interventions de la police municipale", "JUST", ("sécurité", "police municipale")),
    ("Accidents de la circulation", "JUST", ("accidents", "sécurité routière")),
    ("Aides à la rénovation énergétique", "ENER", ("rénovation", "logement", "énergie")),
    ("Inscriptions scolaires", "EDUC", ("écoles", "éducation", "effectifs")),
    ("Restauration scolaire", "EDUC", ("cantine", "repas", "alimentation")),
    ("Offres d'emploi de la collectivité", "ECON", ("emploi", "recrutement")),
    ("Locaux commerciaux vacants", "ECON", ("commerce", "vacance commerciale")),
    ("Couverture en fibre optique", "TECH", ("numérique", "fibre", "très haut débit")),
    ("Bornes Wi-Fi publiques", "TECH", ("wifi", "numérique", "accès internet")),
    ("Jumelages et coopération", "INTR", ("jumelage", "coopération internationale")),
    ("Taxe de séjour", "ECON", ("tourisme", "fiscalité", "hébergement")),
    ("Hébergements touristiques", "ECON", ("tourisme", "hébergement", "camping")),
    ("Sentiers de randonnée", "EDUC", ("randonnée", "loisirs", "nature")),
    ("Pistes cyclables", "TRAN", ("vélo", "aménagements cyclables", "voirie")),
    ("Consommation d'eau potable", "ENVI", ("eau", "consommation", "réseau")),
)
QUALIFIERS = (
    "",
    "annuel",
    "mensuel",
    "par quartier",
    "géolocalisé",
    "détaillé",
    "historique",
    "en temps réel",
    "par commune",
    "consolidé",
)
EXTRA_KEYWORDS = (
    "open data",
    "territoire",
    "Rochefort Océan",
    "Charente-Maritime",
    "statistiques",
    "cartographie",
    "historique",
    "indicateurs",
)
SENTENCES = (
    "Les coordonnées sont exprimées en WGS 84.",
    "Les montants sont exprimés en euros TTC.",
    "Les valeurs manquantes sont laissées vides.",
    "Le fichier suit le schéma national publié sur schema.data.gouv.fr.",
    "Les données personnelles ont été retirées avant publication.",
    "Une ligne par équipement, identifié par un code unique.",
    "Les séries antérieures sont disponibles sur demande auprès du service.",
    "Les chiffres de l'année en cours sont provisoires.",
    "La méthode de collecte a changé en cours de période : voir la documentation.",
    "Ces données alimentent le tableau de bord de la collectivité.",
    "Les relevés sont automatiques et contrôlés chaque semaine.",
    "La carte interactive reprend ces données.",
)
FREQUENCY_WORDS = {
    "daily": "chaque jour",
    "weekly": "chaque semaine",
    "monthly": "chaque mois",
    "quarterly": "chaque trimestre",
    "annual": "chaque année",
}
LICENCE_WEIGHTS = {"lov2": 70, "odc-odbl": 15, "cc-by": 10, "cc-zero": 5}
RESOURCE_FORMATS = ("csv", "csv", "json", "geojson", "xlsx", "pdf", "shp", "parquet")
# What package_search is asked: free words (all in the generated titles or keywords) and tags.
SEARCH_WORDS = (
    "vélo",
    "stationnement",
    "déchets",
    "budget",
    "subventions",
    "énergie",
    "arbres",
    "eau",
    "tourisme",
    "écoles",
    "urbanisme",
    "santé",
    "accidents",
    "fibre",
    "randonnée",
    "baignade",
    "culture",
    "marchés",
    "voirie",
    "logement",
)
SEARCH_TAGS = (
    "vélo",
    "voirie",
    "énergie",
    "déchets",
    "urbanisme",
    "tourisme",
    "numérique",
    "eau",
    "logement",
    "open data",
    "Charente-Maritime",
    "budget",
)
FACET_FIELDS = ["tags", "organization", "res_format", "license_id"]
COMMUNES = (
    ("Rochefort", 23583),
    ("Tonnay-Charente", 8088),
    ("Fouras", 4263),
    ("Échillais", 3715),
    ("Saint-Agnant", 2727),
    ("Breuil-Magné", 1738),
    ("Port-des-Barques", 1727),
    ("Soubise", 3161),
    ("Muron", 1134),
    ("Vergeroux", 1163),
    ("Loire-les-Marais", 1075),
    ("Saint-Laurent-de-la-Prée", 1943),
    ("Saint-Hippolyte", 1442),
    ("Cabariot", 1361),
    ("Moragne", 1125),
    ("Saint-Nazaire-sur-Charente", 1177),
    ("Lussant", 888),
    ("Beaugeay", 754),
    ("Champagne", 683),
    ("La Gripperie-Saint-Symphorien", 584),
    ("Moëze", 530),
    ("Saint-Jean-d'Angle", 651),
    ("Saint-Froult", 478),
    ("Saint-Coutant-le-Grand", 297),
    ("Île-d'Aix", 236),
)
CATEGORIES = (
    "voirie",
    "propreté",
    "éclairage",
    "espaces verts",
    "stationnement",
    "bâtiments",
    "eau",
    "assainissement",
    "signalisation",
    "mobilier urbain",
    "déchets",
    "sécurité",
)


@dataclass(frozen=True)
class Options:
    """What the command line asked for."""

    backends: tuple[str, ...]
    datasets: int
    rows: int
    requests: int
    repeat: int
    seed: int


@dataclass
class Step:
    """One timed figure: a value for the table, or the error that prevented it."""

    label: str
    shown: str = ""
    error: str | None = None


@dataclass
class BackendRun:
    """Everything measured on one backend."""

    name: str
    url: str = ""
    server_version: str = ""
    figures: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)


def parse_args(argv: Sequence[str] | None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--datasets", type=int, default=10_000, help="datasets to publish")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the big resource")
    parser.add_argument("--requests", type=int, default=200, help="package_search requests")
    parser.add_argument("--repeat", type=int, default=5, help="runs per group_by timing (median)")
    parser.add_argument("--seed", type=int, default=20261122, help="random seed of the data")
    args = parser.parse_args(argv)
    for name in ("datasets", "rows", "requests", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    return Options(backends, args.datasets, args.rows, args.requests, args.repeat, args.seed)


def progress(message: str) -> None:
    """A line on stderr, with the time."""
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def slugify(value: str) -> str:
    """Lower-case ASCII words joined by dashes."""
    decomposed = unicodedata.normalize("NFKD", value.lower())
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    """A duration in milliseconds for the table."""
    value = seconds * 1000
    if value < 10:
        return f"{value:.2f} ms"
    if value < 100:
        return f"{value:.1f} ms"
    return f"{value:,.0f} ms"


def duration(seconds: float) -> str:
    """A longer duration for the table."""
    return ms(seconds) if seconds < 1 else f"{seconds:,.1f} s"


def median_time(function: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    """Median wall time of ``repeat`` calls after one unmeasured call, all times, last result."""
    result = function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times, result


def peak_rss(pid: int) -> str:
    """High-water mark of a process's resident memory, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return f"{int(line.split()[1]) / 1024:,.0f} MiB"
    except OSError:
        pass
    return "unknown"


# --- databases -------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(backend: str, workdir: Path) -> Iterator[str]:
    """The URL of an empty database, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'catalog.db'}"
        return
    import psycopg

    name = f"bench_catalog_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    progress(f"created PostgreSQL database {name}")
    try:
        yield PG_URL.format(name=name)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        progress(f"dropped PostgreSQL database {name}")


def database_size(engine: Engine, url: str) -> int:
    """Bytes the database takes on disk (SQLite: file plus WAL)."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_database_size(current_database())")) or 0)


def server_version(engine: Engine) -> str:
    """The database engine's version."""
    if engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with engine.connect() as connection:
        number = connection.scalar(text("SHOW server_version"))
        autovacuum = connection.scalar(text("SHOW autovacuum"))
        return f"PostgreSQL {number} (autovacuum {autovacuum})"


# --- generated catalogue ---------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetSpec:
    """What one generated dataset is made of."""

    data: Any  # DatasetInput
    resources: list[Any]  # ResourceInput


def dataset_specs(
    count: int, rng: random.Random, organisations: list[str], communes: dict[str, str]
) -> list[DatasetSpec]:
    """``count`` varied French datasets with link resources, reproducible from ``rng``."""
    from servicielle.catalog.inputs import DatasetInput, ResourceInput
    from servicielle.catalog.vocabularies import FREQUENCIES, THEMES

    codes = sorted(communes)
    frequencies = sorted(FREQUENCIES)
    themes = sorted(THEMES)
    licences, weights = zip(*LICENCE_WEIGHTS.items(), strict=True)
    specs = []
    for number in range(count):
        subject, theme, keywords = rng.choice(SUBJECTS)
        code = rng.choice(codes)
        commune = communes[code]
        year = rng.randint(2012, 2026)
        qualifier = rng.choice(QUALIFIERS)
        title = f"{subject}{' ' + qualifier if qualifier else ''} — {commune} {year}"
        frequency = rng.choice(frequencies)
        organisation = rng.choice(organisations)
        sentences = [
            f"Ce jeu de données recense les {subject.lower()} sur le territoire de {commune} "
            f"pour l'année {year}.",
            f"Il est mis à jour {FREQUENCY_WORDS.get(frequency, 'selon les besoins du service')}.",
            *rng.sample(SENTENCES, rng.randint(1, 3)),
        ]
        slug = f"{slugify(subject)}-{slugify(commune)}-{year}-{number:05d}"[:100]
        data = DatasetInput(
            slug=slug,
            title=title,
            description=" ".join(sentences),
            organisation=organisation,
            licence=rng.choices(licences, weights)[0],
            frequency=frequency,
            themes=list(dict.fromkeys([theme, *rng.sample(themes, rng.randint(0, 1))])),
            keywords=[*keywords, *rng.sample(EXTRA_KEYWORDS, rng.randint(0, 2))],
            communes=[code],
            temporal_start=dt.date(year, 1, 1),
            temporal_end=dt.date(year, 12, 31),
            status=rng.choices(("public", "private", "archived"), (94, 3, 3))[0],
        )
        resources = []
        for position in range(rng.randint(1, 3)):
            fmt = rng.choice(RESOURCE_FORMATS)
            resources.append(
                ResourceInput(
                    title=f"{subject} {year} ({fmt.upper()})",
                    url=f"https://data.rochefort-ocean.demo/{slug}/{position + 1}.{fmt}",
                    format=fmt,
                    kind="remote",
                )
            )
        specs.append(DatasetSpec(data, resources))
    return specs


def write_csv(path: Path, rows: int, rng: random.Random) -> None:
    """A CSV of ``rows`` interventions: date, commune, category, count, amount, flag, lat, lon."""
    start = dt.date(2020, 1, 1)
    dates = [(start + dt.timedelta(days=d)).isoformat() for d in range(6 * 365)]
    names = [name for name, _ in COMMUNES]
    populations = [population for _, population in COMMUNES]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        done = 0
        while done < rows:
            size = min(100_000, rows - done)
            columns = (
                rng.choices(dates, k=size),
                rng.choices(names, weights=populations, k=size),
                rng.choices(CATEGORIES, k=size),
                [rng.randrange(0, 500) for _ in range(size)],
                [f"{rng.random() * 5000:.2f}" for _ in range(size)],
                rng.choices(("oui", "non"), k=size),
                [f"{45.85 + rng.random() * 0.2:.6f}" for _ in range(size)],
                [f"{-1.20 + rng.random() * 0.35:.6f}" for _ in range(size)],
            )
            writer.writerows(zip(*columns, strict=True))
            done += size


# --- phases of a load, timed by wrapping the platform's own functions -----------------------


@contextlib.contextmanager
def timed_phases(phases: dict[str, float]) -> Iterator[None]:
    """Add the time spent in the ingest steps of ``add_resource`` to ``phases``."""
    from servicielle.catalog import datastore, resources

    targets = (
        (resources, "store_upload", "store (copy + SHA-256)"),
        (resources, "read_file", "open and sniff"),
        (resources, "infer_fields", "infer types (reads every value)"),
        (resources, "validate", "validate (reads every value)"),
        (datastore, "create", "convert + insert (reads every value)"),
    )
    originals = []
    for module, name, label in targets:
        original = getattr(module, name)
        originals.append((module, name, original))

        def wrapper(*args: Any, _original: Any = original, _label: str = label, **kw: Any) -> Any:
            started = time.perf_counter()
            try:
                return _original(*args, **kw)
            finally:
                phases[_label] = phases.get(_label, 0.0) + time.perf_counter() - started

        setattr(module, name, wrapper)
    try:
        yield
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


# --- one backend -----------------------------------------------------------------------------


class Bench:
    """The measurements of one backend, in a working directory of their own."""

    def __init__(self, backend: str, options: Options, workdir: Path, url: str) -> None:
        from servicielle.config import Settings, get_settings
        from servicielle.core.audit import listener
        from servicielle.core.db import create_db_engine
        from servicielle.core.modules import get_registry

        self.options = options
        self.workdir = workdir
        self.url = url
        self.run = BackendRun(backend, url=url)
        self.env = {
            **os.environ,
            "SERVICIELLE_DATABASE_URL": url,
            "SERVICIELLE_DATA_DIR": str(workdir / "files"),
            "SERVICIELLE_UPLOAD_MAX_BYTES": str(UPLOAD_LIMIT),
        }
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("SERVICIELLE_")})
        get_settings.cache_clear()
        self.settings = Settings(
            database_url=url, data_dir=workdir / "files", upload_max_bytes=UPLOAD_LIMIT
        )
        # As the CLI does: every model known, the audit log listening.
        get_registry().import_models()
        listener.install()
        self.engine = create_db_engine(url)
        self.factory = sessionmaker(self.engine, expire_on_commit=False)
        self.csv_path = workdir / "interventions.csv"
        self.big_slug = "interventions-techniques-2020-2025"
        self.server: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.http_groups: dict[str, tuple[int, float]] = {}

    def figure(self, key: str, shown: str, number: float | None = None) -> None:
        self.run.figures[key] = shown
        if number is not None:
            self.run.numbers[key] = number

    def attempt(self, step: str, function: Callable[[], None]) -> bool:
        """Run one step; on failure keep its traceback as an anomaly and go on."""
        try:
            function()
        except Exception:
            trace = traceback.format_exc()
            progress(f"{self.run.name}: {step} FAILED\n{trace}")
            self.run.anomalies.append(f"{step}: {trace.strip().splitlines()[-1]}\n{trace}")
            return False
        return True

    # setup

    def setup(self) -> None:
        servicielle = venv_tool("servicielle")
        run_setup([servicielle, "migrate"], self.env, self.workdir)
        run_setup([servicielle, "demo"], self.env, self.workdir)
        self.run.server_version = server_version(self.engine)

    def create_datasets(self) -> None:
        from servicielle.catalog.demo import ADMIN
        from servicielle.catalog.resources import add_resource
        from servicielle.catalog.service import create_dataset
        from servicielle.core.session import session_scope
        from servicielle.core.territory.models import Commune, Organisation

        with session_scope(self.factory, via="bench") as session:
            organisations = sorted(session.scalars(select(Organisation.slug)))
            communes = {
                code: name
                for code, name in session.execute(select(Commune.insee_code, Commune.name))
            }
        rng = random.Random(self.options.seed)
        specs = dataset_specs(self.options.datasets, rng, organisations, communes)
        resources = sum(len(s.resources) for s in specs)
        progress(f"{self.run.name}: creating {len(specs)} datasets ({resources} links)")
        batch_times = []
        started = time.perf_counter()
        for first in range(0, len(specs), BATCH):
            batch_started = time.perf_counter()
            with session_scope(self.factory, via="bench") as session:
                for spec in specs[first : first + BATCH]:
                    dataset = create_dataset(session, ADMIN, spec.data)
                    for resource in spec.resources:
                        add_resource(session, self.settings, ADMIN, dataset, resource, None)
            batch_times.append(time.perf_counter() - batch_started)
            if len(batch_times) % 4 == 0:
                progress(f"{self.run.name}: {first + BATCH} datasets")
        elapsed = time.perf_counter() - started
        rate = len(specs) / elapsed
        first_rate = min(BATCH, len(specs)) / batch_times[0]
        last_rate = (len(specs) - BATCH * (len(batch_times) - 1)) / batch_times[-1]
        self.figure(
            "create",
            f"{duration(elapsed)} ({rate:,.0f} datasets/s; first batch {first_rate:,.0f}/s, "
            f"last {last_rate:,.0f}/s)",
            rate,
        )
        self.figure("create_links", f"{resources:,}")

    def load_big_resource(self) -> None:
        from servicielle.catalog.demo import ADMIN
        from servicielle.catalog.inputs import DatasetInput, ResourceInput
        from servicielle.catalog.resources import Upload, add_resource
        from servicielle.catalog.service import create_dataset
        from servicielle.core.session import session_scope

        if not self.csv_path.exists():
            progress(f"writing {self.options.rows:,} rows to {self.csv_path}")
            started = time.perf_counter()
            write_csv(self.csv_path, self.options.rows, random.Random(self.options.seed))
            progress(f"CSV written in {time.perf_counter() - started:.1f} s")
        size = self.csv_path.stat().st_size
        self.figure("csv_size", f"{size / 1e6:,.1f} MB")
        progress(f"{self.run.name}: loading the CSV through add_resource")
        phases: dict[str, float] = {}
        started = time.perf_counter()
        with session_scope(self.factory, via="bench") as session:
            dataset = create_dataset(
                session,
                ADMIN,
                DatasetInput(
                    slug=self.big_slug,
                    title="Interventions techniques 2020-2025",
                    description="Interventions des services techniques, une ligne chacune.",
                    organisation="voirie",
                    licence="lov2",
                    frequency="daily",
                    keywords=["interventions", "voirie"],
                    status="public",
                ),
            )
            with self.csv_path.open("rb") as stream, timed_phases(phases):
                resource, record = add_resource(
                    session,
                    self.settings,
                    ADMIN,
                    dataset,
                    ResourceInput(title="Interventions (CSV)"),
                    Upload(self.csv_path.name, stream),
                )
            assert record is not None
            if not record.valid:
                raise RuntimeError(f"the CSV did not validate: {str(record.report)[:2000]}")
            committing = time.perf_counter()
        phases["commit"] = time.perf_counter() - committing
        elapsed = time.perf_counter() - started
        rows = int(resource.row_count or 0)
        if rows != self.options.rows:
            self.run.anomalies.append(f"load: row_count {rows} != {self.options.rows}")
        self.run.checks.append(
            f"load: row_count {rows:,}; fields "
            + ", ".join(f"{f['name']} ({f['type']})" for f in resource.fields)
        )
        self.figure(
            "load",
            f"{duration(elapsed)} ({self.options.rows / elapsed:,.0f} rows/s, "
            f"{size / elapsed / 1e6:.1f} MB/s)",
            self.options.rows / elapsed,
        )
        self.figure(
            "load_phases",
            ", ".join(f"{label} {duration(seconds)}" for label, seconds in phases.items()),
        )
        self.figure("db_size", f"{database_size(self.engine, self.url) / 1e6:,.0f} MB")

    # server

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        servicielle = venv_tool("servicielle")
        self.port = free_port()
        command = [servicielle, "serve", "--host", HOST, "--port", str(self.port), "--workers", "1"]
        log = self.workdir / "server.log"
        progress(f"$ {shlex.join(command)}  (log: {log})")
        with log.open("wb") as sink:
            self.server = subprocess.Popen(
                command,
                env=self.env,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_ready(self.server, self.port, log)
            yield
        finally:
            stop(self.server)
            if self.server.returncode not in (0, -signal.SIGTERM, None):
                self.run.anomalies.append(
                    f"server exited with {self.server.returncode}:\n{log_tail(log)}"
                )

    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def rss(self) -> str:
        return peak_rss(self.server.pid) if self.server else "unknown"

    # package_search

    def search_plan(self) -> list[tuple[str, dict[str, Any]]]:
        rng = random.Random(self.options.seed + 1)
        kinds: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("`q=*:*`, rows 10", lambda: {"q": "*:*", "rows": 10}),
            (
                "`q=<word>`, rows 10, 4 facets",
                lambda: {"q": rng.choice(SEARCH_WORDS), "rows": 10, "facet.field": FACET_FIELDS},
            ),
            (
                "`fq=tags:<kw>`, rows 20",
                lambda: {"fq": f'tags:"{rng.choice(SEARCH_TAGS)}"', "rows": 20},
            ),
            (
                "`q=<word>`, start 100, rows 10",
                lambda: {"q": rng.choice(SEARCH_WORDS[:8]), "start": 100, "rows": 10},
            ),
        ]
        plan = []
        for number in range(self.options.requests):
            label, make = kinds[number % len(kinds)]
            plan.append((label, make()))
        return plan

    def analyze(self) -> None:
        """What PostgreSQL's autovacuum does by itself (when it is on); SQLite never does."""
        started = time.perf_counter()
        with self.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        self.figure("analyze", duration(time.perf_counter() - started))

    def package_search(self, stage: str = "") -> None:
        from servicielle.catalog.models import Dataset, DatasetStatus

        with self.engine.connect() as connection:
            listed = int(
                connection.scalar(
                    select(func.count())
                    .select_from(Dataset)
                    .where(Dataset.status.in_((DatasetStatus.PUBLIC, DatasetStatus.ARCHIVED)))
                )
                or 0
            )
        plan = self.search_plan()
        latencies: dict[str, list[float]] = {}
        counts: dict[str, list[int]] = {}
        failures: list[str] = []
        url = f"{self.base()}/api/action/package_search"
        with httpx.Client(timeout=120) as client:
            for _label, body in plan[:8]:  # warm-up, unmeasured
                client.post(url, json=body)
            started = time.perf_counter()
            for label, body in plan:
                sent = time.perf_counter()
                response = client.post(url, json=body)
                latencies.setdefault(label, []).append(time.perf_counter() - sent)
                if response.status_code != 200 or not response.json().get("success"):
                    failures.append(f"{body} -> {response.status_code} {response.text[:300]}")
                    continue
                result = response.json()["result"]
                counts.setdefault(label, []).append(int(result["count"]))
                if int(result["count"]) > int(body.get("start", 0)) and not result["results"]:
                    failures.append(f"{body} -> an empty page of {result['count']} hits")
            total = time.perf_counter() - started
        every = [t for values in latencies.values() for t in values]
        self.figure(
            f"search_all{stage}",
            f"p50 {ms(statistics.median(every))}, p95 {ms(percentile(every, 0.95))}",
            statistics.median(every),
        )
        self.figure(f"search_rate{stage}", f"{len(plan) / total:,.1f} req/s", len(plan) / total)
        for label, values in latencies.items():
            self.figure(
                f"search {label}{stage}",
                f"p50 {ms(statistics.median(values))}, p95 {ms(percentile(values, 0.95))}",
            )
        all_counts = counts.get("`q=*:*`, rows 10", [])
        self.run.checks.append(
            f"package_search{stage}: `*:*` count {all_counts[:1]} (public + archived datasets "
            f"in the database: {listed:,}); mean hits of `q=<word>` "
            f"{statistics.mean(counts.get('`q=<word>`, rows 10, 4 facets', [0])):,.0f}, of "
            f"`fq=tags:<kw>` {statistics.mean(counts.get('`fq=tags:<kw>`, rows 20', [0])):,.0f}"
        )
        if all_counts and all_counts[0] != listed:
            self.run.anomalies.append(f"package_search `*:*` counts {all_counts[0]}, not {listed}")
        for failure in failures[:5]:
            self.run.anomalies.append(f"package_search: {failure}")
        self.figure(f"rss_search{stage}", self.rss())

    # group_by

    def field_names(self) -> tuple[str, str]:
        from servicielle.catalog.ingest import column_names

        names = dict(zip(CSV_HEADER, column_names(CSV_HEADER), strict=True))
        return names["commune"], names["montant"]

    def group_by_http(self) -> None:
        commune, amount = self.field_names()
        params = {
            "group_by": commune,
            "select": GROUP_SELECT.format(amount=amount),
            "order_by": "n desc",
            "limit": 100,
        }
        url = f"{self.base()}/api/explore/v2.1/catalog/datasets/{self.big_slug}/records"
        with httpx.Client(timeout=600) as client:

            def query() -> dict[str, Any]:
                response = client.get(url, params=params)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:500]}")
                return dict(response.json())

            median, times, result = median_time(query, self.options.repeat)
        self.figure(
            "group_http",
            f"{ms(median)} (runs {', '.join(ms(t) for t in times)})",
            median,
        )
        groups = {r["commune"]: (r["n"], r["total"]) for r in result["results"]}
        self.run.numbers["groups"] = len(groups)
        self.http_groups = groups
        total = sum(n for n, _ in groups.values())
        self.run.checks.append(
            f"group_by over HTTP: {len(groups)} groups, total_count {result['total_count']}, "
            f"sum of n {total:,}"
        )
        if total != self.options.rows:
            self.run.anomalies.append(f"group_by: the counts add up to {total}, not the row count")
        self.figure("rss_group", self.rss())

    def group_by_sql(self) -> None:
        from servicielle.catalog.models import Dataset, Resource
        from servicielle.catalog.odsql import QueryParams, compile_query
        from servicielle.catalog.published import rows_source

        commune, amount = self.field_names()
        with self.factory() as session:
            resource = session.scalars(
                select(Resource)
                .join(Dataset, Dataset.id == Resource.dataset_id)
                .where(Dataset.slug == self.big_slug, Resource.datastore_table.is_not(None))
            ).one()
            source, fields = rows_source(resource)
            query = compile_query(
                source,
                fields,
                QueryParams(
                    select=GROUP_SELECT.format(amount=amount),
                    group_by=commune,
                    order_by="n desc",
                    limit=100,
                ),
            )
            self.run.checks.append(
                "compiled SQL: "
                + " ".join(str(query.statement.compile(dialect=self.engine.dialect)).split())
            )
            rows_only, times, _ = median_time(
                lambda: session.execute(query.statement).all(), self.options.repeat
            )
            both, _, _ = median_time(
                lambda: (
                    session.scalar(query.count_statement),
                    session.execute(query.statement).all(),
                ),
                self.options.repeat,
            )
            session.rollback()
        self.figure("group_sql", f"{ms(rows_only)} (runs {', '.join(ms(t) for t in times)})")
        self.run.numbers["group_sql"] = rows_only
        self.figure("group_sql_count", ms(both), both)

    def group_by_duckdb(self) -> None:
        import duckdb

        commune, amount = "commune", "montant"
        sql = (
            f"SELECT {commune}, count(*) AS n, sum({amount}) AS total, avg({amount}) AS moyenne "
            "FROM {source} GROUP BY 1 ORDER BY 2 DESC LIMIT 100"
        )
        connection = duckdb.connect()
        path = str(self.csv_path).replace("'", "''")
        from_file = sql.format(source=f"read_csv_auto('{path}')")
        median, times, result = median_time(
            lambda: connection.execute(from_file).fetchall(), self.options.repeat
        )
        self.figure("duck_file", f"{ms(median)} (runs {', '.join(ms(t) for t in times)})", median)
        started = time.perf_counter()
        connection.execute(f"CREATE TABLE t AS SELECT * FROM read_csv_auto('{path}')")
        loaded = time.perf_counter() - started
        self.figure(
            "duck_load",
            f"{duration(loaded)} ({self.options.rows / loaded:,.0f} rows/s)",
            self.options.rows / loaded,
        )
        from_table = sql.format(source="t")
        median, times, result = median_time(
            lambda: connection.execute(from_table).fetchall(), self.options.repeat
        )
        self.figure("duck_table", f"{ms(median)} (runs {', '.join(ms(t) for t in times)})", median)
        threads = connection.execute("SELECT current_setting('threads')").fetchone()
        connection.execute("SET threads = 1")
        median, _, _ = median_time(
            lambda: connection.execute(from_table).fetchall(), self.options.repeat
        )
        self.figure("duck_table_1", ms(median), median)
        self.figure("duck_threads", str(threads[0] if threads else "?"))
        connection.close()
        ours = self.http_groups
        mismatched = [
            name
            for name, n, total, _ in result
            if name not in ours
            or ours[name][0] != n
            or abs(ours[name][1] - total) > 1e-6 * max(1.0, abs(total))
        ]
        if ours:
            self.run.checks.append(
                f"DuckDB and the records API agree on {len(result) - len(mismatched)} of "
                f"{len(result)} groups (count and sum)"
            )
            if mismatched:
                self.run.anomalies.append(f"group_by differs from DuckDB for {mismatched[:5]}")

    # exports

    def export(self, fmt: str) -> None:
        url = f"{self.base()}/api/explore/v2.1/catalog/datasets/{self.big_slug}/exports/{fmt}"
        target = self.workdir / f"export.{fmt}"
        size = 0
        lines = 0
        first_byte = None
        started = time.perf_counter()
        with (
            httpx.Client(timeout=None) as client,
            client.stream("GET", url) as response,
            target.open("wb") as out,
        ):
            if response.status_code != 200:
                response.read()
                raise RuntimeError(f"{response.status_code}: {response.text[:500]}")
            for chunk in response.iter_raw():
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                size += len(chunk)
                if fmt == "csv":
                    lines += chunk.count(b"\n")
                else:
                    out.write(chunk)
        elapsed = time.perf_counter() - started
        rows = self.options.rows
        self.figure(
            f"export_{fmt}",
            f"{duration(elapsed)} ({rows / elapsed:,.0f} rows/s, {size / elapsed / 1e6:.1f} MB/s, "
            f"{size / 1e6:,.1f} MB, first byte after {duration(first_byte or 0.0)})",
            rows / elapsed,
        )
        if fmt == "csv":
            self.run.checks.append(f"CSV export: {lines:,} lines (expected {rows + 1:,})")
            if lines != rows + 1:
                self.run.anomalies.append(f"CSV export has {lines} lines, not {rows + 1}")
        else:
            import pyarrow.parquet as pq

            table = pq.read_table(target)
            self.run.checks.append(
                f"Parquet export: pyarrow reads {table.num_rows:,} rows, columns "
                + ", ".join(f"{f.name}:{f.type}" for f in table.schema)
            )
            if table.num_rows != rows:
                self.run.anomalies.append(f"Parquet export has {table.num_rows} rows, not {rows}")
            target.unlink()
        self.figure(f"rss_export_{fmt}", self.rss())

    def measure(self) -> BackendRun:
        name = self.run.name
        progress(f"{name}: migrate + demo")
        self.setup()
        self.attempt("create datasets", self.create_datasets)
        loaded = self.attempt("load the 1M-row CSV", self.load_big_resource)
        with self.serving():
            progress(f"{name}: package_search x {self.options.requests}")
            self.attempt("package_search", self.package_search)
            if loaded:
                progress(f"{name}: group_by over HTTP")
                self.attempt("group_by over HTTP", self.group_by_http)
                progress(f"{name}: group_by as SQL")
                self.attempt("group_by as SQL", self.group_by_sql)
                progress(f"{name}: CSV export")
                self.attempt("CSV export", lambda: self.export("csv"))
                progress(f"{name}: Parquet export")
                self.attempt("Parquet export", lambda: self.export("parquet"))
            progress(f"{name}: ANALYZE, then package_search x {self.options.requests} again")
            if self.attempt("ANALYZE", self.analyze):
                self.attempt(
                    "package_search after ANALYZE", lambda: self.package_search(AFTER_ANALYZE)
                )
        if self.csv_path.exists():
            progress(f"{name}: DuckDB")
            self.attempt("DuckDB", self.group_by_duckdb)
        self.engine.dispose()
        return self.run


# --- report ----------------------------------------------------------------------------------

AFTER_ANALYZE = " after ANALYZE"
SEARCH_ROWS: tuple[tuple[str, str], ...] = (
    ("search_all", "package_search, all requests"),
    ("search `q=*:*`, rows 10", "… `q=*:*`, rows 10"),
    ("search `q=<word>`, rows 10, 4 facets", "… `q=<word>`, rows 10, facets tags/org/format/lic."),
    ("search `fq=tags:<kw>`, rows 20", "… `fq=tags:<kw>`, rows 20"),
    ("search `q=<word>`, start 100, rows 10", "… `q=<word>`, start 100, rows 10"),
    ("search_rate", "package_search, sequential throughput"),
)
ROWS: tuple[tuple[str, str], ...] = (
    ("create", "create N datasets (`create_dataset` + 1–3 link resources each, commit / 500)"),
    ("create_links", "link resources created"),
    ("csv_size", "CSV size (R rows × 8 columns)"),
    ("load", "load the CSV (`add_resource` + `Upload`, commit included)"),
    ("load_phases", "… of which"),
    ("db_size", "database size after loading"),
    *SEARCH_ROWS,
    ("rss_search", "server peak RSS after package_search"),
    ("group_http", "group_by over HTTP (records API), median"),
    ("group_sql", "same SELECT via SQLAlchemy, median"),
    ("group_sql_count", "SELECT + the count query the endpoint also runs, median"),
    ("duck_file", "DuckDB `read_csv_auto` on the CSV, median"),
    ("duck_load", "DuckDB `CREATE TABLE AS read_csv_auto` (load)"),
    ("duck_table", "DuckDB on the loaded in-memory table, median"),
    ("duck_table_1", "DuckDB on the loaded table, 1 thread, median"),
    ("ratio_http_file", "ratio HTTP / DuckDB on the CSV file"),
    ("ratio_http_table", "ratio HTTP / DuckDB loaded table"),
    ("ratio_sql_table", "ratio SQL / DuckDB loaded table"),
    ("ratio_sql_table_1", "ratio SQL / DuckDB loaded table, 1 thread"),
    ("ratio_load", "load rate ratio DuckDB / ours"),
    ("rss_group", "server peak RSS after group_by"),
    ("export_csv", "CSV export over HTTP (`;`, BOM)"),
    ("rss_export_csv", "server peak RSS after the CSV export"),
    ("export_parquet", "Parquet export over HTTP (zstd)"),
    ("rss_export_parquet", "server peak RSS after the Parquet export"),
    ("analyze", "`ANALYZE` of the whole database (statistics for the planner)"),
    *((key + AFTER_ANALYZE, label + " — after `ANALYZE`") for key, label in SEARCH_ROWS),
)


def add_ratios(run: BackendRun) -> None:
    """Ours ÷ DuckDB, where both sides were measured."""
    numbers = run.numbers
    pairs = (
        ("ratio_http_file", "group_http", "duck_file"),
        ("ratio_http_table", "group_http", "duck_table"),
        ("ratio_sql_table", "group_sql", "duck_table"),
        ("ratio_sql_table_1", "group_sql", "duck_table_1"),
    )
    for key, ours, theirs in pairs:
        if ours in numbers and theirs in numbers and numbers[theirs] > 0:
            run.figures[key] = f"× {numbers[ours] / numbers[theirs]:,.1f}"
    if "load" in numbers and "duck_load" in numbers:
        run.figures["ratio_load"] = f"× {numbers['duck_load'] / numbers['load']:,.0f}"


def report(
    options: Options,
    runs: list[BackendRun],
    started: dt.datetime,
    load_before: tuple[float, float, float],
    revision: str,
) -> None:
    """Print machine, software, date, command, the table, the checks and the anomalies."""
    import duckdb
    import pyarrow

    cores = len(os.sched_getaffinity(0))
    print()
    print("## Catalog at scale")
    print()
    kernel = f"{platform.system()} {platform.release()}"
    print(f"- machine: {cores} cores (nproc), {cpu_model()}, {memory_gib()} RAM, {kernel}")
    engines = ", ".join(run.server_version for run in runs if run.server_version)
    print(
        f"- software: Python {platform.python_version()}, {engines}, SQLAlchemy "
        f"{version('sqlalchemy')}, psycopg {version('psycopg')}, uvicorn {version('uvicorn')}, "
        f"fastapi {version('fastapi')}, httpx {httpx.__version__}, DuckDB {duckdb.__version__}, "
        f"pyarrow {pyarrow.__version__}"
    )
    print(f"- date (UTC): {started:%Y-%m-%d %H:%M}; source: {revision}")
    print(f"- command: `{shlex.join(sys.orig_argv)}`")
    print(
        f"- data: {options.datasets:,} generated datasets (seed {options.seed}), one resource of "
        f"{options.rows:,} rows; server: `servicielle serve --workers 1`, client httpx on the "
        f"same machine, one request at a time; {options.requests} package_search requests (4 "
        f"kinds in turn, 8 unmeasured first); group_by and DuckDB: median of {options.repeat} "
        "runs after 1 unmeasured run"
    )
    print(
        "- load average (1/5/15 min) before: "
        + " ".join(f"{v:.2f}" for v in load_before)
        + ", after: "
        + " ".join(f"{v:.2f}" for v in os.getloadavg())
    )
    print()
    for run in runs:
        add_ratios(run)
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    print("| measure | " + " | ".join(names[r.name] for r in runs) + " |")
    print("|---|" + "---|" * len(runs))
    for key, label in ROWS:
        label = label.replace(" N ", f" {options.datasets:,} ").replace(
            "R rows", f"{options.rows:,} rows"
        )
        cells = [run.figures.get(key, "—") for run in runs]
        if any(cell != "—" for cell in cells):
            print(f"| {label} | " + " | ".join(cells) + " |")
    print()
    print(f"Anchor: {SOLR_ANCHOR}.")
    for run in runs:
        print()
        print(f"Checks ({names[run.name]}):")
        for check in run.checks:
            print(f"- {check}")
    anomalies = [(run.name, a) for run in runs for a in run.anomalies]
    if anomalies:
        print()
        print("Anomalies:")
        for name, anomaly in anomalies:
            first, _, rest = anomaly.partition("\n")
            print(f"- {names[name]}: {first}")
            if rest:
                print("\n```\n" + rest.strip() + "\n```")


def source_revision() -> str:
    """The commit measured, and whether src/ differed from it when the report was printed."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown (no git)"
    return f"commit {commit}" + (" with uncommitted changes in src/" if dirty else "")


def stop_on_sigterm(_signum: int, _frame: Any) -> None:
    """Turn SIGTERM into SystemExit so that servers and databases are cleaned up."""
    raise SystemExit(143)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each backend in turn and print the report."""
    options = parse_args(argv)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    revision = source_revision()
    runs = []
    with tempfile.TemporaryDirectory(prefix=WORKDIR_PREFIX) as tmp:
        shared_csv = Path(tmp) / "interventions.csv"
        for backend in options.backends:
            workdir = Path(tmp) / backend
            workdir.mkdir()
            with fresh_database(backend, workdir) as url:
                bench = Bench(backend, options, workdir, url)
                bench.csv_path = shared_csv
                runs.append(bench.measure())
    if source_revision() != revision:
        revision += f", then {source_revision()} by the end of the run"
    report(options, runs, started, load_before, revision)
    return 1 if any(run.anomalies for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
