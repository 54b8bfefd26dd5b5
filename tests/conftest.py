"""Fixtures: every database test runs on SQLite and on PostgreSQL, rolled back after each test.

PostgreSQL is the local server (``SERVICIELLE_TEST_PG``, default 127.0.0.1:5432, user
postgres). It is required: a missing server fails the run, it is never skipped.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from servicielle.app import create_app
from servicielle.config import Settings
from servicielle.core.accounts import tokens
from servicielle.core.accounts.auth import SESSION_COOKIE, principal_for_user
from servicielle.core.accounts.models import User
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.accounts.service import add_membership, create_user, sign_in
from servicielle.core.csrf import CSRF_COOKIE
from servicielle.core.db import create_db_engine
from servicielle.core.migrations import upgrade
from servicielle.core.session import AuditContext
from servicielle.core.territory.models import Organisation, OrganisationKind

PG_ADMIN_URL = os.environ.get(
    "SERVICIELLE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")
PASSWORD = "Correct-Horse-42-battery"
TEST_SECRET = "test-secret-key-for-signing"
SECRET = "live-test-secret"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def pg_url(database: str) -> str:
    """SQLAlchemy URL of a database on the test PostgreSQL server."""
    return (
        PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0]
        + f"/{database}"
    )


def create_pg_database(prefix: str) -> str:
    """A new empty PostgreSQL database; fails loudly when the server is missing."""
    name = re.sub(r"[^a-z0-9_]", "_", f"{prefix}_{_worker()}_{uuid.uuid4().hex[:8]}".lower())
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required for the tests and is not reachable: {exc}")
    return name


def drop_pg_database(name: str) -> None:
    """Drop a test database, closing what still uses it."""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly migrated database of each backend, shared by the worker's tests."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        upgrade(url)
        yield url
        return
    name = create_pg_database("servicielle_test")
    url = pg_url(name)
    upgrade(url)
    yield url
    drop_pg_database(name)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The engine of the backend under test."""
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions joined to the test transaction: their commits are savepoints."""
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and checking data."""
    session = session_factory()
    session.info["audit"] = AuditContext(via="test")
    yield session
    session.close()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the app under test."""
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        base_url="http://testserver",
        data_dir=tmp_path_factory.mktemp("files"),
    )


@pytest.fixture(scope="session")
def base_app(settings: Settings, engine: Engine) -> FastAPI:
    """The platform, built once per backend."""
    return create_app(settings, engine=engine)


@pytest.fixture
def app(base_app: FastAPI, session_factory: sessionmaker[Session]) -> Iterator[FastAPI]:
    """The platform with its requests joined to the test transaction."""
    original = base_app.state.session_factory
    base_app.state.session_factory = session_factory
    yield base_app
    base_app.state.session_factory = original


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    """An HTTP client (httpx) talking to the app in-process."""
    return TestClient(app, base_url="http://testserver", raise_server_exceptions=False)


@pytest.fixture
def browser_headers() -> dict[str, str]:
    """What a browser sends when it asks for a page."""
    return {"Accept": "text/html,application/xhtml+xml"}


def make_organisation(db: Session, slug: str, kind: OrganisationKind) -> Organisation:
    """An organisation of ``kind``."""
    organisation = Organisation(slug=slug, name=slug.replace("-", " ").title(), kind=kind)
    db.add(organisation)
    db.flush()
    return organisation


def make_user(
    db: Session,
    email: str,
    *,
    organisation: Organisation | None = None,
    admin: bool = False,
    confirmed: bool = True,
) -> User:
    """A confirmed account with the test password."""
    user = create_user(
        db,
        email=email,
        password=PASSWORD,
        display_name=email.split("@")[0],
        is_admin=admin,
        confirmed=confirmed,
    )
    if organisation is not None:
        add_membership(db, user=user, organisation_id=organisation.id)
    db.flush()
    return user


def token_for(db: Session, user_id: int, organisation_id: int) -> str:
    """An API token of ``user_id`` speaking for ``organisation_id``."""
    user = UserRepository(db).get(user_id)
    _token, secret = tokens.create_token(
        db, principal_for_user(user), name="test", organisation_id=organisation_id
    )
    db.flush()
    return secret


def sign_in_client(client: TestClient, db: Session, settings: Settings, user: User) -> TestClient:
    """Give ``client`` a browser session of ``user``."""
    _user, secret = sign_in(
        db, settings, email=user.email, password=PASSWORD, ip="127.0.0.1", user_agent="tests"
    )
    db.flush()
    client.cookies.set(SESSION_COOKIE, secret)
    return client


def csrf_token(client: TestClient, page: str = "/compte/connexion") -> str:
    """Visit a form page and return the CSRF token its cookie carries."""
    client.get(page, headers={"Accept": "text/html"})
    token = client.cookies.get(CSRF_COOKIE)
    assert token, "the form page did not set a CSRF cookie"
    return token


@pytest.fixture
def roles(db: Session) -> dict[str, Any]:
    """One account per role, with the organisations that make them so."""
    department = make_organisation(db, "voirie-test", OrganisationKind.DEPARTMENT)
    operator = make_organisation(db, "operateur-test", OrganisationKind.OPERATOR)
    association = make_organisation(db, "association-test", OrganisationKind.ASSOCIATION)
    return {
        "department": department,
        "operator_org": operator,
        "association": association,
        "inhabitant": make_user(db, "habitante@example.fr", organisation=association),
        "agent": make_user(db, "agent@example.fr", organisation=department),
        "operator": make_user(db, "operateur@example.fr", organisation=operator),
        "administrator": make_user(db, "admin@example.fr", admin=True, organisation=department),
    }


ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _servicielle(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "servicielle", *args],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


@dataclass(frozen=True)
class LiveSite:
    """A running server: its URL and its database's."""

    base_url: str
    database_url: str


@pytest.fixture(scope="session", params=("sqlite", "postgresql"))
def live_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveSite]:
    """The platform served by uvicorn on a free port, demo loaded (mark tests
    ``xdist_group("browser")`` so they share one worker's servers)."""
    pg_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    else:
        pg_name = create_pg_database("servicielle_live")
        url = pg_url(pg_name)
    port = _free_port()
    env = {
        **os.environ,
        "SERVICIELLE_DATABASE_URL": url,
        "SERVICIELLE_SECRET_KEY": SECRET,
        "SERVICIELLE_BASE_URL": f"http://127.0.0.1:{port}",
        "SERVICIELLE_DATA_DIR": str(tmp_path_factory.mktemp("live-files")),
    }
    _servicielle(env, "migrate")
    _servicielle(env, "demo")
    log = Path(tmp_path_factory.mktemp("logs")) / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "servicielle", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield LiveSite(base, url)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        if pg_name:
            drop_pg_database(pg_name)


@pytest.fixture(scope="session")
def live_server(live_site: LiveSite) -> str:
    """The live site's URL."""
    return live_site.base_url
