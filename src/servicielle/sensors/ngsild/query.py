"""The NGSI-LD query language (``q``) compiled to SQL over the latest values.

Supported: ``;`` (and), ``|`` (or), parentheses, ``== != > >= < <=``, ``~=`` and ``!~=``
(pattern, as SQL LIKE over the regex's literal parts is unsound, so only on PostgreSQL it is a
real regex; SQLite answers TooComplexQuery), ranges ``a==1..5``, lists ``a=="x","y"``,
existence ``a`` and ``!a``, paths ``a.observedAt`` and ``a[key]`` into compound values.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any
from urllib.parse import unquote

from lark import Lark, Token, Transformer, UnexpectedInput
from sqlalchemy import ColumnElement, Text, and_, cast, exists, false, not_, or_, select, true

from servicielle.sensors.models import LatestValue, SensorEntity
from servicielle.sensors.ngsild.errors import BadRequestData, InvalidRequest

GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr ("|" and_expr)*
?and_expr: term (";" term)*
?term: "(" or_expr ")" | comparison | exists | not_exists
comparison: path OP value
exists: path
not_exists: "!" path
path: NAME ("." NAME)* ("[" NAME ("." NAME)* "]")?
?value: range | choices | scalar
range: scalar ".." scalar
choices: scalar ("," scalar)+
?scalar: STRING -> string
       | DATETIME -> datetime
       | NUMBER -> number
       | "true" -> true
       | "false" -> false
       | BARE -> bare
OP: "==" | "!=" | ">=" | "<=" | ">" | "<" | "~=" | "!~="
NAME: /[A-Za-z_][A-Za-z0-9_:\-]*/
STRING: /"(\\.|[^"\\])*"/
DATETIME.3: /\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?/
NUMBER.2: /-?\d+(\.\d+)?([eE][+-]?\d+)?(?![\w:])/
BARE: /[A-Za-z][A-Za-z0-9_:\-\/.#]*/
%ignore " "
"""


@cache
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr")


class _Literal:
    def __init__(self, value: Any) -> None:
        self.value = value


class _ToAst(Transformer[Token, Any]):
    def string(self, items: list[Token]) -> _Literal:
        return _Literal(str(items[0])[1:-1].replace('\\"', '"'))

    def number(self, items: list[Token]) -> _Literal:
        text = str(items[0])
        return _Literal(float(text) if any(c in text for c in ".eE") else int(text))

    def datetime(self, items: list[Token]) -> _Literal:
        text = str(items[0]).replace("Z", "+00:00")
        instant = dt.datetime.fromisoformat(text)
        return _Literal(instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC))

    def true(self, _items: list[Token]) -> _Literal:
        return _Literal(True)

    def false(self, _items: list[Token]) -> _Literal:
        return _Literal(False)

    def bare(self, items: list[Token]) -> _Literal:
        return _Literal(str(items[0]))

    def path(self, items: list[Token]) -> list[str]:
        return [str(i) for i in items]


def _latest(attribute: str, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists(
        select(LatestValue.entity_pk).where(
            LatestValue.entity_pk == SensorEntity.pk,
            LatestValue.attribute == attribute,
            *conditions,
        )
    )


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    match op:
        case "==":
            return column == value  # type: ignore[no-any-return]
        case "!=":
            return column != value  # type: ignore[no-any-return]
        case ">":
            return column > value  # type: ignore[no-any-return]
        case ">=":
            return column >= value  # type: ignore[no-any-return]
        case "<":
            return column < value  # type: ignore[no-any-return]
        case "<=":
            return column <= value  # type: ignore[no-any-return]
    raise InvalidRequest(f"unsupported operator {op}")


class _Compiler:
    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    def compile(self, node: Any) -> ColumnElement[bool]:
        kind = node.data
        if kind == "or_expr":
            return or_(*(self.compile(child) for child in node.children))
        if kind == "and_expr":
            return and_(*(self.compile(child) for child in node.children))
        if kind == "exists":
            return _latest(node.children[0][0])
        if kind == "not_exists":
            return not_(_latest(node.children[0][0]))
        path, op, value = node.children
        return self._comparison(path, str(op), value)

    def _comparison(self, path: list[str], op: str, value: Any) -> ColumnElement[bool]:
        attribute, rest = path[0], path[1:]
        if op in ("~=", "!~="):
            if self.dialect != "postgresql":
                raise BadRequestData("pattern matching (~=) needs the PostgreSQL backend")
            if not isinstance(value, _Literal) or not isinstance(value.value, str):
                raise BadRequestData(f"~= on {attribute} needs a quoted pattern")
            matched = LatestValue.value_text.regexp_match(value.value)
            return _latest(attribute, matched if op == "~=" else not_(matched))
        if rest == ["observedAt"]:
            column: Any = LatestValue.observed_at
            return self._column_test(attribute, column, op, value, instants=True)
        if rest:
            key = rest[-1]
            column = LatestValue.value_json[key]
            return self._column_test(attribute, column, op, value, json_path=True)
        return self._column_test(attribute, None, op, value)

    def _column_test(
        self,
        attribute: str,
        column: Any,
        op: str,
        value: Any,
        *,
        instants: bool = False,
        json_path: bool = False,
    ) -> ColumnElement[bool]:
        if value.data == "range" if hasattr(value, "data") else False:
            low, high = (v.value for v in value.children)
            if op not in ("==", "!="):
                raise BadRequestData(f"a range needs == or != (on {attribute})")
            target = self._column(column, low, instants, json_path)
            inside = and_(target >= low, target <= high)
            return _latest(attribute, inside if op == "==" else not_(inside))
        if hasattr(value, "data") and value.data == "choices":
            options = [v.value for v in value.children]
            target = self._column(column, options[0], instants, json_path)
            if op not in ("==", "!="):
                raise BadRequestData(f"a list of values needs == or != (on {attribute})")
            matched = target.in_(options)
            return _latest(attribute, matched if op == "==" else not_(matched))
        literal = value.value
        if isinstance(literal, bool) and column is None:
            # Booleans live in the JSON column, whose text is true or false on both backends.
            if op not in ("==", "!="):
                raise BadRequestData(f"true and false compare with == or != (on {attribute})")
            as_text = cast(LatestValue.value_json, Text)
            return _latest(attribute, _compare(as_text, op, "true" if literal else "false"))
        target = self._column(column, literal, instants, json_path)
        if op == "!=":
            return or_(
                _latest(attribute, target != literal),
                _latest(attribute, target.is_(None)),
            )
        return _latest(attribute, _compare(target, op, literal))

    def _column(self, column: Any, literal: Any, instants: bool, json_path: bool) -> Any:
        if instants:
            return column
        if json_path:
            return column.as_float() if isinstance(literal, int | float) else column.as_string()
        if isinstance(literal, bool):
            return cast(LatestValue.value_json, Text)
        if isinstance(literal, int | float):
            return LatestValue.value_num
        if isinstance(literal, dt.datetime):
            raise BadRequestData("compare dates on .observedAt or as quoted strings")
        return LatestValue.value_text


def compile_q(q: str, dialect: str) -> ColumnElement[bool]:
    """The SQL condition on ``SensorEntity`` of an NGSI-LD ``q`` expression."""
    # ngsildclient percent-encodes q inside subscription bodies; URLs are decoded already.
    text = unquote(q) if "%" in q else q
    if not text.strip():
        return true()
    if len(text) > 2000:
        raise BadRequestData("q is longer than 2,000 characters")
    try:
        tree = _ToAst().transform(_parser().parse(text))
    except UnexpectedInput as exc:
        raise InvalidRequest(
            f"q is not a valid NGSI-LD query at character {exc.column}: {text!r}"
        ) from None
    except ValueError as exc:
        raise InvalidRequest(f"q has an invalid value: {exc}") from None
    if tree.data == "exists" or tree.data == "not_exists" or hasattr(tree, "data"):
        return _Compiler(dialect).compile(tree)
    return false()
