"""POST /api/sensors/observations: JSON, NDJSON, CSV; idempotent; rejections named."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.sensors.models import HourlyAggregate, Observation
from tests.sensors.conftest import Ngsi, at, parking

GARE = "urn:ngsi-ld:OffStreetParking:gare"


def _row(value: object, minutes_ago: float, attribute: str = "availableSpotNumber") -> dict:
    return {"entity": GARE, "attribute": attribute, "value": value, "observedAt": at(minutes_ago)}


def test_json_batch_is_stored_once_and_latest_moves_forward(
    operator: Ngsi, public: Ngsi, db: Session
) -> None:
    operator.create(parking("gare", 42))
    rows = [_row(10, 20), _row(11, 10), _row(12, 5)]
    first = operator.ingest(rows)
    assert first.status_code == 200, first.text
    assert first.json() | {"rejections": []} == {
        "received": 3,
        "stored": 3,
        "duplicates": 0,
        "rejected": 0,
        "rejections": [],
    }
    again = operator.ingest([*rows, rows[0]])
    assert again.json()["stored"] == 0
    assert again.json()["duplicates"] == 4
    # A late value (older than the latest) goes to the history, not to the current value.
    late = operator.ingest([_row(99, 25)])
    assert late.json()["stored"] == 1
    current = public.request("GET", f"/entities/{GARE}").json()["availableSpotNumber"]
    assert current["value"] == 12
    count = db.scalar(select(func.count()).select_from(Observation))
    # Three rows, the late one and the value of the entity's creation.
    assert count == 5


def test_hourly_aggregates_count_each_new_value_once(operator: Ngsi, db: Session) -> None:
    operator.create(parking("gare", 42))
    rows = [_row(v, 3 * 60 + m) for v, m in ((10, 1), (20, 2), (30, 3))]
    operator.ingest(rows)
    operator.ingest(rows)
    aggregates = db.scalars(
        select(HourlyAggregate).where(HourlyAggregate.attribute == "availableSpotNumber")
    ).all()
    total = sum(a.count for a in aggregates)
    assert total == 4  # three rows + the creation value, each once despite the repeat
    assert min(a.min for a in aggregates) == 10
    assert max(a.max for a in aggregates) == 42


def test_ndjson_and_csv(operator: Ngsi, public: Ngsi) -> None:
    operator.create(parking("gare", 42))
    ndjson = "\n".join(json.dumps(r) for r in [_row(7, 9), _row(8, 8)]) + "\n{broken\n"
    response = operator.ingest(ndjson, headers={"Content-Type": "application/x-ndjson"})
    body = response.json()
    assert body["stored"] == 2
    assert body["rejected"] == 1
    assert "line 3 is not valid JSON" in body["rejections"][0]["reason"]
    csv_body = (
        "entity,attribute,value,observedAt\n"
        f"{GARE},availableSpotNumber,6,{at(4)}\n"
        f"{GARE},status,full,{at(4)}\n"
        f"{GARE},availableSpotNumber,5\n"
    )
    response = operator.ingest(csv_body, headers={"Content-Type": "text/csv"})
    body = response.json()
    assert (body["stored"], body["rejected"]) == (2, 1)
    assert "columns" in body["rejections"][0]["reason"]
    current = public.request("GET", f"/entities/{GARE}", params={"options": "keyValues"}).json()
    assert current["availableSpotNumber"] == 6
    assert current["status"] == "full"
    wrong_header = operator.ingest("a,b\n1,2\n", headers={"Content-Type": "text/csv"})
    assert wrong_header.status_code == 400
    assert "entity,attribute,value,observedAt" in wrong_header.json()["detail"]


def test_each_bad_row_is_rejected_with_its_reason(operator: Ngsi, db: Session) -> None:
    operator.create(parking("gare", 42))
    rows = [
        _row("plenty", 5),
        _row(-3, 5),
        {"entity": GARE, "attribute": "availableSpotNumber", "value": 1},
        {**_row(1, 5), "observedAt": "2026-01-01T00:00:00"},
        {**_row(1, 5), "observedAt": "2999-01-01T00:00:00Z"},
        {**_row(1, 5), "entity": "urn:ngsi-ld:OffStreetParking:nowhere"},
        _row(1, 5, attribute="colour"),
        "not an object",
        _row(3, 5),
    ]
    body = operator.ingest(rows).json()
    assert body["stored"] == 1
    reasons = [r["reason"] for r in body["rejections"]]
    assert reasons[0] == "expected a number, got a string"
    assert "below the minimum" in reasons[1]
    assert reasons[2] == "missing observedAt"
    assert "time zone" in reasons[3]
    assert "future" in reasons[4]
    assert "unknown entity" in reasons
    assert "OffStreetParking has no attribute colour" in reasons
    assert "a row must be a JSON object" in reasons


def test_another_organisations_entity_stops_the_whole_batch(
    operator: Ngsi, department: Ngsi, db: Session
) -> None:
    operator.create(parking("gare", 42))
    before = db.scalar(select(func.count()).select_from(Observation))
    response = department.ingest([_row(1, 3)])
    assert response.status_code == 403
    assert "another organisation" in response.json()["detail"]
    assert db.scalar(select(func.count()).select_from(Observation)) == before


def test_limits_and_credentials(operator: Ngsi, public: Ngsi, client) -> None:  # type: ignore[no-untyped-def]
    assert public.ingest([_row(1, 1)]).status_code == 401
    settings = client.app.state.settings
    limit = settings.sensors_batch_max_rows
    settings.sensors_batch_max_rows = 3
    try:
        too_many = operator.ingest([_row(i, i) for i in range(4)])
    finally:
        settings.sensors_batch_max_rows = limit
    assert too_many.status_code == 413
    assert "at most 3 observations" in too_many.json()["detail"]
    not_json = operator.ingest("[{", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400
    xml = operator.ingest("<a/>", headers={"Content-Type": "application/xml"})
    assert xml.status_code == 400
    assert "unsupported content type" in xml.json()["detail"]
