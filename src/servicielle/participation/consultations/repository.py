"""Queries of consultations: the public lists, questions, observations, flags, choice counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, or_, select, true

from servicielle.core.accounts.models import User
from servicielle.core.pagination import PageParams
from servicielle.core.repository import Repository
from servicielle.participation.consultations.jsonsql import has_choice, json_array_items
from servicielle.participation.consultations.models import (
    Consultation,
    ConsultationQuestion,
    Observation,
    QuestionKind,
)
from servicielle.participation.models import Flag, FlagTarget, Process

CHOICE_KINDS = (QuestionKind.CHOICE.value, QuestionKind.CHOICES.value)


@dataclass(frozen=True)
class ObservationFilters:
    """The back office's filters on observations."""

    visibility: str = ""  # "" | visible | hidden | flagged
    text: str = ""


@dataclass(frozen=True)
class ChoiceCount:
    """How many observations chose one choice of a question."""

    question_id: int
    choice: str
    count: int


def publicly_visible() -> ColumnElement[bool]:
    """Published, outside any unpublished process (which hides its consultations too)."""
    unpublished = select(Process.id).where(Process.published.is_(False))
    return Consultation.published.is_(True) & or_(
        Consultation.process_id.is_(None), Consultation.process_id.not_in(unpublished)
    )


class ConsultationRepository(Repository[Consultation]):
    """Consultations, published or not (the views decide who sees what)."""

    model = Consultation

    def by_slug(self, slug: str) -> Consultation | None:
        """The consultation with this slug."""
        return self.one_or_none(select(Consultation).where(Consultation.slug == slug))

    def slug_taken(self, slug: str, except_id: int | None = None) -> bool:
        """Whether another consultation has this slug."""
        statement = select(Consultation.id).where(Consultation.slug == slug)
        if except_id is not None:
            statement = statement.where(Consultation.id != except_id)
        return self.session.scalar(statement.limit(1)) is not None

    def published(self) -> Sequence[Consultation]:
        """Every consultation the public sees, the soonest to close first."""
        return self.all(
            select(Consultation)
            .where(publicly_visible())
            .order_by(Consultation.closes_at, Consultation.id)
        )

    def every(self) -> Sequence[Consultation]:
        """Every consultation, the latest to open first (back office)."""
        return self.all(
            select(Consultation).order_by(Consultation.opens_at.desc(), Consultation.id)
        )

    def observation_counts(self) -> dict[int, int]:
        """Observations per consultation."""
        rows = self.session.execute(
            select(Observation.consultation_id, func.count()).group_by(Observation.consultation_id)
        )
        return {int(cid): int(n) for cid, n in rows}

    def process_published(self, consultation: Consultation) -> bool:
        """Whether the consultation's process (if any) is published."""
        if consultation.process_id is None:
            return True
        return bool(
            self.session.scalar(
                select(Process.published).where(Process.id == consultation.process_id)
            )
        )

    def processes(self) -> list[tuple[int, str]]:
        """(id, title) of every process, for the consultation form."""
        rows = self.session.execute(select(Process.id, Process.title).order_by(Process.title))
        return [(int(pid), str(title)) for pid, title in rows]

    def flags_to_hide(self, consultation: Consultation, default: int) -> int:
        """How many flags hide an observation: its process's setting, else ``default``."""
        if consultation.process_id is None:
            return default
        found = self.session.scalar(
            select(Process.flags_to_hide).where(Process.id == consultation.process_id)
        )
        return int(found) if found else default


class QuestionRepository(Repository[ConsultationQuestion]):
    """The questions of consultations."""

    model = ConsultationQuestion

    def of(self, consultation_id: int) -> list[ConsultationQuestion]:
        """The questions of a consultation, in their order."""
        return list(
            self.all(
                select(ConsultationQuestion)
                .where(ConsultationQuestion.consultation_id == consultation_id)
                .order_by(ConsultationQuestion.position, ConsultationQuestion.id)
            )
        )

    def find(self, consultation_id: int, question_id: int) -> ConsultationQuestion | None:
        """A question of this consultation."""
        return self.one_or_none(
            select(ConsultationQuestion).where(
                ConsultationQuestion.id == question_id,
                ConsultationQuestion.consultation_id == consultation_id,
            )
        )

    def choice_counts(self, consultation_id: int) -> list[ChoiceCount]:
        """Observations (not hidden) per choice of each choice question, zeros included."""
        choice = json_array_items(ConsultationQuestion.choices).table_valued("value")
        statement = (
            select(ConsultationQuestion.id, choice.c.value, func.count(Observation.id))
            .select_from(ConsultationQuestion)
            .join(choice, true())
            .outerjoin(
                Observation,
                (Observation.consultation_id == ConsultationQuestion.consultation_id)
                & Observation.hidden.is_(False)
                & has_choice(Observation.answers, ConsultationQuestion.id, choice.c.value),
            )
            .where(
                ConsultationQuestion.consultation_id == consultation_id,
                ConsultationQuestion.kind.in_(CHOICE_KINDS),
            )
            .group_by(ConsultationQuestion.id, choice.c.value)
        )
        return [ChoiceCount(int(q), str(c), int(n)) for q, c, n in self.session.execute(statement)]


class ObservationRepository(Repository[Observation]):
    """Observations of consultations."""

    model = Observation

    def find(self, consultation_id: int, observation_id: int) -> Observation | None:
        """An observation of this consultation."""
        return self.one_or_none(
            select(Observation).where(
                Observation.id == observation_id, Observation.consultation_id == consultation_id
            )
        )

    def public_page(
        self, consultation_id: int, paging: PageParams
    ) -> tuple[Sequence[Observation], int]:
        """The observations anyone may read (hidden ones left out), newest first."""
        statement = (
            select(Observation)
            .where(Observation.consultation_id == consultation_id, Observation.hidden.is_(False))
            .order_by(Observation.created_at.desc(), Observation.id.desc())
        )
        return self.paginate(statement, paging)

    def _filtered(self, consultation_id: int, filters: ObservationFilters) -> Select[Observation]:
        statement = select(Observation).where(Observation.consultation_id == consultation_id)
        if filters.visibility == "visible":
            statement = statement.where(Observation.hidden.is_(False))
        elif filters.visibility == "hidden":
            statement = statement.where(Observation.hidden.is_(True))
        elif filters.visibility == "flagged":
            statement = statement.where(Observation.flags_count > 0)
        if filters.text:
            # lower() on both sides: LIKE is case-sensitive on PostgreSQL.
            statement = statement.where(
                func.lower(Observation.body).contains(filters.text.lower(), autoescape=True)
            )
        return statement

    def staff_page(
        self, consultation_id: int, filters: ObservationFilters, paging: PageParams
    ) -> tuple[Sequence[Observation], int]:
        """Every observation matching the filters, hidden ones included, newest first."""
        statement = self._filtered(consultation_id, filters).order_by(
            Observation.created_at.desc(), Observation.id.desc()
        )
        return self.paginate(statement, paging)

    def every(self, consultation_id: int) -> Sequence[Observation]:
        """Every observation of a consultation, oldest first (exports)."""
        return self.all(
            select(Observation)
            .where(Observation.consultation_id == consultation_id)
            .order_by(Observation.created_at, Observation.id)
        )

    def count_for(self, consultation_id: int) -> int:
        """Observations of a consultation, hidden ones included."""
        return self.count(select(Observation).where(Observation.consultation_id == consultation_id))

    def exists_for(self, consultation_id: int) -> bool:
        """Whether anyone sent an observation on this consultation."""
        statement = select(Observation.id).where(Observation.consultation_id == consultation_id)
        return self.session.scalar(statement.limit(1)) is not None

    def count_by_author_since(self, author_id: int, since: dt.datetime) -> int:
        """Observations a person sent since ``since`` (every consultation)."""
        return self.count(
            select(Observation).where(
                Observation.author_id == author_id, Observation.created_at >= since
            )
        )

    def author_names(self, observations: Sequence[Observation]) -> dict[int, str]:
        """Display names of the authors of these observations, by user id."""
        ids = {o.author_id for o in observations if o.author_id is not None}
        if not ids:
            return {}
        rows = self.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
        return {int(uid): str(name) for uid, name in rows}

    def flagged_by(self, user_id: int, observation_ids: Sequence[int]) -> set[int]:
        """Which of these observations this person already flagged."""
        if not observation_ids:
            return set()
        rows = self.session.scalars(
            select(Flag.target_id).where(
                Flag.target == FlagTarget.OBSERVATION.value,
                Flag.user_id == user_id,
                Flag.target_id.in_(list(observation_ids)),
            )
        )
        return {int(i) for i in rows}

    def open_flags(self, observation_id: int) -> Sequence[Flag]:
        """Flags on an observation no moderator has dealt with."""
        return self.session.scalars(
            select(Flag).where(
                Flag.target == FlagTarget.OBSERVATION.value,
                Flag.target_id == observation_id,
                Flag.resolved_at.is_(None),
            )
        ).all()
