"""NGSI-LD temporal API: history, lastN, time windows, aggregation, paging, errors."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from servicielle.sensors.models import Observation, SensorEntity
from servicielle.sensors.ngsild import temporal
from tests.sensors.conftest import CORE, Ngsi, parking

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
HOUR = dt.timedelta(hours=1)
GARE = "urn:ngsi-ld:OffStreetParking:gare"
CORDERIE = "urn:ngsi-ld:OffStreetParking:corderie"
Point = tuple[dt.datetime, Any]


def iso(instant: dt.datetime) -> str:
    """The form the API answers instants in."""
    return instant.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def this_hour() -> dt.datetime:
    """The start of the current hour (UTC): windows aligned on it reach no future data."""
    return dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


def create_parking(operator: Ngsi, name: str) -> str:
    """A parking whose creation leaves no history (its free places carry no observedAt)."""
    entity = parking(name, 10)
    del entity["availableSpotNumber"]["observedAt"]
    response = operator.create(entity)
    assert response.status_code == 201, response.text
    return str(entity["id"])


def feed(operator: Ngsi, entity_id: str, attribute: str, points: Iterable[Point]) -> None:
    """Send history through the ingest endpoint."""
    rows = [
        {"entity": entity_id, "attribute": attribute, "value": v, "observedAt": iso(t)}
        for t, v in points
    ]
    response = operator.ingest(rows)
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == len(rows), response.json()


def series(start: dt.datetime, hours: float, step_minutes: int, seed: int) -> list[Point]:
    """Irregular-looking numbers every ``step_minutes`` from ``start``."""
    count = int(hours * 60 / step_minutes)
    return [
        (
            start + dt.timedelta(minutes=step_minutes * i, seconds=17),
            (i * seed) % 197 + 0.5 * (i % 3),
        )
        for i in range(count)
    ]


def get(public: Ngsi, path: str, **params: Any) -> httpx.Response:
    """GET under /ngsi-ld/v1/temporal."""
    return public.request("GET", "/temporal" + path, params=params)


def expected_buckets(
    points: list[Point],
    origin: dt.datetime,
    period: dt.timedelta,
    start: dt.datetime,
    end: dt.datetime,
) -> dict[str, list[float]]:
    """Values per bucket start, as the test computes them from what it sent."""
    buckets: dict[str, list[float]] = {}
    for instant, value in points:
        if start <= instant < end:
            index = (instant - origin) // period
            buckets.setdefault(iso(origin + index * period), []).append(value)
    return buckets


def check_aggregates(
    attribute: dict[str, Any], buckets: dict[str, list[float]], period: dt.timedelta
) -> None:
    """Each method's [value, start, end] triples equal what the data gives."""
    computed: dict[str, dict[str, float]] = {
        "totalCount": {k: len(v) for k, v in buckets.items()},
        "sum": {k: sum(v) for k, v in buckets.items()},
        "avg": {k: sum(v) / len(v) for k, v in buckets.items()},
        "min": {k: min(v) for k, v in buckets.items()},
        "max": {k: max(v) for k, v in buckets.items()},
    }
    for method, want in computed.items():
        got = {start: value for value, start, _end in attribute[method]}
        assert list(got) == sorted(want), method
        for start, value in want.items():
            assert got[start] == pytest.approx(value), (method, start)
        for _value, start, end in attribute[method]:
            begin = dt.datetime.fromisoformat(start)
            assert dt.datetime.fromisoformat(end) - begin == period


def test_temporal_values_and_normalized_instances(operator: Ngsi, public: Ngsi) -> None:
    create_parking(operator, "gare")
    create_parking(operator, "corderie")
    start = this_hour() - 3 * HOUR
    gare, corderie = series(start, 3, 10, 7), series(start, 3, 20, 11)
    feed(operator, GARE, "availableSpotNumber", gare)
    feed(operator, CORDERIE, "availableSpotNumber", corderie)
    feed(operator, GARE, "occupancy", [(start + HOUR, 0.25), (start + 2 * HOUR, 0.5)])

    # What ngsildclient's temporal.query sends.
    response = get(
        public,
        "/entities/",
        type="OffStreetParking",
        attrs="availableSpotNumber",
        options="count,temporalValues",
        timerel="between",
        timeAt=iso(start),
        endTimeAt=iso(start + 3 * HOUR),
    )
    assert response.status_code == 200, response.text
    assert response.headers["NGSILD-Results-Count"] == "2"
    assert response.headers["Page-Size"] == "100"
    assert "Next-Page" not in response.headers
    bodies = {body["id"]: body for body in response.json()}
    assert bodies[GARE]["@context"] == [CORE]
    assert set(bodies[GARE]) == {"id", "type", "availableSpotNumber", "@context"}
    assert bodies[GARE]["availableSpotNumber"] == {
        "type": "Property",
        "values": [[v, iso(t)] for t, v in gare],
    }
    assert bodies[CORDERIE]["availableSpotNumber"]["values"] == [[v, iso(t)] for t, v in corderie]

    # One entity, normalized, as plain JSON: the context goes to the Link header.
    one = public.client.get(
        f"/ngsi-ld/v1/temporal/entities/{GARE}", headers={"Accept": "application/json"}
    )
    assert one.status_code == 200, one.text
    assert "@context" not in one.json()
    assert "ngsi-ld-core-context" in one.headers["link"]
    instances = one.json()["availableSpotNumber"]
    assert [(i["value"], i["observedAt"]) for i in instances] == [(v, iso(t)) for t, v in gare]
    assert all(i["type"] == "Property" for i in instances)
    ids = [i["instanceId"] for i in instances]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("urn:ngsi-ld:Instance:") for i in ids)
    again = public.client.get(f"/ngsi-ld/v1/temporal/entities/{GARE}").json()
    assert [i["instanceId"] for i in again["availableSpotNumber"]] == ids
    occupancy = one.json()["occupancy"]
    assert [i["value"] for i in occupancy] == [0.25, 0.5]
    assert {i["unitCode"] for i in occupancy} == {"C62"}


def test_time_windows_are_half_open(operator: Ngsi, public: Ngsi) -> None:
    create_parking(operator, "gare")
    edge = this_hour() - 2 * HOUR
    # The value is the minute offset from the edge, plus 100 (free places are not negative).
    points = [(edge + dt.timedelta(minutes=m), 100 + m) for m in (-20, -10, 0, 10, 20, 30)]
    feed(operator, GARE, "availableSpotNumber", points)

    def minutes(**params: str) -> list[int]:
        response = get(public, f"/entities/{GARE}", options="temporalValues", **params)
        assert response.status_code == 200, response.text
        values = response.json().get("availableSpotNumber", {"values": []})["values"]
        return [value - 100 for value, _t in values]

    assert minutes(timerel="before", timeAt=iso(edge)) == [-20, -10]
    assert minutes(timerel="after", timeAt=iso(edge)) == [0, 10, 20, 30]
    end = edge + dt.timedelta(minutes=20)
    assert minutes(timerel="between", timeAt=iso(edge), endTimeAt=iso(end)) == [0, 10]
    # The same instant in another zone is the same window.
    paris = edge.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()
    assert minutes(timerel="after", timeAt=paris) == [0, 10, 20, 30]
    assert minutes() == [-20, -10, 0, 10, 20, 30]
    assert minutes(timerel="before", timeAt=iso(edge - HOUR)) == []


def test_last_n_gives_the_newest_instances_per_attribute(operator: Ngsi, public: Ngsi) -> None:
    create_parking(operator, "gare")
    start = this_hour() - 2 * HOUR
    free = series(start, 2, 10, 5)
    feed(operator, GARE, "availableSpotNumber", free)
    feed(operator, GARE, "status", [(start, "open"), (start + HOUR, "full")])
    response = get(public, f"/entities/{GARE}", lastN="3")
    assert response.status_code == 200, response.text
    body = response.json()
    newest = list(reversed(free))[:3]
    assert [(i["value"], i["observedAt"]) for i in body["availableSpotNumber"]] == [
        (v, iso(t)) for t, v in newest
    ]
    assert [i["value"] for i in body["status"]] == ["full", "open"]
    window = get(
        public,
        "/entities",
        type="OffStreetParking",
        lastN="2",
        options="temporalValues",
        timerel="before",
        timeAt=iso(start + HOUR),
    ).json()[0]
    assert window["availableSpotNumber"]["values"] == [[v, iso(t)] for t, v in free[5:3:-1]]


def test_aggregates_equal_what_the_data_gives(operator: Ngsi, public: Ngsi) -> None:
    create_parking(operator, "gare")
    origin = this_hour() - 30 * HOUR
    points = series(origin, 30, 7, 37)
    feed(operator, GARE, "availableSpotNumber", points)
    methods = "totalCount,sum,avg,min,max"
    end = origin + 30 * HOUR

    def aggregate(period: str, **params: str) -> dict[str, Any]:
        response = get(
            public,
            "/entities",
            type="OffStreetParking",
            options="aggregatedValues",
            aggrMethods=methods,
            aggrPeriodDuration=period,
            **params,
        )
        assert response.status_code == 200, response.text
        return dict(response.json()[0]["availableSpotNumber"])

    # Aligned on hours: read from the hourly aggregates.
    hourly = aggregate("PT1H", timerel="between", timeAt=iso(origin), endTimeAt=iso(end))
    check_aggregates(hourly, expected_buckets(points, origin, HOUR, origin, end), HOUR)
    day = dt.timedelta(days=1)
    daily = aggregate("P1D", timerel="after", timeAt=iso(origin))
    check_aggregates(daily, expected_buckets(points, origin, day, origin, end + HOUR), day)
    assert len(daily["avg"]) == 2
    # Not aligned on hours: bucketed from the raw values.
    quarter = dt.timedelta(minutes=15)
    since, until = origin + HOUR + dt.timedelta(minutes=5), origin + 5 * HOUR
    raw = aggregate("PT15M", timerel="between", timeAt=iso(since), endTimeAt=iso(until))
    check_aggregates(raw, expected_buckets(points, since, quarter, since, until), quarter)
    shifted = origin + dt.timedelta(minutes=30)
    odd_hours = aggregate("PT1H", timerel="after", timeAt=iso(shifted))
    check_aggregates(odd_hours, expected_buckets(points, shifted, HOUR, shifted, end), HOUR)
    # Before a time: periods count from the Unix epoch, i.e. on whole UTC hours.
    before = aggregate("PT1H", timerel="before", timeAt=iso(origin + 3 * HOUR))
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    check_aggregates(before, expected_buckets(points, epoch, HOUR, origin, origin + 3 * HOUR), HOUR)


def test_whole_range_and_the_other_methods(operator: Ngsi, public: Ngsi) -> None:
    create_parking(operator, "gare")
    start = this_hour() - 4 * HOUR
    points = [(start + dt.timedelta(minutes=9 * i), [3, 5, 5, 8, 13][i % 5]) for i in range(20)]
    feed(operator, GARE, "availableSpotNumber", points)
    response = get(
        public,
        f"/entities/{GARE}",
        options="aggregatedValues",
        aggrMethods="totalCount,distinctCount,sum,avg,min,max,stddev,sumsq",
        timerel="after",
        timeAt=iso(start),
    )
    assert response.status_code == 200, response.text
    attribute = response.json()["availableSpotNumber"]
    values = [v for _t, v in points]
    first, last = iso(points[0][0]), iso(points[-1][0])
    mean = sum(values) / len(values)
    stddev = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    expected = {
        "totalCount": 20,
        "distinctCount": 4,
        "sum": sum(values),
        "avg": mean,
        "min": 3,
        "max": 13,
        "stddev": stddev,
        "sumsq": sum(v * v for v in values),
    }
    for method, value in expected.items():
        assert attribute[method] == [[pytest.approx(value), first, last]], method


def test_hourly_aggregates_outlive_raw_retention_and_count_text(
    operator: Ngsi, public: Ngsi, db: Session
) -> None:
    create_parking(operator, "gare")
    origin = this_hour() - 4 * HOUR
    points = series(origin, 4, 6, 13)
    feed(operator, GARE, "availableSpotNumber", points)
    states = [(origin + dt.timedelta(minutes=25 * i), ["open", "full"][i % 2]) for i in range(9)]
    feed(operator, GARE, "status", states)
    params = {
        "options": "aggregatedValues",
        "aggrMethods": "totalCount,avg,max",
        "aggrPeriodDuration": "PT1H",
        "timerel": "between",
        "timeAt": iso(origin),
        "endTimeAt": iso(origin + 4 * HOUR),
    }
    before = get(public, f"/entities/{GARE}", **params).json()
    status = before["status"]
    counts = expected_buckets(states, origin, HOUR, origin, origin + 4 * HOUR)
    assert {s: n for n, s, _e in status["totalCount"]} == {s: len(v) for s, v in counts.items()}
    assert status["avg"] == []
    assert status["max"] == []

    # Raw retention drops old observations; the hourly aggregates stay.
    entity_pk = db.query(SensorEntity.pk).filter(SensorEntity.id == GARE).scalar()
    db.execute(delete(Observation).where(Observation.entity_pk == entity_pk))
    db.flush()
    after = get(public, f"/entities/{GARE}", **params).json()
    assert after["availableSpotNumber"] == before["availableSpotNumber"]
    assert "status" not in after
    raw = get(public, f"/entities/{GARE}", **{**params, "aggrPeriodDuration": "PT30M"}).json()
    assert "availableSpotNumber" not in raw


def test_paging_follows_next_page_until_exhausted(operator: Ngsi, public: Ngsi) -> None:
    names = [f"p{i}" for i in range(5)]
    for name in names:
        entity_id = create_parking(operator, name)
        feed(operator, entity_id, "availableSpotNumber", [(this_hour() - HOUR, 1)])
    seen: list[str] = []
    anchor: str | None = None
    pages = 0
    while True:
        params = {"type": "OffStreetParking", "pageSize": "2", "options": "count,temporalValues"}
        if anchor:
            params["pageAnchor"] = anchor
        response = get(public, "/entities", **params)
        assert response.status_code == 200, response.text
        assert response.headers["NGSILD-Results-Count"] == "5"
        assert response.headers["Page-Size"] == "2"
        seen += [body["id"] for body in response.json()]
        pages += 1
        anchor = response.headers.get("Next-Page")
        if anchor is None:
            break
    assert pages == 3
    assert seen == [f"urn:ngsi-ld:OffStreetParking:{name}" for name in names]


def test_too_many_instances_answer_206_with_the_range(
    operator: Ngsi, public: Ngsi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(temporal, "MAX_INSTANCES", 5)
    create_parking(operator, "gare")
    start = this_hour() - 2 * HOUR
    free = series(start, 2, 10, 3)
    occupancy = [(t + dt.timedelta(minutes=5), 0.5) for t, _v in free[:3]]
    feed(operator, GARE, "availableSpotNumber", free)
    feed(operator, GARE, "occupancy", occupancy)
    response = get(public, f"/entities/{GARE}", timerel="after", timeAt=iso(start))
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"date-time {iso(start)}-{iso(free[4][0])}/*"
    body = response.json()
    assert [i["observedAt"] for i in body["availableSpotNumber"]] == [iso(t) for t, _ in free[:5]]
    assert len(body["occupancy"]) == 3
    everything = get(public, f"/entities/{GARE}", lastN="5").json()
    assert len(everything["availableSpotNumber"]) == 5


def test_deleted_entities_keep_their_history_by_id(operator: Ngsi, public: Ngsi) -> None:
    create_parking(operator, "gare")
    feed(operator, GARE, "availableSpotNumber", [(this_hour() - HOUR, 4), (this_hour(), 6)])
    assert operator.request("DELETE", f"/entities/{GARE}").status_code == 204
    kept = get(public, f"/entities/{GARE}", options="temporalValues")
    assert kept.status_code == 200, kept.text
    assert [v for v, _t in kept.json()["availableSpotNumber"]["values"]] == [4, 6]
    assert get(public, "/entities", type="OffStreetParking").json() == []
    assert len(get(public, "/entities", id=GARE).json()) == 1


def test_query_by_post_with_temporal_and_geo_query(operator: Ngsi, public: Ngsi) -> None:
    create_parking(operator, "gare")
    far = parking("fouras", 10, lon=-1.09, lat=45.99)
    del far["availableSpotNumber"]["observedAt"]
    assert operator.create(far).status_code == 201
    start = this_hour() - 2 * HOUR
    for entity_id in (GARE, "urn:ngsi-ld:OffStreetParking:fouras"):
        feed(operator, entity_id, "availableSpotNumber", [(start, 1), (start + HOUR, 2)])
    body = {
        "type": "Query",
        "entities": [{"type": "OffStreetParking"}],
        "attrs": ["availableSpotNumber"],
        "geoQ": {
            "georel": "near;maxDistance==2000",
            "geometry": "Point",
            "coordinates": [-0.96, 45.94],
        },
        "temporalQ": {"timerel": "after", "timeAt": iso(start + dt.timedelta(minutes=1))},
    }
    response = public.request(
        "POST", "/temporal/entityOperations/query", body, params={"options": "temporalValues"}
    )
    assert response.status_code == 200, response.text
    assert [(e["id"], e["availableSpotNumber"]["values"]) for e in response.json()] == [
        (GARE, [[2, iso(start + HOUR)]])
    ]
    aggregated = public.request(
        "POST",
        "/temporal/entityOperations/query/",
        {**body, "geoQ": None, "temporalQ": {"timerel": "after", "timeAt": iso(start)}},
        params={"options": "aggregatedValues", "aggrMethods": "sum"},
    )
    assert aggregated.status_code == 200, aggregated.text
    assert [e["availableSpotNumber"]["sum"][0][0] for e in aggregated.json()] == [3, 3]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"timerel": "during", "timeAt": "2024-01-01T00:00:00Z"}, "timerel"),
        ({"timerel": "between", "timeAt": "2024-01-01T00:00:00Z"}, "endTimeAt"),
        ({"timerel": "before"}, "timeAt"),
        ({"timerel": "after", "timeAt": "2024-01-01T00:00:00"}, "time zone"),
        ({"timerel": "after", "timeAt": "yesterday"}, "timeAt"),
        ({"timerel": "after", "timeAt": "0001-01-01T00:00:00Z"}, "timeAt"),
        ({"timeAt": "2024-01-01T00:00:00Z"}, "timerel"),
        (
            {
                "timerel": "between",
                "timeAt": "2024-01-02T00:00:00Z",
                "endTimeAt": "2024-01-01T00:00:00Z",
            },
            "endTimeAt",
        ),
        ({"lastN": "-1"}, "lastN"),
        ({"lastN": "many"}, "lastN"),
        ({"pageSize": "0"}, "pageSize"),
        ({"pageSize": "5000"}, "pageSize"),
        ({"pageAnchor": "next"}, "pageAnchor"),
        ({"pageAnchor": "9" * 30}, "pageAnchor"),
        ({"pageAnchor": "²"}, "pageAnchor"),
        ({"lastN": "0"}, "lastN"),
        ({"timeproperty": "seenAt"}, "timeproperty"),
        ({"options": "temporalValues,aggregatedValues"}, "both"),
        ({"options": "aggregatedValues"}, "aggrMethods"),
        ({"options": "aggregatedValues", "aggrMethods": "median"}, "median"),
        (
            {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "PT"},
            "ISO 8601 duration",
        ),
        (
            {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "P"},
            "ISO 8601 duration",
        ),
        ({"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "1H"}, "1H"),
        (
            {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "P1Y"},
            "years",
        ),
        (
            {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "P1M"},
            "months",
        ),
        (
            {
                "options": "aggregatedValues",
                "aggrMethods": "avg",
                "aggrPeriodDuration": "P99999999999D",
            },
            "100 years",
        ),
        (
            {"options": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "PT0.1S"},
            "one second",
        ),
    ],
)
def test_bad_input_is_bad_request_data(public: Ngsi, params: dict[str, str], named: str) -> None:
    # Parameters are checked before any entity is looked up: no entity is needed.
    for path, extra in (("/entities", {"type": "OffStreetParking"}), (f"/entities/{GARE}", {})):
        if path != "/entities" and "page" in str(params):
            continue
        response = get(public, path, **extra, **params)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["type"] == ERRORS + "BadRequestData"
        assert named in response.json()["detail"]


def test_other_errors_use_the_standard_types(public: Ngsi) -> None:
    modified = get(public, "/entities", type="OffStreetParking", timeproperty="modifiedAt")
    assert modified.status_code == 422
    assert modified.json()["type"] == ERRORS + "OperationNotSupported"
    nothing = get(public, "/entities")
    assert nothing.status_code == 400
    assert nothing.json()["type"] == ERRORS + "BadRequestData"
    missing = get(public, "/entities/urn:ngsi-ld:OffStreetParking:nowhere")
    assert missing.status_code == 404
    assert missing.json()["type"] == ERRORS + "ResourceNotFound"
    not_a_query = public.request("POST", "/temporal/entityOperations/query", {"type": "Nope"})
    assert not_a_query.status_code == 400
    assert not_a_query.json()["type"] == ERRORS + "BadRequestData"
    parking_type = [{"type": "OffStreetParking"}]
    for body, named in (
        ({"entities": [{"id": 5}]}, "entities id"),
        ({"entities": {"type": "OffStreetParking"}}, "entities an array"),
        ({"entities": parking_type, "q": 3}, "q must"),
        ({"entities": parking_type, "attrs": 7}, "attrs must"),
        ({"entities": parking_type, "temporalQ": {"timerel": "after", "timeAt": 17}}, "timeAt"),
        (
            {
                "entities": parking_type,
                "temporalQ": {
                    "options": "aggregatedValues",
                    "aggrPeriodDuration": 3600,
                    "aggrMethods": ["avg"],
                },
            },
            "aggrPeriodDuration",
        ),
    ):
        url = "/temporal/entityOperations/query"
        response = public.request("POST", url, {"type": "Query", **body})
        assert response.status_code == 400, (body, response.text)
        assert response.json()["type"] == ERRORS + "BadRequestData"
        assert named in response.json()["detail"], response.json()
