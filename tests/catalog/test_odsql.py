"""ODSQL queries executed on SQLite and PostgreSQL; expectations come from the rows in Python."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from servicielle.catalog.fields import Field, FieldType
from servicielle.catalog.odsql import (
    CompiledQuery,
    OutputColumn,
    QueryError,
    QueryParams,
    compile_query,
    nodes,
    parse_where,
    validate_params,
)
from servicielle.core.i18n import get_locale, set_locale
from tests.conftest import create_pg_database, drop_pg_database, pg_url

CENTER = (-0.96, 45.94)  # lon, lat: Rochefort, Charente-Maritime
EARTH_RADIUS = 6_371_008.8


@dataclass(frozen=True)
class Place:
    name: str
    commune: str | None
    capacity: int | None
    surface: float | None
    opened: date | None
    updated: datetime | None
    accessible: bool | None
    distance: float | None  # meters from CENTER, None: no location
    bearing: float = 0.0  # degrees clockwise from north

    @property
    def lon_lat(self) -> tuple[float, float] | tuple[None, None]:
        if self.distance is None:
            return None, None
        lon0, lat0 = CENTER
        north = self.distance * math.cos(math.radians(self.bearing))
        east = self.distance * math.sin(math.radians(self.bearing))
        return (
            lon0 + east / (111_320 * math.cos(math.radians(lat0))),
            lat0 + north / 111_320,
        )


def d(text: str) -> date:
    return date.fromisoformat(text)


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


R, T, E, F = "Rochefort", "Tonnay-Charente", "Échillais", "Fouras"
COMMUNES = {"R": R, "T": T, "E": E, "F": F}
# name | commune | capacity | surface | opened | updated | accessible | meters, bearing from CENTER
ROWS = """
Piscine Polygone            | R | 450  | 1250.5 | 2008-06-14 | 2024-03-02 08:30 | y | 500 0
Stade Rouge                 | R | 3000 | 9800   | 1975-09-01 | 2023-11-20 17:45 | y | 2000 90
Médiathèque Michel Crépeau  | R | 120  | 2100   | 2013-10-05 | 2024-01-15 09:00 | y | 300 200
Gymnase Lucien Dauriac      | R | 600  | 1500   | 1990-02-11 | 2022-06-30 12:00 | n | 900 45
Salle de sport des Remparts | R | 200  | 800.25 | 2018-06-20 | 2024-02-28 16:10 | y | 1500 300
Conservatoire               | R | 80   | 950    | 2001-09-03 | -                | y | 700 135
Musée Hèbre                 | R | 60   | 600    | 1986-05-17 | 2021-05-17 10:00 | n | 200 270
Théâtre de la Coupe d'Or    | R | 700  | 1100   | 1766-01-01 | 2020-10-10 20:00 | y | 400 315
Piscine de Tonnay           | T | 300  | 1000   | 2018-07-01 | 2024-03-10 07:00 | y | 6000 60
Stade municipal             | T | 1500 | 8000   | 1982-04-04 | 2023-03-03 15:00 | - | 6500 70
Médiathèque de Tonnay       | T | 90   | 700    | 2015-11-12 | 2024-03-01 00:00 | y | 6200 65
Salle des fêtes             | T | 400  | -      | 1999-12-31 | 2022-12-31 23:59 | n | 5900 75
Gymnase du Pontet           | E | 350  | 1400   | 2005-03-15 | 2023-09-09 09:09 | y | 3500 180
Bibliothèque                | E | 40   | 250    | 2010-01-10 | -                | y | 3600 175
Stade de la Prée            | E | 800  | 7500   | 1995-06-06 | 2024-02-02 02:02 | n | 4000 190
Piscine plein air           | F | 250  | 900    | 2018-06-01 | 2023-07-14 14:00 | y | 12000 290
Salle du fort               | F | 150  | 500    | 1988-08-08 | 2022-08-08 08:08 | n | 12500 295
Capitainerie du port        | R | -    | 120    | -          | 2024-03-05 11:00 | - | 1200 250
Jardin des retours          | R | -    | -      | 2000-06-06 | -                | y | -
Aire de jeux Libération     | R | 30   | 400    | 2021-04-01 | 2023-04-01 10:00 | y | 100 10
Skatepark                   | R | 50   | 1200   | 2019-09-21 | 2024-01-01 00:00 | n | 2600 30
Boulodrome                  | R | 100  | 1800   | 2003-05-05 | 2019-05-05 05:05 | y | 1100 160
Halle aux sports            | - | 500  | 2000   | 2011-11-11 | 2023-11-11 11:11 | y | 15000 150
Centre aquatique            | T | 900  | 3000   | 2024-01-20 | 2024-01-20 18:30 | y | 6100 80
Tennis club                 | E | 130  | 2400   | 1992-07-07 | 2023-06-06 06:06 | y | 3300 200
Dojo                        | F | 65   | 300    | 2018-02-02 | 2023-02-02 02:02 | n | 12200 285
Vélodrome                   | R | 2000 | 12000  | 1960-06-18 | 2018-06-18 18:00 | n | 3000 100
Patinoire                   | R | 1000 | 4000   | 2018-06-30 | 2024-02-29 12:00 | y | 1800 220
Piste d'athlétisme          | R | 550  | 6000   | 2018-06-15 | 2023-10-01 08:00 | y | 2000 270
Salle polyvalente           | E | 260  | 1100   | 2016-03-03 | 2023-12-24 23:00 | - | 3700 185
"""


def _place(line: str) -> Place:
    cells = [None if c.strip() == "-" else c.strip() for c in line.split("|")]
    name, commune, capacity, surface, opened, updated, accessible, where = cells
    assert name is not None
    meters, bearing = where.split() if where else (None, "0")
    return Place(
        name,
        COMMUNES[commune] if commune else None,
        int(capacity) if capacity else None,
        float(surface) if surface else None,
        date.fromisoformat(opened) if opened else None,
        datetime.fromisoformat(updated) if updated else None,
        accessible == "y" if accessible else None,
        float(meters) if meters else None,
        float(bearing),
    )


PLACES = [_place(line) for line in ROWS.strip().splitlines()]
SHAPES = {"Stade Rouge": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}

FIELDS = [
    Field("name", FieldType.TEXT, "nom"),
    Field("commune", FieldType.TEXT, "commune"),
    Field("capacity", FieldType.INTEGER, "capacite"),
    Field("surface", FieldType.DOUBLE, "surface"),
    Field("opened", FieldType.DATE, "ouverture"),
    Field("updated", FieldType.DATETIME, "maj"),
    Field("accessible", FieldType.BOOLEAN, "accessible"),
    Field("geo", FieldType.GEO_POINT, "geo"),
    Field("shape", FieldType.GEO_SHAPE, "forme"),
]

METADATA = sa.MetaData()
TABLE = sa.Table(
    "equipements",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("nom", sa.Text),
    sa.Column("commune", sa.Text),
    sa.Column("capacite", sa.Integer),
    sa.Column("surface", sa.Float),
    sa.Column("ouverture", sa.Date),
    sa.Column("maj", sa.DateTime),
    sa.Column("accessible", sa.Boolean),
    sa.Column("geo_lon", sa.Float),
    sa.Column("geo_lat", sa.Float),
    sa.Column("forme", sa.Text),
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """The equipment table, filled, on each backend."""
    database = None
    if request.param == "postgresql":
        database = create_pg_database("odsql_test")
        engine = sa.create_engine(pg_url(database))
    else:
        engine = sa.create_engine("sqlite://")
    METADATA.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            TABLE.insert(),
            [
                {
                    "nom": p.name,
                    "commune": p.commune,
                    "capacite": p.capacity,
                    "surface": p.surface,
                    "ouverture": p.opened,
                    "maj": p.updated,
                    "accessible": p.accessible,
                    "geo_lon": p.lon_lat[0],
                    "geo_lat": p.lon_lat[1],
                    "forme": json.dumps(SHAPES[p.name]) if p.name in SHAPES else None,
                }
                for p in PLACES
            ],
        )
    yield engine
    engine.dispose()
    if database is not None:
        drop_pg_database(database)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are checked in English, whatever the French catalogue holds."""
    previous = get_locale()
    set_locale("en")
    yield
    set_locale(previous)


def run(engine: sa.Engine, **params: Any) -> list[dict[str, Any]]:
    query = compile_query(TABLE, FIELDS, QueryParams(**params))
    with engine.connect() as connection:
        return [query.decode(row) for row in connection.execute(query.statement)]


def total(engine: sa.Engine, **params: Any) -> int:
    query = compile_query(TABLE, FIELDS, QueryParams(**params))
    with engine.connect() as connection:
        return int(connection.execute(query.count_statement).scalar_one())


def names(engine: sa.Engine, where: str, **params: Any) -> set[str]:
    return {row["name"] for row in run(engine, select="name", where=where, **params)}


def matching(predicate: Callable[[Place], bool]) -> set[str]:
    return {p.name for p in PLACES if predicate(p)}


def haversine(place: Place, lon0: float, lat0: float) -> float:
    lon, lat = place.lon_lat
    assert lon is not None
    assert lat is not None
    phi1, phi2 = math.radians(lat0), math.radians(lat)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon - lon0) / 2) ** 2
    )
    return 2 * EARTH_RADIUS * math.asin(math.sqrt(a))


def test_without_parameters_every_row_and_field_decoded(engine: sa.Engine) -> None:
    rows = run(engine)
    assert len(rows) == len(PLACES)
    assert list(rows[0]) == [f.name for f in FIELDS]
    stade = next(r for r in rows if r["name"] == "Stade Rouge")
    place = PLACES[1]
    assert stade["opened"] == "1975-09-01"
    assert stade["updated"] == "2023-11-20T17:45:00"
    assert stade["capacity"] == 3000
    assert isinstance(stade["surface"], float)
    assert stade["accessible"] is True
    assert stade["geo"] == pytest.approx({"lon": place.lon_lat[0], "lat": place.lon_lat[1]})
    assert stade["shape"] == SHAPES["Stade Rouge"]
    jardin = next(r for r in rows if r["name"] == "Jardin des retours")
    assert jardin["geo"] is None
    assert jardin["shape"] is None
    assert jardin["capacity"] is None
    assert total(engine) == len(PLACES)


WHERE_CASES: list[tuple[str, Callable[[Place], bool]]] = [
    ("capacity >= 500", lambda p: (p.capacity or 0) >= 500),
    (
        "capacity < 100 and accessible = true",
        lambda p: (p.capacity or 999) < 100 and bool(p.accessible),
    ),
    ("commune = \"Fouras\" or commune = 'Échillais'", lambda p: p.commune in (F, E)),
    ("not (capacity > 100)", lambda p: p.capacity is not None and p.capacity <= 100),
    ("capacity != 450", lambda p: p.capacity is not None and p.capacity != 450),
    ("capacity <> 450", lambda p: p.capacity is not None and p.capacity != 450),
    ('commune in ("Fouras", "Échillais")', lambda p: p.commune in (F, E)),
    ('commune NOT IN ("Rochefort")', lambda p: p.commune is not None and p.commune != R),
    ("surface > 1100.5", lambda p: (p.surface or 0) > 1100.5),
    ("capacity in (40, 3000, -1)", lambda p: p.capacity in (40, 3000)),
    ("opened >= date'2018-01-01'", lambda p: p.opened is not None and p.opened >= d("2018-01-01")),
    ("opened < '1980-01-01'", lambda p: p.opened is not None and p.opened < d("1980-01-01")),
    (
        "updated < date'2024-01-01T00:00:01'",
        lambda p: p.updated is not None and p.updated < dt("2024-01-01T00:00:01"),
    ),
    ("year(opened) = 2018", lambda p: p.opened is not None and p.opened.year == 2018),
    (
        "month(opened) in (6, 7) AND year(opened) > 2000",
        lambda p: p.opened is not None and p.opened.month in (6, 7) and p.opened.year > 2000,
    ),
    ("hour(updated) >= 18", lambda p: p.updated is not None and p.updated.hour >= 18),
    (
        "day(updated) = 1 and minute(updated) = 0",
        lambda p: p.updated is not None and p.updated.day == 1 and p.updated.minute == 0,
    ),
    ("accessible", lambda p: p.accessible is True),
    ("NOT accessible", lambda p: p.accessible is False),
    ("accessible is null", lambda p: p.accessible is None),
    (
        "capacity IS NOT NULL and surface is null",
        lambda p: p.capacity is not None and p.surface is None,
    ),
    ("geo is null", lambda p: p.distance is None),
    ('name like "piscine*"', lambda p: p.name.lower().startswith("piscine")),
    ('name like "*TONNAY"', lambda p: p.name.lower().endswith("tonnay")),
    ('name like "stade"', lambda p: "stade" in p.name.lower()),
    ('name not like "s*"', lambda p: not p.name.lower().startswith("s")),
    ('name like "100%"', lambda p: False),
    ('search("piscine")', lambda p: "piscine" in p.name.lower()),
    ('search("ROCHEFORT")', lambda p: p.commune == R),
    ('"tonnay"', lambda p: "tonnay" in (p.name + (p.commune or "")).lower()),
    (
        'search(name, "salle") and commune = "Rochefort"',
        lambda p: "salle" in p.name.lower() and p.commune == R,
    ),
    ('startswith(name, "sta")', lambda p: p.name.lower().startswith("sta")),
    ("capacity * 2 > 1500", lambda p: (p.capacity or 0) * 2 > 1500),
    ("capacity / 4 >= 150", lambda p: (p.capacity or 0) / 4 >= 150),
    ("capacity / (capacity - capacity) is null", lambda p: True),
    (
        "-capacity < -1000 or surface - 100 <= 200",
        lambda p: (p.capacity or 0) > 1000 or (p.surface is not None and p.surface <= 300),
    ),
    (
        "surface > capacity * 10",
        lambda p: None not in (p.surface, p.capacity) and p.surface > p.capacity * 10,
    ),
    (
        "capacity > 100 AnD (commune = 'Fouras' oR commune = 'Échillais')",
        lambda p: (p.capacity or 0) > 100 and p.commune in (F, E),
    ),
    ("`commune` = 'Fouras'", lambda p: p.commune == F),
    ("opened < now()", lambda p: p.opened is not None),
]


@pytest.mark.parametrize(("where", "predicate"), WHERE_CASES, ids=[c[0] for c in WHERE_CASES])
def test_where(engine: sa.Engine, where: str, predicate: Callable[[Place], bool]) -> None:
    assert names(engine, where) == matching(predicate)
    assert total(engine, where=where) == len(matching(predicate))


@pytest.mark.parametrize(
    ("radius", "meters"),
    [("1km", 1000), ("2500m", 2500), ("1mi", 1609.344), ("750", 750), ("3281ft", 1000.05)],
)
def test_within_distance(engine: sa.Engine, radius: str, meters: float) -> None:
    where = f"within_distance(geo, geom'POINT({CENTER[0]} {CENTER[1]})', {radius})"
    found = names(engine, where)
    assert found == matching(lambda p: p.distance is not None and haversine(p, *CENTER) <= meters)
    if meters == 1000:
        # 500 m north is in, 2 km east and west are out.
        assert "Piscine Polygone" in found
        assert "Stade Rouge" not in found
        assert "Piste d'athlétisme" not in found


def test_in_bbox_accepts_corners_in_any_order(engine: sa.Engine) -> None:
    lon0, lat0 = CENTER
    south, north, west, east = lat0 - 0.02, lat0 + 0.01, lon0 - 0.02, lon0 + 0.03
    expected = matching(
        lambda p: (
            p.distance is not None
            and south <= p.lon_lat[1] <= north  # type: ignore[operator]
            and west <= p.lon_lat[0] <= east
        )  # type: ignore[operator]
    )
    assert expected
    assert expected != matching(lambda p: p.distance is not None)
    assert names(engine, f"in_bbox(geo, {north}, {west}, {south}, {east})") == expected
    assert names(engine, f"in_bbox(geo, {south}, {east}, {north}, {west})") == expected


def test_select_expressions_and_aliases(engine: sa.Engine) -> None:
    rows = run(
        engine,
        select="name, capacity * 2 as double, capacity / 4, year(opened) as year, 'x' as tag, geo",
        where="capacity is not null and opened is not null",
    )
    assert list(rows[0]) == ["name", "double", "capacity / 4", "year", "tag", "geo"]
    by_name = {row["name"]: row for row in rows}
    for place in PLACES:
        if place.capacity is None or place.opened is None:
            assert place.name not in by_name
            continue
        row = by_name[place.name]
        assert row["double"] == place.capacity * 2
        assert row["capacity / 4"] == pytest.approx(place.capacity / 4)
        assert row["year"] == place.opened.year
        assert row["tag"] == "x"


def test_group_by_with_aggregates_ordered_by_count(engine: sa.Engine) -> None:
    rows = run(
        engine,
        select="count(*) as n, sum(capacity), avg(surface), max(opened)",
        group_by="commune",
        order_by="n desc, commune",
    )
    assert [r["n"] for r in rows] == sorted((r["n"] for r in rows), reverse=True)
    assert list(rows[0]) == ["commune", "n", "sum(capacity)", "avg(surface)", "max(opened)"]
    communes = Counter(p.commune for p in PLACES)
    assert {r["commune"]: r["n"] for r in rows} == communes
    for row in rows:
        group = [p for p in PLACES if p.commune == row["commune"]]
        surfaces = [p.surface for p in group if p.surface is not None]
        assert row["sum(capacity)"] == sum(p.capacity or 0 for p in group)
        assert row["avg(surface)"] == pytest.approx(sum(surfaces) / len(surfaces))
        assert row["max(opened)"] == max(p.opened for p in group if p.opened).isoformat()
    assert rows[0]["commune"] == R
    assert total(engine, group_by="commune") == len(communes)


def test_group_by_date_part_with_alias(engine: sa.Engine) -> None:
    rows = run(
        engine,
        select="year(opened) as year, count(*)",
        group_by="year(opened) as year",
        where="opened >= date'2010-01-01'",
        order_by="year desc",
        limit=3,
    )
    years = Counter(p.opened.year for p in PLACES if p.opened and p.opened >= d("2010-01-01"))
    expected = [{"year": y, "count(*)": years[y]} for y in sorted(years, reverse=True)[:3]]
    assert rows == expected
    assert total(engine, group_by="year(opened)", where="opened >= date'2010-01-01'") == len(years)


def test_group_by_expression_repeated_in_select_and_order(engine: sa.Engine) -> None:
    rows = run(
        engine,
        select="capacity / 1000 as k, count(*)",
        group_by="capacity / 1000 as k",
        order_by="capacity / 1000",
        where="capacity >= 1000",
    )
    assert [r["k"] for r in rows] == sorted(
        {p.capacity / 1000 for p in PLACES if (p.capacity or 0) >= 1000}
    )


def test_aggregates_without_group_by_give_one_row(engine: sa.Engine) -> None:
    rows = run(engine, select="count(*), count(capacity), max(capacity), min(opened), count(geo)")
    assert rows == [
        {
            "count(*)": len(PLACES),
            "count(capacity)": sum(p.capacity is not None for p in PLACES),
            "max(capacity)": max(p.capacity or 0 for p in PLACES),
            "min(opened)": min(p.opened for p in PLACES if p.opened).isoformat(),
            "count(geo)": sum(p.distance is not None for p in PLACES),
        }
    ]
    assert total(engine, select="count(*)") == 1


def test_order_by_limit_offset(engine: sa.Engine) -> None:
    ordered = sorted((p for p in PLACES if p.capacity is not None), key=lambda p: -p.capacity)  # type: ignore[operator]
    rows = run(engine, select="name, capacity", order_by="capacity DESC", limit=5, offset=3)
    assert [r["name"] for r in rows] == [p.name for p in ordered[3:8]]
    # Nulls come last in both directions.
    rows = run(engine, select="capacity", order_by="capacity asc")
    assert [r["capacity"] for r in rows][-2:] == [None, None]
    assert total(engine, order_by="capacity", limit=5) == len(PLACES)


def test_refine_and_exclude(engine: sa.Engine) -> None:
    assert names(engine, "", refine=("commune:Fouras",)) == matching(lambda p: p.commune == F)
    assert names(engine, "", refine=("commune:Fouras", "commune:Échillais")) == matching(
        lambda p: p.commune in (F, E)
    )
    assert names(engine, "", refine=("commune:Rochefort", "accessible:true")) == matching(
        lambda p: p.commune == R and p.accessible is True
    )
    assert names(engine, "", refine=("opened:2018",)) == matching(
        lambda p: p.opened is not None and p.opened.year == 2018
    )
    assert names(engine, "", refine=("opened:2018-06",)) == matching(
        lambda p: p.opened is not None and (p.opened.year, p.opened.month) == (2018, 6)
    )
    assert names(engine, "", refine=("updated:2024/03",)) == matching(
        lambda p: p.updated is not None and (p.updated.year, p.updated.month) == (2024, 3)
    )
    assert names(engine, "", refine=("capacity:450",)) == {"Piscine Polygone"}
    # Excluding a value keeps the rows without any value.
    assert names(engine, "", exclude=("commune:Rochefort",)) == matching(lambda p: p.commune != R)
    assert total(engine, exclude=("commune:Rochefort", "commune:Fouras")) == len(
        matching(lambda p: p.commune not in (R, F))
    )


def error(**params: Any) -> QueryError:
    with pytest.raises(QueryError) as caught:
        compile_query(TABLE, FIELDS, QueryParams(**params))
    return caught.value


@pytest.mark.parametrize(
    ("params", "clause", "position", "mentions"),
    [
        ({"where": "colour = 'red'"}, "where", 1, "colour"),
        ({"where": "capacity > 3 and colour = 'red'"}, "where", 18, "colour"),
        ({"select": "name, colour"}, "select", 7, "colour"),
        ({"order_by": "colour desc"}, "order_by", 1, "colour"),
        ({"group_by": "colour"}, "group_by", 1, "colour"),
        ({"where": 'capacity = "abc"'}, "where", 12, "capacity"),
        ({"where": "name > 3"}, "where", 8, "name"),
        ({"where": "opened = 'yesterday'"}, "where", 10, "yesterday"),
        ({"where": "accessible = 1"}, "where", 14, "accessible"),
        ({"where": "shape is not null"}, "where", 1, "shape"),
        ({"where": "geo = 3"}, "where", 1, "geo"),
        ({"where": "capacity = null"}, "where", 12, "null"),
        ({"where": "capacity"}, "where", 1, "condition"),
        ({"where": "count(*) > 3"}, "where", 1, "aggregate"),
        ({"where": "capacity = = 3"}, "where", 12, "="),
        ({"where": 'name = "a" DROP'}, "where", 12, "DROP"),
        ({"where": "(capacity > 3"}, "where", 14, ")"),
        ({"where": "frobnicate(name)"}, "where", 1, "frobnicate"),
        ({"where": "within_distance(geo, geom'POINT(0 0)', 3 parsec)"}, "where", 40, "parsec"),
        ({"where": "within_distance(name, geom'POINT(0 0)', 3km)"}, "where", 17, "geo"),
        ({"select": "capacity, count(*)"}, "select", 1, "capacity"),
        ({"select": "name, count(*)", "group_by": "commune"}, "select", 1, "name"),
        ({"select": "sum(name)"}, "select", 5, "number"),
        ({"select": "count(*) total"}, "select", 10, "total"),
        ({"select": "name, commune as name"}, "select", 7, "name"),
        ({"order_by": "count(*)"}, "order_by", 1, "aggregate"),
        ({"order_by": "name", "group_by": "commune"}, "order_by", 1, "name"),
        ({"refine": ("colour:red",)}, "refine", 1, "colour"),
        ({"refine": ("capacity:many",)}, "refine", 10, "integer"),
        ({"exclude": ("opened:2024-13",)}, "exclude", 8, "date"),
        ({"refine": ("commune",)}, "refine", 1, ":"),
        ({"limit": -1}, "limit", None, ""),
        ({"offset": -5}, "offset", None, ""),
    ],
)
def test_errors_name_clause_and_position(
    params: dict[str, Any], clause: str, position: int | None, mentions: str
) -> None:
    exc = error(**params)
    assert (exc.clause, exc.position) == (clause, position)
    assert exc.status == 400
    assert exc.type_slug == "invalid-query"
    assert exc.errors == [{"field": clause, "position": position, "message": exc.message}]
    assert mentions in exc.message
    assert clause in exc.detail


def test_error_detail_says_clause_position_and_what_was_expected() -> None:
    exc = error(where='name = "a" DROP TABLE')
    assert exc.detail.startswith('Invalid where at position 12: unexpected "DROP"; expected ')
    assert "and" in exc.detail
    assert "or" in exc.detail
    exc = error(refine=("capacity:many",))
    assert exc.detail == "Invalid refine at position 10: capacity expects an integer"


def test_keywords_are_case_insensitive_and_backquotes_escape_them(engine: sa.Engine) -> None:
    fields = [*FIELDS, Field("in", FieldType.TEXT, "commune")]
    query = compile_query(
        TABLE,
        fields,
        QueryParams(select="`in` AS place", where="`in` IN ('Fouras') Or capacity > 2500"),
    )
    with engine.connect() as connection:
        rows = [query.decode(row) for row in connection.execute(query.statement)]
    assert sorted(r["place"] for r in rows) == sorted(
        p.commune or "" for p in PLACES if p.commune == F or (p.capacity or 0) > 2500
    )
    with pytest.raises(QueryError) as caught:
        compile_query(TABLE, fields, QueryParams(where="in = 'Fouras'"))
    assert caught.value.position == 1


def test_parse_where_keeps_positions() -> None:
    tree = parse_where("capacity >= 10 and not name like 'a*'")
    assert isinstance(tree, nodes.BoolOp)
    comparison, negation = tree.operands
    assert isinstance(comparison, nodes.Binary)
    assert (comparison.op, comparison.pos, comparison.right) == (">=", 1, nodes.Literal(13, 10))
    assert isinstance(negation, nodes.Unary)
    assert negation.pos == 20
    assert isinstance(negation.operand, nodes.Like)
    assert negation.operand.pos == 24
    with pytest.raises(QueryError) as caught:
        parse_where("capacity >=")
    assert (caught.value.clause, caught.value.position) == ("where", 12)


def test_output_columns_and_validation() -> None:
    params = QueryParams(select="count(*), avg(capacity), min(updated)", group_by="commune")
    query = compile_query(TABLE, FIELDS, params)
    assert isinstance(query, CompiledQuery)
    assert query.columns == [
        OutputColumn("commune", FieldType.TEXT),
        OutputColumn("count(*)", FieldType.INTEGER),
        OutputColumn("avg(capacity)", FieldType.DOUBLE),
        OutputColumn("min(updated)", FieldType.DATETIME),
    ]
    validate_params(QueryParams(where="within_distance(geo, geom'POINT(1 2)', 5km)"), FIELDS)
    with pytest.raises(QueryError):
        validate_params(QueryParams(where="geo > 2"), FIELDS)
