"""Fields of a parsed file: names from its header, types from a schema or from every value."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from servicielle.catalog.fields import Field, FieldType
from servicielle.catalog.ingest.readers import ParsedFile
from servicielle.catalog.ingest.values import NULLS, classify, quick_test, to_float, widen

MAX_NAME = 60
GEO_SHAPE_NAME = "geo_shape"
GEO_POINT_NAME = "geo_point_2d"
SCHEMA_TYPES = {
    "string": FieldType.TEXT,
    "integer": FieldType.INTEGER,
    "number": FieldType.DOUBLE,
    "boolean": FieldType.BOOLEAN,
    "date": FieldType.DATE,
    "datetime": FieldType.DATETIME,
    "year": FieldType.INTEGER,
    "geopoint": FieldType.GEO_POINT,
    "geojson": FieldType.GEO_SHAPE,
}
# Columns whose numbers are identifiers (postal, INSEE, SIRET codes, phone numbers):
# "17300" must not become 17300.0, nor lose the zero of "01234" in another row.
CODE_TOKENS = frozenset(
    {"code", "cp", "siret", "siren", "insee", "postal", "zip", "tel", "telephone", "phone"}
    | {"fax", "iban", "rna", "uai", "finess", "naf", "ape", "cog", "codgeo", "depcom"}
)
# Integers all 9 or all 14 digits long are SIREN or SIRET numbers, whatever the column name.
IDENTIFIER_WIDTHS = ({9}, {14})
# Explicit names first: x/y are only used when no latitude/longitude pair exists.
_AXES = (
    (frozenset({"lat", "latitude"}), frozenset({"lon", "lng", "long", "longitude"})),
    (frozenset({"y"}), frozenset({"x"})),
)
AXIS_TOKENS = frozenset().union(*(lat | lon for lat, lon in _AXES))
_NUMERIC = (FieldType.INTEGER, FieldType.DOUBLE)
_TRANSLITERATE = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def identifier(label: str) -> str:
    """``"Date de la délibération"`` → ``"date_de_la_deliberation"``; may be empty."""
    text = unicodedata.normalize("NFKD", label.translate(_TRANSLITERATE))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    if text[:1].isdigit():
        text = f"f_{text}"
    return text[:MAX_NAME].rstrip("_")


def _unique(base: str, taken: set[str]) -> str:
    name, suffix = base, 1
    while name in taken:
        suffix += 1
        name = f"{base[: MAX_NAME - len(str(suffix)) - 1]}_{suffix}"
    taken.add(name)
    return name


def column_names(headers: Iterable[str]) -> list[str]:
    """The unique field name of each header, in order (what ``Field.column`` matches)."""
    taken: set[str] = set()
    return [
        _unique(identifier(header) or f"column_{position}", taken)
        for position, header in enumerate(headers, start=1)
    ]


def derived_names(headers: list[str]) -> tuple[str, str]:
    """Names of the extra geometry and point fields, clear of the header's names."""
    taken = set(column_names(headers))
    return _unique(GEO_SHAPE_NAME, taken), _unique(GEO_POINT_NAME, taken)


def point_columns(names: list[str], numeric: Callable[[int], bool]) -> tuple[int, int] | None:
    """``(latitude, longitude)`` column indexes when exactly one numeric pair is named so."""
    for lat_tokens, lon_tokens in _AXES:
        lats, lons = [], []
        for index, name in enumerate(names):
            tokens = set(name.split("_"))
            if numeric(index) and tokens & lat_tokens and not tokens & lon_tokens:
                lats.append(index)
            elif numeric(index) and tokens & lon_tokens and not tokens & lat_tokens:
                lons.append(index)
        if len(lats) == 1 and len(lons) == 1:
            return lats[0], lons[0]
    return None


def _is_code(name: str) -> bool:
    return name.startswith("code") or bool(CODE_TOKENS & set(name.split("_")))


class _Scan:
    def __init__(self, types: dict[int, FieldType | None], bounds: dict[int, list[float]]):
        self.types = types
        self.bounds = bounds

    def within(self, index: int, limit: float) -> bool:
        low, high = self.bounds.get(index, [math.inf, -math.inf])
        return -limit <= low <= high <= limit


def _scan(parsed: ParsedFile, columns: list[int], watched: set[int]) -> _Scan:
    """Type every value of ``columns`` (no sampling), and the range of ``watched`` ones."""
    decimal_comma = parsed.delimiter != ","
    types: dict[int, FieldType | None] = dict.fromkeys(columns)
    bounds = {index: [math.inf, -math.inf] for index in watched}
    widths: dict[int, set[int]] = {index: set() for index in columns}
    active = list(columns)
    quick = {kind: quick_test(kind, decimal_comma) for kind in (*FieldType, None)}
    for cells in parsed.rows():
        width = len(cells)
        settled = False
        for index in active:
            value = cells[index] if index < width else None
            if not value:
                continue
            kind = types[index]
            test = quick[kind]
            if test is None or not test(value):
                # The slow path: nulls, and values that may change the column's type.
                if len(value) < 8 and value.strip().casefold() in NULLS:
                    continue
                new = widen(kind, classify(value, decimal_comma))
                if new is not kind:
                    types[index] = kind = new
                    settled = settled or kind is FieldType.TEXT
            if kind is FieldType.INTEGER and len(widths[index]) < 2:
                widths[index].add(len(value.strip().lstrip("+-")))
            if index in bounds and kind in _NUMERIC:
                number = to_float(value)
                if number is not None:
                    low_high = bounds[index]
                    low_high[0] = min(low_high[0], number)
                    low_high[1] = max(low_high[1], number)
        if settled:
            # Text is final: stop looking at those columns.
            active = [index for index in active if types[index] is not FieldType.TEXT]
    for index, seen in widths.items():
        if types[index] is FieldType.INTEGER and seen in IDENTIFIER_WIDTHS:
            types[index] = FieldType.TEXT
    return _Scan(types, bounds)


def _schema_fields(schema: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if not schema:
        return {}
    fields = schema.get("fields")
    if not isinstance(fields, list):
        return {}
    return {f["name"]: f for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str)}


def infer_fields(parsed: ParsedFile, schema: dict[str, Any] | None = None) -> list[Field]:
    """One field per header (plus derived geo fields), typed by ``schema`` or by the data.

    Without a schema every value is read. A latitude/longitude pair of numeric columns
    in range adds a ``geo_point_2d`` point; a GeoJSON file's geometry becomes a
    ``geo_shape`` field plus its representative point ``geo_point_2d``:
    :func:`typed_rows` finds the sources of these derived fields again from the header.
    """
    headers = parsed.headers
    names = column_names(headers)
    described = _schema_fields(schema)
    is_geojson = parsed.format == "geojson"
    own = range(len(headers) - 1 if is_geojson else len(headers))
    watched = {i for i in own if set(names[i].split("_")) & AXIS_TOKENS}
    # Schema columns are typed already; only coordinates are read, for their range.
    scan = _scan(parsed, [i for i in own if headers[i] not in described or i in watched], watched)
    fields = []
    for index in own:
        spec = described.get(headers[index])
        if spec is not None:
            kind = SCHEMA_TYPES.get(str(spec.get("type")), FieldType.TEXT)
        else:
            kind = scan.types[index] or FieldType.TEXT
            if kind in _NUMERIC and _is_code(names[index]):
                kind = FieldType.TEXT
        fields.append(
            Field(
                name=names[index],
                type=kind,
                column=names[index],
                label=str(spec.get("title") or headers[index]) if spec else headers[index],
                description=str(spec.get("description") or "") if spec else "",
            )
        )
    shape_name, point_name = derived_names(headers)
    if is_geojson:
        fields.append(Field(shape_name, FieldType.GEO_SHAPE, shape_name, label=headers[-1]))
        fields.append(Field(point_name, FieldType.GEO_POINT, point_name, label=point_name))
        return fields
    numeric = {index for index, field in enumerate(fields) if field.type in _NUMERIC}
    pair = point_columns(names, numeric.__contains__)
    if pair and scan.within(pair[0], 90) and scan.within(pair[1], 180):
        label = f"{headers[pair[0]]}, {headers[pair[1]]}"
        fields.append(Field(point_name, FieldType.GEO_POINT, point_name, label=label))
    return fields
