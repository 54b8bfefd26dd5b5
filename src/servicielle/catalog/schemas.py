"""The Table Schemas shipped with Servicielle (SCDL and a few others), named as on
schema.data.gouv.fr.

The files live in ``schemas/`` (see ``schemas/SOURCES.md``); names, titles and URLs come
from ``schemas/schemas-catalog.json``, the schema.data.gouv.fr catalogue.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from servicielle.core.errors import InvalidInput
from servicielle.core.i18n import gettext as _

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
CATALOGUE = SCHEMA_DIR / "schemas-catalog.json"
PUBLIC_URL = "https://schema.data.gouv.fr/schemas/{name}/{version}/{file}"


class UnknownSchema(InvalidInput):
    """No shipped schema has this name."""


@dataclass(frozen=True)
class SchemaInfo:
    """A shipped schema: ``name`` is the catalogue's (``"scdl/deliberations"``)."""

    name: str
    version: str
    title: str
    url: str
    homepage: str
    path: Path


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _catalogue_entry(folder: str, stem: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    if folder == "scdl":
        wanted = [f"scdl/{stem}"]
    else:
        wanted = [e["name"] for e in entries if str(e.get("name", "")).endswith(f"/{stem}")]
    return next((e for e in entries if e.get("name") in wanted), {})


def _info(path: Path, entries: list[dict[str, Any]]) -> SchemaInfo:
    folder = path.parent.name
    stem = path.name.removesuffix(".schema.json")
    if folder == "scdl":
        stem = stem.rsplit("-", 1)[0]  # "deliberations-2.1.5"
    descriptor = _read_json(path)
    version = str(descriptor.get("version", "")).removeprefix("v")
    entry = _catalogue_entry(folder, stem, entries)
    name = entry.get("name") or f"{folder}/{stem}"
    versions = {v.get("version_name"): v.get("schema_url") for v in entry.get("versions", [])}
    latest_file = str(entry.get("schema_url") or "schema.json").rsplit("/", 1)[-1]
    url = versions.get(version) or PUBLIC_URL.format(name=name, version=version, file=latest_file)
    homepage = descriptor.get("homepage") or str(entry.get("homepage", "")).removesuffix(".git")
    title = entry.get("title") or descriptor.get("title") or name
    return SchemaInfo(name, version, str(title), str(url), str(homepage), path)


def _sort_key(info: SchemaInfo) -> str:
    """Titles in dictionary order: "Équipements" between "Délibérations" and "IRVE"."""
    decomposed = unicodedata.normalize("NFD", info.title.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=1)
def _registry() -> tuple[SchemaInfo, ...]:
    entries = _read_json(CATALOGUE).get("schemas", [])
    paths = sorted(SCHEMA_DIR.glob("*/*.schema.json"))
    return tuple(sorted((_info(path, entries) for path in paths), key=_sort_key))


def known_schemas() -> list[SchemaInfo]:
    """Every shipped schema, sorted by title."""
    return list(_registry())


def get_schema(name: str) -> SchemaInfo:
    """The schema called ``name``: ``"scdl/deliberations"``, ``"deliberations"``,
    ``"etalab/schema-stationnement"`` or ``"other/schema-stationnement"``."""
    wanted = name.strip().lower().removesuffix("/")
    for info in _registry():
        short = info.name.rsplit("/", 1)[-1]
        aliases = {info.name.lower(), short, f"{info.path.parent.name}/{short}"}
        if wanted in aliases:
            return info
    message = _("Unknown schema: %(name)s.") % {"name": name}
    raise UnknownSchema.on_field("schema", message)


def load_descriptor(info: SchemaInfo) -> dict[str, Any]:
    """The Table Schema descriptor, a fresh copy the caller may change."""
    descriptor = _read_json(info.path)
    if not isinstance(descriptor, dict):
        raise UnknownSchema.on_field("schema", _("Unknown schema: %(name)s.") % {"name": info.name})
    return descriptor
