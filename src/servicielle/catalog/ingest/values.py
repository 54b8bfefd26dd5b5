"""Recognising and converting cell values: shared by inference, validation and loading.

Inference and conversion use the same rules, so a column inferred as a type always
converts to it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from shapely.geometry import shape

from servicielle.catalog.fields import FieldType

NULLS = frozenset({"", "na", "n/a", "-", "null"})
BOOLEANS = {"true": True, "vrai": True, "oui": True, "false": False, "faux": False, "non": False}
# Also read, never inferred: a column of 0/1 is more often a count or a code.
_CONVERTED_BOOLEANS = BOOLEANS | {"1": True, "0": False, "yes": True, "no": False}
GEOMETRY_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)

_GROUPS = "[ \u00a0\u202f]"  # space, no-break space, narrow no-break space
_INTEGER = rf"[+-]?(?:\d+|\d{{1,3}}(?:{_GROUPS}\d{{3}})+)"
INTEGER_RE = re.compile(_INTEGER)
DOT_NUMBER_RE = re.compile(rf"(?:{_INTEGER}(?:\.\d*)?|[+-]?\.\d+)(?:[eE][+-]?\d+)?")
COMMA_NUMBER_RE = re.compile(rf"{_INTEGER},\d+")
_DOT_GROUPED_RE = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")  # 1.234,50
_LEADING_ZERO = re.compile(r"[+-]?0\d")
_GROUP_SUB = re.compile(_GROUPS).sub
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_FR_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)
_FR_DATETIME = re.compile(r"(\d{2})/(\d{2})/(\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?")
# Integers longer than this do not fit a 64-bit column: identifiers, kept as text.
MAX_INTEGER_DIGITS = 18


def is_null(value: str | None) -> bool:
    """Whether a cell means "no value" (empty, NA, N/A, -, null)."""
    return value is None or value.strip().casefold() in NULLS


def classify(value: str, decimal_comma: bool) -> FieldType:
    """The narrowest type a single non-null value fits."""
    text = value.strip()
    if INTEGER_RE.fullmatch(text):
        if _LEADING_ZERO.match(text) or len(text.lstrip("+-")) > MAX_INTEGER_DIGITS:
            return FieldType.TEXT
        return FieldType.INTEGER
    if DOT_NUMBER_RE.fullmatch(text) or (decimal_comma and COMMA_NUMBER_RE.fullmatch(text)):
        return FieldType.TEXT if _LEADING_ZERO.match(text) else FieldType.DOUBLE
    if text.casefold() in BOOLEANS:
        return FieldType.BOOLEAN
    for kind, convert in ((FieldType.DATE, to_date), (FieldType.DATETIME, to_datetime)):
        try:
            convert(text)
        except ValueError:
            continue
        return kind
    if text.startswith("{"):
        try:
            to_geojson(text)
        except ValueError:
            return FieldType.TEXT
        return FieldType.GEO_SHAPE
    return FieldType.TEXT


_PLAIN_INTEGER = re.compile(r"-?(?:[1-9]\d{0,17}|0)")
_PLAIN_DOT = re.compile(r"-?(?:[1-9]\d*|0)(?:\.\d+)?")
_PLAIN_DECIMAL = re.compile(r"-?(?:[1-9]\d*|0)(?:[.,]\d+)?")


def _plain_date(value: str) -> bool:
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def quick_test(kind: FieldType | None, decimal_comma: bool) -> Callable[[str], object] | None:
    """A cheap test that a raw cell is plainly of ``kind`` (``classify`` decides otherwise)."""
    if kind is FieldType.INTEGER:
        return _PLAIN_INTEGER.fullmatch
    if kind is FieldType.DOUBLE:
        return (_PLAIN_DECIMAL if decimal_comma else _PLAIN_DOT).fullmatch
    if kind is FieldType.BOOLEAN:
        return lambda value: value.casefold() in BOOLEANS
    if kind is FieldType.DATE:
        return _plain_date
    return None


def widen(current: FieldType | None, new: FieldType) -> FieldType:
    """The type of a column holding values of both types."""
    if current is None or current == new:
        return new
    pair = {current, new}
    if pair == {FieldType.INTEGER, FieldType.DOUBLE}:
        return FieldType.DOUBLE
    if pair == {FieldType.DATE, FieldType.DATETIME}:
        return FieldType.DATETIME
    return FieldType.TEXT


def to_text(value: str) -> str | None:
    """Stripped text, ``None`` when empty."""
    return value.strip() or None


def to_int(value: str) -> int | None:
    """An integer; thousands separated by spaces are accepted."""
    try:
        return int(value)
    except ValueError:
        pass
    text = value.strip()
    if text.casefold() in NULLS:
        return None
    if not INTEGER_RE.fullmatch(text):
        raise ValueError(value)
    return int(_GROUP_SUB("", text))


def float_reader(decimal_char: str | None) -> Callable[[str], float | None]:
    """A converter to float: ``","`` or ``"."`` forces the decimal mark, ``None`` takes both."""

    def to_float(value: str) -> float | None:
        try:
            return float(value)
        except ValueError:
            pass
        text = value.strip()
        if text.casefold() in NULLS:
            return None
        if decimal_char != "," and DOT_NUMBER_RE.fullmatch(text):
            return float(_GROUP_SUB("", text))
        if decimal_char != "." and COMMA_NUMBER_RE.fullmatch(text):
            return float(_GROUP_SUB("", text).replace(",", "."))
        if decimal_char == "," and _DOT_GROUPED_RE.fullmatch(text):
            return float(text.replace(".", "").replace(",", "."))
        raise ValueError(value)

    return to_float


to_float = float_reader(None)


def to_bool(value: str) -> bool | None:
    """true/false, oui/non, vrai/faux (any case), and 1/0."""
    text = value.strip().casefold()
    try:
        return _CONVERTED_BOOLEANS[text]
    except KeyError:
        if text in NULLS:
            return None
        raise ValueError(value) from None


def to_date(value: str) -> dt.date | None:
    """A date written YYYY-MM-DD or DD/MM/YYYY."""
    text = value.strip()
    if _ISO_DATE.fullmatch(text):
        return dt.date.fromisoformat(text)
    if match := _FR_DATE.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
        return dt.date(year, month, day)
    if text.casefold() in NULLS:
        return None
    raise ValueError(value)


def to_datetime(value: str) -> dt.datetime | None:
    """An ISO 8601 or DD/MM/YYYY HH:MM[:SS] time stamp, naive UTC when it has an offset."""
    text = value.strip()
    if _ISO_DATETIME.fullmatch(text):
        stamp = dt.datetime.fromisoformat(text.replace(",", "."))
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
        return stamp
    if match := _FR_DATETIME.fullmatch(text):
        day, month, year, hour, minute, second = (int(part or 0) for part in match.groups())
        return dt.datetime(year, month, day, hour, minute, second)
    if _ISO_DATE.fullmatch(text) or _FR_DATE.fullmatch(text):
        return dt.datetime.combine(to_date(text) or dt.date.min, dt.time(0))
    if text.casefold() in NULLS:
        return None
    raise ValueError(value)


def geometry_of(value: str) -> Any:
    """A shapely geometry from GeoJSON text; ``ValueError`` when it cannot be built."""
    try:
        data = json.loads(value)
        if not isinstance(data, dict) or data.get("type") not in GEOMETRY_TYPES:
            raise ValueError(value)
        return shape(data)
    except Exception as exc:  # shapely raises many kinds on malformed coordinates
        raise ValueError(value) from exc


def to_geojson(value: str) -> str | None:
    """Compact GeoJSON text of a geometry (checked with shapely)."""
    if is_null(value):
        return None
    geometry_of(value)
    return json.dumps(json.loads(value), separators=(",", ":"))


def representative_lonlat(value: str) -> tuple[float, float] | None:
    """A point inside (or on) a GeoJSON geometry, as ``(lon, lat)``."""
    if is_null(value):
        return None
    geometry = geometry_of(value)
    if geometry.is_empty:
        return None
    try:
        point = geometry.representative_point()
    except Exception:  # GEOS cannot always place a point on an invalid polygon
        point = geometry.centroid
    return float(point.x), float(point.y)


def to_lonlat(value: str) -> tuple[float, float] | None:
    """A point from one cell: ``lon, lat`` (Table Schema default), ``[lon, lat]`` or an object."""
    text = value.strip()
    if text.casefold() in NULLS:
        return None
    try:
        data = json.loads(text) if text.startswith(("[", "{")) else text.split(",")
        if isinstance(data, dict):
            data = [data.get("lon"), data.get("lat")]
        if not isinstance(data, list) or len(data) != 2:
            raise ValueError(value)
        lon, lat = float(data[0]), float(data[1])
    except (TypeError, ValueError):
        raise ValueError(value) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(value)
    return lon, lat
