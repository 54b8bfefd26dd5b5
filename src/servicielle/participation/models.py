"""Tables of participation: processes and their phases, proposals and what people do with them."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from servicielle.core.db import Base, TimestampMixin, utcnow


class PhaseKind(StrEnum):
    """The steps a participatory process runs through, in their usual order."""

    INFORMATION = "information"
    PROPOSALS = "proposals"
    SUPPORTS = "supports"
    EVALUATION = "evaluation"
    VOTE = "vote"
    RESULTS = "results"
    IMPLEMENTATION = "implementation"


class Feature(StrEnum):
    """What a phase switches on; everything else is off while it runs."""

    PROPOSE = "propose"  # write new proposals
    SUPPORT = "support"  # support proposals
    COMMENT = "comment"  # comment on proposals
    ANSWER = "answer"  # agents answer proposals officially (always possible in the back office)
    VOTE = "vote"  # cast budget ballots
    RESULTS = "results"  # the tally is public
    ACCOUNTABILITY = "accountability"  # implementation progress is public


# What each kind of phase switches on unless the agent chooses otherwise.
DEFAULT_FEATURES: dict[PhaseKind, tuple[Feature, ...]] = {
    PhaseKind.INFORMATION: (),
    PhaseKind.PROPOSALS: (Feature.PROPOSE, Feature.COMMENT, Feature.SUPPORT),
    PhaseKind.SUPPORTS: (Feature.SUPPORT, Feature.COMMENT),
    PhaseKind.EVALUATION: (Feature.COMMENT, Feature.ANSWER),
    PhaseKind.VOTE: (Feature.VOTE, Feature.COMMENT),
    PhaseKind.RESULTS: (Feature.RESULTS, Feature.COMMENT),
    PhaseKind.IMPLEMENTATION: (Feature.RESULTS, Feature.ACCOUNTABILITY, Feature.COMMENT),
}


class Process(TimestampMixin, Base):
    """A participatory process: its scope, its settings, and the phases it runs through."""

    __tablename__ = "participation_processes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Geozone slugs the process covers; empty: the whole territory.
    scope: Mapped[list[str]] = mapped_column(default=list)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # Supports a proposal needs to go on to evaluation; None: no threshold.
    support_threshold: Mapped[int | None] = mapped_column(Integer)
    # Supports count for this many days after they were given; None: for ever.
    support_expiry_days: Mapped[int | None] = mapped_column(Integer)
    # A proposal or comment is hidden, pending moderation, after this many flags.
    flags_to_hide: Mapped[int] = mapped_column(Integer, default=3)
    # Spam brakes: per person, per hour.
    proposals_per_hour: Mapped[int] = mapped_column(Integer, default=5)
    comments_per_hour: Mapped[int] = mapped_column(Integer, default=20)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Phase(Base):
    """A dated step of a process; its features say what people may do while it runs."""

    __tablename__ = "participation_phases"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="dates"),
        Index("ix_participation_phases_process_starts", "process_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(
        ForeignKey("participation_processes.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    features: Mapped[list[str]] = mapped_column(default=list)
    # Set once the "phase opens" notice went out, so it goes out once.
    announced_at: Mapped[dt.datetime | None]


class ProposalCategory(Base):
    """A theme proposals and projects are filed under (mobility, nature in the city...)."""

    __tablename__ = "participation_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProposalState(StrEnum):
    """Where a proposal stands; ``published`` until the authority answers it."""

    PUBLISHED = "published"
    EVALUATING = "evaluating"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"


ANSWER_STATES = frozenset(
    {ProposalState.EVALUATING, ProposalState.ACCEPTED, ProposalState.REJECTED}
)


class Proposal(TimestampMixin, Base):
    """An idea an inhabitant or an association puts to the process."""

    __tablename__ = "participation_proposals"
    __table_args__ = (
        Index("ix_participation_proposals_list", "process_id", "hidden", "state", "created_at"),
        Index("ix_participation_proposals_supports", "process_id", "supports_count"),
        Index("ix_participation_proposals_place", "latitude", "longitude"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(
        ForeignKey("participation_processes.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    # Title and body folded (lower case, no accents, no punctuation): search and similarity.
    folded: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("participation_categories.id", ondelete="SET NULL"), index=True
    )
    geozone_id: Mapped[int | None] = mapped_column(
        ForeignKey("geozones.id", ondelete="SET NULL"), index=True
    )
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(300), default="")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Set when the author writes on behalf of an association.
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(20), default=ProposalState.PUBLISHED)
    answer: Mapped[str] = mapped_column(Text, default="")
    # The authority's estimate, in whole euros, when it answers.
    cost_estimate: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[dt.datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("participation_proposals.id", ondelete="SET NULL")
    )
    # Counters kept with each change: list pages never count rows.
    supports_count: Mapped[int] = mapped_column(Integer, default=0)
    comments_count: Mapped[int] = mapped_column(Integer, default=0)
    flags_count: Mapped[int] = mapped_column(Integer, default=0)
    # Hidden by flags (pending moderation) or by a moderator.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    moderated_at: Mapped[dt.datetime | None]


class ProposalPhoto(Base):
    """A photo of a proposal, re-encoded as JPEG without its metadata."""

    __tablename__ = "participation_proposal_photos"
    __audit_redact__ = frozenset({"content", "thumbnail"})

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("participation_proposals.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)


class Support(Base):
    """One person's support for a proposal: one per person and proposal."""

    __tablename__ = "participation_supports"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)
    __audit__ = False  # a counter's worth of rows; the table itself is the record

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("participation_proposals.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Comment(Base):
    """A comment on a proposal, possibly an answer to another comment."""

    __tablename__ = "participation_comments"
    __table_args__ = (
        Index("ix_participation_comments_proposal_created", "proposal_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("participation_proposals.id", ondelete="CASCADE")
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("participation_comments.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Written as the authority's official voice (an agent answering in the thread).
    official: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    flags_count: Mapped[int] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)


class FollowTarget(StrEnum):
    """What one can follow."""

    PROCESS = "process"
    PROPOSAL = "proposal"


class Follow(Base):
    """Someone following a process or a proposal, for their digest."""

    __tablename__ = "participation_follows"
    __table_args__ = (
        UniqueConstraint("user_id", "target", "target_id"),
        Index("ix_participation_follows_target", "target", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FlagTarget(StrEnum):
    """What can be flagged as abusive."""

    PROPOSAL = "proposal"
    COMMENT = "comment"
    OBSERVATION = "observation"


class Flag(Base):
    """Someone flagged a proposal, a comment or an observation: one flag per person and thing."""

    __tablename__ = "participation_flags"
    __table_args__ = (
        UniqueConstraint("target", "target_id", "user_id"),
        Index("ix_participation_flags_open", "resolved_at", "target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))  # spam | offensive | off_topic
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Activity(Base):
    """Something that happened on a process or a proposal, for followers' digests."""

    __tablename__ = "participation_activities"
    __table_args__ = (Index("ix_participation_activities_created", "created_at"),)
    __audit__ = False  # derived from audited changes

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # proposal | comment | answer | phase | result
    kind: Mapped[str] = mapped_column(String(20))
    process_id: Mapped[int] = mapped_column(
        ForeignKey("participation_processes.id", ondelete="CASCADE"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("participation_proposals.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(String(300))


class DigestFrequency(StrEnum):
    """How often a person wants the news of what they follow."""

    DAILY = "daily"
    WEEKLY = "weekly"


class DigestSubscription(Base):
    """A person's opt-in to participation digests."""

    __tablename__ = "participation_digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    frequency: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The digest covers activity after this instant; moved forward at each sending.
    last_sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
