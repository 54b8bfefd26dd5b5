"""Expression nodes → typed SQLAlchemy expressions; every user value becomes a bound parameter."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ClauseElement, ColumnClause, ColumnElement
from sqlalchemy.sql.expression import FromClause
from sqlalchemy.sql.functions import FunctionElement

from servicielle.catalog.fields import Field, FieldType
from servicielle.catalog.odsql import nodes
from servicielle.catalog.odsql.errors import NodeError
from servicielle.catalog.odsql.values import (
    NUMERIC,
    TEMPORAL,
    bind,
    coerce,
    literal_type,
    type_name,
)
from servicielle.core.i18n import _

METERS_PER_DEGREE = 111_320.0
DATE_PARTS = ("year", "month", "day", "hour", "minute", "second")
AGGREGATES = ("count", "sum", "avg", "min", "max")
_COMPARATORS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class Typed:
    """A compiled expression with its ODS type; geo fields have ``geo`` set and no SQL."""

    sql: ColumnElement[Any]
    type: FieldType | None
    literal: bool = False
    value: nodes.LiteralValue = None
    geo: Field | None = None

    @property
    def aggregate(self) -> bool:
        """Whether the expression calls an aggregate function."""
        return _scan(self.sql)[0]

    @property
    def columns(self) -> frozenset[str]:
        """Columns read outside any aggregate: with group_by they must be grouped."""
        return _scan(self.sql)[1]


def _scan(sql: ClauseElement) -> tuple[bool, frozenset[str]]:
    aggregate, columns = False, set()
    stack = [sql]
    while stack:
        element = stack.pop()
        if isinstance(element, FunctionElement) and element.name in AGGREGATES:
            aggregate = True
        elif isinstance(element, ColumnClause):
            columns.add(element.name)
        else:
            stack.extend(element.get_children())
    return aggregate, frozenset(columns)


@dataclass
class ExpressionCompiler:
    """Compiles the expressions of one query against one selectable and its fields."""

    source: FromClause
    fields: Mapping[str, Field]
    allow_aggregates: bool = False
    _in_aggregate: bool = field(default=False, init=False)

    def column(self, name: str, suffix: str = "") -> ColumnElement[Any]:
        """The column behind a field (``_lon``/``_lat`` for the halves of a point)."""
        column_name = self.fields[name].column + suffix
        if column_name not in self.source.c:
            raise LookupError(f"the selectable has no column {column_name!r}")
        return self.source.c[column_name]

    def field(self, node: nodes.Name) -> Field:
        """The field a name refers to, or NodeError naming it."""
        if node.name not in self.fields:
            raise NodeError(_("unknown field {name}").format(name=node.name), node.pos)
        return self.fields[node.name]

    def compile(self, node: nodes.Node) -> Typed:
        """Any expression; geo fields come back with ``geo`` set and no usable SQL."""
        match node:
            case nodes.Name():
                found = self.field(node)
                if found.is_geo:
                    return Typed(sa.null(), found.type, geo=found)
                column = self.column(found.name)
                return Typed(column, found.type)
            case nodes.Literal(value=value):
                return Typed(bind(value), literal_type(value), literal=True, value=value)
            case nodes.Unary(op="-", operand=operand):
                inner = self.numeric(operand)
                return Typed(-inner.sql, inner.type)
            case nodes.Binary(op=op) if op in _COMPARATORS:
                return self.compare(node)
            case nodes.Binary():
                return self.arithmetic(node)
            case nodes.Unary() | nodes.BoolOp() | nodes.InList() | nodes.Like() | nodes.IsNull():
                return self.boolean(node)
            case nodes.Call():
                return self.call(node)
        raise NodeError(_("not allowed here"), node.pos)

    def condition(self, node: nodes.Node) -> ColumnElement[bool]:
        """A filter: a boolean expression, a boolean field, or a bare string to search."""
        if isinstance(node, nodes.Literal) and isinstance(node.value, str):
            return self.search(None, node.value)
        typed = self.compile(node)
        self.no_geo(typed, node)
        if typed.type != FieldType.BOOLEAN:
            raise NodeError(_("expected a condition"), node.pos)
        return typed.sql if not isinstance(node, nodes.Name) else typed.sql == sa.true()

    def boolean(self, node: nodes.Node) -> Typed:
        """``and``/``or``/``not``, ``in``, ``like`` and ``is null``."""
        match node:
            case nodes.Unary(operand=operand):
                sql: ColumnElement[bool] = sa.not_(self.condition(operand))
            case nodes.BoolOp(op=op, operands=operands):
                conditions = [self.condition(o) for o in operands]
                sql = sa.and_(*conditions) if op == "and" else sa.or_(*conditions)
            case nodes.InList(operand=operand, values=values, negated=negated):
                target = self.scalar(operand)
                if target.type is None:
                    raise NodeError(_("use is null or is not null to test for null"), operand.pos)
                binds = [bind(self.constant(v, target, operand), target.sql) for v in values]
                sql = target.sql.not_in(binds) if negated else target.sql.in_(binds)
            case nodes.Like(operand=operand, pattern=pattern, negated=negated):
                sql = self.like(operand, pattern)
                sql = sa.not_(sql) if negated else sql
            case nodes.IsNull(operand=operand, negated=negated):
                sql = self.is_null(operand)
                sql = sa.not_(sql) if negated else sql
            case _:  # pragma: no cover - compile() routes only the nodes above here
                raise NodeError(_("not allowed here"), node.pos)
        return Typed(sql, FieldType.BOOLEAN)

    def no_geo(self, typed: Typed, node: nodes.Node) -> None:
        """Geo fields only go into select, count() and the geo functions."""
        if typed.geo is not None:
            message = _("{name} is {type} and cannot be used here")
            raise NodeError(
                message.format(name=typed.geo.name, type=type_name(typed.geo.type)), node.pos
            )

    def scalar(self, node: nodes.Node) -> Typed:
        """An expression that is not a geo field."""
        typed = self.compile(node)
        self.no_geo(typed, node)
        return typed

    def numeric(self, node: nodes.Node) -> Typed:
        """An integer or double expression."""
        typed = self.scalar(node)
        if typed.type not in NUMERIC:
            raise NodeError(_("expected a number"), node.pos)
        return typed

    def constant(self, node: nodes.Node, target: Typed, target_node: nodes.Node) -> Any:
        """A literal (or ``now()``) converted to the type of ``target``."""
        typed = self.compile(node)
        if not typed.literal or typed.value is None:
            raise NodeError(_("expected a value"), node.pos)
        assert target.type is not None
        name = target_node.name if isinstance(target_node, nodes.Name) else None
        return coerce(typed.value, target.type, target.sql, node.pos, name)

    def compare(self, node: nodes.Binary) -> Typed:
        """``a op b`` where one side may be a literal converted to the other's type."""
        left, right = self.scalar(node.left), self.scalar(node.right)
        for side, typed in ((node.left, left), (node.right, right)):
            if typed.literal and typed.value is None:
                raise NodeError(_("use is null or is not null to test for null"), side.pos)
        if right.literal and not left.literal:
            value = self.constant(node.right, left, node.left)
            right = Typed(bind(value, left.sql), left.type)
        elif left.literal and not right.literal:
            left = Typed(bind(self.constant(node.left, right, node.right), right.sql), right.type)
        elif left.type != right.type and not (left.type in NUMERIC and right.type in NUMERIC):
            assert left.type is not None
            assert right.type is not None
            message = _("cannot compare {left} with {right}")
            names = {"left": type_name(left.type), "right": type_name(right.type)}
            raise NodeError(message.format(**names), node.right.pos)
        sql = _COMPARATORS[node.op](left.sql, right.sql)
        return Typed(sql, FieldType.BOOLEAN)

    def arithmetic(self, node: nodes.Binary) -> Typed:
        """``+ - * /`` on numbers; ``/`` always divides as decimals and yields null for 0."""
        left, right = self.numeric(node.left), self.numeric(node.right)
        both_int = left.type == right.type == FieldType.INTEGER
        ftype = FieldType.INTEGER if both_int and node.op != "/" else FieldType.DOUBLE
        if node.op == "+":
            sql = left.sql + right.sql
        elif node.op == "-":
            sql = left.sql - right.sql
        elif node.op == "*":
            sql = left.sql * right.sql
        else:
            # PostgreSQL raises on division by zero where SQLite returns null.
            sql = sa.cast(left.sql, sa.Float()) / sa.func.nullif(right.sql, 0)
        return Typed(sql, ftype)

    def like(self, operand: nodes.Node, pattern: nodes.Node) -> ColumnElement[bool]:
        """Case-insensitive; ``*`` matches anything, and no ``*`` means "contains"."""
        target = self.scalar(operand)
        if target.type != FieldType.TEXT:
            raise NodeError(_("like needs a text field"), operand.pos)
        if not isinstance(pattern, nodes.Literal) or not isinstance(pattern.value, str):
            raise NodeError(_("expected a string"), pattern.pos)
        escaped = "".join("/" + c if c in "%_/" else c for c in pattern.value)
        if "*" not in escaped:
            escaped = f"*{escaped}*"
        return target.sql.ilike(bind(escaped.replace("*", "%")), escape="/")

    def is_null(self, operand: nodes.Node) -> ColumnElement[bool]:
        """A point is null when both halves are."""
        typed = self.compile(operand)
        if typed.geo is not None and typed.geo.type == FieldType.GEO_POINT:
            name = typed.geo.name
            return sa.and_(self.column(name, "_lon").is_(None), self.column(name, "_lat").is_(None))
        self.no_geo(typed, operand)
        return typed.sql.is_(None)

    def search(self, target: nodes.Node | None, text: str) -> ColumnElement[bool]:
        """Case-insensitive substring of one text field, or of any."""
        if target is None:
            names = [f.name for f in self.fields.values() if f.type == FieldType.TEXT]
        else:
            typed = self.scalar(target)
            if typed.type != FieldType.TEXT or not isinstance(target, nodes.Name):
                raise NodeError(_("expected a text field"), target.pos)
            names = [target.name]
        if not names:
            return sa.false()
        return sa.or_(*(self.column(n).icontains(text, autoescape=True) for n in names))

    def call(self, node: nodes.Call) -> Typed:
        """Aggregates, date parts, search and the geo filters."""
        name = node.name
        if name in AGGREGATES:
            return self.aggregate(node)
        if name in DATE_PARTS:
            (arg,) = self.arity(node, 1)
            typed = self.scalar(arg)
            if typed.type not in TEMPORAL:
                raise NodeError(_("expected a date or a datetime"), arg.pos)
            part = sa.cast(sa.extract(name, typed.sql), sa.Integer())
            return Typed(part, FieldType.INTEGER)
        if name == "now":
            self.arity(node, 0)
            now = datetime.now(UTC)
            return Typed(bind(now), FieldType.DATETIME, literal=True, value=now)
        if name in ("search", "startswith"):
            return Typed(self.text_function(node), FieldType.BOOLEAN)
        if name in ("within_distance", "in_bbox"):
            sql = self.within_distance(node) if name == "within_distance" else self.in_bbox(node)
            return Typed(sql, FieldType.BOOLEAN)
        raise NodeError(_("unknown function {name}").format(name=name), node.pos)

    def arity(self, node: nodes.Call, *counts: int) -> tuple[nodes.Node, ...]:
        """The arguments, or NodeError when there are not ``counts`` of them."""
        if len(node.args) not in counts:
            message = _("{name}() takes {count} argument(s)")
            count = _(" or ").join(str(c) for c in counts)
            raise NodeError(message.format(name=node.name, count=count), node.pos)
        return node.args

    def aggregate(self, node: nodes.Call) -> Typed:
        """count, sum, avg, min, max."""
        if not self.allow_aggregates:
            raise NodeError(_("aggregate functions are not allowed here"), node.pos)
        if self._in_aggregate:
            raise NodeError(_("aggregate functions cannot be nested"), node.pos)
        (arg,) = self.arity(node, 1)
        self._in_aggregate = True
        try:
            if node.name == "count":
                return Typed(self.count(arg), FieldType.INTEGER)
            typed = self.scalar(arg)
        finally:
            self._in_aggregate = False
        if node.name in ("sum", "avg") and typed.type not in NUMERIC:
            raise NodeError(_("expected a number"), arg.pos)
        if typed.type in (None, FieldType.BOOLEAN):
            raise NodeError(_("expected a number, a text or a date"), arg.pos)
        if node.name == "avg":
            return Typed(sa.func.avg(typed.sql), FieldType.DOUBLE)
        if node.name == "sum":
            return Typed(sa.func.sum(typed.sql), typed.type)
        function = sa.func.min if node.name == "min" else sa.func.max
        return Typed(function(typed.sql), typed.type)

    def count(self, arg: nodes.Node) -> ColumnElement[Any]:
        """``count(*)`` counts rows, ``count(x)`` the rows where x is not null."""
        if isinstance(arg, nodes.Star):
            return sa.func.count()
        typed = self.compile(arg)
        if typed.geo is not None:
            suffix = "_lon" if typed.geo.type == FieldType.GEO_POINT else ""
            return sa.func.count(self.column(typed.geo.name, suffix))
        return sa.func.count(typed.sql)

    def text_function(self, node: nodes.Call) -> ColumnElement[bool]:
        """``search([field,] "text")`` and ``startswith(field, "text")``."""
        args = self.arity(node, 1, 2) if node.name == "search" else self.arity(node, 2)
        text = args[-1]
        if not isinstance(text, nodes.Literal) or not isinstance(text.value, str):
            raise NodeError(_("expected a string"), text.pos)
        if node.name == "search":
            return self.search(args[0] if len(args) == 2 else None, text.value)
        target = self.scalar(args[0])
        if target.type != FieldType.TEXT:
            raise NodeError(_("expected a text field"), args[0].pos)
        return target.sql.istartswith(text.value, autoescape=True)

    def geo_point(self, node: nodes.Node) -> Field:
        """The geo point field a geo filter applies to."""
        if not isinstance(node, nodes.Name) or self.field(node).type != FieldType.GEO_POINT:
            raise NodeError(_("expected a geo point field"), node.pos)
        return self.field(node)

    def within_distance(self, node: nodes.Call) -> ColumnElement[bool]:
        """Equirectangular distance, prefiltered by a box: no PostGIS nor SpatiaLite needed."""
        target, center, radius = self.arity(node, 3)
        name = self.geo_point(target).name
        if not isinstance(center, nodes.Point):
            raise NodeError(_("expected geom'POINT(lon lat)'"), center.pos)
        if isinstance(radius, nodes.Distance):
            meters = radius.meters
        elif isinstance(radius, nodes.Literal) and literal_type(radius.value) in NUMERIC:
            meters = float(radius.value)  # type: ignore[arg-type]
        else:
            raise NodeError(_("expected a distance such as 500m or 2km"), radius.pos)
        if meters < 0:
            raise NodeError(_("expected a distance such as 500m or 2km"), radius.pos)
        lon, lat = self.column(name, "_lon"), self.column(name, "_lat")
        reach = meters / METERS_PER_DEGREE
        # Longitude degrees shrink with latitude; near the poles the box spans every longitude.
        shrink = max(math.cos(math.radians(center.lat)), 1e-9)
        reach_lon = min(reach / shrink, 360.0)
        dx = (lon - bind(center.lon)) * bind(shrink)
        dy = lat - bind(center.lat)
        return sa.and_(
            lat.between(bind(center.lat - reach), bind(center.lat + reach)),
            lon.between(bind(center.lon - reach_lon), bind(center.lon + reach_lon)),
            dx * dx + dy * dy <= bind(reach * reach),
        )

    def in_bbox(self, node: nodes.Call) -> ColumnElement[bool]:
        """``in_bbox(point, lat1, lon1, lat2, lon2)`` with any two opposite corners."""
        target, *corners = self.arity(node, 5)
        name = self.geo_point(target).name
        numbers = []
        for corner in corners:
            if not isinstance(corner, nodes.Literal) or literal_type(corner.value) not in NUMERIC:
                raise NodeError(_("expected a number"), corner.pos)
            numbers.append(float(corner.value))  # type: ignore[arg-type]
        lat1, lon1, lat2, lon2 = numbers
        lon, lat = self.column(name, "_lon"), self.column(name, "_lat")
        return sa.and_(
            lat.between(bind(min(lat1, lat2)), bind(max(lat1, lat2))),
            lon.between(bind(min(lon1, lon2)), bind(max(lon1, lon2))),
        )
