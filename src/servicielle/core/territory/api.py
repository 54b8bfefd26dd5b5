"""Territory API: communes and geozones as GeoJSON, point lookup, organisations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse

from servicielle.core.accounts.auth import Authorize
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.territory import service
from servicielle.core.territory.lookup import locate
from servicielle.core.territory.repository import OrganisationRepository, TerritoryRepository
from servicielle.core.territory.schemas import (
    GeoZoneCreate,
    LocationRead,
    OrganisationCreate,
    OrganisationRead,
    PlaceRead,
)

router = APIRouter(prefix="/territory", tags=["territory"])
GEOJSON = "application/geo+json"


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


@router.get("/communes", responses={200: {"content": {GEOJSON: {}}}})
def communes(session: DbSession) -> Response:
    """Every commune as a GeoJSON FeatureCollection (RFC 7946, WGS84)."""
    features = [
        {
            "type": "Feature",
            "id": c.insee_code,
            "geometry": c.geometry,
            "properties": {"insee_code": c.insee_code, "name": c.name, "population": c.population},
        }
        for c in TerritoryRepository(session).communes()
    ]
    return JSONResponse(_collection(features), media_type=GEOJSON)


@router.get("/geozones", responses={200: {"content": {GEOJSON: {}}}})
def geozones(session: DbSession) -> Response:
    """Every geozone as a GeoJSON FeatureCollection."""
    features = [
        {
            "type": "Feature",
            "id": z.slug,
            "geometry": z.geometry,
            "properties": {
                "slug": z.slug,
                "name": z.name,
                "kind": z.kind,
                "commune_code": z.commune_code,
            },
        }
        for z in TerritoryRepository(session).geozones()
    ]
    return JSONResponse(_collection(features), media_type=GEOJSON)


@router.post("/geozones", status_code=status.HTTP_201_CREATED)
def create_geozone(
    body: GeoZoneCreate,
    session: DbSession,
    principal: Annotated[Principal, Authorize("territory.manage")],
) -> dict[str, Any]:
    """Add a named polygon (district, neighbourhood, contract sector)."""
    zone = service.create_geozone(session, body)
    return {
        "type": "Feature",
        "id": zone.slug,
        "geometry": zone.geometry,
        "properties": {
            "slug": zone.slug,
            "name": zone.name,
            "kind": zone.kind,
            "commune_code": zone.commune_code,
        },
    }


@router.delete("/geozones/{slug}", status_code=status.HTTP_204_NO_CONTENT)
def delete_geozone(
    slug: str, session: DbSession, principal: Annotated[Principal, Authorize("territory.manage")]
) -> Response:
    """Remove a geozone."""
    service.delete_geozone(session, slug)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/lookup", response_model=LocationRead)
def lookup(
    session: DbSession,
    lon: Annotated[float, Query(ge=-180, le=180, description="Longitude, WGS84 degrees")],
    lat: Annotated[float, Query(ge=-90, le=90, description="Latitude, WGS84 degrees")],
) -> LocationRead:
    """Which commune and geozones contain a point; ``inside`` is false outside the territory."""
    found = locate(session, lon=lon, lat=lat)
    return LocationRead(
        lon=lon,
        lat=lat,
        inside=found.inside,
        commune=PlaceRead(**found.commune.__dict__) if found.commune else None,
        geozones=[PlaceRead(**z.__dict__) for z in found.geozones],
    )


@router.get("/organisations", response_model=list[OrganisationRead])
def organisations(session: DbSession) -> list[OrganisationRead]:
    """The authority, its departments, delegated operators and associations."""
    return [OrganisationRead.model_validate(o) for o in OrganisationRepository(session).list()]


@router.post("/organisations", response_model=OrganisationRead, status_code=status.HTTP_201_CREATED)
def create_organisation(
    body: OrganisationCreate,
    session: DbSession,
    principal: Annotated[Principal, Authorize("territory.manage")],
) -> OrganisationRead:
    """Add an organisation."""
    return OrganisationRead.model_validate(service.create_organisation(session, body))
