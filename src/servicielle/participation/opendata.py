"""Participation as live open datasets: public proposals, anonymous vote totals, results.

No author, no ballot: proposals are published without who wrote them (hidden ones and those
of unpublished processes left out); votes only as totals per project, once the results of
their budget are published; results with their progress and money.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Float, FromClause, Numeric, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute

from servicielle.core.opendata import Field, FieldType, PublishedDataset
from servicielle.core.territory.models import GeoZone
from servicielle.participation.accountability.models import Result
from servicielle.participation.budgets.models import Budget, Envelope, Project
from servicielle.participation.models import Process, Proposal, ProposalCategory

# Four decimals of a degree: about ten metres, as the reports' dataset.
PRECISION = 4


def _rounded(column: InstrumentedAttribute[float | None]) -> ColumnElement[float]:
    return cast(func.round(cast(column, Numeric), PRECISION), Float)


def _proposals() -> FromClause:
    return (
        select(
            Proposal.id.label("identifiant"),
            Process.slug.label("demarche"),
            Process.title.label("titre_demarche"),
            Proposal.title.label("titre"),
            ProposalCategory.name.label("categorie"),
            GeoZone.name.label("quartier"),
            Proposal.state.label("etat"),
            Proposal.supports_count.label("soutiens"),
            Proposal.comments_count.label("commentaires"),
            _rounded(Proposal.longitude).label("geo_point_2d_lon"),
            _rounded(Proposal.latitude).label("geo_point_2d_lat"),
            Proposal.created_at.label("date_creation"),
        )
        .join(Process, Process.id == Proposal.process_id)
        .outerjoin(ProposalCategory, ProposalCategory.id == Proposal.category_id)
        .outerjoin(GeoZone, GeoZone.id == Proposal.geozone_id)
        .where(Proposal.hidden.is_(False), Process.published.is_(True))
        .subquery("participation_proposals_opendata")
    )


def _votes() -> FromClause:
    return (
        select(
            Project.id.label("identifiant"),
            Process.slug.label("demarche"),
            Budget.title.label("budget"),
            Envelope.title.label("enveloppe"),
            Envelope.amount.label("montant_enveloppe"),
            Project.title.label("projet"),
            Project.cost.label("cout"),
            Project.votes.label("voix"),
            Project.selected.label("retenu"),
            Budget.results_published_at.label("date_publication"),
        )
        .join(Envelope, Envelope.id == Project.envelope_id)
        .join(Budget, Budget.id == Envelope.budget_id)
        .join(Process, Process.id == Budget.process_id)
        .where(Budget.results_published_at.is_not(None), Process.published.is_(True))
        .subquery("participation_votes_opendata")
    )


def _results() -> FromClause:
    return (
        select(
            Result.id.label("identifiant"),
            Process.slug.label("demarche"),
            Process.title.label("titre_demarche"),
            Result.title.label("titre"),
            Result.status.label("statut"),
            Result.progress.label("avancement"),
            Result.budget.label("budget_prevu"),
            Result.spent.label("depense"),
            GeoZone.name.label("quartier"),
            _rounded(Result.longitude).label("geo_point_2d_lon"),
            _rounded(Result.latitude).label("geo_point_2d_lat"),
            Result.starts_on.label("date_debut"),
            Result.ends_on.label("date_fin"),
            Result.modified_at.label("date_mise_a_jour"),
        )
        .join(Process, Process.id == Result.process_id)
        .outerjoin(GeoZone, GeoZone.id == Result.geozone_id)
        .where(Process.published.is_(True))
        .subquery("participation_results_opendata")
    )


PROPOSALS = PublishedDataset(
    key="participation.proposals",
    slug="propositions-citoyennes",
    title="Propositions citoyennes",
    description=(
        "Les propositions déposées par les habitants et les associations dans les démarches "
        "de participation du territoire (budget participatif, concertations), avec leur "
        "catégorie, leur quartier, leur état (publiée, à l'étude, retenue, écartée, retirée, "
        "fusionnée), le nombre de soutiens et de commentaires. Une ligne par proposition "
        "publique. Données anonymisées : ni auteur ni texte libre ; position arrondie à quatre "
        "décimales. Les propositions masquées par la modération n'y figurent pas. Dates en UTC."
    ),
    fields=(
        Field("identifiant", FieldType.INTEGER, "identifiant", "Numéro"),
        Field("demarche", FieldType.TEXT, "demarche", "Démarche (identifiant)"),
        Field("titre_demarche", FieldType.TEXT, "titre_demarche", "Démarche"),
        Field("titre", FieldType.TEXT, "titre", "Titre"),
        Field("categorie", FieldType.TEXT, "categorie", "Catégorie"),
        Field("quartier", FieldType.TEXT, "quartier", "Quartier"),
        Field(
            "etat",
            FieldType.TEXT,
            "etat",
            "État",
            "published (publiée), evaluating (à l'étude), accepted (retenue), rejected "
            "(écartée), withdrawn (retirée), merged (fusionnée avec une autre).",
        ),
        Field("soutiens", FieldType.INTEGER, "soutiens", "Soutiens"),
        Field("commentaires", FieldType.INTEGER, "commentaires", "Commentaires"),
        Field(
            "geo_point_2d",
            FieldType.GEO_POINT,
            "geo_point_2d",
            "Position",
            "Position arrondie à quatre décimales (WGS 84).",
        ),
        Field("date_creation", FieldType.DATETIME, "date_creation", "Date de dépôt"),
    ),
    source=_proposals,
    frequency="continuous",
    themes=("GOVE", "SOCI"),
    keywords=("participation", "propositions", "démocratie participative"),
)

BUDGET_VOTES = PublishedDataset(
    key="participation.budget_votes",
    slug="votes-du-budget-participatif",
    title="Votes du budget participatif",
    description=(
        "Les résultats des votes des budgets participatifs : pour chaque projet soumis au "
        "vote, son enveloppe, son coût, le nombre de votants l'ayant choisi et s'il est "
        "financé. Totaux anonymes, publiés une fois les résultats proclamés ; les bulletins "
        "eux-mêmes, sans aucun identifiant de votant, sont téléchargeables au format Pabulib "
        "sur la page des résultats."
    ),
    fields=(
        Field("identifiant", FieldType.INTEGER, "identifiant", "Numéro du projet"),
        Field("demarche", FieldType.TEXT, "demarche", "Démarche (identifiant)"),
        Field("budget", FieldType.TEXT, "budget", "Budget participatif"),
        Field("enveloppe", FieldType.TEXT, "enveloppe", "Enveloppe"),
        Field("montant_enveloppe", FieldType.INTEGER, "montant_enveloppe", "Montant (euros)"),
        Field("projet", FieldType.TEXT, "projet", "Projet"),
        Field("cout", FieldType.INTEGER, "cout", "Coût (euros)"),
        Field("voix", FieldType.INTEGER, "voix", "Voix", "Votants ayant choisi ce projet."),
        Field("retenu", FieldType.BOOLEAN, "retenu", "Financé"),
        Field("date_publication", FieldType.DATETIME, "date_publication", "Publication"),
    ),
    source=_votes,
    frequency="irregular",
    themes=("GOVE", "ECON"),
    keywords=("budget participatif", "vote", "participation"),
)

RESULTS = PublishedDataset(
    key="participation.results",
    slug="suivi-des-realisations",
    title="Suivi des réalisations",
    description=(
        "L'avancement des projets issus de la participation (lauréats des budgets "
        "participatifs notamment) : statut, pourcentage d'avancement, budget prévu, dépenses "
        "engagées, lieu et dates. Une ligne par réalisation suivie. Position arrondie à "
        "quatre décimales."
    ),
    fields=(
        Field("identifiant", FieldType.INTEGER, "identifiant", "Numéro"),
        Field("demarche", FieldType.TEXT, "demarche", "Démarche (identifiant)"),
        Field("titre_demarche", FieldType.TEXT, "titre_demarche", "Démarche"),
        Field("titre", FieldType.TEXT, "titre", "Réalisation"),
        Field(
            "statut",
            FieldType.TEXT,
            "statut",
            "Statut",
            "planned (prévue), studies (à l'étude), works (travaux), delivered (livrée), "
            "abandoned (abandonnée).",
        ),
        Field("avancement", FieldType.INTEGER, "avancement", "Avancement (%)"),
        Field("budget_prevu", FieldType.INTEGER, "budget_prevu", "Budget prévu (euros)"),
        Field("depense", FieldType.INTEGER, "depense", "Dépensé (euros)"),
        Field("quartier", FieldType.TEXT, "quartier", "Quartier"),
        Field(
            "geo_point_2d",
            FieldType.GEO_POINT,
            "geo_point_2d",
            "Position",
            "Position arrondie à quatre décimales (WGS 84).",
        ),
        Field("date_debut", FieldType.DATE, "date_debut", "Début"),
        Field("date_fin", FieldType.DATE, "date_fin", "Fin"),
        Field("date_mise_a_jour", FieldType.DATETIME, "date_mise_a_jour", "Dernière mise à jour"),
    ),
    source=_results,
    frequency="continuous",
    themes=("GOVE", "REGI"),
    keywords=("réalisations", "budget participatif", "redevabilité"),
)

DATASETS = (PROPOSALS, BUDGET_VOTES, RESULTS)
