"""Queries of the tally and its results: budgets, envelopes, projects, ballots, stored tallies."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from servicielle.participation.budgets.models import (
    Ballot,
    BallotChoice,
    Budget,
    Envelope,
    Project,
    Tally,
)
from servicielle.participation.models import Phase, Process


class ResultsRepository:
    """What counting, publishing and showing results read and write."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def budget(self, budget_id: int) -> Budget | None:
        """A budget by id."""
        return self.session.get(Budget, budget_id)

    def process(self, process_id: int) -> Process | None:
        """A process by id."""
        return self.session.get(Process, process_id)

    def published_process(self, slug: str) -> Process | None:
        """A published process by its slug."""
        return self.session.scalars(
            select(Process).where(Process.slug == slug, Process.published.is_(True))
        ).first()

    def phases(self, process_id: int) -> list[Phase]:
        """The phases of a process, in date order."""
        return list(
            self.session.scalars(
                select(Phase).where(Phase.process_id == process_id).order_by(Phase.starts_at)
            )
        )

    def budgets_of(self, process_id: int) -> list[Budget]:
        """The budgets of a process."""
        return list(
            self.session.scalars(
                select(Budget).where(Budget.process_id == process_id).order_by(Budget.id)
            )
        )

    def published_budgets(self) -> list[Budget]:
        """Budgets whose results are published, newest first."""
        return list(
            self.session.scalars(
                select(Budget)
                .where(Budget.results_published_at.is_not(None))
                .order_by(Budget.results_published_at.desc(), Budget.id)
            )
        )

    def envelopes(self, budget_id: int) -> list[Envelope]:
        """The envelopes of a budget, in their order."""
        return list(
            self.session.scalars(
                select(Envelope)
                .where(Envelope.budget_id == budget_id)
                .order_by(Envelope.position, Envelope.id)
            )
        )

    def envelope(self, budget_id: int, envelope_id: int) -> Envelope | None:
        """An envelope of the given budget."""
        envelope = self.session.get(Envelope, envelope_id)
        return envelope if envelope is not None and envelope.budget_id == budget_id else None

    def projects(self, envelope_ids: Collection[int]) -> list[Project]:
        """The projects of the given envelopes, in their order."""
        if not envelope_ids:
            return []
        return list(
            self.session.scalars(
                select(Project)
                .where(Project.envelope_id.in_(envelope_ids))
                .order_by(Project.position, Project.id)
            )
        )

    def choices(self, envelope_id: int) -> list[tuple[str, int, int]]:
        """(ballot id, project id, points) of every choice of a project of the envelope."""
        rows = self.session.execute(
            select(BallotChoice.ballot_id, BallotChoice.project_id, BallotChoice.points)
            .join(Project, Project.id == BallotChoice.project_id)
            .where(Project.envelope_id == envelope_id)
        )
        return [(ballot, project, points) for ballot, project, points in rows]

    def ballot_counts(self, budget_id: int) -> dict[int, dict[str, int]]:
        """Per envelope: ballots touching it, by channel."""
        touching = (
            select(Project.envelope_id, BallotChoice.ballot_id)
            .join(BallotChoice, BallotChoice.project_id == Project.id)
            .join(Envelope, Envelope.id == Project.envelope_id)
            .where(Envelope.budget_id == budget_id)
            .distinct()
            .subquery()
        )
        rows = self.session.execute(
            select(touching.c.envelope_id, Ballot.channel, func.count())
            .join(Ballot, Ballot.id == touching.c.ballot_id)
            .group_by(touching.c.envelope_id, Ballot.channel)
        )
        counts: dict[int, dict[str, int]] = defaultdict(dict)
        for envelope_id, channel, count in rows:
            counts[envelope_id][channel] = count
        return dict(counts)

    def total_ballots(self, budget_id: int) -> int:
        """Ballots cast in a budget, every channel."""
        return (
            self.session.scalar(
                select(func.count()).select_from(Ballot).where(Ballot.budget_id == budget_id)
            )
            or 0
        )

    def tallies(self, envelope_ids: Collection[int]) -> list[Tally]:
        """The stored tallies of the given envelopes."""
        if not envelope_ids:
            return []
        return list(
            self.session.scalars(
                select(Tally).where(Tally.envelope_id.in_(envelope_ids)).order_by(Tally.id)
            )
        )

    def drop_tallies(self, envelope_id: int) -> None:
        """Forget the stored tallies of an envelope (they are computed again)."""
        self.session.execute(delete(Tally).where(Tally.envelope_id == envelope_id))

    def add_all(self, rows: Sequence[object]) -> None:
        """Add rows to the session."""
        self.session.add_all(rows)
