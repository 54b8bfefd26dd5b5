"""Whatever the input, ODSQL answers rows or a QueryError, and user values never reach the SQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from servicielle.catalog.fields import Field, FieldType
from servicielle.catalog.odsql import QueryError, QueryParams, compile_query
from servicielle.catalog.odsql.parser import MAX_LENGTH

FIELDS = [
    Field("name", FieldType.TEXT, "name"),
    Field("capacity", FieldType.INTEGER, "capacity"),
    Field("surface", FieldType.DOUBLE, "surface"),
    Field("opened", FieldType.DATE, "opened"),
    Field("updated", FieldType.DATETIME, "updated"),
    Field("accessible", FieldType.BOOLEAN, "accessible"),
    Field("geo", FieldType.GEO_POINT, "geo"),
    Field("shape", FieldType.GEO_SHAPE, "shape"),
]
METADATA = sa.MetaData()
TABLE = sa.Table(
    "places",
    METADATA,
    sa.Column("name", sa.Text),
    sa.Column("capacity", sa.Integer),
    sa.Column("surface", sa.Float),
    sa.Column("opened", sa.Date),
    sa.Column("updated", sa.DateTime),
    sa.Column("accessible", sa.Boolean),
    sa.Column("geo_lon", sa.Float),
    sa.Column("geo_lat", sa.Float),
    sa.Column("shape", sa.Text),
)
DIALECTS = (sqlite.dialect(), postgresql.dialect())
CLAUSES = ("select", "where", "group_by", "order_by", "refine", "exclude")
PROPERTY = settings(max_examples=200, deadline=None)


@pytest.fixture(scope="module")
def engine() -> Iterator[sa.Engine]:
    """An in-memory SQLite table with a few rows, nulls included."""
    engine = sa.create_engine("sqlite://")
    METADATA.create_all(engine)
    with engine.begin() as connection:
        for row in [
            {
                "name": "Piscine",
                "capacity": 450,
                "surface": 1250.5,
                "opened": date(2008, 6, 14),
                "updated": datetime(2024, 3, 2, 8, 30),
                "accessible": True,
                "geo_lon": -0.96,
                "geo_lat": 45.94,
                "shape": '{"type": "Point", "coordinates": [-0.96, 45.94]}',
            },
            {"name": "Stade", "capacity": 0, "surface": 0.0, "accessible": False},
            {"name": None},
        ]:
            connection.execute(TABLE.insert(), row)
    yield engine
    engine.dispose()


def params_for(clause: str, text: str) -> QueryParams:
    if clause in ("refine", "exclude"):
        return QueryParams(**{clause: (text,)})
    return QueryParams(**{clause: text})


def compile_everywhere(params: QueryParams) -> Any:
    """Compile, and render both statements for both dialects (which must not fail either)."""
    query = compile_query(TABLE, FIELDS, params)
    for statement in (query.statement, query.count_statement):
        for dialect in DIALECTS:
            str(statement.compile(dialect=dialect))
    return query


@PROPERTY
@given(clause=st.sampled_from(CLAUSES), text=st.text())
def test_any_text_compiles_or_raises_query_error(clause: str, text: str) -> None:
    try:
        compile_everywhere(params_for(clause, text))
        return
    except QueryError as exc:
        error = exc
    assert error.clause == clause
    assert error.position is None or 1 <= error.position <= len(text) + 1


# Pieces of the language, so that generated text is often valid and reaches the compiler.
VALUES = st.sampled_from(
    [
        "name",
        "capacity",
        "surface",
        "opened",
        "updated",
        "accessible",
        "geo",
        "shape",
        "`name`",
        "colour",
        "'Piscine'",
        "3",
        "-2.5",
        "0",
        "true",
        "null",
        "date'2020-01-01'",
        "date'2024-03-02T08:30:00Z'",
        "now()",
        "count(*)",
        "count(geo)",
        "sum(capacity)",
        "avg(surface)",
        "max(opened)",
        "min(name)",
        "year(opened)",
        "hour(updated)",
    ]
)
PREDICATES = st.sampled_from(
    [
        'search("pis")',
        '"sta"',
        "accessible",
        'name like "pis*"',
        "capacity in (1, 450)",
        "name is not null",
        "within_distance(geo, geom'POINT(-0.96 45.94)', 1km)",
        "in_bbox(geo, 46, -1, 45, 0)",
    ]
)


def values() -> st.SearchStrategy[str]:
    return st.recursive(
        VALUES,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(" ".join),
            inner.map(lambda e: f"({e})"),
        ),
        max_leaves=4,
    )


def conditions() -> st.SearchStrategy[str]:
    comparisons = st.tuples(
        values(), st.sampled_from(["=", "!=", "<", ">=", "<>", "like", "is", "in"]), values()
    ).map(" ".join)
    return st.recursive(
        PREDICATES | comparisons,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["and", "OR"]), inner).map(" ".join),
            inner.map(lambda e: f"not ({e})"),
        ),
        max_leaves=4,
    )


def listed(items: st.SearchStrategy[str], suffixes: list[str]) -> st.SearchStrategy[str]:
    item = st.tuples(items, st.sampled_from(suffixes)).map("".join)
    return st.lists(item, min_size=1, max_size=3).map(", ".join)


@PROPERTY
@given(
    select=st.none() | listed(values() | conditions(), ["", " as a", " as b"]),
    where=st.none() | conditions(),
    group_by=st.none() | listed(values(), ["", " as g"]),
    order_by=st.none() | listed(values(), ["", " desc", " ASC"]),
)
def test_generated_queries_run_or_raise_query_error(
    engine: sa.Engine,
    select: str | None,
    where: str | None,
    group_by: str | None,
    order_by: str | None,
) -> None:
    params = QueryParams(select=select, where=where, group_by=group_by, order_by=order_by, limit=5)
    try:
        query = compile_everywhere(params)
    except QueryError:
        return
    with engine.connect() as connection:
        rows = [query.decode(row) for row in connection.execute(query.statement)]
        count = connection.execute(query.count_statement).scalar_one()
    assert all(list(row) == [c.name for c in query.columns] for row in rows)
    assert len(rows) <= min(count, 5)


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


TEMPLATES = ('name = "{}"', 'name like "{}"', 'search("{}")', 'name in ("{}", "b")')


def rendered(where: str) -> dict[str, Any]:
    statement = compile_query(TABLE, FIELDS, QueryParams(where=where)).statement
    return {dialect.name: statement.compile(dialect=dialect) for dialect in DIALECTS}


STATIC_SQL = {t: {n: str(c) for n, c in rendered(t.format("zz")).items()} for t in TEMPLATES}


@PROPERTY
@given(value=st.text(alphabet=st.characters(exclude_characters="\x00"), min_size=3))
def test_string_values_are_bound_parameters(value: str) -> None:
    for template in TEMPLATES:
        for dialect, compiled in rendered(template.format(escape(value))).items():
            if value not in STATIC_SQL[template][dialect]:
                assert value not in str(compiled)
            if template.startswith("name ") and "like" not in template:
                # Parsing the escaped literal gave the value back, unchanged.
                assert value in compiled.params.values()


def test_refine_values_are_bound_parameters() -> None:
    value = "x' OR '1'='1"
    statement = compile_query(TABLE, FIELDS, QueryParams(refine=(f"name:{value}",))).statement
    for dialect in DIALECTS:
        compiled = statement.compile(dialect=dialect)
        assert value not in str(compiled)
        assert value in compiled.params.values()


@pytest.mark.parametrize(
    ("clause", "text"),
    [
        ("where", "1; DROP TABLE places"),
        ("where", '" or 1=1 --'),
        ("where", "name = 'a'' OR ''1''=''1'"),
        ("where", "name = 'a' OR 1=1 --'"),
        ("where", "`name`; select"),
        ("where", "name = 'unterminated"),
        ("where", "(capacity > 1"),
        ("where", "capacity > 1)"),
        ("where", 'name = "a" UNION SELECT password FROM users'),
        ("where", "`name` = 'x` or 1=1"),
        ("where", "name = 'x'\x00"),
        ("refine", "name:x\x00"),
        ("select", "name; DELETE FROM places"),
        ("select", "name -- comment"),
        ("select", "name /* comment */"),
        ("order_by", "capacity; DROP TABLE places"),
        ("order_by", "(select 1)"),
        ("group_by", "name)"),
        ("where", "(" * 2000 + "1"),
        ("where", "(" * 300 + "capacity > 1" + ")" * 300),
        ("where", "-" * 500 + "1 > 0"),
        ("where", "not " * 300 + "accessible"),
        ("where", "capacity" + " + 1" * 400 + " > 0"),
        ("where", "x" * (MAX_LENGTH + 1)),
    ],
)
def test_injection_attempts_raise_query_error_with_position(clause: str, text: str) -> None:
    with pytest.raises(QueryError) as caught:
        compile_query(TABLE, FIELDS, params_for(clause, text))
    assert caught.value.clause == clause
    if len(text) <= MAX_LENGTH:
        assert caught.value.position is not None
