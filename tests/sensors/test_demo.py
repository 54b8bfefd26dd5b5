"""The demo sensors: who owns them, where they stand, their first readings, reloads."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.core.territory import demo as territory_demo
from servicielle.core.territory.models import Commune, Organisation
from servicielle.sensors import demo as sensors_demo
from servicielle.sensors.models import Observation, SensorEntity
from servicielle.sensors.repository import LatestRepository

COUNTS = {
    "OffStreetParking": 8,
    "ParkingSpot": 12,
    "AirQualityObserved": 3,
    "WeatherObserved": 2,
    "TrafficFlowObserved": 6,
    "Streetlight": 30,
    "WasteContainer": 25,
    "ThreePhaseAcMeasurement": 10,
    "VehicleAvailability": 3,
}
OWNERS = {
    "OffStreetParking": "rochefort-stationnement",
    "ParkingSpot": "rochefort-stationnement",
    "AirQualityObserved": "agglomeration",
    "WeatherObserved": "agglomeration",
    "TrafficFlowObserved": "mobilites",
    "Streetlight": "voirie",
    "WasteContainer": "proprete",
    "ThreePhaseAcMeasurement": "agglomeration",
    "VehicleAvailability": "mobilites",
}


@pytest.fixture
def territory(db: Session) -> None:
    """The demo communes and organisations."""
    territory_demo.load(db)


def test_demo_sensors_have_their_owners_and_stand_in_their_commune(
    db: Session, territory: None
) -> None:
    summary = sensors_demo.load(db)
    assert summary.startswith("99 capteurs")
    entities = db.scalars(select(SensorEntity)).all()
    assert Counter(e.type for e in entities) == COUNTS
    slugs = {o.id: o.slug for o in db.scalars(select(Organisation))}
    assert {e.id: slugs[e.organisation_id] for e in entities} == {
        e.id: OWNERS[e.type] for e in entities
    }
    outlines = {c.insee_code: shape(c.geometry) for c in db.scalars(select(Commune))}
    assert len({e.commune_code for e in entities}) >= 10
    for entity in entities:
        point = Point(entity.attrs["location"]["value"]["coordinates"])
        assert entity.commune_code is not None
        assert outlines[entity.commune_code].contains(point), entity.id
        assert entity.name


def test_first_readings_are_fresh_except_the_silent_sensors(db: Session, territory: None) -> None:
    sensors_demo.load(db)
    entities = db.scalars(select(SensorEntity)).all()
    latest = LatestRepository(db).for_entities([e.pk for e in entities])
    now = dt.datetime.now(dt.UTC)
    silent = {s.id for s in sensors_demo.SENSORS if s.silent_hours}
    assert len(silent) == 3
    for entity in entities:
        newest = max(at for _value, at in latest[entity.pk].values() if at is not None)
        if entity.id in silent:
            assert newest < now - dt.timedelta(hours=4), entity.id
        else:
            assert now - dt.timedelta(minutes=10) < newest <= now, entity.id
    # Every first reading is also the first point of the history.
    assert (db.scalar(select(func.count()).select_from(Observation)) or 0) > 300


def test_demo_sensors_read_through_the_ngsi_ld_api(
    client: TestClient, db: Session, territory: None
) -> None:
    sensors_demo.load(db)
    got = client.get(
        "/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:rochefort-gare",
        headers={"Accept": "application/json"},
    )
    assert got.status_code == 200
    body = got.json()
    assert body["totalSpotNumber"]["value"] == 180
    assert 0 <= body["availableSpotNumber"]["value"] <= 180
    assert body["address"]["value"]["addressLocality"] == "Rochefort"
    meter = client.get(
        "/ngsi-ld/v1/entities/urn:ngsi-ld:ThreePhaseAcMeasurement:rochefort-piscine",
        headers={"Accept": "application/json"},
    ).json()
    assert meter["totalActiveEnergyImport"]["unitCode"] == "KWH"
    assert meter["totalActivePower"]["value"] > 0
    lamps = client.get(
        "/ngsi-ld/v1/entities",
        params={"type": "Streetlight", "q": 'status=="defectiveLamp"', "limit": 100},
        headers={"Accept": "application/json"},
    ).json()
    assert [lamp["id"] for lamp in lamps] == ["urn:ngsi-ld:Streetlight:rochefort-pierre-loti-03"]


def test_loading_twice_adds_nothing_and_clear_empties(db: Session, territory: None) -> None:
    sensors_demo.load(db)
    assert sensors_demo.load(db) == "capteurs déjà présents"
    assert db.scalar(select(func.count()).select_from(SensorEntity)) == 99
    sensors_demo.clear(db)
    assert db.scalar(select(func.count()).select_from(SensorEntity)) == 0
    assert db.scalar(select(func.count()).select_from(Observation)) == 0
