"""Demo territory: the 25 real communes of CA Rochefort Océan and its organisations.

Outlines and populations come from IGN and INSEE open data (see ``data/SOURCES.md``). The
geozones are groupings and sectors drawn for the demo, named as such.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from shapely import unary_union
from shapely.geometry import box, shape
from sqlalchemy import delete
from sqlalchemy.orm import Session

from servicielle.core.modules import DemoSeed
from servicielle.core.territory.geometry import to_geojson
from servicielle.core.territory.models import Commune, GeoZone, Organisation, OrganisationKind

DATA = files("servicielle.core.territory") / "data"

ORGANISATIONS = (
    # slug, name, kind, description
    ("voirie", "Direction de la voirie", "department", "Routes, trottoirs, signalisation."),
    ("proprete", "Direction de la propreté urbaine", "department", "Nettoiement, dépôts sauvages."),
    ("mobilites", "Direction des mobilités", "department", "Transports, stationnement, vélo."),
    (
        "energie",
        "Direction de l'énergie et des bâtiments",
        "department",
        "Consommations des bâtiments publics.",
    ),
    (
        "participation",
        "Mission participation citoyenne",
        "department",
        "Budgets participatifs, concertations.",
    ),
    (
        "donnees",
        "Direction des données et du numérique",
        "department",
        "Administrateur général des données.",
    ),
    (
        "rochefort-stationnement",
        "Opérateur de stationnement (délégation de service public, démo)",
        "operator",
        "Parkings en ouvrage et stationnement sur voirie.",
    ),
    (
        "collecte-dechets",
        "Opérateur de collecte des déchets (marché public, démo)",
        "operator",
        "Collecte des ordures ménagères et des points d'apport volontaire.",
    ),
    (
        "eclairage-public",
        "Opérateur de l'éclairage public (marché de performance, démo)",
        "operator",
        "Maintenance et pilotage des candélabres.",
    ),
    (
        "velo-rochefort",
        "Association vélo de l'agglomération (démo)",
        "association",
        "Communauté d'usagers du vélo, contributrice de données.",
    ),
)

# Demo groupings of real communes (INSEE codes).
COMMUNE_GROUPS = (
    (
        "littoral-et-iles",
        "Littoral et îles",
        ("17004", "17168", "17484", "17329", "17237", "17375"),
    ),
    (
        "rochefort-et-couronne",
        "Rochefort et sa couronne",
        ("17299", "17449", "17463", "17065", "17146"),
    ),
)


def _communes() -> list[dict[str, Any]]:
    collection = json.loads((DATA / "communes.geojson").read_text(encoding="utf-8"))
    return list(collection["features"])


def _rochefort_sectors(outline: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    geometry = shape(outline)
    centre = geometry.centroid
    min_x, min_y, max_x, max_y = geometry.bounds
    quadrants = (
        ("nord-ouest", "Nord-Ouest", box(min_x, centre.y, centre.x, max_y)),
        ("nord-est", "Nord-Est", box(centre.x, centre.y, max_x, max_y)),
        ("sud-ouest", "Sud-Ouest", box(min_x, min_y, centre.x, centre.y)),
        ("sud-est", "Sud-Est", box(centre.x, min_y, max_x, centre.y)),
    )
    return [
        (
            f"rochefort-secteur-{slug}",
            f"Rochefort — secteur {label} (démo)",
            to_geojson(geometry.intersection(quadrant)),
        )
        for slug, label, quadrant in quadrants
    ]


def load(session: Session) -> str:
    """Load communes, organisations and geozones."""
    epci = json.loads((DATA / "epci.json").read_text(encoding="utf-8"))
    features = _communes()
    for feature in features:
        props = feature["properties"]
        session.add(
            Commune(
                insee_code=props["code_insee"],
                name=props["nom"],
                population=props["population"],
                siren=props["siren_commune"],
                geometry=feature["geometry"],
            )
        )
    session.add(
        Organisation(
            slug="agglomeration",
            name=epci["nom_usuel"],
            kind=OrganisationKind.AUTHORITY,
            siren=epci["siren"],
            description="Autorité organisatrice de la plateforme.",
        )
    )
    for slug, name, kind, description in ORGANISATIONS:
        session.add(
            Organisation(slug=slug, name=name, kind=OrganisationKind(kind), description=description)
        )
    by_code = {f["properties"]["code_insee"]: shape(f["geometry"]) for f in features}
    for slug, name, codes in COMMUNE_GROUPS:
        union = unary_union([by_code[code] for code in codes])
        session.add(
            GeoZone(slug=slug, name=f"{name} (démo)", kind="bassin", geometry=to_geojson(union))
        )
    rochefort = next(f for f in features if f["id"] == "17299")
    for slug, name, geometry in _rochefort_sectors(rochefort["geometry"]):
        session.add(
            GeoZone(slug=slug, name=name, kind="secteur", commune_code="17299", geometry=geometry)
        )
    session.flush()
    population = sum(f["properties"]["population"] for f in features)
    return (
        f"{epci['nom_usuel']} : {len(features)} communes, {population:,} habitants".replace(
            ",", " "
        )
        + f", {len(ORGANISATIONS) + 1} organisations, "
        + f"{len(COMMUNE_GROUPS) + 4} zones"
    )


def clear(session: Session) -> None:
    """Remove the territory."""
    for model in (GeoZone, Commune, Organisation):
        session.execute(delete(model))


demo = DemoSeed(load=load, clear=clear)
