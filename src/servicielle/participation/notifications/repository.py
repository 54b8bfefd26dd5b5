"""Queries of notifications: digest opt-ins, what people follow, activity, phases to announce."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, select, update

from servicielle.core.accounts.models import User
from servicielle.core.repository import Repository
from servicielle.participation.models import (
    Activity,
    DigestSubscription,
    Follow,
    FollowTarget,
    Phase,
    Process,
    Proposal,
)


@dataclass(frozen=True)
class DueDigest:
    """A subscription whose period elapsed, as read before claiming it."""

    id: int
    user_id: int
    frequency: str
    last_sent_at: dt.datetime


@dataclass(frozen=True)
class FollowedItem:
    """One thing a person follows, with what its link and label need."""

    follow_id: int
    target: str
    title: str
    process_slug: str
    proposal_id: int | None
    # Not shown to the public now (hidden proposal, unpublished process): no title, no link.
    hidden: bool


class DigestRepository(Repository[DigestSubscription]):
    """Opt-ins to the digest."""

    model = DigestSubscription

    def of_user(self, user_id: int) -> DigestSubscription | None:
        """The person's opt-in, if any."""
        return self.one_or_none(
            select(DigestSubscription).where(DigestSubscription.user_id == user_id)
        )

    def remove(self, user_id: int) -> int:
        """Delete the person's opt-in; returns how many rows went (0 or 1)."""
        result = self.session.execute(
            delete(DigestSubscription).where(DigestSubscription.user_id == user_id)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def due(self, cutoffs: dict[str, dt.datetime], *, after_id: int, limit: int) -> list[DueDigest]:
        """Subscriptions whose period elapsed (per frequency), by id from ``after_id``."""
        periods = [
            and_(DigestSubscription.frequency == frequency, DigestSubscription.last_sent_at <= cut)
            for frequency, cut in cutoffs.items()
        ]
        rows = self.session.execute(
            select(
                DigestSubscription.id,
                DigestSubscription.user_id,
                DigestSubscription.frequency,
                DigestSubscription.last_sent_at,
            )
            .where(DigestSubscription.id > after_id, or_(*periods))
            .order_by(DigestSubscription.id)
            .limit(limit)
        ).all()
        return [DueDigest(r[0], r[1], r[2], r[3]) for r in rows]

    def claim(self, due: DueDigest, cutoff: dt.datetime, now: dt.datetime) -> bool:
        """Move ``last_sent_at`` to ``now`` if the digest is still due: False when another
        worker (or a change of frequency) got there first."""
        result = self.session.execute(
            update(DigestSubscription)
            .where(
                DigestSubscription.id == due.id,
                DigestSubscription.frequency == due.frequency,
                DigestSubscription.last_sent_at <= cutoff,
            )
            .values(last_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1


class FollowRepository(Repository[Follow]):
    """What people follow."""

    model = Follow

    def followed(self, user_id: int) -> list[FollowedItem]:
        """The processes then the proposals the person follows, with their titles."""
        processes = self.session.execute(
            select(Follow.id, Process.title, Process.slug, Process.published)
            .join(Process, Process.id == Follow.target_id)
            .where(Follow.user_id == user_id, Follow.target == FollowTarget.PROCESS)
            .order_by(Process.title, Follow.id)
        ).all()
        proposals = self.session.execute(
            select(
                Follow.id,
                Proposal.title,
                Process.slug,
                Proposal.id,
                Proposal.hidden | Process.published.is_(False),
            )
            .join(Proposal, Proposal.id == Follow.target_id)
            .join(Process, Process.id == Proposal.process_id)
            .where(Follow.user_id == user_id, Follow.target == FollowTarget.PROPOSAL)
            .order_by(Process.title, Proposal.title, Follow.id)
        ).all()
        return [
            FollowedItem(r[0], FollowTarget.PROCESS, r[1], r[2], None, not r[3]) for r in processes
        ] + [
            FollowedItem(r[0], FollowTarget.PROPOSAL, r[1], r[2], r[3], bool(r[4]))
            for r in proposals
        ]

    def of_user(self, user_id: int, follow_id: int) -> Follow | None:
        """One of the person's follows, never somebody else's."""
        return self.one_or_none(
            select(Follow).where(Follow.id == follow_id, Follow.user_id == user_id)
        )

    def process_followers(self, process_id: int) -> Sequence[User]:
        """Active people with a confirmed address who follow the process."""
        return self.session.scalars(
            select(User)
            .join(Follow, Follow.user_id == User.id)
            .where(
                Follow.target == FollowTarget.PROCESS,
                Follow.target_id == process_id,
                User.is_active.is_(True),
                User.email_confirmed_at.is_not(None),
            )
            .order_by(User.id)
        ).all()


class ActivityRepository(Repository[Activity]):
    """Activity on processes and proposals."""

    model = Activity

    def for_follower(
        self, user_id: int, since: dt.datetime, until: dt.datetime, *, limit: int
    ) -> Sequence[tuple[Activity, Process]]:
        """What happened in ``(since, until]`` on what the person follows, done by others,
        on published processes and visible proposals: the latest ``limit``, newest first."""
        followed_processes = select(Follow.target_id).where(
            Follow.user_id == user_id, Follow.target == FollowTarget.PROCESS
        )
        followed_proposals = select(Follow.target_id).where(
            Follow.user_id == user_id, Follow.target == FollowTarget.PROPOSAL
        )
        rows = self.session.execute(
            select(Activity, Process)
            .join(Process, Process.id == Activity.process_id)
            .outerjoin(Proposal, Proposal.id == Activity.proposal_id)
            .where(
                Activity.created_at > since,
                Activity.created_at <= until,
                or_(
                    Activity.process_id.in_(followed_processes),
                    Activity.proposal_id.in_(followed_proposals),
                ),
                or_(Activity.actor_id.is_(None), Activity.actor_id != user_id),
                Process.published.is_(True),
                or_(Activity.proposal_id.is_(None), Proposal.hidden.is_(False)),
            )
            .order_by(Activity.created_at.desc(), Activity.id.desc())
            .limit(limit)
        ).all()
        return [(row[0], row[1]) for row in rows]


class PhaseRepository(Repository[Phase]):
    """Phases whose opening is still to announce."""

    model = Phase

    def unannounced(
        self, now: dt.datetime, stale_before: dt.datetime, limit: int
    ) -> Sequence[tuple[Phase, Process]]:
        """Phases started by ``now`` whose opening nobody announced yet, oldest first.

        A recent phase of an unpublished process waits: it is announced if the process is
        published in time, else it goes stale like the others.
        """
        rows = self.session.execute(
            select(Phase, Process)
            .join(Process, Process.id == Phase.process_id)
            .where(
                Phase.announced_at.is_(None),
                Phase.starts_at <= now,
                or_(Process.published.is_(True), Phase.starts_at <= stale_before),
            )
            .order_by(Phase.starts_at, Phase.id)
            .limit(limit)
        ).all()
        return [(row[0], row[1]) for row in rows]

    def mark_announced(self, phase_id: int, now: dt.datetime) -> bool:
        """Set ``announced_at`` unless another worker did: True when this call did it."""
        result = self.session.execute(
            update(Phase)
            .where(Phase.id == phase_id, Phase.announced_at.is_(None))
            .values(announced_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1
