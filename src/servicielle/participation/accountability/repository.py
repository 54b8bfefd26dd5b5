"""Queries of accountability: results, their milestones, the winners they come from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.participation.accountability.models import Milestone, Result
from servicielle.participation.budgets.models import Budget, Envelope, Project
from servicielle.participation.models import Phase, Process


class AccountabilityRepository:
    """What the follow-up of results reads and writes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def result(self, result_id: int) -> Result | None:
        """A result by id."""
        return self.session.get(Result, result_id)

    def results_of(self, process_id: int) -> list[Result]:
        """The results of a process, by title."""
        return list(
            self.session.scalars(
                select(Result).where(Result.process_id == process_id).order_by(Result.title)
            )
        )

    def every_result(self) -> list[Result]:
        """Every result, grouped by process."""
        return list(self.session.scalars(select(Result).order_by(Result.process_id, Result.title)))

    def processes(self, ids: Collection[int] | None = None) -> list[Process]:
        """Processes (the given ones, or all), in their order."""
        query = select(Process).order_by(Process.position, Process.id)
        if ids is not None:
            query = query.where(Process.id.in_(ids))
        return list(self.session.scalars(query))

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

    def budget(self, budget_id: int) -> Budget | None:
        """A budget by id."""
        return self.session.get(Budget, budget_id)

    def published_budgets(self) -> list[Budget]:
        """Budgets whose results are published."""
        return list(
            self.session.scalars(
                select(Budget)
                .where(Budget.results_published_at.is_not(None))
                .order_by(Budget.results_published_at.desc(), Budget.id)
            )
        )

    def winners(self, budget_id: int) -> list[Project]:
        """The funded projects of a budget, envelope by envelope."""
        return list(
            self.session.scalars(
                select(Project)
                .join(Envelope, Envelope.id == Project.envelope_id)
                .where(Envelope.budget_id == budget_id, Project.selected.is_(True))
                .order_by(Envelope.position, Envelope.id, Project.position, Project.id)
            )
        )

    def followed_projects(self, project_ids: Collection[int]) -> set[int]:
        """Which of these projects already have a result."""
        if not project_ids:
            return set()
        return set(
            self.session.scalars(
                select(Result.project_id).where(Result.project_id.in_(project_ids))
            )
        )

    def milestones(self, result_ids: Collection[int]) -> dict[int, list[Milestone]]:
        """Milestones per result, in date order."""
        found: dict[int, list[Milestone]] = defaultdict(list)
        if result_ids:
            rows = self.session.scalars(
                select(Milestone)
                .where(Milestone.result_id.in_(result_ids))
                .order_by(Milestone.on, Milestone.id)
            )
            for milestone in rows:
                found[milestone.result_id].append(milestone)
        return dict(found)

    def milestone(self, result_id: int, milestone_id: int) -> Milestone | None:
        """A milestone of the given result."""
        milestone = self.session.get(Milestone, milestone_id)
        return milestone if milestone is not None and milestone.result_id == result_id else None

    def add(self, row: object) -> None:
        """Add a row."""
        self.session.add(row)

    def delete(self, row: object) -> None:
        """Delete a row."""
        self.session.delete(row)
