"""Queries of the budget set-up: budgets, envelopes, projects, and whether ballots exist."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from servicielle.participation.budgets.models import Ballot, Budget, Envelope, Project
from servicielle.participation.models import Proposal, ProposalState


class BudgetSetupRepository:
    """Budgets of processes with their envelopes and projects."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def budgets(self, process_id: int) -> Sequence[Budget]:
        """The budgets of a process, oldest first."""
        return self.session.scalars(
            select(Budget).where(Budget.process_id == process_id).order_by(Budget.id)
        ).all()

    def budget(self, budget_id: int) -> Budget | None:
        """A budget by id."""
        return self.session.get(Budget, budget_id)

    def has_ballots(self, budget_id: int) -> bool:
        """Whether anyone voted in the budget, online or on paper."""
        return bool(self.session.scalar(select(exists().where(Ballot.budget_id == budget_id))))

    def ballot_count(self, budget_id: int) -> int:
        """How many ballots the budget holds."""
        return int(
            self.session.scalar(select(func.count()).where(Ballot.budget_id == budget_id)) or 0
        )

    def envelopes(self, budget_id: int) -> Sequence[Envelope]:
        """The budget's envelopes: the territory-wide one first, then by position and title."""
        return self.session.scalars(
            select(Envelope)
            .where(Envelope.budget_id == budget_id)
            .order_by(Envelope.geozone_id.is_not(None), Envelope.position, Envelope.title)
        ).all()

    def envelope(self, budget_id: int, envelope_id: int) -> Envelope | None:
        """One envelope of a budget."""
        return self.session.scalars(
            select(Envelope).where(Envelope.id == envelope_id, Envelope.budget_id == budget_id)
        ).first()

    def projects(self, budget_id: int) -> Sequence[Project]:
        """The budget's projects, by envelope then position and title."""
        return self.session.scalars(
            select(Project)
            .join(Envelope, Envelope.id == Project.envelope_id)
            .where(Envelope.budget_id == budget_id)
            .order_by(Project.envelope_id, Project.position, Project.title)
        ).all()

    def project(self, budget_id: int, project_id: int) -> Project | None:
        """One project of a budget."""
        return self.session.scalars(
            select(Project)
            .join(Envelope, Envelope.id == Project.envelope_id)
            .where(Project.id == project_id, Envelope.budget_id == budget_id)
        ).first()

    def dearest_project(self, envelope_id: int) -> int:
        """The highest cost among the envelope's projects (0 when empty)."""
        found = self.session.scalar(
            select(func.max(Project.cost)).where(Project.envelope_id == envelope_id)
        )
        return int(found or 0)

    def project_counts(self, budget_id: int) -> dict[int, int]:
        """How many projects each envelope of the budget holds, in one query."""
        rows = self.session.execute(
            select(Project.envelope_id, func.count())
            .join(Envelope, Envelope.id == Project.envelope_id)
            .where(Envelope.budget_id == budget_id)
            .group_by(Project.envelope_id)
        )
        return {envelope_id: int(count) for envelope_id, count in rows}

    def last_position(self, envelope_id: int) -> int:
        """The highest position of the envelope's projects (-1 when empty)."""
        found = self.session.scalar(
            select(func.max(Project.position)).where(Project.envelope_id == envelope_id)
        )
        return -1 if found is None else int(found)

    def accepted_proposals(self, process_id: int, budget_id: int) -> Sequence[Proposal]:
        """Accepted, costed proposals of the process not yet a project of this budget."""
        taken = (
            select(Project.proposal_id)
            .join(Envelope, Envelope.id == Project.envelope_id)
            .where(Envelope.budget_id == budget_id, Project.proposal_id.is_not(None))
        )
        return self.session.scalars(
            select(Proposal)
            .where(
                Proposal.process_id == process_id,
                Proposal.state == ProposalState.ACCEPTED,
                Proposal.cost_estimate.is_not(None),
                Proposal.cost_estimate > 0,
                Proposal.id.not_in(taken),
            )
            .order_by(Proposal.title, Proposal.id)
            .limit(2000)
        ).all()
