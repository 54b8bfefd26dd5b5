"""The demo territory loads, and points find their commune and geozones."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from servicielle.core.errors import InvalidInput
from servicielle.core.territory import demo
from servicielle.core.territory.geometry import parse_area
from servicielle.core.territory.lookup import locate
from tests.accounts.test_api import _auth
from tests.conftest import token_for

# Points inside the IGN outlines (town centres; a point of the island away from its coast).
ROCHEFORT_CENTRE = (-0.9609, 45.9378)
FOURAS_FORT_VAUBAN = (-1.0915, 45.9879)
ILE_D_AIX = (-1.1743, 46.017)
LA_ROCHELLE = (-1.1508, 46.1591)


@pytest.fixture
def territory(db: Session) -> None:
    demo.load(db)


def test_demo_loads_the_real_intercommunality(client: TestClient, territory: None) -> None:
    collection = client.get("/api/v1/territory/communes").json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 25
    assert sum(f["properties"]["population"] for f in collection["features"]) == 64878


@pytest.mark.parametrize(
    ("point", "commune"),
    [(ROCHEFORT_CENTRE, "Rochefort"), (FOURAS_FORT_VAUBAN, "Fouras"), (ILE_D_AIX, "Île-d'Aix")],
)
def test_point_in_commune(
    db: Session, territory: None, point: tuple[float, float], commune: str
) -> None:
    found = locate(db, lon=point[0], lat=point[1])
    assert found.commune is not None
    assert found.commune.name == commune


def test_rochefort_centre_is_in_its_sector_and_its_grouping(db: Session, territory: None) -> None:
    found = locate(db, lon=ROCHEFORT_CENTRE[0], lat=ROCHEFORT_CENTRE[1])
    slugs = {z.key for z in found.geozones}
    assert "rochefort-et-couronne" in slugs
    assert len([s for s in slugs if s.startswith("rochefort-secteur-")]) == 1


def test_outside_the_territory(client: TestClient, territory: None) -> None:
    body = client.get(
        "/api/v1/territory/lookup", params={"lon": LA_ROCHELLE[0], "lat": LA_ROCHELLE[1]}
    ).json()
    assert body["inside"] is False
    assert body["commune"] is None


def test_new_geozone_is_seen_by_the_next_lookup(
    client: TestClient, db: Session, territory: None, roles: dict[str, Any]
) -> None:
    lon, lat = ROCHEFORT_CENTRE
    square = {
        "type": "Polygon",
        "coordinates": [
            [
                [lon - 0.001, lat - 0.001],
                [lon + 0.001, lat - 0.001],
                [lon + 0.001, lat + 0.001],
                [lon - 0.001, lat + 0.001],
                [lon - 0.001, lat - 0.001],
            ]
        ],
    }
    assert "centre-ville" not in {z.key for z in locate(db, lon=lon, lat=lat).geozones}
    secret = token_for(db, roles["administrator"].id, roles["department"].id)
    response = client.post(
        "/api/v1/territory/geozones",
        headers=_auth(secret),
        json={
            "slug": "centre-ville",
            "name": "Centre-ville",
            "geometry": square,
            "commune_code": "17299",
        },
    )
    assert response.status_code == 201, response.text
    found = client.get("/api/v1/territory/lookup", params={"lon": lon, "lat": lat}).json()
    assert "centre-ville" in {z["key"] for z in found["geozones"]}


def test_self_crossing_polygon_is_refused_by_name(
    client: TestClient, db: Session, roles: dict[str, Any]
) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    secret = token_for(db, roles["administrator"].id, roles["department"].id)
    response = client.post(
        "/api/v1/territory/geozones",
        headers=_auth(secret),
        json={"slug": "noeud", "name": "Noeud", "geometry": bowtie},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "geometry"


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"type": st.sampled_from(["Polygon", "MultiPolygon"]), "coordinates": json_values}
        ),
    )
)
def test_parse_area_accepts_or_names_the_problem(value: Any) -> None:
    field = None
    try:
        parse_area(value)
    except InvalidInput as exc:
        field = exc.errors[0]["field"]
    assert field in (None, "geometry")
