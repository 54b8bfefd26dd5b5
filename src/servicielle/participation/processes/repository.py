"""Queries on processes, their phases, proposal categories and follows of processes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from servicielle.core.territory.models import GeoZone
from servicielle.participation.budgets.models import Project
from servicielle.participation.models import (
    Follow,
    FollowTarget,
    Phase,
    Process,
    Proposal,
    ProposalCategory,
)


class ProcessRepository:
    """Processes and their phases."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, process_id: int) -> Process | None:
        """A process by id."""
        return self.session.get(Process, process_id)

    def by_slug(self, slug: str) -> Process | None:
        """A process by its slug."""
        return self.session.scalars(select(Process).where(Process.slug == slug)).first()

    def every(self, *, published_only: bool = False) -> Sequence[Process]:
        """Processes in their display order, the newest first among equals."""
        query = select(Process).order_by(Process.position, Process.id.desc())
        if published_only:
            query = query.where(Process.published.is_(True))
        return self.session.scalars(query).all()

    def phases(self, process_id: int) -> Sequence[Phase]:
        """The phases of a process, in date order."""
        return self.session.scalars(
            select(Phase).where(Phase.process_id == process_id).order_by(Phase.starts_at, Phase.id)
        ).all()

    def phases_of(self, process_ids: Collection[int]) -> dict[int, list[Phase]]:
        """The phases of several processes, in date order, by process id."""
        found: dict[int, list[Phase]] = defaultdict(list)
        if not process_ids:
            return found
        rows = self.session.scalars(
            select(Phase)
            .where(Phase.process_id.in_(list(process_ids)))
            .order_by(Phase.starts_at, Phase.id)
        )
        for phase in rows:
            found[phase.process_id].append(phase)
        return found

    def phase(self, process_id: int, phase_id: int) -> Phase | None:
        """One phase of a process."""
        return self.session.scalars(
            select(Phase).where(Phase.id == phase_id, Phase.process_id == process_id)
        ).first()

    def geozones(self) -> Sequence[GeoZone]:
        """Every geozone, by name: the scope a process can choose from."""
        return self.session.scalars(select(GeoZone).order_by(GeoZone.name)).all()

    def geozone_names_of(self, processes: Collection[Process]) -> dict[int, list[str]]:
        """The names of each process's geozones, by name, in one query (for lists)."""
        slugs = {slug for process in processes for slug in process.scope}
        names: dict[str, str] = {}
        if slugs:
            rows = self.session.execute(
                select(GeoZone.slug, GeoZone.name).where(GeoZone.slug.in_(list(slugs)))
            )
            names = {str(slug): str(name) for slug, name in rows}
        return {
            process.id: sorted(names[s] for s in set(process.scope) if s in names)
            for process in processes
        }

    def geozone_names(self, slugs: Collection[str]) -> list[str]:
        """The names of the geozones with these slugs, by name."""
        if not slugs:
            return []
        return list(
            self.session.scalars(
                select(GeoZone.name).where(GeoZone.slug.in_(list(slugs))).order_by(GeoZone.name)
            )
        )


class CategoryRepository:
    """Proposal categories."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def every(self) -> Sequence[ProposalCategory]:
        """Categories in their display order."""
        return self.session.scalars(
            select(ProposalCategory).order_by(ProposalCategory.position, ProposalCategory.id)
        ).all()

    def get(self, category_id: int) -> ProposalCategory | None:
        """A category by id."""
        return self.session.get(ProposalCategory, category_id)

    def by_slug(self, slug: str) -> ProposalCategory | None:
        """A category by slug."""
        return self.session.scalars(
            select(ProposalCategory).where(ProposalCategory.slug == slug)
        ).first()

    def by_name(self, name: str) -> ProposalCategory | None:
        """A category with this name, whatever its case."""
        return self.session.scalars(
            select(ProposalCategory).where(func.lower(ProposalCategory.name) == name.lower())
        ).first()

    def proposal_counts(self) -> dict[int, int]:
        """How many proposals each category holds."""
        rows = self.session.execute(
            select(Proposal.category_id, func.count())
            .where(Proposal.category_id.is_not(None))
            .group_by(Proposal.category_id)
        )
        return {int(category_id or 0): int(count) for category_id, count in rows}

    def release(self, category_id: int) -> int:
        """Take proposals and projects out of a category; the number of proposals released."""
        released = self.session.execute(
            update(Proposal).where(Proposal.category_id == category_id).values(category_id=None)
        )
        self.session.execute(
            update(Project).where(Project.category_id == category_id).values(category_id=None)
        )
        return int(getattr(released, "rowcount", 0) or 0)


class FollowRepository:
    """Who follows which process."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def of_process(self, user_id: int, process_id: int) -> Follow | None:
        """The user's follow of a process, if any."""
        return self.session.scalars(
            select(Follow).where(
                Follow.user_id == user_id,
                Follow.target == FollowTarget.PROCESS,
                Follow.target_id == process_id,
            )
        ).first()

    def followers_count(self, process_id: int) -> int:
        """How many people follow a process."""
        return int(
            self.session.scalar(
                select(func.count()).where(
                    Follow.target == FollowTarget.PROCESS, Follow.target_id == process_id
                )
            )
            or 0
        )
