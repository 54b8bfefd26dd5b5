"""GeoJSON geometry checks with shapely: what is stored is valid WGS84 polygons."""

from __future__ import annotations

from typing import Any

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from servicielle.core.errors import InvalidInput
from servicielle.core.i18n import _

AREA_TYPES = ("Polygon", "MultiPolygon")


def parse_area(geojson: Any, *, field: str = "geometry") -> BaseGeometry:
    """A valid WGS84 Polygon or MultiPolygon from GeoJSON, or InvalidInput naming ``field``."""

    if not isinstance(geojson, dict) or geojson.get("type") not in AREA_TYPES:
        raise InvalidInput.on_field(
            field, _("The geometry must be a GeoJSON Polygon or MultiPolygon.")
        )
    try:
        geometry = shape(geojson)
    except (ValueError, TypeError, IndexError, AttributeError, KeyError) as exc:
        raise InvalidInput.on_field(
            field, _("The geometry cannot be read: %(reason)s") % {"reason": exc}
        ) from exc
    if geometry.is_empty:
        raise InvalidInput.on_field(field, _("The geometry is empty."))
    min_x, min_y, max_x, max_y = geometry.bounds
    if min_x < -180 or max_x > 180 or min_y < -90 or max_y > 90:
        raise InvalidInput.on_field(
            field, _("Coordinates must be longitude, latitude in WGS84 degrees.")
        )
    if not geometry.is_valid:
        raise InvalidInput.on_field(
            field, _("The polygon is invalid (it crosses itself or is not closed).")
        )
    return geometry


def to_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """The GeoJSON mapping of a shapely geometry."""
    return dict(mapping(geometry))
