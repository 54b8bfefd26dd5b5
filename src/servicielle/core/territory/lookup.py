"""Which commune and which geozones contain a point: an STRtree, rebuilt when data change.

The index is a per-process cache keyed by a fingerprint of the territory tables (row counts
and last modification), so another worker's edit is seen at the next lookup.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.prepared import prep
from sqlalchemy.orm import Session

from servicielle.core.territory.repository import TerritoryRepository


@dataclass(frozen=True)
class Place:
    """A commune or geozone as the lookup returns it."""

    kind: str
    key: str
    name: str


@dataclass(frozen=True)
class Location:
    """The commune (None outside the territory) and geozones containing a point."""

    commune: Place | None
    geozones: tuple[Place, ...]

    @property
    def inside(self) -> bool:
        """Whether the point lies in one of the territory's communes."""
        return self.commune is not None


class TerritoryIndex:
    """An STRtree over every commune and geozone outline."""

    def __init__(self, places: list[tuple[Place, dict[str, Any]]]) -> None:
        self.places = [place for place, _geometry in places]
        geometries = [shape(geometry) for _place, geometry in places]
        self.prepared = [prep(geometry) for geometry in geometries]
        self.tree = STRtree(geometries)

    def locate(self, lon: float, lat: float) -> Location:
        """The places containing (lon, lat), communes first."""
        point = Point(lon, lat)
        hits = sorted(int(i) for i in self.tree.query(point))
        found = [self.places[i] for i in hits if self.prepared[i].covers(point)]
        communes = [p for p in found if p.kind == "commune"]
        zones = tuple(sorted((p for p in found if p.kind == "geozone"), key=lambda p: p.name))
        return Location(commune=communes[0] if communes else None, geozones=zones)


_lock = threading.Lock()
_cache: dict[str, tuple[tuple[Any, ...], TerritoryIndex]] = {}


def territory_index(session: Session) -> TerritoryIndex:
    """The index for this database, rebuilt only when the territory changed."""
    repository = TerritoryRepository(session)
    fingerprint = repository.fingerprint()
    key = str(session.get_bind().engine.url)
    cached = _cache.get(key)
    if cached and cached[0] == fingerprint:
        return cached[1]
    with _lock:
        places: list[tuple[Place, dict[str, Any]]] = [
            (Place("commune", c.insee_code, c.name), c.geometry) for c in repository.communes()
        ]
        places += [(Place("geozone", z.slug, z.name), z.geometry) for z in repository.geozones()]
        index = TerritoryIndex(places)
        _cache[key] = (fingerprint, index)
    return index


def locate(session: Session, *, lon: float, lat: float) -> Location:
    """Which commune and geozones contain (lon, lat)."""
    return territory_index(session).locate(lon, lat)
