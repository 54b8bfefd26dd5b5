"""The territory publishes its communes and geozones as live open datasets."""

from __future__ import annotations

from sqlalchemy import FromClause, Text, cast, select

from servicielle.core.opendata import Field, FieldType, PublishedDataset
from servicielle.core.territory.models import Commune, GeoZone

SHAPE_FIELDS = (
    Field("geo_point_2d", FieldType.GEO_POINT, "geo_point_2d", "Point représentatif"),
    Field("geo_shape", FieldType.GEO_SHAPE, "geo_shape", "Contour"),
)


def _communes() -> FromClause:
    return select(
        Commune.insee_code.label("code_insee"),
        Commune.name.label("nom"),
        Commune.population.label("population"),
        Commune.siren.label("siren"),
        Commune.centroid_lon.label("geo_point_2d_lon"),
        Commune.centroid_lat.label("geo_point_2d_lat"),
        cast(Commune.geometry, Text).label("geo_shape"),
    ).subquery("communes_opendata")


def _geozones() -> FromClause:
    return select(
        GeoZone.slug.label("identifiant"),
        GeoZone.name.label("nom"),
        GeoZone.kind.label("type"),
        GeoZone.commune_code.label("code_insee"),
        GeoZone.centroid_lon.label("geo_point_2d_lon"),
        GeoZone.centroid_lat.label("geo_point_2d_lat"),
        cast(GeoZone.geometry, Text).label("geo_shape"),
    ).subquery("geozones_opendata")


COMMUNES = PublishedDataset(
    key="territory.communes",
    slug="communes-du-territoire",
    title="Communes du territoire",
    description=(
        "Les communes membres, avec leur code INSEE, leur population municipale et leur "
        "contour (IGN Admin Express, INSEE). Données tenues à jour par la plateforme."
    ),
    fields=(
        Field("code_insee", FieldType.TEXT, "code_insee", "Code INSEE"),
        Field("nom", FieldType.TEXT, "nom", "Nom"),
        Field("population", FieldType.INTEGER, "population", "Population municipale"),
        Field("siren", FieldType.TEXT, "siren", "SIREN"),
        *SHAPE_FIELDS,
    ),
    source=_communes,
    organisation_slug="agglomeration",
    frequency="annual",
    themes=("REGI",),
    keywords=("communes", "territoire", "limites administratives"),
)

GEOZONES = PublishedDataset(
    key="territory.geozones",
    slug="zones-du-territoire",
    title="Quartiers, secteurs et bassins du territoire",
    description=(
        "Les zones nommées du territoire (quartiers, secteurs de contrats, bassins de vie), "
        "avec leur contour. Elles servent à ranger les signalements, capteurs et projets."
    ),
    fields=(
        Field("identifiant", FieldType.TEXT, "identifiant", "Identifiant"),
        Field("nom", FieldType.TEXT, "nom", "Nom"),
        Field("type", FieldType.TEXT, "type", "Type de zone"),
        Field("code_insee", FieldType.TEXT, "code_insee", "Commune"),
        *SHAPE_FIELDS,
    ),
    source=_geozones,
    organisation_slug="agglomeration",
    frequency="irregular",
    themes=("REGI",),
    keywords=("quartiers", "territoire", "zonage"),
)
