"""Values: literals converted to a field's type, refine values, and result decoding."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from servicielle.catalog.fields import FieldType
from servicielle.catalog.odsql.errors import NodeError
from servicielle.catalog.odsql.nodes import LiteralValue
from servicielle.catalog.odsql.parser import parse_temporal
from servicielle.core.i18n import N_, _

NUMERIC = (FieldType.INTEGER, FieldType.DOUBLE)
TEMPORAL = (FieldType.DATE, FieldType.DATETIME)

TYPE_NAMES = {
    FieldType.TEXT: N_("text"),
    FieldType.INTEGER: N_("an integer"),
    FieldType.DOUBLE: N_("a number"),
    FieldType.BOOLEAN: N_("a boolean"),
    FieldType.DATE: N_("a date"),
    FieldType.DATETIME: N_("a datetime"),
    FieldType.GEO_POINT: N_("a geo point"),
    FieldType.GEO_SHAPE: N_("a geo shape"),
}


def type_name(ftype: FieldType) -> str:
    """How a message names a type."""
    return _(TYPE_NAMES[ftype])


def literal_type(value: LiteralValue) -> FieldType | None:
    """The type of a literal; None for ``null``."""
    match value:
        case bool():
            return FieldType.BOOLEAN
        case int():
            return FieldType.INTEGER
        case float():
            return FieldType.DOUBLE
        case str():
            return FieldType.TEXT
        case datetime():
            return FieldType.DATETIME
        case date():
            return FieldType.DATE
    return None


def bind(value: LiteralValue, like: ColumnElement[Any] | None = None) -> ColumnElement[Any]:
    """A bound parameter; typed like ``like`` unless the value is a number."""
    if isinstance(value, bool):
        return sa.literal(value, sa.Boolean())
    # Numbers keep their own type: PostgreSQL would round 3.5 cast to an INTEGER column's type.
    if isinstance(value, int):
        return sa.literal(value, sa.BigInteger())
    if isinstance(value, float):
        return sa.literal(value, sa.Float())
    if like is not None:
        return sa.literal(value, like.type)
    natural: dict[type, sa.types.TypeEngine[Any]] = {
        str: sa.String(),
        datetime: sa.DateTime(),
        date: sa.Date(),
    }
    return sa.literal(value, natural.get(type(value), sa.String()))


def coerce(
    value: LiteralValue,
    ftype: FieldType,
    column: ColumnElement[Any],
    pos: int,
    name: str | None = None,
) -> Any:
    """``value`` as a Python value of ``ftype``, or NodeError naming the field and the type."""
    if isinstance(value, str) and ftype in TEMPORAL:
        value = parse_temporal(value, pos)
    if ftype == FieldType.TEXT and isinstance(value, str):
        return value
    if ftype in NUMERIC and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if ftype == FieldType.BOOLEAN and isinstance(value, bool):
        return value
    if ftype == FieldType.DATE and isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    if ftype == FieldType.DATETIME and isinstance(value, date):
        if not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        return adjust_timezone(value, column)
    if name is None:
        raise NodeError(_("expected {type}").format(type=type_name(ftype)), pos)
    raise NodeError(_("{name} expects {type}").format(name=name, type=type_name(ftype)), pos)


def adjust_timezone(value: datetime, column: ColumnElement[Any]) -> datetime:
    """Match the column: naive datetimes are UTC, and naive columns hold UTC."""
    if getattr(column.type, "timezone", False):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


_PREFIX = re.compile(r"(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?")
_TRUE = {"true", "1", "yes", "oui"}
_FALSE = {"false", "0", "no", "non"}


def refine_condition(
    ftype: FieldType, column: ColumnElement[Any], raw: str, pos: int, name: str
) -> ColumnElement[bool]:
    """``field:value`` of ``refine``: equality, or a period for a date given as a prefix."""
    message = _("{name} expects {type}").format(name=name, type=type_name(ftype))
    invalid = NodeError(message, pos)
    value: Any = raw
    if ftype in TEMPORAL and (match := _PREFIX.fullmatch(raw)):
        return _period(ftype, column, match, invalid)
    if ftype in NUMERIC:
        try:
            value = int(raw) if ftype == FieldType.INTEGER else float(raw)
        except ValueError:
            raise invalid from None
        if ftype == FieldType.INTEGER and abs(value) >= 2**63:
            raise invalid
    elif ftype == FieldType.BOOLEAN:
        if raw.lower() not in _TRUE | _FALSE:
            raise invalid
        value = raw.lower() in _TRUE
    elif ftype in TEMPORAL:
        value = coerce(raw, ftype, column, pos, name)
    elif ftype != FieldType.TEXT:
        raise NodeError(_("this field cannot be refined on"), 1)
    return column == bind(value, column)


def _period(
    ftype: FieldType, column: ColumnElement[Any], match: re.Match[str], invalid: NodeError
) -> ColumnElement[bool]:
    year, month, day = (int(part) if part else None for part in match.groups())
    assert year is not None
    try:
        if month is None:
            start, end = date(year, 1, 1), date(year + 1, 1, 1)
        elif day is None:
            start = date(year, month, 1)
            end = date(year + month // 12, month % 12 + 1, 1)
        else:
            start = date(year, month, day)
            end = start + timedelta(days=1)
    except (ValueError, OverflowError):
        raise invalid from None
    if ftype == FieldType.DATETIME:
        low, high = (
            adjust_timezone(datetime(d.year, d.month, d.day), column) for d in (start, end)
        )
        return sa.and_(column >= bind(low, column), column < bind(high, column))
    return sa.and_(column >= bind(start, column), column < bind(end, column))


Decoder = Callable[[Any], Any]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _float(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal | int | float) else value


def _int(value: Any) -> Any:
    return int(value) if isinstance(value, Decimal | int | float) else value


def _bool(value: Any) -> Any:
    return None if value is None else bool(value)


def _shape(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


DECODERS: dict[FieldType, Decoder] = {
    FieldType.TEXT: lambda value: value,
    FieldType.INTEGER: _int,
    FieldType.DOUBLE: _float,
    FieldType.BOOLEAN: _bool,
    FieldType.DATE: _iso,
    FieldType.DATETIME: _iso,
    FieldType.GEO_SHAPE: _shape,
}


def point(lon: Any, lat: Any) -> dict[str, float] | None:
    """A geo point as results show it."""
    if lon is None and lat is None:
        return None
    return {"lon": _float(lon), "lat": _float(lat)}
