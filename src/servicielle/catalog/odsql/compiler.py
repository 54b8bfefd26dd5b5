"""Query parameters → one SQLAlchemy ``Select`` for the rows and one for their count."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause

from servicielle.catalog.fields import Field, FieldType
from servicielle.catalog.odsql import nodes
from servicielle.catalog.odsql.errors import NodeError, QueryError
from servicielle.catalog.odsql.expressions import ExpressionCompiler, Typed
from servicielle.catalog.odsql.parser import MAX_LENGTH, parse
from servicielle.catalog.odsql.values import DECODERS, point, refine_condition
from servicielle.core.i18n import _


@dataclass(frozen=True)
class QueryParams:
    """The ODS Explore API query parameters."""

    select: str | None = None
    where: str | None = None
    group_by: str | None = None
    order_by: str | None = None
    limit: int | None = None  # None: every row (exports)
    offset: int = 0
    refine: tuple[str, ...] = ()  # "field:value"
    exclude: tuple[str, ...] = ()  # "field:value"


@dataclass(frozen=True)
class OutputColumn:
    """One key of the result dicts and the type of its values."""

    name: str
    type: FieldType


@dataclass(frozen=True)
class CompiledQuery:
    """The statements of a query and how to turn their rows into result dicts."""

    statement: sa.Select[Any]
    count_statement: sa.Select[Any]
    columns: list[OutputColumn]
    _decoders: tuple[Callable[[sa.Row[Any]], Any], ...] = field(default=(), repr=False)

    def decode(self, row: sa.Row[Any]) -> dict[str, Any]:
        """One result dict: ISO dates, ``{"lon", "lat"}`` points, GeoJSON shapes as dicts."""
        return {c.name: decode(row) for c, decode in zip(self.columns, self._decoders, strict=True)}


@dataclass(eq=False)
class _Output:
    column: OutputColumn
    labels: list[sa.Label[Any]]
    typed: Typed | None = None  # None for a geo field
    grouped: bool = False  # a group_by expression, which a select may repeat
    pos: int = 1


@contextmanager
def _clause(name: str, text: str) -> Iterator[None]:
    """Turn the NodeErrors raised while handling ``name`` into QueryErrors."""
    try:
        yield
    except NodeError as exc:
        raise QueryError(exc.message, clause=name, position=exc.position, text=text) from None


def compile_query(
    source: FromClause, fields: Sequence[Field], params: QueryParams
) -> CompiledQuery:
    """Compile ODSQL parameters against a selectable; raises QueryError and nothing else."""
    return _Compiler(source, fields, params).compile()


def validate_params(params: QueryParams, fields: Sequence[Field]) -> None:
    """Raise QueryError if ``params`` is invalid for ``fields``, without a real table."""
    types: dict[FieldType, type[sa.types.TypeEngine[Any]]] = {
        FieldType.INTEGER: sa.BigInteger,
        FieldType.DOUBLE: sa.Float,
        FieldType.BOOLEAN: sa.Boolean,
        FieldType.DATE: sa.Date,
        FieldType.DATETIME: sa.DateTime,
    }
    columns = []
    for f in fields:
        if f.type == FieldType.GEO_POINT:
            columns += [
                sa.column(f"{f.column}_lon", sa.Float),
                sa.column(f"{f.column}_lat", sa.Float),
            ]
        else:
            columns.append(sa.column(f.column, types.get(f.type, sa.Text)))
    compile_query(sa.table("validation", *columns), fields, params)


class _Compiler:
    def __init__(self, source: FromClause, fields: Sequence[Field], params: QueryParams) -> None:
        self.source = source
        self.fields = list(fields)
        self.params = params
        by_name = {f.name: f for f in fields}
        self.filters = ExpressionCompiler(source, by_name)
        self.values = ExpressionCompiler(source, by_name, allow_aggregates=True)
        self.outputs: list[_Output] = []
        self.groups: list[_Output] = []
        self.group_columns: set[str] = set()  # columns grouped on as such
        # Result columns get generated labels: aliases are free text and may repeat a field.
        self.keys = (f"c{n}" for n in itertools.count())

    def compile(self) -> CompiledQuery:
        params = self.params
        for name, number in (("limit", params.limit), ("offset", params.offset)):
            if number is not None and number < 0:
                raise QueryError(_("must not be negative"), clause=name, position=None, text="")
        conditions = self.where() + self.refinements("refine") + self.refinements("exclude")
        self.group_by()
        self.select()
        aggregated = bool(self.groups) or any(
            o.typed is not None and o.typed.aggregate for o in self.outputs
        )
        if aggregated:
            self.check_grouped()
        outputs = self.groups + self.outputs
        labels = [label for o in outputs for label in o.labels]
        rows = sa.select(*labels).select_from(self.source).where(*conditions)
        rows = rows.group_by(*(g.labels[0] for g in self.groups))
        if aggregated:
            count = sa.select(sa.func.count()).select_from(rows.subquery())
        else:
            count = sa.select(sa.func.count()).select_from(self.source).where(*conditions)
        rows = rows.order_by(*self.order_by(outputs, aggregated))
        rows = rows.limit(params.limit).offset(params.offset or None)
        return CompiledQuery(
            rows, count, [o.column for o in outputs], tuple(_decoder(o) for o in outputs)
        )

    def parse(self, clause: str, text: str) -> list[nodes.Node]:
        with _clause(clause, text):
            return parse(text, clause)

    def where(self) -> list[ColumnElement[bool]]:
        text = self.params.where
        if text is None or not text.strip():
            return []
        (node,) = self.parse("where", text)
        with _clause("where", text):
            return [self.filters.condition(node)]

    def refinements(self, clause: str) -> list[ColumnElement[bool]]:
        by_field: dict[str, list[ColumnElement[bool]]] = {}
        for text in getattr(self.params, clause):
            with _clause(clause, text):
                if len(text) > MAX_LENGTH:
                    raise NodeError(_("longer than {n} characters").format(n=MAX_LENGTH), None)
                if "\x00" in text:
                    raise NodeError(_("contains a NUL character"), text.index("\x00") + 1)
                name, colon, value = text.partition(":")
                if not colon:
                    raise NodeError(_("expected field:value"), 1)
                target = self.filters.field(nodes.Name(1, name.strip()))
                if target.is_geo:
                    raise NodeError(_("this field cannot be refined on"), 1)
                column = self.filters.column(target.name)
                position = len(name) + 2
                condition = refine_condition(target.type, column, value, position, target.name)
            if clause == "exclude":
                condition = sa.or_(column.is_(None), sa.not_(condition))
            by_field.setdefault(target.name, []).append(condition)
        if clause == "exclude":
            return [c for conditions in by_field.values() for c in conditions]
        # Refining a field on several values keeps the rows having any of them.
        return [sa.or_(*conditions) for conditions in by_field.values()]

    def group_by(self) -> None:
        text = self.params.group_by
        if text is None or not text.strip():
            return
        for item in self.parse("group_by", text):
            assert isinstance(item, nodes.Item)
            with _clause("group_by", text):
                typed = self.filters.compile(item.expr)
                self.filters.no_geo(typed, item.expr)
                if typed.literal:
                    raise NodeError(_("cannot group by a constant"), item.pos)
                self.groups.append(self.output(item, typed, self.groups))
                self.groups[-1].grouped = True
                if isinstance(item.expr, nodes.Name):
                    self.group_columns |= typed.columns

    def select(self) -> None:
        text = self.params.select
        if text is None or not text.strip():
            if not self.groups:
                self.outputs = [self.field_output(f) for f in self.fields]
            return
        for item in self.parse("select", text):
            with _clause("select", text):
                if isinstance(item, nodes.SelectAll):
                    self.outputs += [self.field_output(f, item.pos) for f in self.fields]
                    continue
                assert isinstance(item, nodes.Item)
                typed = self.values.compile(item.expr)
                if typed.geo is not None:
                    self.outputs.append(self.field_output(typed.geo, item.pos, item.alias))
                    continue
                same = _find(self.groups, typed)
                if same is not None and same.column.name == (item.alias or _name(item)):
                    continue  # already the output of its group
                if same is not None:
                    # Reusing the group's SQL reuses its parameters, which PostgreSQL needs
                    # to see that both are the same expression.
                    typed = same.typed or typed
                output = self.output(item, typed, self.groups + self.outputs)
                output.grouped = same is not None
                self.outputs.append(output)

    def output(self, item: nodes.Item, typed: Typed, taken: list[_Output]) -> _Output:
        name = item.alias or _name(item)
        self.check_unique(name, taken, item.pos)
        label = typed.sql.label(next(self.keys))
        return _Output(
            OutputColumn(name, typed.type or FieldType.TEXT), [label], typed, pos=item.pos
        )

    def field_output(self, f: Field, pos: int = 1, alias: str | None = None) -> _Output:
        name = alias or f.name
        self.check_unique(name, self.groups + self.outputs, pos)
        key = next(self.keys)
        if f.type == FieldType.GEO_POINT:
            halves = [self.filters.column(f.name, s).label(f"{key}{s}") for s in ("_lon", "_lat")]
            return _Output(OutputColumn(name, f.type), halves, pos=pos)
        column = self.filters.column(f.name)
        typed = None if f.is_geo else Typed(column, f.type)
        return _Output(OutputColumn(name, f.type), [column.label(key)], typed, pos=pos)

    def check_unique(self, name: str, taken: list[_Output], pos: int) -> None:
        if any(o.column.name == name for o in taken):
            raise NodeError(_("duplicate column name {name}").format(name=name), pos)

    def field_of(self, columns: Collection[str]) -> str:
        """The name of a field reading one of ``columns``, for messages."""
        names = {f.column + s: f.name for f in self.fields for s in ("", "_lon", "_lat")}
        return min(names.get(c, c) for c in columns)

    def check_grouped(self) -> None:
        for output in self.outputs:
            missing = output.typed.columns - self.group_columns if output.typed else {"?"}
            if output.grouped or not missing:
                continue
            name = self.field_of(missing) if output.typed else output.column.name
            raise QueryError(
                _("{name} must be grouped or aggregated").format(name=name),
                clause="select",
                position=output.pos,
                text=self.params.select or "",
            )

    def order_by(self, outputs: list[_Output], aggregated: bool) -> list[ColumnElement[Any]]:
        text = self.params.order_by
        if text is None or not text.strip():
            return []
        items: list[ColumnElement[Any]] = []
        for item in self.parse("order_by", text):
            assert isinstance(item, nodes.OrderItem)
            with _clause("order_by", text):
                sql = self.order_expression(item, outputs, aggregated)
                items.append((sql.desc() if item.descending else sql.asc()).nulls_last())
        return items

    def order_expression(
        self, item: nodes.OrderItem, outputs: list[_Output], aggregated: bool
    ) -> ColumnElement[Any]:
        if isinstance(item.expr, nodes.Name):
            named = next((o for o in outputs if o.column.name == item.expr.name), None)
            if named is not None and named.typed is not None:
                return named.labels[0]
        compiler = self.values if aggregated else self.filters
        typed = compiler.compile(item.expr)
        compiler.no_geo(typed, item.expr)
        if typed.literal:
            raise NodeError(_("cannot order by a constant"), item.pos)
        same = _find(outputs, typed)
        if same is not None:
            return same.labels[0]
        if aggregated and typed.columns - self.group_columns:
            name = self.field_of(typed.columns - self.group_columns)
            raise NodeError(_("{name} must be grouped or aggregated").format(name=name), item.pos)
        return typed.sql


def _find(outputs: list[_Output], typed: Typed) -> _Output | None:
    """The output computing the same expression with the same values, if any."""
    return next((o for o in outputs if o.typed and o.typed.sql.compare(typed.sql)), None)


def _name(item: nodes.Item) -> str:
    return item.expr.name if isinstance(item.expr, nodes.Name) else item.text


def _decoder(output: _Output) -> Callable[[sa.Row[Any]], Any]:
    keys = [label.name for label in output.labels]
    if output.column.type == FieldType.GEO_POINT:
        return lambda row: point(row._mapping[keys[0]], row._mapping[keys[1]])
    convert = DECODERS[output.column.type]
    return lambda row: convert(row._mapping[keys[0]])
