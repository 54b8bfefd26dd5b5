"""Modules register through manifests; the app mounts whatever the registry holds."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from servicielle.app import create_app
from servicielle.config import Settings
from servicielle.core.modules import ModuleManifest, ModuleRegistry, get_registry


def test_registry_orders_by_dependency() -> None:
    names = [m.name for m in get_registry().manifests]
    assert (
        names.index("core")
        < names.index("territory")
        < names.index("accounts")
        < names.index("web")
    )


def test_missing_dependency_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="requires missing"):
        ModuleRegistry([ModuleManifest(name="x", label="X", requires=("nowhere",))])


def test_a_new_module_is_mounted_without_touching_the_app(
    settings: Settings, engine: Engine
) -> None:
    router = APIRouter(prefix="/hello")

    @router.get("")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    registry = ModuleRegistry(
        [*get_registry().manifests, ModuleManifest(name="hello", label="Hello", api=(router,))]
    )
    client = TestClient(create_app(settings, engine=engine, registry=registry))
    assert client.get("/api/v1/hello").json() == {"hello": "world"}
