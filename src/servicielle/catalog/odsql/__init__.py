"""ODSQL, the query language of the OpenDataSoft Explore API v2.1, compiled to SQLAlchemy Core.

``compile_query(source, fields, QueryParams(...))`` parses each parameter with a lark LALR
grammar into a syntax tree, checks it against the fields (names, types, grouping) and builds
a ``Select`` for the rows and one for their count. Every value written by the user reaches
the database as a bound parameter. Any mistake raises :class:`QueryError` (HTTP 400) naming
the parameter and the 1-based position in it.

The language, on SQLite and PostgreSQL alike (no PostGIS):

- ``select``: ``*``, fields, literals, ``+ - * /``, ``count(*)``, ``count(x)``, ``sum``,
  ``avg``, ``min``, ``max``, ``year`` … ``second``, each with an optional ``as alias``;
- ``where``: comparisons, ``and``/``or``/``not``, ``in (…)``, ``like``, ``is [not] null``,
  ``search([field,] "text")``, ``startswith(field, "text")``, a bare ``"text"`` (search),
  ``within_distance(point, geom'POINT(lon lat)', 1km)``,
  ``in_bbox(point, lat1, lon1, lat2, lon2)``, literals ``date'2024-01-31'``,
  ``date'2024-01-31T10:00:00'``, ``true``, ``false``, ``null``, ``now()``;
- ``group_by``, ``order_by`` (``asc``/``desc``; aliases, aggregates, fields), ``limit``,
  ``offset``, ``refine`` and ``exclude`` (``field:value``; ``2024`` or ``2024-03`` for dates).

``like`` is case-insensitive: ``*`` matches any characters and a pattern without ``*``
matches anywhere in the text (``%`` and ``_`` are ordinary characters). Keywords are
case-insensitive; field names are not, and a field named like a keyword is written
```in```. Nulls sort last in both directions.
"""

from __future__ import annotations

from servicielle.catalog.odsql.compiler import (
    CompiledQuery,
    OutputColumn,
    QueryParams,
    compile_query,
    validate_params,
)
from servicielle.catalog.odsql.errors import QueryError
from servicielle.catalog.odsql.nodes import Node
from servicielle.catalog.odsql.parser import parse_where

__all__ = [
    "CompiledQuery",
    "Node",
    "OutputColumn",
    "QueryError",
    "QueryParams",
    "compile_query",
    "parse_where",
    "validate_params",
]
