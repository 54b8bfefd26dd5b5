"""The ASGI application: settings, engine, middleware, and every module from the registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from servicielle import __version__
from servicielle.config import Settings, get_settings
from servicielle.core import handlers
from servicielle.core.accounts.auth import get_principal
from servicielle.core.audit import listener as audit_listener
from servicielle.core.db import create_db_engine
from servicielle.core.i18n import LocaleMiddleware
from servicielle.core.modules import ModuleRegistry, get_registry
from servicielle.core.session import DbSessionMiddleware
from servicielle.core.templating import build_environment

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    registry: ModuleRegistry | None = None,
) -> FastAPI:
    """Build the platform; tests pass their own engine, production reads the settings."""
    settings = settings or get_settings()
    registry = registry or get_registry()
    registry.import_models()
    audit_listener.install()
    engine = engine or create_db_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="Servicielle",
        version=__version__,
        summary="Données du territoire, open data et services publics co-produits.",
        # Swagger UI would load from a CDN: the platform stays offline, /openapi.json remains.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.registry = registry
    app.state.engine = engine
    app.state.session_factory = sessionmaker(engine, expire_on_commit=False)
    app.state.templates = build_environment(registry, settings)

    app.state.error_formats = {
        prefix: render_error
        for manifest in registry.manifests
        for prefix, render_error in manifest.error_formats.items()
    }
    handlers.install(app)
    app.add_middleware(DbSessionMiddleware, get_factory=lambda: app.state.session_factory)
    app.add_middleware(LocaleMiddleware)

    # Pages know who is looking (for the layout); APIs resolve the principal on demand.
    page_dependencies = [Depends(get_principal)]
    for manifest in registry.manifests:
        # Bare routes first: a file route like /donnees/{slug}.ttl must win over a page.
        for router in manifest.routes:
            app.include_router(router)
        for router in manifest.api:
            app.include_router(router, prefix=API_PREFIX)
        for router in manifest.pages:
            app.include_router(router, dependencies=page_dependencies)
        for router in manifest.admin:
            app.include_router(router, prefix="/admin", dependencies=page_dependencies)

    app.mount(
        "/static", StaticFiles(directory=str(files("servicielle.web") / "static")), name="static"
    )
    return app


def session_factory(app: FastAPI) -> sessionmaker[Session]:
    """The app's session factory (for scripts and tests)."""
    factory: sessionmaker[Session] = app.state.session_factory
    return factory
