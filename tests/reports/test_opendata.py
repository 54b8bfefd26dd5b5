"""The reports' open dataset, read through the catalog's public APIs: anonymised, public only."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.catalog.published import sync_published
from servicielle.config import Settings
from servicielle.core.accounts import demo as accounts_demo
from servicielle.core.permissions import ANONYMOUS
from servicielle.core.territory import demo as territory_demo
from servicielle.reports import demo as reports_demo
from servicielle.reports import lifecycle
from servicielle.reports.models import Report, ReportStatus
from tests.reports.conftest import FOURAS, Territory, report, staff

SLUG = "signalements-des-habitants"
RECORDS = f"/api/explore/v2.1/catalog/datasets/{SLUG}/records"
EXPORT = f"/api/explore/v2.1/catalog/datasets/{SLUG}/exports/{{fmt}}"
FIELDS = {
    "identifiant",
    "service_code",
    "categorie",
    "groupe",
    "statut",
    "statut_detaille",
    "motif_cloture",
    "doublon_de",
    "code_insee",
    "commune",
    "organisation",
    "geo_point_2d",
    "date_demande",
    "date_prise_en_compte",
    "date_resolution",
    "date_cloture",
    "date_mise_a_jour",
}
PRIVATE = (
    "Marie Secret",
    "secret@prive.example.fr",
    "06 39 98",
    "Texte libre privé",
    "rue Secrète",
)


@pytest.fixture
def published(db: Session, settings: Settings, territory: Territory) -> dict[str, Report]:
    """Reports in every kind of visibility, and the modules' datasets in the catalog."""
    agent = staff(db, "agent@example.fr", territory.voirie)
    private: dict[str, Any] = {
        "reporter_name": "Marie Secret",
        "reporter_email": "secret@prive.example.fr",
        "reporter_phone": "06 39 98 00 00",
        "description": "Texte libre privé",
        "address_string": "3 rue Secrète",
    }
    made = {
        "open": report(db, settings, agent, at=(45.936949, -0.961349), **private),
        "fixed": report(db, settings, agent, category="depot-sauvage", at=FOURAS, **private),
        "hidden": report(db, settings, agent, **private),
        "unconfirmed": report(db, settings, ANONYMOUS, **private),
    }
    lifecycle.change_status(
        db, settings, made["fixed"], staff(db, "b@example.fr", territory.agglomeration),
        status="fixed", note="Enlevé.",
    )  # fmt: skip
    made["hidden"].hidden = True
    assert made["unconfirmed"].status == ReportStatus.UNCONFIRMED
    sync_published(db)
    db.flush()
    return made


def test_public_reports_only_without_personal_data(
    client: TestClient, published: dict[str, Report], territory: Territory
) -> None:
    response = client.get(RECORDS, params={"order_by": "identifiant", "limit": 100})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_count"] == 2
    rows = {row["identifiant"]: row for row in body["results"]}
    assert set(rows) == {published["open"].id, published["fixed"].id}
    for row in rows.values():
        assert set(row) == FIELDS
        assert not any(secret in json.dumps(row, ensure_ascii=False) for secret in PRIVATE)
    opened = rows[published["open"].id]
    assert opened["service_code"] == "nid-de-poule"
    assert opened["categorie"] == "Nid-de-poule"
    assert opened["statut"] == "open"
    assert opened["statut_detaille"] == "open"
    assert opened["code_insee"] == "17299"
    assert opened["commune"] == "Rochefort"
    assert opened["organisation"] == territory.voirie.name
    # Rounded to four decimals (about ten metres).
    assert opened["geo_point_2d"] == {"lon": pytest.approx(-0.9613), "lat": pytest.approx(45.9369)}
    assert opened["date_demande"] is not None
    assert opened["date_cloture"] is None
    fixed = rows[published["fixed"].id]
    assert fixed["statut"] == "closed"
    assert fixed["statut_detaille"] == "fixed"
    assert fixed["organisation"] == territory.agglomeration.name  # the coast rule
    assert fixed["date_resolution"] is not None
    assert fixed["date_cloture"] is not None


def test_queries_filter_on_status_and_commune(
    client: TestClient, published: dict[str, Report]
) -> None:
    closed = client.get(RECORDS, params={"where": "statut = 'closed'"}).json()
    assert [r["identifiant"] for r in closed["results"]] == [published["fixed"].id]
    in_fouras = client.get(RECORDS, params={"where": "code_insee = '17168'"}).json()
    assert in_fouras["total_count"] == 1
    grouped = client.get(
        RECORDS, params={"select": "service_code, count(*) as n", "group_by": "service_code"}
    ).json()
    assert {r["service_code"]: r["n"] for r in grouped["results"]} == {
        "nid-de-poule": 1,
        "depot-sauvage": 1,
    }


def test_exports_csv_and_geojson(client: TestClient, published: dict[str, Report]) -> None:
    response = client.get(EXPORT.format(fmt="csv"))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 2
    assert set(rows[0]) == FIELDS
    assert not any(secret in text for secret in PRIVATE)
    geojson = client.get(EXPORT.format(fmt="geojson")).json()
    assert len(geojson["features"]) == 2
    for feature in geojson["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert round(lon, 4) == lon
        assert round(lat, 4) == lat


def test_dataset_is_described_in_the_catalog(
    client: TestClient, published: dict[str, Report]
) -> None:
    body = client.get(f"/api/explore/v2.1/catalog/datasets/{SLUG}").json()
    assert body["metas"]["default"]["title"] == "Signalements des habitants"
    assert "geo_point_2d" in {f["name"] for f in body["fields"]}
    package = client.post("/api/action/package_show", json={"id": SLUG}).json()["result"]
    assert package["organization"]["name"] == "agglomeration"
    assert package["resources"][0]["datastore_active"] is True


def test_the_demo_dataset_leaks_nothing(client: TestClient, db: Session) -> None:
    territory_demo.load(db)
    accounts_demo.load(db)
    reports_demo.load(db)
    sync_published(db)
    db.flush()
    public = db.scalar(
        select(func.count())
        .select_from(Report)
        .where(Report.hidden.is_(False), Report.status != ReportStatus.UNCONFIRMED)
    )
    text = client.get(EXPORT.format(fmt="csv")).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) == public
    assert {r["statut_detaille"] for r in rows} >= {"open", "fixed", "closed", "reopened"}
    assert "unconfirmed" not in {r["statut_detaille"] for r in rows}
    assert "@" not in text
    assert "06 39 98" not in text
    descriptions = db.scalars(select(Report.description)).all()
    assert not any(d[:40] in text for d in descriptions)
