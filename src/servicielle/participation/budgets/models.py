"""Tables of participatory budgets: envelopes, projects, the register, secret ballots, tallies.

The secret ballot rests on three rules these tables keep: the register of who voted
(``BudgetVoter``) and the ballots (``Ballot``, ``BallotChoice``) have no column in common but the
budget; ballots carry no timestamp and no sequential id (a random id, and no SQLite rowid);
ballots are never audited. A voter finds their own ballot only with the receipt they were given,
which the platform does not keep: the ballot stores a digest of (voter, receipt).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from servicielle.core.db import Base, TimestampMixin, utcnow


class BallotKind(StrEnum):
    """How people vote: the three rules of Decidim and CONSUL, as Pabulib names them."""

    APPROVAL = "approval"  # choose between min and max projects, money aside
    KNAPSACK = "knapsack"  # choose projects within the envelope, spending at least a share
    CUMULATIVE = "cumulative"  # spread points over projects


class TallyRule(StrEnum):
    """How winners are computed from the ballots."""

    GREEDY = "greedy"
    MES = "mes"
    MES_ADD1 = "mes-add1"


class Budget(TimestampMixin, Base):
    """A participatory budget of a process: its ballot rules, eligibility and tally rule."""

    __tablename__ = "participation_budgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(
        ForeignKey("participation_processes.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    ballot_kind: Mapped[str] = mapped_column(String(20), default=BallotKind.APPROVAL)
    # Projects per envelope on a ballot (approval and knapsack).
    min_projects: Mapped[int] = mapped_column(Integer, default=1)
    max_projects: Mapped[int | None] = mapped_column(Integer)
    # Knapsack: the ballot must spend at least this share of the envelope.
    min_spend_percent: Mapped[int] = mapped_column(Integer, default=0)
    # Cumulative: points per voter and envelope, and at most this many on one project.
    points_total: Mapped[int] = mapped_column(Integer, default=10)
    points_per_project: Mapped[int] = mapped_column(Integer, default=3)
    # Eligibility.
    min_age: Mapped[int] = mapped_column(Integer, default=16)
    residents_only: Mapped[bool] = mapped_column(Boolean, default=True)
    # Tally.
    tally_rule: Mapped[str] = mapped_column(String(20), default=TallyRule.GREEDY)
    tally_completion: Mapped[bool] = mapped_column(Boolean, default=False)
    tally_threshold: Mapped[str | None] = mapped_column(String(20))  # None | "swiecie"
    # Set when agents publish the results: winners are then marked on projects.
    results_published_at: Mapped[dt.datetime | None]


class Envelope(Base):
    """Money of a budget for the whole territory (no geozone) or for one geozone's residents."""

    __tablename__ = "participation_envelopes"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(
        ForeignKey("participation_budgets.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(Integer)  # whole euros
    geozone_id: Mapped[int | None] = mapped_column(ForeignKey("geozones.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Project(TimestampMixin, Base):
    """A costed project on the ballot of one envelope, usually from an accepted proposal."""

    __tablename__ = "participation_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(
        ForeignKey("participation_envelopes.id", ondelete="CASCADE"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("participation_proposals.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[int] = mapped_column(Integer)  # whole euros
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("participation_categories.id", ondelete="SET NULL")
    )
    geozone_id: Mapped[int | None] = mapped_column(ForeignKey("geozones.id", ondelete="SET NULL"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(300), default="")
    # Set from the published tally: True funded, False not funded, None not yet known.
    selected: Mapped[bool | None] = mapped_column(Boolean)
    votes: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("cost > 0", name="cost_positive"),)


class VoteChannel(StrEnum):
    """How a ballot reached the count."""

    ONLINE = "online"
    PAPER = "paper"


class BudgetVoter(Base):
    """The register: who voted in a budget, and nothing about how."""

    __tablename__ = "participation_budget_voters"
    __table_args__ = (UniqueConstraint("budget_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(
        ForeignKey("participation_budgets.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The geozone the voter declared living in: decides which envelopes they may vote in.
    geozone_id: Mapped[int | None] = mapped_column(ForeignKey("geozones.id", ondelete="SET NULL"))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    voted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    changes: Mapped[int] = mapped_column(Integer, default=0)


class Ballot(Base):
    """One ballot's contents, with no trace of who cast it or when."""

    __tablename__ = "participation_ballots"
    __table_args__ = ({"sqlite_with_rowid": False},)
    __audit__ = False  # an audit row would name the voter and the moment: the secret is kept

    # Random, not sequential: ids in the order of casting would pair ballots with the register.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    budget_id: Mapped[int] = mapped_column(
        ForeignKey("participation_budgets.id", ondelete="CASCADE"), index=True
    )
    # sha256 of (budget, voter, receipt): only the voter, holding the receipt, can find it.
    # None for paper ballots, entered from a polling station's box.
    receipt_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(10), default=VoteChannel.ONLINE)
    station: Mapped[str] = mapped_column(String(120), default="")


class BallotChoice(Base):
    """A project chosen on a ballot, with its points for cumulative ballots."""

    __tablename__ = "participation_ballot_choices"
    __table_args__ = ({"sqlite_with_rowid": False},)
    __audit__ = False

    ballot_id: Mapped[str] = mapped_column(
        ForeignKey("participation_ballots.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("participation_projects.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    points: Mapped[int] = mapped_column(Integer, default=1)


class Tally(Base):
    """A computed outcome of one envelope under one rule: kept to publish and explain."""

    __tablename__ = "participation_tallies"
    __table_args__ = (UniqueConstraint("envelope_id", "rule", "completion", "threshold"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(
        ForeignKey("participation_envelopes.id", ondelete="CASCADE")
    )
    rule: Mapped[str] = mapped_column(String(20))
    completion: Mapped[bool] = mapped_column(Boolean, default=False)
    threshold: Mapped[str] = mapped_column(String(20), default="")
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ballots: Mapped[int] = mapped_column(Integer)
    # {"selected": [project ids], "spent": int, "rounds": [...], ...}: explain.py's output.
    outcome: Mapped[dict[str, Any]]
    # The Pabulib instance the tally read, for anyone to recompute it.
    pabulib: Mapped[str] = mapped_column(Text, default="")
