"""Tables of consultations: the questions or the document, the observations, the synthesis."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from servicielle.core.db import Base, TimestampMixin, utcnow


class Consultation(TimestampMixin, Base):
    """A question set or a document open to observations between two dates."""

    __tablename__ = "participation_consultations"
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    process_id: Mapped[int | None] = mapped_column(
        ForeignKey("participation_processes.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    # The document submitted to the public (plain text, paragraphs separated by blank lines).
    document: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime]
    # Observations shown to everyone while the consultation runs, or only to the authority.
    observations_public: Mapped[bool] = mapped_column(Boolean, default=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    synthesis: Mapped[str] = mapped_column(Text, default="")
    synthesis_published_at: Mapped[dt.datetime | None]


class QuestionKind(StrEnum):
    """How a consultation question is answered."""

    TEXT = "text"
    CHOICE = "choice"  # one of the choices
    CHOICES = "choices"  # any of the choices


class ConsultationQuestion(Base):
    """A question of a consultation."""

    __tablename__ = "participation_consultation_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("participation_consultations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(10), default=QuestionKind.TEXT)
    choices: Mapped[list[str]] = mapped_column(default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)


class Observation(Base):
    """An observation on a consultation: free text and the answers to its questions."""

    __tablename__ = "participation_observations"
    __table_args__ = (
        Index("ix_participation_observations_consultation", "consultation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("participation_consultations.id", ondelete="CASCADE")
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text, default="")
    # {question id (as text): answer text or list of choices}
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    flags_count: Mapped[int] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
