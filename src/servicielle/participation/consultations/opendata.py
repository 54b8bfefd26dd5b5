"""Anonymous counts of the answers to closed consultations, as a live open dataset.

One row per choice of each choice question of a published, closed consultation whose
observations are public: how many observations chose it. No author, no free text, no date of
an observation: only totals. Observations hidden by moderation are not counted.
"""

from __future__ import annotations

from sqlalchemy import FromClause, func, select, true

from servicielle.core.db import utcnow
from servicielle.core.opendata import Field, FieldType, PublishedDataset
from servicielle.participation.consultations.jsonsql import has_choice, json_array_items
from servicielle.participation.consultations.models import (
    Consultation,
    ConsultationQuestion,
    Observation,
)
from servicielle.participation.consultations.repository import CHOICE_KINDS, publicly_visible


def answer_counts() -> FromClause:
    """The rows of the dataset, computed when queried (closed ones as of now)."""
    choice = json_array_items(ConsultationQuestion.choices).table_valued("value")
    observations = (
        select(func.count(Observation.id))
        .where(Observation.consultation_id == Consultation.id, Observation.hidden.is_(False))
        .correlate(Consultation)
        .scalar_subquery()
    )
    return (
        select(
            Consultation.slug.label("consultation"),
            Consultation.title.label("titre"),
            Consultation.opens_at.label("date_ouverture"),
            Consultation.closes_at.label("date_cloture"),
            ConsultationQuestion.id.label("question_id"),
            ConsultationQuestion.position.label("question_rang"),
            ConsultationQuestion.text.label("question"),
            ConsultationQuestion.kind.label("type_question"),
            choice.c.value.label("choix"),
            func.count(Observation.id).label("reponses"),
            observations.label("observations"),
        )
        .select_from(Consultation)
        .join(ConsultationQuestion, ConsultationQuestion.consultation_id == Consultation.id)
        .join(choice, true())
        .outerjoin(
            Observation,
            (Observation.consultation_id == Consultation.id)
            & Observation.hidden.is_(False)
            & has_choice(Observation.answers, ConsultationQuestion.id, choice.c.value),
        )
        .where(
            publicly_visible(),
            # Observations sent to the authority only are not published, even as counts.
            Consultation.observations_public.is_(True),
            Consultation.closes_at <= utcnow(),
            ConsultationQuestion.kind.in_(CHOICE_KINDS),
        )
        .group_by(
            Consultation.id,
            Consultation.slug,
            Consultation.title,
            Consultation.opens_at,
            Consultation.closes_at,
            ConsultationQuestion.id,
            ConsultationQuestion.position,
            ConsultationQuestion.text,
            ConsultationQuestion.kind,
            choice.c.value,
        )
        .subquery("consultations_opendata")
    )


CONSULTATION_ANSWERS = PublishedDataset(
    key="participation.consultation_answers",
    slug="consultations-synthese-des-reponses",
    title="Consultations : synthèse des réponses",
    description=(
        "Pour chaque consultation publique close du territoire dont les observations sont "
        "publiques, le nombre d'observations "
        "ayant retenu chaque choix des questions à choix. Une ligne par choix proposé (les "
        "choix que personne n'a retenus y figurent avec 0). Données anonymes : ni auteur, ni "
        "texte libre, ni date d'observation ; les observations masquées par la modération ne "
        "sont pas comptées. Pour une question à choix multiples, une observation peut compter "
        "pour plusieurs choix. Dates en UTC."
    ),
    fields=(
        Field(
            "consultation",
            FieldType.TEXT,
            "consultation",
            "Consultation",
            "Identifiant de la consultation (son adresse /consultations/…).",
        ),
        Field("titre", FieldType.TEXT, "titre", "Titre de la consultation"),
        Field("date_ouverture", FieldType.DATETIME, "date_ouverture", "Ouverture"),
        Field("date_cloture", FieldType.DATETIME, "date_cloture", "Clôture"),
        Field("question_id", FieldType.INTEGER, "question_id", "Identifiant de la question"),
        Field(
            "question_rang",
            FieldType.INTEGER,
            "question_rang",
            "Rang de la question",
            "Ordre de la question dans la consultation.",
        ),
        Field("question", FieldType.TEXT, "question", "Question"),
        Field(
            "type_question",
            FieldType.TEXT,
            "type_question",
            "Type de question",
            "choice (un seul choix) ou choices (plusieurs choix possibles).",
        ),
        Field("choix", FieldType.TEXT, "choix", "Choix proposé"),
        Field(
            "reponses",
            FieldType.INTEGER,
            "reponses",
            "Nombre de réponses",
            "Observations ayant retenu ce choix.",
        ),
        Field(
            "observations",
            FieldType.INTEGER,
            "observations",
            "Observations de la consultation",
            "Nombre total d'observations reçues (non masquées), pour calculer des parts.",
        ),
    ),
    source=answer_counts,
    organisation_slug="agglomeration",
    frequency="continuous",
    themes=("GOVE",),
    keywords=("consultation", "participation du public", "démocratie participative"),
)
