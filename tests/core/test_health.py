"""Probes and the migration state."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from servicielle.core.health import migration_state
from servicielle.core.migrations import check


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"


def test_readyz_reports_head(client: TestClient) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ready"
    assert body["at_head"]
    assert body["current"] == body["head"]


def test_unreachable_database_is_reported() -> None:
    engine = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
    )
    state = migration_state(engine)
    assert state["database"] == "unreachable"
    assert not state["at_head"]


def test_models_match_migrations(database_url: str) -> None:
    """``alembic check`` finds nothing to generate on either backend."""
    check(database_url)
