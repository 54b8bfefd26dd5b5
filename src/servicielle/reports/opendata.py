"""The public reports as a live, anonymised open dataset published through the catalog.

No reporter (name, email, phone, account), no free text: descriptions, addresses and notes
may hold personal data, so only the category, the status, the place (rounded to about
10 m) and the dates are published. Unconfirmed and moderated-away reports are left out.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Float, FromClause, Numeric, case, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute

from servicielle.core.opendata import Field, FieldType, PublishedDataset
from servicielle.core.territory.models import Commune, Organisation
from servicielle.reports.models import CLOSED_STATUSES, Report, ReportCategory, ReportStatus

# Four decimals of a degree: about 11 m north–south, 8 m east–west at 46° N.
PRECISION = 4


def _rounded(column: InstrumentedAttribute[float | None]) -> ColumnElement[float]:
    # PostgreSQL rounds to n places only numerics; SQLite accepts the cast as well.
    return cast(func.round(cast(column, Numeric), PRECISION), Float)


def _reports() -> FromClause:
    return (
        select(
            Report.id.label("identifiant"),
            ReportCategory.code.label("service_code"),
            ReportCategory.name.label("categorie"),
            ReportCategory.group.label("groupe"),
            case((Report.status.in_(CLOSED_STATUSES), "closed"), else_="open").label("statut"),
            Report.status.label("statut_detaille"),
            Report.close_reason.label("motif_cloture"),
            Report.duplicate_of_id.label("doublon_de"),
            Report.commune_code.label("code_insee"),
            Commune.name.label("commune"),
            Organisation.name.label("organisation"),
            _rounded(Report.lon).label("geo_point_2d_lon"),
            _rounded(Report.lat).label("geo_point_2d_lat"),
            Report.created_at.label("date_demande"),
            Report.acknowledged_at.label("date_prise_en_compte"),
            Report.fixed_at.label("date_resolution"),
            Report.closed_at.label("date_cloture"),
            Report.modified_at.label("date_mise_a_jour"),
        )
        .join(ReportCategory, ReportCategory.id == Report.category_id)
        .join(Organisation, Organisation.id == Report.organisation_id)
        .outerjoin(Commune, Commune.insee_code == Report.commune_code)
        # The same reports as ReportRepository.public_statement: what anyone may see.
        .where(Report.hidden.is_(False), Report.status != ReportStatus.UNCONFIRMED)
        .subquery("reports_opendata")
    )


REPORTS = PublishedDataset(
    key="reports.reports",
    slug="signalements-des-habitants",
    title="Signalements des habitants",
    description=(
        "Les problèmes signalés par les habitants dans les rues et lieux publics du "
        "territoire (nid-de-poule, dépôt sauvage, lampadaire éteint…), avec leur catégorie, "
        "l'organisation chargée de les traiter, leur état et les dates de leur traitement. "
        "Une ligne par signalement public. Données anonymisées : ni nom, ni adresse "
        "électronique, ni téléphone, ni texte libre ; position arrondie à quatre décimales "
        "(une dizaine de mètres). Les signalements non confirmés ou masqués par la modération "
        "n'y figurent pas. Les mêmes signalements sont servis au format Open311 GeoReport v2 "
        "(/open311/v2/requests.json). Dates en UTC."
    ),
    fields=(
        Field(
            "identifiant",
            FieldType.INTEGER,
            "identifiant",
            "Numéro",
            "Numéro du signalement (service_request_id d'Open311).",
        ),
        Field(
            "service_code",
            FieldType.TEXT,
            "service_code",
            "Code de la catégorie",
            "Code de la catégorie (service_code d'Open311).",
        ),
        Field("categorie", FieldType.TEXT, "categorie", "Catégorie"),
        Field("groupe", FieldType.TEXT, "groupe", "Groupe de catégories"),
        Field(
            "statut",
            FieldType.TEXT,
            "statut",
            "Statut Open311",
            "open (en cours) ou closed (résolu ou clos).",
        ),
        Field(
            "statut_detaille",
            FieldType.TEXT,
            "statut_detaille",
            "Statut détaillé",
            "open (ouvert), acknowledged (pris en compte), planned (programmé), in_progress "
            "(en cours), fixed (résolu), closed (clos sans réparation), reopened (rouvert).",
        ),
        Field(
            "motif_cloture",
            FieldType.TEXT,
            "motif_cloture",
            "Motif de clôture",
            "Pour un signalement clos sans réparation : duplicate (doublon), not_responsible "
            "(hors des compétences de la collectivité, transmis), no_action (aucune "
            "intervention possible).",
        ),
        Field(
            "doublon_de",
            FieldType.INTEGER,
            "doublon_de",
            "Doublon de",
            "Numéro du signalement dont celui-ci est le doublon.",
        ),
        Field("code_insee", FieldType.TEXT, "code_insee", "Code INSEE de la commune"),
        Field("commune", FieldType.TEXT, "commune", "Commune"),
        Field(
            "organisation",
            FieldType.TEXT,
            "organisation",
            "Organisation responsable",
            "Service de la collectivité ou opérateur délégué chargé du signalement.",
        ),
        Field(
            "geo_point_2d",
            FieldType.GEO_POINT,
            "geo_point_2d",
            "Position",
            "Position arrondie à quatre décimales (WGS 84).",
        ),
        Field(
            "date_demande",
            FieldType.DATETIME,
            "date_demande",
            "Date du signalement",
            "requested_datetime d'Open311.",
        ),
        Field(
            "date_prise_en_compte", FieldType.DATETIME, "date_prise_en_compte", "Prise en compte"
        ),
        Field("date_resolution", FieldType.DATETIME, "date_resolution", "Date de résolution"),
        Field("date_cloture", FieldType.DATETIME, "date_cloture", "Date de clôture"),
        Field(
            "date_mise_a_jour",
            FieldType.DATETIME,
            "date_mise_a_jour",
            "Dernière mise à jour",
            "updated_datetime d'Open311.",
        ),
    ),
    source=_reports,
    organisation_slug="agglomeration",
    frequency="continuous",
    themes=("GOVE", "REGI"),
    keywords=("signalements", "voirie", "propreté", "espace public", "Open311"),
)
