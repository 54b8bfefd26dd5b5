"""Module manifests and the registry the app mounts from (DESIGN.md §2, Decidim's manifests).

Each module exposes ``manifest = ModuleManifest(...)`` in its ``__init__.py`` and declares it
under the ``servicielle.modules`` entry-point group; nothing keeps a hand-written router list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from fastapi import APIRouter

from servicielle.core.opendata import PublishedDataset
from servicielle.core.permissions import Permission

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from servicielle.config import Settings
    from servicielle.core.handlers import ErrorFormat

ENTRY_POINT_GROUP = "servicielle.modules"


@dataclass(frozen=True)
class NavEntry:
    """A link the layout shows: ``label`` and ``description`` are gettext message ids."""

    label: str
    href: str
    description: str = ""
    permission: str | None = None


@dataclass(frozen=True)
class DemoSeed:
    """A step of ``servicielle demo``: ``load`` fills the session, ``clear`` empties it."""

    load: Callable[[Session], str]
    clear: Callable[[Session], None]


@dataclass(frozen=True)
class PeriodicTask:
    """Background work ``servicielle worker`` runs every ``seconds``, in its own sessions."""

    name: str
    seconds: float
    run: Callable[[sessionmaker[Session], Settings], object]


@dataclass(frozen=True)
class ModuleManifest:
    """Everything a module contributes to the platform.

    ``api`` routers are mounted under ``/api/v1``; ``pages`` at the root, knowing who looks;
    ``admin`` under ``/admin``; ``routes`` at the root as they are (probes, well-known files).
    ``models`` are dotted module paths imported so that one metadata holds every table.
    ``requires`` orders mounting and seeding. ``datasets`` are published as open data.
    """

    name: str
    label: str
    requires: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    api: tuple[APIRouter, ...] = ()
    pages: tuple[APIRouter, ...] = ()
    admin: tuple[APIRouter, ...] = ()
    routes: tuple[APIRouter, ...] = ()
    templates: str | None = None
    permissions: tuple[Permission, ...] = ()
    nav: tuple[NavEntry, ...] = ()
    admin_nav: tuple[NavEntry, ...] = ()
    demo: DemoSeed | None = None
    datasets: tuple[PublishedDataset, ...] = ()
    tasks: tuple[PeriodicTask, ...] = ()
    # Path prefix → renderer, for standards with their own error format (NGSI-LD, Open311).
    error_formats: dict[str, ErrorFormat] = field(default_factory=dict)
    extras: dict[str, object] = field(default_factory=dict)


class ModuleRegistry:
    """The manifests in dependency order, with lookups the app and the CLI need."""

    def __init__(self, manifests: Iterable[ModuleManifest]) -> None:
        self.manifests = _in_dependency_order(list(manifests))
        self._by_name = {m.name: m for m in self.manifests}
        self.permissions = {p.action: p for m in self.manifests for p in m.permissions}

    def __iter__(self) -> Iterable[ModuleManifest]:
        return iter(self.manifests)

    def __getitem__(self, name: str) -> ModuleManifest:
        return self._by_name[name]

    def import_models(self) -> None:
        """Import every module's models so ``Base.metadata`` knows all tables."""
        for manifest in self.manifests:
            for dotted in manifest.models:
                importlib.import_module(dotted)

    def permission(self, action: str) -> Permission:
        """The registered permission for ``action``; a typo fails loudly."""
        try:
            return self.permissions[action]
        except KeyError:
            raise LookupError(f"no module declares the permission {action!r}") from None


def _in_dependency_order(manifests: list[ModuleManifest]) -> list[ModuleManifest]:
    by_name = {m.name: m for m in manifests}
    ordered: list[ModuleManifest] = []
    visiting: set[str] = set()

    def visit(manifest: ModuleManifest) -> None:
        if manifest in ordered:
            return
        if manifest.name in visiting:
            raise RuntimeError(f"module dependency cycle through {manifest.name!r}")
        visiting.add(manifest.name)
        for dependency in manifest.requires:
            if dependency not in by_name:
                raise RuntimeError(f"module {manifest.name!r} requires missing {dependency!r}")
            visit(by_name[dependency])
        visiting.discard(manifest.name)
        ordered.append(manifest)

    for manifest in sorted(manifests, key=lambda m: m.name):
        visit(manifest)
    return ordered


@lru_cache
def get_registry() -> ModuleRegistry:
    """The registry built from the installed entry points."""
    manifests = [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]
    if not manifests:
        raise RuntimeError(
            "no Servicielle module is registered: install the package (pip install -e .)"
        )
    return ModuleRegistry(manifests)
