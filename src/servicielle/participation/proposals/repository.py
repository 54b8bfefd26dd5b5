"""Queries of one proposal and what people do with it: supports, follows, comments, flags.

The list, its map and the similar-title search read many proposals: they are in ``listing``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.orm import Session

from servicielle.core.accounts.models import Membership, User
from servicielle.core.pagination import PageParams
from servicielle.core.repository import Repository
from servicielle.core.territory.models import GeoZone, Organisation, OrganisationKind
from servicielle.participation.models import (
    Comment,
    Flag,
    Follow,
    FollowTarget,
    Phase,
    Process,
    Proposal,
    ProposalCategory,
    ProposalPhoto,
    Support,
)

# Re-exported for callers written before the list queries moved to ``listing``.
from servicielle.participation.proposals.listing import SORTS as SORTS
from servicielle.participation.proposals.listing import ProposalFilters as ProposalFilters
from servicielle.participation.proposals.listing import ProposalListing
from servicielle.participation.proposals.listing import list_page as list_page


class ProcessRepository(Repository[Process]):
    """Published processes and their phases."""

    model = Process

    def published(self, slug: str) -> Process | None:
        """The published process of ``slug``."""
        return self.session.scalars(
            select(Process).where(Process.slug == slug, Process.published.is_(True))
        ).first()

    def phases(self, process_id: int) -> list[Phase]:
        """The phases of a process, in order."""
        return list(
            self.session.scalars(
                select(Phase).where(Phase.process_id == process_id).order_by(Phase.starts_at)
            )
        )

    def titles(self, ids: Collection[int]) -> dict[int, str]:
        """Process titles by id."""
        if not ids:
            return {}
        rows = self.session.execute(select(Process.id, Process.title).where(Process.id.in_(ids)))
        return {row.id: row.title for row in rows}

    def every(self) -> list[tuple[int, str]]:
        """(id, title) of every process, for the back office's filter."""
        rows = self.session.execute(select(Process.id, Process.title).order_by(Process.title))
        return [(row.id, row.title) for row in rows]


class ProposalRepository(Repository[Proposal]):
    """Proposals and what people do with them."""

    model = Proposal

    # The list's queries live in ``listing``; these two stay for bench/participation_list.py.
    def page(
        self, process_id: int, filters: ProposalFilters, paging: PageParams
    ) -> tuple[list[Proposal], int]:
        """One page of the public list (see ``ProposalListing.page``)."""
        return ProposalListing(self.session).page(process_id, filters, paging)

    def located(
        self, process_id: int, filters: ProposalFilters, limit: int = 2000
    ) -> Sequence[Row[int, str, float | None, float | None, int, str]]:
        """Located proposals of the list (see ``ProposalListing.located``)."""
        return ProposalListing(self.session).located(process_id, filters, limit)

    def public(self, process_id: int, proposal_id: int) -> Proposal | None:
        """A proposal of the process anyone may see (not hidden)."""
        return self.session.scalars(
            select(Proposal).where(
                Proposal.id == proposal_id,
                Proposal.process_id == process_id,
                Proposal.hidden.is_(False),
            )
        ).first()

    def by_ids(self, ids: Collection[int]) -> dict[int, Proposal]:
        """Proposals by id."""
        if not ids:
            return {}
        return {p.id: p for p in self.session.scalars(select(Proposal).where(Proposal.id.in_(ids)))}

    # Photos

    def photo_ids(self, proposal_id: int) -> list[int]:
        """Ids of a proposal's visible photos, in order."""
        return list(
            self.session.scalars(
                select(ProposalPhoto.id)
                .where(ProposalPhoto.proposal_id == proposal_id, ProposalPhoto.hidden.is_(False))
                .order_by(ProposalPhoto.id)
            )
        )

    def photo(self, proposal_id: int, photo_id: int) -> ProposalPhoto | None:
        """A visible photo of a proposal."""
        return self.session.scalars(
            select(ProposalPhoto).where(
                ProposalPhoto.id == photo_id,
                ProposalPhoto.proposal_id == proposal_id,
                ProposalPhoto.hidden.is_(False),
            )
        ).first()

    # Supports

    def has_support(self, proposal_id: int, user_id: int) -> bool:
        """Whether this person supports this proposal."""
        found = self.session.scalar(
            select(Support.id).where(Support.proposal_id == proposal_id, Support.user_id == user_id)
        )
        return found is not None

    def add_to_counter(self, proposal_id: int, column: str, delta: int) -> None:
        """Move a counter in SQL, so that two requests at once both count."""
        target = getattr(Proposal, column)
        self.session.execute(
            update(Proposal)
            .where(Proposal.id == proposal_id)
            .values({column: target + delta})
            .execution_options(synchronize_session=False)
        )

    def delete_support(self, proposal_id: int, user_id: int) -> bool:
        """Remove a support; whether there was one."""
        result = self.session.execute(
            delete(Support).where(Support.proposal_id == proposal_id, Support.user_id == user_id)
        )
        return bool(getattr(result, "rowcount", 0))

    def recount_supports(self, proposal_ids: Collection[int]) -> None:
        """Set the counters from the support rows, in one statement of the database."""
        # Counted where the rows are, not read then written back: a support given meanwhile
        # by another request is neither lost nor counted twice.
        if not proposal_ids:
            return
        counted = (
            select(func.count(Support.id))
            .where(Support.proposal_id == Proposal.id)
            .correlate(Proposal)
            .scalar_subquery()
        )
        self.session.execute(
            update(Proposal)
            .where(Proposal.id.in_(list(proposal_ids)))
            .values(supports_count=counted)
            .execution_options(synchronize_session=False)
        )

    def move_supports(self, source_id: int, target_id: int) -> None:
        """Give the source's supports to the target, once per person; drop the doubles."""
        already = select(Support.user_id).where(Support.proposal_id == target_id)
        self.session.execute(
            update(Support)
            .where(Support.proposal_id == source_id, Support.user_id.notin_(already))
            .values(proposal_id=target_id)
            .execution_options(synchronize_session=False)
        )
        self.session.execute(delete(Support).where(Support.proposal_id == source_id))

    def expired_support_ids(self, process_id: int, before: dt.datetime) -> list[tuple[int, int]]:
        """(support id, proposal id) of a process's supports given before ``before``."""
        rows = self.session.execute(
            select(Support.id, Support.proposal_id)
            .join(Proposal, Proposal.id == Support.proposal_id)
            .where(Proposal.process_id == process_id, Support.created_at < before)
        )
        return [(r.id, r.proposal_id) for r in rows]

    def delete_supports(self, ids: Collection[int]) -> None:
        """Delete supports by id."""
        if ids:
            self.session.execute(delete(Support).where(Support.id.in_(ids)))

    # Follows

    def follows(self, user_id: int, proposal_id: int) -> bool:
        """Whether this person follows this proposal."""
        found = self.session.scalar(
            select(Follow.id).where(
                Follow.user_id == user_id,
                Follow.target == FollowTarget.PROPOSAL,
                Follow.target_id == proposal_id,
            )
        )
        return found is not None

    def delete_follow(self, user_id: int, proposal_id: int) -> bool:
        """Stop following; whether one did."""
        result = self.session.execute(
            delete(Follow).where(
                Follow.user_id == user_id,
                Follow.target == FollowTarget.PROPOSAL,
                Follow.target_id == proposal_id,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    def move_follows(self, source_id: int, target_id: int) -> None:
        """Followers of the source follow the target (once); the source's follows go."""
        proposal = str(FollowTarget.PROPOSAL)
        already = select(Follow.user_id).where(
            Follow.target == proposal, Follow.target_id == target_id
        )
        self.session.execute(
            update(Follow)
            .where(
                Follow.target == proposal,
                Follow.target_id == source_id,
                Follow.user_id.notin_(already),
            )
            .values(target_id=target_id)
            .execution_options(synchronize_session=False)
        )
        self.session.execute(
            delete(Follow).where(Follow.target == proposal, Follow.target_id == source_id)
        )

    def follower_ids(self, proposal_id: int) -> list[int]:
        """Who follows a proposal."""
        return list(
            self.session.scalars(
                select(Follow.user_id).where(
                    Follow.target == FollowTarget.PROPOSAL, Follow.target_id == proposal_id
                )
            )
        )

    # Comments

    def comments(self, proposal_id: int) -> list[Comment]:
        """A proposal's visible comments, oldest first."""
        return list(
            self.session.scalars(
                select(Comment)
                .where(Comment.proposal_id == proposal_id, Comment.hidden.is_(False))
                .order_by(Comment.created_at, Comment.id)
            )
        )

    def comment(self, proposal_id: int, comment_id: int) -> Comment | None:
        """A visible comment of a proposal."""
        return self.session.scalars(
            select(Comment).where(
                Comment.id == comment_id,
                Comment.proposal_id == proposal_id,
                Comment.hidden.is_(False),
            )
        ).first()

    def count_recent_proposals(self, process_id: int, user_id: int, since: dt.datetime) -> int:
        """Proposals a person wrote in a process since ``since``."""
        return int(
            self.session.scalar(
                select(func.count(Proposal.id)).where(
                    Proposal.process_id == process_id,
                    Proposal.author_id == user_id,
                    Proposal.created_at >= since,
                )
            )
            or 0
        )

    def count_recent_comments(self, process_id: int, user_id: int, since: dt.datetime) -> int:
        """Comments a person wrote in a process since ``since``."""
        return int(
            self.session.scalar(
                select(func.count(Comment.id))
                .join(Proposal, Proposal.id == Comment.proposal_id)
                .where(
                    Proposal.process_id == process_id,
                    Comment.author_id == user_id,
                    Comment.created_at >= since,
                )
            )
            or 0
        )

    # Flags

    def flagged_by(self, target: str, target_ids: Collection[int], user_id: int) -> set[int]:
        """Which of the targets this person already flagged."""
        if not target_ids:
            return set()
        return set(
            self.session.scalars(
                select(Flag.target_id).where(
                    Flag.target == target, Flag.target_id.in_(target_ids), Flag.user_id == user_id
                )
            )
        )


class NameRepository:
    """Display names of what proposals refer to: never an email address."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def people(self, ids: Collection[int | None]) -> dict[int, str]:
        """Display names of users by id."""
        wanted = {i for i in ids if i}
        if not wanted:
            return {}
        rows = self.session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
        return {row.id: row.display_name for row in rows}

    def organisations(self, ids: Collection[int | None]) -> dict[int, str]:
        """Organisation names by id."""
        wanted = {i for i in ids if i}
        if not wanted:
            return {}
        rows = self.session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))
        )
        return {row.id: row.name for row in rows}

    def categories(self) -> list[tuple[int, str]]:
        """(id, name) of the proposal categories, in their order."""
        rows = self.session.execute(
            select(ProposalCategory.id, ProposalCategory.name).order_by(
                ProposalCategory.position, ProposalCategory.name
            )
        )
        return [(row.id, row.name) for row in rows]

    def geozones(self, scope: Collection[str] = ()) -> list[tuple[int, str]]:
        """(id, name) of the geozones (of the process's scope when it has one)."""
        statement = select(GeoZone.id, GeoZone.name).order_by(GeoZone.name)
        if scope:
            statement = statement.where(GeoZone.slug.in_(list(scope)))
        return [(row.id, row.name) for row in self.session.execute(statement)]

    def associations_of(self, user_id: int) -> list[tuple[int, str]]:
        """(id, name) of the associations a person is a member of."""
        rows = self.session.execute(
            select(Organisation.id, Organisation.name)
            .join(Membership, Membership.organisation_id == Organisation.id)
            .where(
                Membership.user_id == user_id,
                Organisation.kind == OrganisationKind.ASSOCIATION,
            )
            .order_by(Organisation.name)
        )
        return [(row.id, row.name) for row in rows]
