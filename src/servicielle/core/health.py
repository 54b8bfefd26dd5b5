"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from servicielle import __version__
from servicielle.core.migrations import alembic_config

router = APIRouter(tags=["health"])


def migration_state(engine: Engine) -> dict[str, Any]:
    """Reachability of the database and whether its schema is at the head revision."""
    heads = set(ScriptDirectory.from_config(alembic_config(str(engine.url))).get_heads())
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        return {
            "database": "unreachable",
            "error": str(exc.__cause__ or exc).splitlines()[0],
            "current": [],
            "head": sorted(heads),
            "at_head": False,
        }
    return {
        "database": "ok",
        "current": sorted(current),
        "head": sorted(heads),
        "at_head": current == heads,
    }


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is at the head revision."""
    state = migration_state(request.app.state.engine)
    ready = state["database"] == "ok" and state["at_head"]
    return JSONResponse(
        {"status": "ready" if ready else "not ready", **state}, status_code=200 if ready else 503
    )
