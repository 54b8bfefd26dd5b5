"""ODSQL text → syntax tree (:mod:`.nodes`), with lark's LALR parser.

The grammar lives here rather than in a ``.lark`` file because package data only ships the
extensions listed in ``pyproject.toml``.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from functools import cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from servicielle.catalog.odsql import nodes
from servicielle.catalog.odsql.errors import NodeError, QueryError
from servicielle.core.i18n import N_, _

# Longer input or deeper trees are rejected before anything recursive walks them.
MAX_LENGTH = 2000
MAX_DEPTH = 100
MAX_NESTING = 50

GRAMMAR = r"""
start_where: expr
start_select: select_item ("," select_item)*
start_group_by: item ("," item)*
start_order_by: order_item ("," order_item)*

select_item: STAR -> select_all
           | item
item: expr [AS ident]
order_item: expr [ASC | DESC]

?expr: or_expr
?or_expr: and_expr (OR and_expr)*
?and_expr: not_expr (AND not_expr)*
?not_expr: NOT not_expr -> not_
         | predicate
?predicate: sum
          | sum COMPARATOR sum -> compare
          | sum [NOT] IN "(" expr ("," expr)* ")" -> in_
          | sum [NOT] LIKE sum -> like
          | sum IS [NOT] NULL -> is_null
?sum: product
    | sum (PLUS | MINUS) product -> binop
?product: unary
        | product (STAR | SLASH) unary -> binop
?unary: MINUS unary -> neg
      | atom
?atom: literal
     | ident -> field
     | NAME "(" [arg ("," arg)*] ")" -> call
     | "(" expr ")"
?arg: expr
    | STAR -> star
    | NUMBER NAME -> distance
?literal: STRING | NUMBER | TRUE | FALSE | NULL | DATE | GEOM
ident: NAME | BACKQUOTED

AND: "and"i
OR: "or"i
NOT: "not"i
IN: "in"i
LIKE: "like"i
IS: "is"i
NULL: "null"i
TRUE: "true"i
FALSE: "false"i
AS: "as"i
ASC: "asc"i
DESC: "desc"i
STAR: "*"
SLASH: "/"
PLUS: "+"
MINUS: "-"
COMPARATOR: /!=|<>|<=|>=|=|<|>/
DATE.2: /date(?:'[^']*'|"[^"]*")/i
GEOM.2: /geom(?:'[^']*'|"[^"]*")/i
NAME: /[A-Za-z_][A-Za-z0-9_]*/
BACKQUOTED: /`[^`]+`/
STRING: /"(?:[^"\\]|\\[\s\S])*"|'(?:[^'\\]|\\[\s\S])*'/
NUMBER: /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/
%ignore /\s+/
"""

CLAUSES = ("where", "select", "group_by", "order_by")

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?"
)

UNITS = {"m": 1.0, "km": 1000.0, "mi": 1609.344, "yd": 0.9144, "ft": 0.3048}

# What an expression may start with; a parse error expecting most of them says so briefly.
_OPERANDS = {"NAME", "BACKQUOTED", "STRING", "NUMBER", "DATE", "GEOM", "TRUE", "FALSE", "NULL"}
_OPERAND_PREFIXES = {"LPAR", "MINUS", "NOT"}
_DESCRIPTIONS = {
    "NAME": N_("a field name"),
    "STRING": N_("a string"),
    "NUMBER": N_("a number"),
    "COMPARATOR": N_("a comparison operator"),
    "$END": N_("end of input"),
}
_KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "IS", "NULL", "TRUE", "FALSE", "AS", "ASC", "DESC"}
_SYMBOLS = {"LPAR": "(", "RPAR": ")", "COMMA": ",", "STAR": "*", "SLASH": "/", "PLUS": "+"}
_SYMBOLS |= {"MINUS": "-"}


@cache
def _parser() -> Lark:
    return Lark(
        GRAMMAR,
        parser="lalr",
        lexer="basic",
        start=[f"start_{clause}" for clause in CLAUSES],
        propagate_positions=True,
        maybe_placeholders=True,
    )


def parse(text: str, clause: str) -> list[nodes.Node]:
    """Parse one clause into its items (``where`` gives a single condition)."""
    if len(text) > MAX_LENGTH:
        raise NodeError(_("longer than {n} characters").format(n=MAX_LENGTH), None)
    if "\x00" in text:
        raise NodeError(_("contains a NUL character"), text.index("\x00") + 1)
    if not text.strip():
        raise NodeError(_("empty expression"), 1)
    try:
        tree = _parser().parse(text, start=f"start_{clause}")
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    _check_nesting(text)
    _check_depth(tree)
    return [_Builder(text).node(child) for child in tree.children]


def parse_where(text: str) -> nodes.Node:
    """Parse a ``where`` clause (exposed for tests); raises QueryError."""
    try:
        return parse(text, "where")[0]
    except NodeError as exc:
        raise QueryError(exc.message, clause="where", position=exc.position, text=text) from None


def _check_nesting(text: str) -> None:
    depth = 0
    for token in _parser().lex(text):
        depth += {"LPAR": 1, "RPAR": -1}.get(token.type, 0)
        if depth > MAX_NESTING:
            message = _("more than {n} nested parentheses").format(n=MAX_NESTING)
            raise NodeError(message, (token.start_pos or 0) + 1)


def _check_depth(tree: Tree[Token]) -> None:
    stack: list[tuple[Tree[Token] | Token, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise NodeError(_("the expression is nested too deeply"), _start(node))
        if isinstance(node, Tree):
            stack.extend((child, depth + 1) for child in node.children if child is not None)


def _start(node: Tree[Token] | Token) -> int:
    if isinstance(node, Token):
        return (node.start_pos or 0) + 1
    return getattr(node.meta, "start_pos", 0) + 1


def _describe(expected: set[str]) -> str:
    names = set(expected) - {"BACKQUOTED"}
    words = []
    if len(names & _OPERANDS) >= 3:
        names -= _OPERANDS | _OPERAND_PREFIXES
        words.append(_("an expression"))
    words += [_(_DESCRIPTIONS[n]) for n in sorted(names) if n in _DESCRIPTIONS and n != "$END"]
    words += [n.lower() for n in sorted(names) if n in _KEYWORDS]
    words += [f'"{_SYMBOLS[n]}"' for n in sorted(names) if n in _SYMBOLS]
    if "$END" in names:
        end_of_input = _DESCRIPTIONS["$END"]
        words.append(_(end_of_input))
    return ", ".join(words)


def _quote(value: str) -> str:
    return json.dumps(value if len(value) <= 30 else value[:30] + "…", ensure_ascii=False)


def _syntax_error(exc: UnexpectedInput, text: str) -> NodeError:
    if isinstance(exc, UnexpectedCharacters):
        offset = exc.pos_in_stream or 0
        position, char = offset + 1, text[offset]
        if char in "\"'`":
            return NodeError(_("unterminated quote {char}").format(char=char), position)
        return NodeError(_("unexpected character {char}").format(char=_quote(char)), position)
    assert isinstance(exc, UnexpectedToken)  # the only other error of the LALR parser
    if exc.token.type == "$END":
        found, position = _("end of input"), len(text) + 1
    else:
        found, position = _quote(str(exc.token)), (exc.token.start_pos or 0) + 1
    # ``accepts`` replays the parser, so it lists only what could really follow.
    expected = _describe(exc.accepts or exc.expected)
    message = _("unexpected {found}; expected {expected}")
    return NodeError(message.format(found=found, expected=expected), position)


class _Builder:
    """Turns lark's parse tree into :mod:`.nodes` (depth already bounded)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def node(self, tree: Tree[Token] | Token) -> nodes.Node:
        if isinstance(tree, Token):
            return self.token(tree)
        pos = _start(tree)
        kids = tree.children
        match tree.data:
            case "select_item":
                return self.node(kids[0])
            case "select_all":
                return nodes.SelectAll(pos)
            case "item":
                expr = kids[0]
                assert expr is not None
                alias = self.ident(kids[2]) if kids[2] is not None else None
                return nodes.Item(pos, self.node(expr), alias, self.source(expr))
            case "order_item":
                direction = kids[1]
                descending = isinstance(direction, Token) and direction.lower() == "desc"
                return nodes.OrderItem(pos, self.node(kids[0]), descending)
            case "or_expr" | "and_expr":
                operands = tuple(self.node(k) for k in kids[::2])
                return nodes.BoolOp(pos, str(tree.data)[:-5], operands)
            case "not_":
                return nodes.Unary(pos, "not", self.node(kids[1]))
            case "compare" | "binop":
                op = str(kids[1]).replace("<>", "!=")
                return nodes.Binary(pos, op, self.node(kids[0]), self.node(kids[2]))
            case "in_":
                values = tuple(self.node(k) for k in kids[3:])
                return nodes.InList(pos, self.node(kids[0]), values, kids[1] is not None)
            case "like":
                return nodes.Like(pos, self.node(kids[0]), self.node(kids[3]), kids[1] is not None)
            case "is_null":
                return nodes.IsNull(pos, self.node(kids[0]), kids[2] is not None)
            case "neg":
                operand = self.node(kids[1])
                if isinstance(operand, nodes.Literal) and type(operand.value) in (int, float):
                    return nodes.Literal(pos, -operand.value)  # type: ignore[operator]
                return nodes.Unary(pos, "-", operand)
            case "field":
                return nodes.Name(pos, self.ident(kids[0]))
            case "call":
                name = str(kids[0]).lower()
                args = tuple(self.node(k) for k in kids[1:] if k is not None)
                return nodes.Call(pos, name, args)
            case "star":
                return nodes.Star(pos)
            case "distance":
                return self.distance(pos, kids[0], kids[1])
        raise AssertionError(f"unhandled rule {tree.data}")  # pragma: no cover

    def source(self, tree: Tree[Token] | Token) -> str:
        if isinstance(tree, Token):
            return self.text[tree.start_pos : tree.end_pos]
        return self.text[tree.meta.start_pos : tree.meta.end_pos]

    def ident(self, tree: Tree[Token] | Token | None) -> str:
        token = tree.children[0] if isinstance(tree, Tree) else tree
        assert isinstance(token, Token)
        return str(token).strip("`") if token.type == "BACKQUOTED" else str(token)

    def token(self, token: Token) -> nodes.Node:
        pos = (token.start_pos or 0) + 1
        match token.type:
            case "STRING":
                return nodes.Literal(pos, _unescape(token.value[1:-1], pos))
            case "NUMBER":
                return nodes.Literal(pos, _number(token.value, pos))
            case "TRUE" | "FALSE":
                return nodes.Literal(pos, token.type == "TRUE")
            case "NULL":
                return nodes.Literal(pos, None)
            case "DATE":
                return nodes.Literal(pos, parse_temporal(token.value[5:-1].strip(), pos))
            case "GEOM":
                return _point(token.value[5:-1].strip(), pos)
        raise AssertionError(f"unhandled token {token.type}")  # pragma: no cover

    def distance(self, pos: int, number: Tree[Token] | Token | None, unit: object) -> nodes.Node:
        assert isinstance(number, Token)
        factor = UNITS.get(str(unit).lower())
        if factor is None:
            message = _("unknown distance unit {unit}; use one of: {units}")
            raise NodeError(message.format(unit=_quote(str(unit)), units=", ".join(UNITS)), pos)
        return nodes.Distance(pos, float(_number(number.value, pos)) * factor)


def _unescape(body: str, pos: int) -> str:
    def replace(match: re.Match[str]) -> str:
        escape = match[1]
        if len(escape) == 1:
            # Backslash escapes as in JSON; any other escaped character stands for itself.
            return _ESCAPES.get(escape, escape)
        code = int(escape[1:], 16)
        if 0xD800 <= code <= 0xDFFF:
            raise NodeError(_("invalid escape in string"), pos)
        return chr(code)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|[\s\S])", replace, body)


def _number(text: str, pos: int) -> int | float:
    if re.fullmatch(r"[0-9]+", text):
        value = int(text)
        if value >= 2**63:
            raise NodeError(_("number out of range: {n}").format(n=_quote(text)), pos)
        return value
    number = float(text)
    if not math.isfinite(number):
        raise NodeError(_("number out of range: {n}").format(n=_quote(text)), pos)
    return number


def parse_temporal(text: str, pos: int) -> date | datetime:
    """An ISO 8601 date (``2024-01-31``) or datetime (``2024-01-31T10:00:00Z``)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if re.fullmatch(
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?", text
        ):
            return datetime.fromisoformat(text)
    except ValueError:
        pass
    message = _("invalid date {value}; expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS")
    raise NodeError(message.format(value=_quote(text)), pos)


def _point(text: str, pos: int) -> nodes.Point:
    number = r"\s*(-?\d+(?:\.\d+)?)"
    match = re.fullmatch(rf"(?i)POINT\s*\({number}{number}\s*\)", text)
    coordinates: list[object] = list(match.groups()) if match else []
    if not match and text.startswith("{"):
        try:
            geometry = json.loads(text)
            if isinstance(geometry, dict) and geometry.get("type") == "Point":
                coordinates = list(geometry.get("coordinates") or [])
        except ValueError:
            pass
    try:
        lon, lat = (float(c) for c in coordinates)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        message = _("invalid geometry; expected geom'POINT(lon lat)'")
        raise NodeError(message, pos) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise NodeError(_("coordinates out of range: longitude then latitude expected"), pos)
    return nodes.Point(pos, lon, lat)
