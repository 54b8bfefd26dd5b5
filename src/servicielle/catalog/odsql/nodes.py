"""Syntax tree of ODSQL clauses; every node keeps its 1-based position in the clause text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

LiteralValue = str | int | float | bool | date | datetime | None


@dataclass(frozen=True)
class Node:
    """Base of every node."""

    pos: int


@dataclass(frozen=True)
class Name(Node):
    """A field name, or an alias in ``order_by``."""

    name: str


@dataclass(frozen=True)
class Literal(Node):
    """A string, number, boolean, date, datetime or ``null``."""

    value: LiteralValue


@dataclass(frozen=True)
class Point(Node):
    """A ``geom'POINT(lon lat)'`` literal."""

    lon: float
    lat: float


@dataclass(frozen=True)
class Distance(Node):
    """A distance such as ``1km``, converted to meters."""

    meters: float


@dataclass(frozen=True)
class Star(Node):
    """``*`` as in ``count(*)``."""


@dataclass(frozen=True)
class Call(Node):
    """A function call; ``name`` is lower-cased."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    """``-x`` or ``not x``."""

    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    """Arithmetic (``+ - * /``) or a comparison (``= != < <= > >=``)."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class BoolOp(Node):
    """``and`` / ``or`` over two or more operands."""

    op: str
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class InList(Node):
    """``x [not] in (v1, v2, ...)``."""

    operand: Node
    values: tuple[Node, ...]
    negated: bool


@dataclass(frozen=True)
class Like(Node):
    """``x [not] like "pattern"``."""

    operand: Node
    pattern: Node
    negated: bool


@dataclass(frozen=True)
class IsNull(Node):
    """``x is [not] null``."""

    operand: Node
    negated: bool


@dataclass(frozen=True)
class Item(Node):
    """A ``select`` or ``group_by`` expression; ``text`` is how it was written."""

    expr: Node
    alias: str | None
    text: str


@dataclass(frozen=True)
class SelectAll(Node):
    """``*`` in ``select``: every field."""


@dataclass(frozen=True)
class OrderItem(Node):
    """An ``order_by`` expression and its direction."""

    expr: Node
    descending: bool
