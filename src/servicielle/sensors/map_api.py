"""``GET /api/sensors/map`` (GeoJSON of the live entities) and ``GET /api/sensors/health``.

Both are public: the values are open data. The map page polls the first one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from servicielle.core.db import utcnow
from servicielle.core.session import DbSession
from servicielle.sensors.datamodels import State, model_of
from servicielle.sensors.freshness import EntityFreshness, FreshnessRepository

router = APIRouter(prefix="/api/sensors", tags=["sensors"])
GEOJSON = "application/geo+json"
# The health answer lists at most this many silent entities (the counts stay exact).
HEALTH_LIST_LIMIT = 1000


def entity_url(entity_id: str) -> str:
    """The public page of an entity."""
    return "/capteurs/" + quote(entity_id, safe=":")


def iso(instant: dt.datetime | None) -> str | None:
    """An instant in ISO 8601, UTC with a Z, as NGSI-LD writes them."""
    if instant is None:
        return None
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def state_of(entity_type: str, values: Mapping[str, Any]) -> State:
    """The map state of an entity from its current values."""
    model = model_of(entity_type)
    return model.state_of(values) if model else State.UNKNOWN


def feature(entity: EntityFreshness, values: Mapping[str, Any]) -> dict[str, Any]:
    """One entity as a GeoJSON Feature (a point at the centre of its location)."""
    model = model_of(entity.type)
    headline = model.headline if model else None
    spec = model.attributes.get(headline) if model and headline else None
    geometry = None
    if entity.lon is not None and entity.lat is not None:
        geometry = {"type": "Point", "coordinates": [entity.lon, entity.lat]}
    return {
        "type": "Feature",
        "id": entity.id,
        "geometry": geometry,
        "properties": {
            "id": entity.id,
            "type": entity.type,
            "typeLabel": entity.type_label,
            "name": entity.name or entity.id,
            "organisation": entity.organisation,
            "state": str(state_of(entity.type, values)),
            "headline": headline,
            "headlineLabel": spec.label if spec else None,
            "value": values.get(headline) if headline else None,
            "unit": (spec.unit_label or None) if spec else None,
            "unitCode": spec.unit if spec else None,
            "observedAt": iso(entity.last_report),
            "silent": entity.silent,
            "url": entity_url(entity.id),
        },
    }


def map_features(
    session: Session, entity_type: str | None = None, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The live entities (of a type) as GeoJSON Features, by type then name."""
    repository = FreshnessRepository(session, now)
    values = repository.latest_values(entity_type)
    return [feature(e, values.get(e.pk, {})) for e in repository.entities(entity_type)]


def health(session: Session, now: dt.datetime | None = None) -> dict[str, Any]:
    """Counts per type and the silent entities, as the health API answers them."""
    now = now or utcnow()
    repository = FreshnessRepository(session, now)
    by_type = repository.counts_by_type()
    silent = repository.silent(HEALTH_LIST_LIMIT)
    return {
        "checked_at": iso(now),
        "entities": sum(t.entities for t in by_type),
        "silent": sum(t.silent for t in by_type),
        "by_type": [
            {
                "type": t.type,
                "label": t.label,
                "entities": t.entities,
                "silent": t.silent,
                "expected_period_s": int(t.expected_period.total_seconds()),
            }
            for t in by_type
        ],
        "silent_entities": [
            {
                "id": e.id,
                "type": e.type,
                "name": e.name,
                "organisation": e.organisation,
                "last_report": iso(e.last_report),
                "expected_period_s": int(e.expected_period.total_seconds()),
                "silent_for_s": int(e.silent_for.total_seconds()) if e.silent_for else None,
                "url": entity_url(e.id),
            }
            for e in silent
        ],
    }


@router.get("/map", summary="Live entities as GeoJSON, with their state")
def sensors_map(
    session: DbSession, type: Annotated[str, Query(max_length=120)] = ""
) -> JSONResponse:
    """A FeatureCollection of live entities (optionally of one type): state, headline, silence."""
    features = map_features(session, type or None)
    return JSONResponse(
        {"type": "FeatureCollection", "features": features},
        media_type=GEOJSON,
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/health", summary="Silent sensors and counts per type")
def sensors_health(session: DbSession) -> dict[str, Any]:
    """Which entities stopped reporting, and how many per type."""
    return health(session)
