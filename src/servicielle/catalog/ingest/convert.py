"""Typed rows for the datastore loader, and the cell-to-field plan validation checks too.

A field reads the column whose normalised header equals ``Field.column``. The derived
fields of :func:`infer_fields` have no such column and are found again from the header:
in a GeoJSON file, ``geo_shape`` is the last cell (the geometry) and ``geo_point_2d`` its
representative point; elsewhere a point reads the one latitude/longitude column pair.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from servicielle.catalog.fields import Field, FieldType
from servicielle.catalog.ingest.infer import column_names, point_columns
from servicielle.catalog.ingest.readers import ParsedFile, Row
from servicielle.catalog.ingest.values import (
    float_reader,
    representative_lonlat,
    to_bool,
    to_date,
    to_datetime,
    to_geojson,
    to_int,
    to_lonlat,
    to_text,
)

Convert = Callable[[str], Any]
_NUMERIC = (FieldType.INTEGER, FieldType.DOUBLE)


class MissingColumn(ValueError):
    """A field has no column to read in the file."""

    def __init__(self, field: Field) -> None:
        super().__init__(f"no column of the file feeds the field {field.name!r}")
        self.field = field


@dataclass(frozen=True)
class Source:
    """Where one field's value comes from: cell ``index`` (and ``lon_index`` for a pair)."""

    field: Field
    index: int
    convert: Convert
    lon_index: int | None = None

    @property
    def is_point(self) -> bool:
        """Whether the value is a ``(lon, lat)`` pair stored as two columns."""
        return self.field.type is FieldType.GEO_POINT


def _converter(kind: FieldType, decimal_char: str | None) -> Convert:
    converters: dict[FieldType, Convert] = {
        FieldType.INTEGER: to_int,
        FieldType.DOUBLE: float_reader(decimal_char),
        FieldType.BOOLEAN: to_bool,
        FieldType.DATE: to_date,
        FieldType.DATETIME: to_datetime,
        FieldType.GEO_POINT: to_lonlat,
        FieldType.GEO_SHAPE: to_geojson,
    }
    return converters.get(kind, to_text)


def _passthrough(value: str) -> str | None:
    return value or None


def plan(
    parsed: ParsedFile,
    fields: list[Field],
    *,
    decimal_char: str | None = None,
    check_geometry: bool = False,
    missing: list[Field] | None = None,
) -> list[Source]:
    """The source of each field; :class:`MissingColumn` names one the file lacks, unless
    ``missing`` collects them.

    GeoJSON geometries are compact JSON already: they are only re-read through shapely
    when ``check_geometry`` (validation); loading passes them through.
    """
    names = column_names(parsed.headers)
    position = {name: index for index, name in enumerate(names)}
    kinds = {field.column: field.type for field in fields}
    sources = []
    for field in fields:
        index = position.get(field.column)
        if index is not None:
            sources.append(Source(field, index, _converter(field.type, decimal_char)))
        elif parsed.format == "geojson" and field.type is FieldType.GEO_SHAPE:
            convert = to_geojson if check_geometry else _passthrough
            sources.append(Source(field, len(names) - 1, convert))
        elif parsed.format == "geojson" and field.type is FieldType.GEO_POINT:
            sources.append(Source(field, len(names) - 1, representative_lonlat))
        elif field.type is FieldType.GEO_POINT and (
            pair := point_columns(names, lambda i: kinds.get(names[i]) in _NUMERIC)
        ):
            sources.append(Source(field, pair[0], float_reader(decimal_char), lon_index=pair[1]))
        elif missing is not None:
            missing.append(field)
        else:
            raise MissingColumn(field)
    return sources


def read_source(source: Source, cells: Row) -> Any:
    """The converted value of one field in a row; ``ValueError`` when a cell does not convert."""
    width = len(cells)
    value = cells[source.index] if source.index < width else None
    if source.lon_index is None:
        return None if value is None else source.convert(value)
    lon = cells[source.lon_index] if source.lon_index < width else None
    if value is None or lon is None:
        return None
    lat_number, lon_number = source.convert(value), source.convert(lon)
    if lat_number is None or lon_number is None:
        return None
    return lon_number, lat_number


def typed_rows(
    parsed: ParsedFile, fields: list[Field], *, decimal_char: str | None = None
) -> Iterator[dict[str, Any]]:
    """Each non-blank row as ``{column: value}``; a point gives ``<column>_lon``/``_lat``.

    ``decimal_char`` forces the decimal mark of DOUBLE cells; ``None`` reads both
    ``3.5`` and ``3,5``. Meant for files :func:`validate` passed: a cell that does not
    convert raises ``ValueError``.
    """
    sources = plan(parsed, fields, decimal_char=decimal_char)
    cells_of = [(s.field.column, s.index, s.convert) for s in sources if not s.is_point]
    points = [(f"{s.field.column}_lon", f"{s.field.column}_lat", s) for s in sources if s.is_point]
    for cells in parsed.rows():
        width = len(cells)
        row: dict[str, Any] = {}
        for column, index, convert in cells_of:
            value = cells[index] if index < width else None
            row[column] = None if value is None else convert(value)
        for lon_key, lat_key, source in points:
            point = read_source(source, cells)
            row[lon_key], row[lat_key] = point if point is not None else (None, None)
        yield row
