"""The hub publishes its sensors' latest values and hourly aggregates as live open datasets."""

from __future__ import annotations

from sqlalchemy import ColumnElement, FromClause, Text, case, cast, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute

from servicielle.core.opendata import Field, FieldType, PublishedDataset
from servicielle.sensors.datamodels import MODELS
from servicielle.sensors.models import HourlyAggregate, LatestValue, SensorEntity

# Unit codes without a symbol, spelled out for people reading the data.
UNIT_NAMES = {"C62": "ratio (0 à 1)"}


def _unit(attribute: InstrumentedAttribute[str]) -> ColumnElement[str]:
    """The unit of a known model's attribute, looked up by "Type:attribute"."""
    units = {
        f"{model.type}:{name}": spec.unit_label or UNIT_NAMES.get(spec.unit, spec.unit)
        for model in MODELS.values()
        for name, spec in model.attributes.items()
        if spec.unit
    }
    key = SensorEntity.type + literal(":") + attribute
    return case(units, value=key, else_=None)


def _latest() -> FromClause:
    return (
        select(
            SensorEntity.id.label("identifiant"),
            SensorEntity.type.label("type"),
            SensorEntity.name.label("nom"),
            LatestValue.attribute.label("attribut"),
            LatestValue.value_num.label("valeur"),
            func.coalesce(LatestValue.value_text, cast(LatestValue.value_json, Text)).label(
                "valeur_texte"
            ),
            _unit(LatestValue.attribute).label("unite"),
            LatestValue.observed_at.label("date_observation"),
            ((SensorEntity.min_lon + SensorEntity.max_lon) / 2).label("geo_point_2d_lon"),
            ((SensorEntity.min_lat + SensorEntity.max_lat) / 2).label("geo_point_2d_lat"),
        )
        .join(SensorEntity, SensorEntity.pk == LatestValue.entity_pk)
        .where(SensorEntity.deleted_at.is_(None))
        .subquery("sensors_latest_opendata")
    )


def _hourly() -> FromClause:
    return (
        select(
            SensorEntity.id.label("identifiant"),
            SensorEntity.type.label("type"),
            HourlyAggregate.attribute.label("attribut"),
            HourlyAggregate.hour.label("heure"),
            HourlyAggregate.count.label("nombre"),
            (HourlyAggregate.sum / HourlyAggregate.count).label("moyenne"),
            HourlyAggregate.min.label("minimum"),
            HourlyAggregate.max.label("maximum"),
        )
        .join(SensorEntity, SensorEntity.pk == HourlyAggregate.entity_pk)
        .where(SensorEntity.deleted_at.is_(None))
        .subquery("sensors_hourly_opendata")
    )


IDENTITY_FIELDS = (
    Field(
        "identifiant",
        FieldType.TEXT,
        "identifiant",
        "Identifiant",
        "Identifiant NGSI-LD de l'entité (urn:ngsi-ld:Type:nom).",
    ),
    Field("type", FieldType.TEXT, "type", "Type", "Modèle FIWARE Smart Data Models de l'entité."),
)

LATEST = PublishedDataset(
    key="sensors.latest",
    slug="capteurs-dernieres-valeurs",
    title="Dernières valeurs des capteurs",
    description=(
        "La dernière mesure de chaque capteur du territoire, attribut par attribut : places "
        "libres des parkings, qualité de l'air, météo, trafic, éclairage public, remplissage "
        "des conteneurs, consommation des bâtiments publics, véhicules disponibles. Une ligne "
        "par entité et par attribut, avec l'unité, la date de la mesure et la position. "
        "Données en temps réel, à jour à chaque consultation ; l'API NGSI-LD "
        "(/ngsi-ld/v1) donne les mêmes valeurs."
    ),
    fields=(
        *IDENTITY_FIELDS,
        Field("nom", FieldType.TEXT, "nom", "Nom"),
        Field("attribut", FieldType.TEXT, "attribut", "Attribut", "Nom de l'attribut mesuré."),
        Field("valeur", FieldType.DOUBLE, "valeur", "Valeur", "Valeur numérique, s'il y a lieu."),
        Field(
            "valeur_texte",
            FieldType.TEXT,
            "valeur_texte",
            "Valeur (texte)",
            "Valeur non numérique : état, catégorie, booléen ou objet JSON.",
        ),
        Field("unite", FieldType.TEXT, "unite", "Unité"),
        Field(
            "date_observation",
            FieldType.DATETIME,
            "date_observation",
            "Date de la mesure",
            "Instant de la mesure (UTC) ; vide pour les caractéristiques fixes.",
        ),
        Field("geo_point_2d", FieldType.GEO_POINT, "geo_point_2d", "Position"),
    ),
    source=_latest,
    organisation_slug="agglomeration",
    frequency="continuous",
    themes=("ENVI", "TRAN", "ENER"),
    keywords=("capteurs", "temps réel", "stationnement", "qualité de l'air", "énergie"),
)

HOURLY = PublishedDataset(
    key="sensors.hourly",
    slug="capteurs-agregats-horaires",
    title="Agrégats horaires des capteurs",
    description=(
        "Pour chaque capteur et chaque attribut numérique, heure par heure : nombre de "
        "mesures, moyenne, minimum et maximum. Ces agrégats sont conservés sans limite de "
        "durée, même quand les mesures brutes sont purgées. Heures en UTC."
    ),
    fields=(
        *IDENTITY_FIELDS,
        Field("attribut", FieldType.TEXT, "attribut", "Attribut"),
        Field("heure", FieldType.DATETIME, "heure", "Heure", "Début de l'heure (UTC)."),
        Field("nombre", FieldType.INTEGER, "nombre", "Nombre de mesures"),
        Field("moyenne", FieldType.DOUBLE, "moyenne", "Moyenne"),
        Field("minimum", FieldType.DOUBLE, "minimum", "Minimum"),
        Field("maximum", FieldType.DOUBLE, "maximum", "Maximum"),
    ),
    source=_hourly,
    organisation_slug="agglomeration",
    frequency="hourly",
    themes=("ENVI", "TRAN", "ENER"),
    keywords=("capteurs", "séries temporelles", "agrégats", "temps réel"),
)
