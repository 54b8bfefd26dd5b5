"""The sensors' open datasets, read through the catalog's public APIs."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.catalog.published import sync_published
from servicielle.core.territory import demo as territory_demo
from servicielle.sensors import demo as sensors_demo

RECORDS = "/api/explore/v2.1/catalog/datasets/{slug}/records"
EXPORT = "/api/explore/v2.1/catalog/datasets/{slug}/exports/{fmt}"
LATEST = "capteurs-dernieres-valeurs"
HOURLY = "capteurs-agregats-horaires"
GARE = "urn:ngsi-ld:OffStreetParking:rochefort-gare"


@pytest.fixture
def published(db: Session) -> None:
    """The demo territory and sensors, with the modules' datasets in the catalog."""
    territory_demo.load(db)
    sensors_demo.load(db)
    sync_published(db)
    db.flush()


def test_latest_values_one_row_per_entity_and_attribute(
    client: TestClient, published: None
) -> None:
    response = client.get(
        RECORDS.format(slug=LATEST),
        params={"where": f"identifiant = '{GARE}'", "order_by": "attribut", "limit": 100},
    )
    assert response.status_code == 200, response.text
    rows = {row["attribut"]: row for row in response.json()["results"]}
    assert {"availableSpotNumber", "occupancy", "status", "totalSpotNumber"} <= set(rows)
    total = rows["totalSpotNumber"]
    assert total["valeur"] == 180
    assert total["date_observation"] is None
    assert total["type"] == "OffStreetParking"
    assert total["nom"] == "Parking de la gare"
    assert total["geo_point_2d"] == {"lon": pytest.approx(-0.965), "lat": pytest.approx(45.933)}
    occupancy = rows["occupancy"]
    assert 0 <= occupancy["valeur"] <= 1
    assert occupancy["unite"] == "ratio (0 à 1)"
    assert occupancy["date_observation"] is not None
    assert rows["status"]["valeur"] is None
    assert rows["status"]["valeur_texte"] in ("spacesAvailable", "almostFull", "full")
    air = client.get(
        RECORDS.format(slug=LATEST),
        params={"where": "type = 'AirQualityObserved' and attribut = 'no2'"},
    ).json()
    assert air["total_count"] == 3
    assert {row["unite"] for row in air["results"]} == {"µg/m³"}


def test_latest_values_export_as_csv(client: TestClient, published: None) -> None:
    response = client.get(
        EXPORT.format(slug=LATEST, fmt="csv"),
        params={"where": "type = 'TrafficFlowObserved' and attribut = 'congested'"},
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 6
    assert {row["valeur_texte"] for row in rows} <= {"true", "false"}
    assert all(row["identifiant"].startswith("urn:ngsi-ld:TrafficFlowObserved:") for row in rows)


def test_hourly_aggregates(client: TestClient, published: None) -> None:
    response = client.get(
        RECORDS.format(slug=HOURLY),
        params={"where": f"identifiant = '{GARE}' and attribut = 'availableSpotNumber'"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_count"] == 1
    row = body["results"][0]
    assert row["nombre"] == 1
    assert row["minimum"] == row["maximum"] == row["moyenne"]
    assert row["heure"].endswith(":00:00+00:00")
    export = client.get(
        EXPORT.format(slug=HOURLY, fmt="csv"), params={"where": "type = 'WeatherObserved'"}
    )
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";") == [
        "identifiant",
        "type",
        "attribut",
        "heure",
        "nombre",
        "moyenne",
        "minimum",
        "maximum",
    ]
    # Two stations, five numeric attributes each, one reading so far.
    assert len(lines) == 1 + 2 * 5


def test_datasets_are_described_in_the_catalog(client: TestClient, published: None) -> None:
    body = client.get(f"/api/explore/v2.1/catalog/datasets/{LATEST}").json()
    assert body["metas"]["default"]["title"] == "Dernières valeurs des capteurs"
    assert set(body["metas"]["default"]["theme"]) == {"ENVI", "TRAN", "ENER"}
    assert "geo_point_2d" in {f["name"] for f in body["fields"]}
    hourly = client.post("/api/action/package_show", json={"id": HOURLY}).json()["result"]
    assert hourly["organization"]["name"] == "agglomeration"
    assert hourly["resources"][0]["datastore_active"] is True
