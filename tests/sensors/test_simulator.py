"""The demo sensors' patterns, and the simulator feeding a real server through its ingest API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from servicielle.core.accounts.models import ApiToken
from servicielle.core.db import create_db_engine
from servicielle.sensors import patterns
from servicielle.sensors.datamodels import model_of
from servicielle.sensors.demo import SENSORS
from servicielle.sensors.patterns import PARIS, SensorSpec, readings
from servicielle.sensors.simulator import Known, rows_at, run_simulator
from tests.conftest import LiveSite

# A winter week: Tuesday 13 January 2026 to Sunday 18 January.
TUESDAY = dt.date(2026, 1, 13)
SATURDAY = dt.date(2026, 1, 17)
SUNDAY = dt.date(2026, 1, 18)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """``day`` at ``hour`` on the territory's clock."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def of_type(kind: str) -> list[SensorSpec]:
    """The demo sensors of one type."""
    return [spec for spec in SENSORS if spec.type == kind]


def test_car_parks_fill_in_the_morning_and_empty_at_night() -> None:
    for spec in of_type("OffStreetParking"):
        free_at_3 = readings(spec, at(TUESDAY, 3))["availableSpotNumber"]
        free_at_9 = readings(spec, at(TUESDAY, 9))["availableSpotNumber"]
        assert free_at_9 < free_at_3, spec.id
        assert free_at_3 > spec.size * 0.8, spec.id
    centre = SensorSpec("urn:x", "OffStreetParking", "", "", 0, 0, "", "centre", 100)
    saturday_noon = readings(centre, at(SATURDAY, 11, 30))
    tuesday_noon = readings(centre, at(TUESDAY, 11, 30))
    assert saturday_noon["occupiedSpotNumber"] > tuesday_noon["occupiedSpotNumber"]
    assert saturday_noon["status"] in ("almostFull", "full")


def test_no2_and_traffic_follow_the_rush_hours() -> None:
    for spec in of_type("AirQualityObserved"):
        rush, night = readings(spec, at(TUESDAY, 8)), readings(spec, at(TUESDAY, 4))
        assert rush["no2"] > night["no2"] + 5, spec.id
        assert rush["pm10"] > night["pm10"], spec.id
        assert 1 <= rush["airQualityIndex"] <= 6
    for spec in of_type("TrafficFlowObserved"):
        rush, night = readings(spec, at(TUESDAY, 18)), readings(spec, at(TUESDAY, 4))
        assert rush["intensity"] > 5 * night["intensity"], spec.id
        assert rush["averageVehicleSpeed"] < night["averageVehicleSpeed"], spec.id
        assert rush["occupancy"] > night["occupancy"], spec.id


def test_street_lights_follow_the_sun() -> None:
    avenue = next(s for s in of_type("Streetlight") if s.profile == "full")
    assert readings(avenue, at(TUESDAY, 23))["powerState"] == "on"
    assert readings(avenue, at(TUESDAY, 13))["powerState"] == "off"
    assert readings(avenue, at(TUESDAY, 13))["powerConsumption"] == 0
    assert readings(avenue, at(TUESDAY, 2))["powerState"] == "on"
    june = dt.date(2026, 6, 23)
    assert readings(avenue, at(june, 21))["powerState"] == "off"
    assert readings(avenue, at(june, 23))["powerState"] == "on"
    lane = next(s for s in of_type("Streetlight") if s.profile == "dimmed")
    assert readings(lane, at(TUESDAY, 23))["powerState"] == "on"
    assert readings(lane, at(TUESDAY, 2))["powerState"] == "low"
    broken = [s for s in of_type("Streetlight") if s.profile == "defective"]
    assert len(broken) == 1
    assert readings(broken[0], at(TUESDAY, 23))["status"] == "defectiveLamp"
    sunrise, sunset = patterns.sun_times(TUESDAY)
    assert at(TUESDAY, 8) < sunrise < at(TUESDAY, 9)
    assert at(TUESDAY, 17) < sunset < at(TUESDAY, 18)


def test_waste_containers_fill_until_collection_then_restart() -> None:
    # Collected on Mondays and Thursdays at 6 h.
    spec = next(s for s in of_type("WasteContainer") if s.days == (0, 3))
    monday = dt.date(2026, 1, 12)
    week = [at(monday + dt.timedelta(days=d), h) for d, h in ((0, 8), (1, 8), (2, 8), (3, 5))]
    levels = [readings(spec, instant)["fillingLevel"] for instant in week]
    assert levels == sorted(levels)
    assert levels[-1] > levels[0] + 0.4
    after = readings(spec, at(monday + dt.timedelta(days=3), 7))
    assert after["fillingLevel"] < 0.1
    assert after["dateLastEmptying"] == "2026-01-15T05:00:00Z"


def test_public_buildings_use_energy_when_open_and_when_cold() -> None:
    meters = of_type("ThreePhaseAcMeasurement")
    # Most open at 10 h on weekdays; the libraries open in the afternoon, the gym at night.
    assert sum(patterns.is_open(at(TUESDAY, 10), spec.profile) for spec in meters) >= 7
    for spec in meters:
        hour = next(h for h in (10, 14, 19) if patterns.is_open(at(TUESDAY, h), spec.profile))
        weekday = readings(spec, at(TUESDAY, hour))
        sunday_night = readings(spec, at(SUNDAY, 3))
        assert weekday["totalActivePower"] > sunday_night["totalActivePower"], spec.id
        july_night = readings(spec, at(dt.date(2026, 7, 19), 3))
        assert sunday_night["totalActivePower"] > july_night["totalActivePower"], spec.id


def test_weather_has_a_daily_cycle() -> None:
    for spec in of_type("WeatherObserved"):
        afternoon, dawn = readings(spec, at(TUESDAY, 15)), readings(spec, at(TUESDAY, 4))
        assert afternoon["temperature"] > dawn["temperature"] + 3, spec.id


def test_meter_index_never_runs_back() -> None:
    spec = next(s for s in of_type("ThreePhaseAcMeasurement") if s.profile == "pool")
    start = at(TUESDAY, 0).astimezone(dt.UTC)
    history = [start + dt.timedelta(minutes=15 * n) for n in range(96 * 3)]
    known = Known(spec, meter=(start + dt.timedelta(hours=30), 550_000.0))
    rows = rows_at(known, history)
    indexes = [r["value"] for r in rows if r["attribute"] == "totalActiveEnergyImport"]
    assert len(indexes) == len(history)
    assert all(a < b for a, b in zip(indexes, indexes[1:], strict=False))
    assert indexes[0] < 550_000 < indexes[-1]
    # The next live reading carries on from the last one.
    assert known.meter == (history[-1], indexes[-1])
    later = rows_at(known, [history[-1] + dt.timedelta(minutes=3)])
    assert [r["value"] for r in later if r["attribute"] == "totalActiveEnergyImport"][0] > indexes[
        -1
    ]


def test_every_reading_fits_its_model() -> None:
    instants = [at(TUESDAY, 0) + dt.timedelta(hours=5 * n) for n in range(34)]
    for spec in SENSORS:
        model = model_of(spec.type)
        assert model is not None
        for instant in instants:
            for name, value in readings(spec, instant).items():
                rule = model.attributes.get(name)
                if rule is not None:
                    assert rule.check(value) is None, (spec.id, name, value)
                else:
                    assert name == "dateLastEmptying", (spec.id, name)


def _entities(base_url: str) -> dict[str, dict[str, Any]]:
    types = ",".join(sorted({spec.type for spec in SENSORS}))
    response = httpx.get(
        f"{base_url}/ngsi-ld/v1/entities",
        params={"type": types, "limit": 1000},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    return {entity["id"]: entity for entity in response.json()}


def _newest(entity: dict[str, Any]) -> dt.datetime:
    return max(
        dt.datetime.fromisoformat(attribute["observedAt"])
        for attribute in entity.values()
        if isinstance(attribute, dict) and "observedAt" in attribute
    )


def _meter(entity: dict[str, Any]) -> float:
    return float(entity["totalActiveEnergyImport"]["value"])


@pytest.mark.xdist_group("browser")
def test_simulator_feeds_the_live_server(live_site: LiveSite) -> None:
    before = _entities(live_site.base_url)
    assert set(before) >= {spec.id for spec in SENSORS}
    engine = create_db_engine(live_site.database_url)
    factory = sessionmaker(engine, expire_on_commit=False)
    try:
        started = dt.datetime.now(dt.UTC)
        run_simulator(factory, url=live_site.base_url, history_days=1, interval=0, once=True)
        after = _entities(live_site.base_url)
        silent = {spec.id: spec.silent_hours for spec in SENSORS if spec.silent_hours}
        talking = [spec.id for spec in SENSORS if spec.id not in silent]
        for entity_id in talking:
            assert _newest(after[entity_id]) >= started - dt.timedelta(seconds=1), entity_id
            assert _newest(after[entity_id]) > _newest(before[entity_id]), entity_id
        for entity_id, hours in silent.items():
            assert _newest(after[entity_id]) <= started - dt.timedelta(hours=hours - 0.25)
        assert max(_newest(after[i]) for i in silent) < min(_newest(after[i]) for i in talking)
        meters = [spec.id for spec in of_type("ThreePhaseAcMeasurement")]
        assert all(_meter(after[meter]) > _meter(before[meter]) for meter in meters)
        # A day of history went in: two dozen hours of aggregates for a car park.
        hourly = httpx.get(
            f"{live_site.base_url}/api/explore/v2.1/catalog/datasets/"
            "capteurs-agregats-horaires/records",
            params={
                "where": "identifiant = 'urn:ngsi-ld:OffStreetParking:rochefort-gare' "
                "and attribut = 'availableSpotNumber'"
            },
        ).json()
        assert hourly["total_count"] >= 24
        # A second run replaces its token and only tops up what is missing.
        run_simulator(factory, url=live_site.base_url, history_days=1, interval=0, once=True)
        again = _entities(live_site.base_url)
        # Seconds apart, an index may not have moved by its last decimal: never backwards.
        assert all(_meter(again[meter]) >= _meter(after[meter]) for meter in meters)
        assert all(_newest(again[i]) >= _newest(after[i]) for i in talking)
        with Session(engine) as session:
            tokens = session.scalars(select(ApiToken).where(ApiToken.name == "simulateur")).all()
        assert len(tokens) >= 2
        assert len([t for t in tokens if t.revoked_at is None]) == 1
    finally:
        engine.dispose()
