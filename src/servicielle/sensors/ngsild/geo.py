"""NGSI-LD geo-queries: ``georel``, ``geometry``, ``coordinates`` over ``location``.

``near`` is answered in SQL (an equirectangular distance, exact to well under 1 % at a
territory's scale); the other relations take the bounding-box candidates from SQL and decide
exactly with shapely.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from servicielle.sensors.models import SensorEntity
from servicielle.sensors.ngsild.entity import check_geometry
from servicielle.sensors.ngsild.errors import BadRequestData, InvalidRequest, OperationNotSupported

_NEAR = re.compile(r"^near;(maxDistance|minDistance)==(\d+(\.\d+)?)$")
RELATIONS = ("within", "contains", "intersects", "equals", "disjoint", "overlaps")
METRES_PER_DEGREE_LAT = 110_540.0
METRES_PER_DEGREE_LON = 111_320.0


@dataclass(frozen=True)
class GeoQuery:
    """A parsed geo-query."""

    relation: str
    geometry: BaseGeometry
    distance: float | None = None


def parse_geo(
    georel: str | None, geometry: str | None, coordinates: str | None, geoproperty: str | None
) -> GeoQuery | None:
    """The geo-query of the request parameters, or None."""
    if not georel and not geometry and not coordinates:
        return None
    if not (georel and geometry and coordinates):
        raise BadRequestData("a geo-query needs georel, geometry and coordinates together")
    if geoproperty and geoproperty != "location":
        raise OperationNotSupported("only the location GeoProperty can be queried")
    try:
        parsed = json.loads(coordinates)
    except json.JSONDecodeError:
        raise BadRequestData(f"coordinates is not a JSON array: {coordinates!r}") from None
    shape_ = shape(check_geometry({"type": geometry, "coordinates": parsed}, "coordinates"))
    near = _NEAR.match(georel)
    if near:
        if shape_.geom_type != "Point":
            raise BadRequestData("near needs a Point geometry")
        return GeoQuery(near.group(1), shape_, float(near.group(2)))
    if georel.startswith("near"):
        raise BadRequestData(
            f"invalid georel {georel!r}: write near;maxDistance==<metres> or near;minDistance==…"
        )
    if georel not in RELATIONS:
        raise InvalidRequest(f"unknown georel {georel!r}; expected near, {', '.join(RELATIONS)}")
    return GeoQuery(georel, shape_)


def _distance_squared(lon: float, lat: float) -> Any:
    scale = math.cos(math.radians(lat)) * METRES_PER_DEGREE_LON
    centre_lon = (SensorEntity.min_lon + SensorEntity.max_lon) / 2
    centre_lat = (SensorEntity.min_lat + SensorEntity.max_lat) / 2
    dx = (centre_lon - lon) * scale
    dy = (centre_lat - lat) * METRES_PER_DEGREE_LAT
    return dx * dx + dy * dy


def geo_condition(session: Session, query: GeoQuery, base: Any) -> ColumnElement[bool]:
    """The SQL condition selecting the entities that satisfy ``query``."""
    has_location = SensorEntity.min_lon.is_not(None)
    if query.relation in ("maxDistance", "minDistance"):
        assert query.distance is not None
        point = query.geometry
        squared = _distance_squared(point.x, point.y)
        limit = query.distance * query.distance
        if query.relation == "maxDistance":
            return and_(has_location, squared <= limit)
        return and_(has_location, squared >= limit)
    min_x, min_y, max_x, max_y = query.geometry.bounds
    candidates = select(SensorEntity.pk, SensorEntity.attrs).where(has_location)
    if query.relation != "disjoint":
        candidates = candidates.where(
            SensorEntity.max_lon >= min_x,
            SensorEntity.min_lon <= max_x,
            SensorEntity.max_lat >= min_y,
            SensorEntity.min_lat <= max_y,
        )
    candidates = candidates.where(base)
    matching = []
    for pk, attrs in session.execute(candidates):
        geometry = shape(attrs["location"]["value"])
        if getattr(geometry, query.relation)(query.geometry):
            matching.append(pk)
    return SensorEntity.pk.in_(matching)
