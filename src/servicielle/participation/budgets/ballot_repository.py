"""Queries of the vote: a budget's envelopes and projects, the register, ballots by receipt."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from servicielle.core.territory.models import GeoZone
from servicielle.participation.budgets.models import (
    Ballot,
    BallotChoice,
    Budget,
    BudgetVoter,
    Envelope,
    Project,
    VoteChannel,
)
from servicielle.participation.models import Phase, Process, ProposalPhoto


class VoteRepository:
    """Reads and writes of budgets' ballots and register."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def budget(self, budget_id: int) -> Budget | None:
        """One budget."""
        return self.session.get(Budget, budget_id)

    def budgets_of(self, process_id: int) -> Sequence[Budget]:
        """The budgets of a process, oldest first."""
        return self.session.scalars(
            select(Budget).where(Budget.process_id == process_id).order_by(Budget.id)
        ).all()

    def process(self, process_id: int) -> Process | None:
        """One process."""
        return self.session.get(Process, process_id)

    def process_by_slug(self, slug: str) -> Process | None:
        """A process by its slug."""
        return self.session.scalar(select(Process).where(Process.slug == slug))

    def phases(self, process_id: int) -> Sequence[Phase]:
        """The phases of a process in date order."""
        return self.session.scalars(
            select(Phase).where(Phase.process_id == process_id).order_by(Phase.starts_at)
        ).all()

    def envelopes(self, budget_id: int) -> Sequence[Envelope]:
        """A budget's envelopes: the territory-wide one first, then by position."""
        return self.session.scalars(
            select(Envelope)
            .where(Envelope.budget_id == budget_id)
            .order_by(Envelope.geozone_id.is_not(None), Envelope.position, Envelope.id)
        ).all()

    def projects(self, envelope_ids: Sequence[int]) -> Sequence[Project]:
        """The projects of these envelopes, in ballot order."""
        if not envelope_ids:
            return []
        return self.session.scalars(
            select(Project)
            .where(Project.envelope_id.in_(envelope_ids))
            .order_by(Project.envelope_id, Project.position, Project.id)
        ).all()

    def geozone(self, geozone_id: int) -> GeoZone | None:
        """One geozone."""
        return self.session.get(GeoZone, geozone_id)

    def voter(self, budget_id: int, user_id: int) -> BudgetVoter | None:
        """The register's line of a person, if they voted."""
        return self.session.scalar(
            select(BudgetVoter).where(
                BudgetVoter.budget_id == budget_id, BudgetVoter.user_id == user_id
            )
        )

    def ballot_by_digest(self, budget_id: int, digest: str) -> Ballot | None:
        """The ballot a receipt's digest names."""
        return self.session.scalar(
            select(Ballot).where(Ballot.budget_id == budget_id, Ballot.receipt_digest == digest)
        )

    def choices(self, ballot_id: str) -> Sequence[BallotChoice]:
        """A ballot's choices."""
        return self.session.scalars(
            select(BallotChoice).where(BallotChoice.ballot_id == ballot_id)
        ).all()

    def delete_ballot_by_digest(self, budget_id: int, digest: str) -> int:
        """Remove the ballot a receipt names; how many rows went (0 or 1)."""
        ballot_ids = select(Ballot.id).where(
            Ballot.budget_id == budget_id, Ballot.receipt_digest == digest
        )
        self.session.execute(
            delete(BallotChoice).where(BallotChoice.ballot_id.in_(ballot_ids.scalar_subquery()))
        )
        result = self.session.execute(
            delete(Ballot).where(Ballot.budget_id == budget_id, Ballot.receipt_digest == digest)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def count_change(self, voter_id: int) -> None:
        """Count one more change of ballot on the register line."""
        self.session.execute(
            update(BudgetVoter)
            .where(BudgetVoter.id == voter_id)
            .values(changes=BudgetVoter.changes + 1)
        )

    def counts(self, budget_id: int) -> tuple[int, int]:
        """People on the register and ballots in the box (online and paper)."""
        voters = self.session.scalar(
            select(func.count()).select_from(BudgetVoter).where(BudgetVoter.budget_id == budget_id)
        )
        ballots = self.session.scalar(
            select(func.count()).select_from(Ballot).where(Ballot.budget_id == budget_id)
        )
        return int(voters or 0), int(ballots or 0)

    def paper_counts(self, budget_id: int) -> Sequence[tuple[str, int]]:
        """Paper ballots entered per polling station."""
        rows = self.session.execute(
            select(Ballot.station, func.count())
            .where(Ballot.budget_id == budget_id, Ballot.channel == VoteChannel.PAPER)
            .group_by(Ballot.station)
            .order_by(Ballot.station)
        ).all()
        return [(str(station), int(count)) for station, count in rows]

    def paper_totals(self, budget_ids: Sequence[int]) -> dict[int, int]:
        """Paper ballots entered per budget, for many budgets in one query."""
        if not budget_ids:
            return {}
        rows = self.session.execute(
            select(Ballot.budget_id, func.count())
            .where(Ballot.budget_id.in_(budget_ids), Ballot.channel == VoteChannel.PAPER)
            .group_by(Ballot.budget_id)
        ).all()
        return {int(budget_id): int(count) for budget_id, count in rows}

    def every_budget(self) -> Sequence[Budget]:
        """Every budget of every process, grouped by process."""
        return self.session.scalars(select(Budget).order_by(Budget.process_id, Budget.id)).all()

    def processes(self, process_ids: Sequence[int]) -> dict[int, Process]:
        """Processes by id."""
        if not process_ids:
            return {}
        rows = self.session.scalars(select(Process).where(Process.id.in_(process_ids)))
        return {process.id: process for process in rows}

    def first_photos(self, proposal_ids: Sequence[int]) -> dict[int, int]:
        """Per proposal: the id of its first visible photo, in one query for a whole ballot."""
        if not proposal_ids:
            return {}
        rows = self.session.execute(
            select(ProposalPhoto.proposal_id, func.min(ProposalPhoto.id))
            .where(ProposalPhoto.proposal_id.in_(proposal_ids), ProposalPhoto.hidden.is_(False))
            .group_by(ProposalPhoto.proposal_id)
        ).all()
        return {int(proposal_id): int(photo_id) for proposal_id, photo_id in rows}

    def delete_paper_ballot(self, budget_id: int, digest: str) -> int:
        """Remove the paper ballot an undo token names; how many rows went (0 or 1)."""
        ballot_ids = select(Ballot.id).where(
            Ballot.budget_id == budget_id,
            Ballot.channel == VoteChannel.PAPER,
            Ballot.receipt_digest == digest,
        )
        self.session.execute(
            delete(BallotChoice).where(BallotChoice.ballot_id.in_(ballot_ids.scalar_subquery()))
        )
        result = self.session.execute(
            delete(Ballot).where(
                Ballot.budget_id == budget_id,
                Ballot.channel == VoteChannel.PAPER,
                Ballot.receipt_digest == digest,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
