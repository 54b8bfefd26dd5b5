"""Where a report lies and who must fix it: the territory lookup, then the routing rules."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from servicielle.core.errors import InvalidInput
from servicielle.core.i18n import _
from servicielle.core.territory.lookup import territory_index
from servicielle.core.territory.models import Organisation
from servicielle.core.territory.repository import OrganisationRepository, TerritoryRepository
from servicielle.reports.models import ReportCategory, RoutingRule
from servicielle.reports.repository import RoutingRepository


@dataclass(frozen=True)
class Placement:
    """A report's point (None when only an address was given), commune and geozones."""

    lat: float | None
    lon: float | None
    commune_code: str | None
    commune_name: str
    geozones: tuple[str, ...]


def check_coordinates(lat: float, lon: float) -> None:
    """Refuse coordinates no device produces, naming which one is wrong."""
    if not math.isfinite(lat) or not -90 <= lat <= 90:
        raise InvalidInput.on_field("lat", _("The latitude must lie between -90 and 90."))
    if not math.isfinite(lon) or not -180 <= lon <= 180:
        raise InvalidInput.on_field("long", _("The longitude must lie between -180 and 180."))


def place_point(session: Session, lat: float, lon: float) -> Placement:
    """The commune and geozones of a point; outside the territory is an error that says so."""
    check_coordinates(lat, lon)
    location = territory_index(session).locate(lon, lat)
    if location.commune is None:
        raise InvalidInput.on_field(
            "lat",
            _(
                "This place lies outside the territory of the authority: report it to the "
                "commune where it lies."
            ),
        )
    return Placement(
        lat=lat,
        lon=lon,
        commune_code=location.commune.key,
        commune_name=location.commune.name,
        geozones=tuple(zone.key for zone in location.geozones),
    )


def place_in_commune(session: Session, commune_code: str) -> Placement:
    """A report located by commune and typed address: pinned at the commune's centre."""
    commune = TerritoryRepository(session).commune(commune_code)
    if commune is None:
        raise InvalidInput.on_field("commune", _("Choose one of the territory's communes."))
    lon, lat = commune.centroid_lon or 0.0, commune.centroid_lat or 0.0
    zones = territory_index(session).locate(lon, lat).geozones
    return Placement(
        lat=lat,
        lon=lon,
        commune_code=commune.insee_code,
        commune_name=commune.name,
        geozones=tuple(zone.key for zone in zones),
    )


def specificity(rule: RoutingRule) -> int:
    """How narrow a rule is: the narrowest matching rule routes the report."""
    # A category outweighs any area; a geozone is narrower than a commune.
    return (
        (4 if rule.category_id is not None else 0)
        + (2 if rule.geozone_slug is not None else 0)
        + (1 if rule.commune_code is not None else 0)
    )


def _matches(rule: RoutingRule, category_id: int, placement: Placement) -> bool:
    return (
        (rule.category_id is None or rule.category_id == category_id)
        and (rule.commune_code is None or rule.commune_code == placement.commune_code)
        and (rule.geozone_slug is None or rule.geozone_slug in placement.geozones)
    )


def route(session: Session, category: ReportCategory, placement: Placement) -> Organisation:
    """The organisation the most specific matching rule names (ties: the oldest rule)."""
    rules = [
        rule
        for rule in RoutingRepository(session).rules()
        if _matches(rule, category.id, placement)
    ]
    if not rules:
        raise InvalidInput.on_field(
            "service_code", _("No organisation receives reports of this category here yet.")
        )
    best = max(rules, key=lambda rule: (specificity(rule), -rule.id))
    organisation = OrganisationRepository(session).get(best.organisation_id)
    assert organisation is not None  # the foreign key cascades deletes
    return organisation
