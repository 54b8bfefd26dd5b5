"""Records API and exports: ODS-style queries, and files that real tools read back."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import frictionless
import openpyxl
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from frictionless import formats

from tests.catalog.conftest import Ckan, new_package

RECORDS = "/api/explore/v2.1/catalog/datasets/{slug}/records"
EXPORT = "/api/explore/v2.1/catalog/datasets/{slug}/exports/{fmt}"
CSV = (
    "nom;commune;capacite;surface;ouverture;lat;lon\n"
    "Piscine Océane;Rochefort;450;1200,5;2012-06-01;45.9421;-0.9608\n"
    "Médiathèque;Rochefort;120;800;2009-01-15;45.9370;-0.9640\n"
    "Gymnase du Polygone;Tonnay-Charente;300;950,25;1998-09-01;45.9440;-0.8890\n"
    '=HYPERLINK("http://x");Fouras;10;12;2020-01-01;45.9870;-1.0910\n'
).encode()


@pytest.fixture
def equipements(publisher: Ckan) -> dict[str, Any]:
    """A public dataset with a loaded table."""
    package = new_package(publisher, "equipements")
    response = publisher.upload(package["id"], "equipements.csv", CSV)
    assert response.status_code == 200, response.text
    return package


def test_records_filter_group_and_order(client: TestClient, equipements: Any) -> None:
    url = RECORDS.format(slug="equipements")
    body = client.get(
        url,
        params={"where": "capacite > 100 and commune = 'Rochefort'", "order_by": "capacite desc"},
    ).json()
    assert body["total_count"] == 2
    assert [r["nom"] for r in body["results"]] == ["Piscine Océane", "Médiathèque"]
    assert body["results"][0]["geo_point_2d"] == {"lon": -0.9608, "lat": 45.9421}
    grouped = client.get(
        url,
        params={
            "select": "count(*) as n, sum(capacite) as places",
            "group_by": "commune",
            "order_by": "places desc",
        },
    ).json()
    assert grouped["results"][0] == {"commune": "Rochefort", "n": 2, "places": 570}
    assert grouped["total_count"] == 3
    near = client.get(
        url, params={"where": "within_distance(geo_point_2d, geom'POINT(-0.961 45.942)', 1km)"}
    ).json()
    assert sorted(r["nom"] for r in near["results"]) == ["Médiathèque", "Piscine Océane"]
    refined = client.get(url, params={"refine": "commune:Fouras"}).json()
    assert refined["total_count"] == 1
    years = client.get(
        url, params={"select": "year(ouverture) as an", "where": "nom like 'Piscine*'"}
    )
    assert years.json()["results"] == [{"an": 2012}]


def test_query_errors_point_at_the_problem(client: TestClient, equipements: Any) -> None:
    url = RECORDS.format(slug="equipements")
    response = client.get(url, params={"where": "capacite > 1; DROP TABLE datasets"})
    assert response.status_code == 400
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["field"] == "where"
    assert problem["errors"][0]["position"] == 13
    unknown = client.get(url, params={"where": "nope = 1"})
    assert unknown.status_code == 400
    assert "nope" in unknown.json()["detail"]
    assert client.get(url, params={"limit": 1000}).status_code == 400
    assert client.get(url, params={"offset": 9995, "limit": 10}).status_code == 400


def test_private_dataset_is_404_for_outsiders(
    client: TestClient, publisher: Ckan, anonymous: Ckan
) -> None:
    package = new_package(publisher, "secret", private=True)
    assert publisher.upload(package["id"], "s.csv", CSV).status_code == 200
    for path in (
        RECORDS.format(slug="secret"),
        EXPORT.format(slug="secret", fmt="csv"),
        f"/api/explore/v2.1/catalog/datasets/{package['id']}/records",
    ):
        assert client.get(path).status_code == 404, path
    listed = client.get("/api/explore/v2.1/catalog/datasets", params={"limit": 100}).json()
    assert "secret" not in [d["dataset_id"] for d in listed["results"]]


def test_csv_export_is_excel_friendly_and_valid(
    client: TestClient, equipements: Any, tmp_path: Path
) -> None:
    response = client.get(EXPORT.format(slug="equipements", fmt="csv"))
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [
        "nom",
        "commune",
        "capacite",
        "surface",
        "ouverture",
        "lat",
        "lon",
        "geo_point_2d",
    ]
    assert len(rows) == 5
    # A formula planted in a cell comes out as text, not something a spreadsheet runs.
    assert rows[4][0].startswith("'=")
    path = tmp_path / "export.csv"
    path.write_bytes(response.content)
    report = frictionless.Resource(
        path="export.csv", basepath=str(tmp_path), control=formats.CsvControl(delimiter=";")
    ).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type"])
    comma = client.get(
        EXPORT.format(slug="equipements", fmt="csv"), params={"delimiter": ",", "with_bom": "false"}
    )
    assert comma.content.startswith(b"nom,commune")


def test_parquet_xlsx_json_geojson(client: TestClient, equipements: Any, tmp_path: Path) -> None:
    parquet = client.get(
        EXPORT.format(slug="equipements", fmt="parquet"), params={"order_by": "capacite desc"}
    )
    assert parquet.status_code == 200
    path = tmp_path / "e.parquet"
    path.write_bytes(parquet.content)
    table = pq.read_table(path)
    assert table.num_rows == 4
    assert table.column("capacite").to_pylist() == [450, 300, 120, 10]
    assert str(table.schema.field("ouverture").type) == "date32[day]"
    assert table.column("surface").to_pylist()[0] == 1200.5
    xlsx = client.get(EXPORT.format(slug="equipements", fmt="xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == "Piscine Océane"
    assert str(values[4][0]).startswith("'=")
    records = client.get(EXPORT.format(slug="equipements", fmt="json")).json()
    assert len(records) == 4
    geojson = client.get(EXPORT.format(slug="equipements", fmt="geojson")).json()
    assert geojson["features"][0]["geometry"] == {
        "type": "Point",
        "coordinates": [-0.9608, 45.9421],
    }
    assert client.get(EXPORT.format(slug="equipements", fmt="shp")).status_code == 404


def test_live_dataset_of_the_territory(client: TestClient, db: Any, app: FastAPI) -> None:
    from servicielle.catalog.published import sync_published
    from servicielle.core.territory.models import Commune

    db.add(
        Commune(
            insee_code="17299",
            name="Rochefort",
            population=23583,
            geometry={
                "type": "Polygon",
                "coordinates": [
                    [[-1.0, 45.9], [-0.9, 45.9], [-0.9, 46.0], [-1.0, 46.0], [-1.0, 45.9]]
                ],
            },
        )
    )
    db.flush()
    sync_published(db)
    db.flush()
    body = client.get(RECORDS.format(slug="communes-du-territoire")).json()
    assert body["results"][0]["nom"] == "Rochefort"
    assert body["results"][0]["geo_shape"]["type"] == "Polygon"
    geojson = client.get(EXPORT.format(slug="communes-du-territoire", fmt="geojson")).json()
    assert geojson["features"][0]["geometry"]["type"] == "Polygon"
    ckan = client.post("/api/action/package_show", json={"id": "communes-du-territoire"}).json()
    resource = ckan["result"]["resources"][0]
    assert resource["datastore_active"] is True
    rows = client.post("/api/action/datastore_search", json={"resource_id": resource["id"]}).json()[
        "result"
    ]
    assert rows["records"][0]["population"] == 23583


@pytest.fixture
def small_uploads(app: FastAPI) -> Iterator[None]:
    """An upload limit of 1 KB for the duration of a test."""
    original = app.state.settings
    app.state.settings = original.model_copy(update={"upload_max_bytes": 1024})
    yield
    app.state.settings = original


def test_oversized_upload_is_413_and_stores_nothing(publisher: Ckan, small_uploads: None) -> None:
    package = new_package(publisher, "gros")
    response = publisher.upload(package["id"], "gros.csv", b"a;b\n" + b"1;2\n" * 1000)
    assert response.status_code == 413
    assert response.json()["error"]["__type"] == "Validation Error"
    assert publisher.ok("package_show", {"id": "gros"})["num_resources"] == 0


def test_declared_oversized_body_is_refused_before_reading(
    client: TestClient, publisher: Ckan, small_uploads: None
) -> None:
    response = client.post(
        "/api/3/action/resource_create",
        content=b"x" * 10,
        headers={"Content-Length": str(10 * 1024 * 1024), "Authorization": publisher.key or ""},
    )
    assert response.status_code == 413


def test_arithmetic_the_database_refuses_is_a_400(client: TestClient, equipements: Any) -> None:
    response = client.get(
        RECORDS.format(slug="equipements"),
        params={"select": "capacite * 9223372036854775807 * 9223372036854775807 as x"},
    )
    assert response.status_code in (200, 400)
    assert response.headers["content-type"].startswith(
        "application/json" if response.status_code == 200 else "application/problem+json"
    )


def test_sitemap_lists_public_datasets_only(
    client: TestClient, publisher: Ckan, equipements: Any
) -> None:
    new_package(publisher, "cache", private=True)
    body = client.get("/sitemap.xml").text
    assert "/donnees/equipements</loc>" in body
    assert "/donnees/cache<" not in body
