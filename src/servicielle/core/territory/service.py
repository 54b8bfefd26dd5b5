"""Changes to the territory: geozones and organisations."""

from __future__ import annotations

from sqlalchemy.orm import Session

from servicielle.core.errors import Conflict, InvalidInput, NotFound
from servicielle.core.i18n import _
from servicielle.core.territory.geometry import parse_area, to_geojson
from servicielle.core.territory.models import GeoZone, Organisation, OrganisationKind
from servicielle.core.territory.repository import OrganisationRepository, TerritoryRepository
from servicielle.core.territory.schemas import GeoZoneCreate, OrganisationCreate


def create_geozone(session: Session, data: GeoZoneCreate) -> GeoZone:
    """Add a geozone after checking its polygon and its slug."""
    territory = TerritoryRepository(session)
    geometry = parse_area(data.geometry)
    if data.commune_code and territory.commune(data.commune_code) is None:
        raise InvalidInput.on_field("commune_code", _("No commune has this INSEE code."))
    if territory.geozone_by_slug(data.slug) is not None:
        raise Conflict.on_field("slug", _("A geozone already uses this slug."))
    zone = GeoZone(
        slug=data.slug,
        name=data.name,
        kind=data.kind,
        commune_code=data.commune_code,
        geometry=to_geojson(geometry),
    )
    session.add(zone)
    session.flush()
    return zone


def delete_geozone(session: Session, slug: str) -> None:
    """Remove a geozone."""
    zone = TerritoryRepository(session).geozone_by_slug(slug)
    if zone is None:
        raise NotFound(_("This geozone does not exist."))
    session.delete(zone)
    session.flush()


def create_organisation(session: Session, data: OrganisationCreate) -> Organisation:
    """Add an organisation with a unique slug."""
    if OrganisationRepository(session).by_slug(data.slug) is not None:
        raise Conflict.on_field("slug", _("An organisation already uses this slug."))
    organisation = Organisation(**{**data.model_dump(), "kind": OrganisationKind(data.kind)})
    session.add(organisation)
    session.flush()
    return organisation
