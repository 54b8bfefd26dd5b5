"""Tables of accountability: results (what is being built) and their milestones."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from servicielle.core.db import Base, TimestampMixin


class ResultStatus(StrEnum):
    """Where the making of a result stands; each has a default progress."""

    PLANNED = "planned"  # 0 %
    STUDIES = "studies"  # 10 %
    WORKS = "works"  # 50 %
    DELIVERED = "delivered"  # 100 %
    ABANDONED = "abandoned"  # progress frozen, with a reason in the description


DEFAULT_PROGRESS: dict[ResultStatus, int] = {
    ResultStatus.PLANNED: 0,
    ResultStatus.STUDIES: 10,
    ResultStatus.WORKS: 50,
    ResultStatus.DELIVERED: 100,
}


class Result(TimestampMixin, Base):
    """A project being made: its status, progress, money spent and place."""

    __tablename__ = "participation_results"
    __table_args__ = (
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_percent"),
        Index("ix_participation_results_process_status", "process_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(
        ForeignKey("participation_processes.id", ondelete="CASCADE")
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("participation_projects.id", ondelete="SET NULL"), unique=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ResultStatus.PLANNED)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    budget: Mapped[int | None] = mapped_column(Integer)  # whole euros planned
    spent: Mapped[int] = mapped_column(Integer, default=0)  # whole euros spent so far
    geozone_id: Mapped[int | None] = mapped_column(ForeignKey("geozones.id", ondelete="SET NULL"))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)


class Milestone(Base):
    """A dated step of a result: "studies done", "works started", "inaugurated"."""

    __tablename__ = "participation_milestones"
    __table_args__ = (Index("ix_participation_milestones_result_on", "result_id", "on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(
        ForeignKey("participation_results.id", ondelete="CASCADE")
    )
    on: Mapped[dt.date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
