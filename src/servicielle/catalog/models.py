"""Catalog tables: datasets, their resources and file history, terms for facets, reuses."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicielle.core.db import Base, TimestampMixin, utcnow
from servicielle.core.territory.models import Organisation


def new_id() -> str:
    """A random UUID as CKAN clients expect ids to look."""
    return str(uuid.uuid4())


class DatasetStatus(StrEnum):
    """Who may see a dataset: its organisation only, everyone, or everyone as history."""

    PRIVATE = "private"
    PUBLIC = "public"
    ARCHIVED = "archived"
    DELETED = "deleted"


class Moderation(StrEnum):
    """Community datasets and reuses wait for a moderator before they are shown."""

    NONE = "none"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Dataset(TimestampMixin, Base):
    """A published set of data: metadata plus resources."""

    __tablename__ = "datasets"
    __audit_quiet__ = frozenset({"search_text"})

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    is_community: Mapped[bool] = mapped_column(default=False)
    community_author: Mapped[str | None] = mapped_column(String(200))
    moderation: Mapped[Moderation] = mapped_column(String(20), default=Moderation.NONE)
    status: Mapped[DatasetStatus] = mapped_column(
        String(20), default=DatasetStatus.PUBLIC, index=True
    )
    licence: Mapped[str] = mapped_column(String(40), default="lov2")
    frequency: Mapped[str] = mapped_column(String(20), default="unknown")
    temporal_start: Mapped[dt.date | None] = mapped_column(Date)
    temporal_end: Mapped[dt.date | None] = mapped_column(Date)
    geozones: Mapped[list[str]] = mapped_column(default=list)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    extras: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Set for datasets another module publishes through its manifest.
    live_source: Mapped[str | None] = mapped_column(String(120), unique=True)
    # When the data (not the metadata) last changed; freshness is judged on it.
    data_modified: Mapped[dt.datetime] = mapped_column(default=utcnow)
    search_text: Mapped[str] = mapped_column(Text, default="")

    organisation: Mapped[Organisation | None] = relationship(lazy="raise")
    resources: Mapped[list[Resource]] = relationship(
        back_populates="dataset",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="Resource.position",
    )
    terms: Mapped[list[DatasetTerm]] = relationship(
        lazy="raise", cascade="all, delete-orphan", back_populates="dataset"
    )

    def values(self, vocabulary: str) -> list[str]:
        """Values of one vocabulary (keyword, theme, commune...) in insertion order."""
        return [t.value for t in self.terms if t.vocabulary == vocabulary]


class DatasetTerm(Base):
    """One keyword, theme, commune, format or schema of a dataset: what facets count."""

    __tablename__ = "dataset_terms"
    __audit__ = False
    __table_args__ = (
        UniqueConstraint("dataset_id", "vocabulary", "value"),
        Index("ix_dataset_terms_vocabulary_value", "vocabulary", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    vocabulary: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(200))

    dataset: Mapped[Dataset] = relationship(back_populates="terms", lazy="raise")


class ResourceKind(StrEnum):
    """Where a resource's content lives."""

    FILE = "file"
    REMOTE = "remote"
    DOCUMENTATION = "documentation"
    API = "api"
    LIVE = "live"


class ResourceStatus(StrEnum):
    """Published, or a draft the publisher still has to fix."""

    PUBLISHED = "published"
    DRAFT = "draft"


class Resource(TimestampMixin, Base):
    """A file, link or live table of a dataset."""

    __tablename__ = "resources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[ResourceKind] = mapped_column(String(20), default=ResourceKind.FILE)
    status: Mapped[ResourceStatus] = mapped_column(String(20), default=ResourceStatus.PUBLISHED)
    url: Mapped[str | None] = mapped_column(String(2000))
    format: Mapped[str] = mapped_column(String(20), default="")
    mimetype: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int | None] = mapped_column(BigInteger)
    checksum: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(300))
    schema_name: Mapped[str | None] = mapped_column(String(120))
    schema_version: Mapped[str | None] = mapped_column(String(40))
    last_modified: Mapped[dt.datetime | None]
    # The datastore table holding the rows, its fields and count; null when not tabular.
    datastore_table: Mapped[str | None] = mapped_column(String(63))
    fields: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    report: Mapped[dict[str, Any] | None] = mapped_column()
    live_source: Mapped[str | None] = mapped_column(String(120))

    dataset: Mapped[Dataset] = relationship(back_populates="resources", lazy="raise")
    files: Mapped[list[ResourceFile]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="ResourceFile.version.desc()",
        back_populates="resource",
    )

    @property
    def datastore_active(self) -> bool:
        """Whether the rows are queryable."""
        return self.datastore_table is not None or self.live_source is not None


class ResourceFile(Base):
    """One uploaded version of a resource's file, kept for history."""

    __tablename__ = "resource_files"
    __table_args__ = (UniqueConstraint("resource_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(20))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    valid: Mapped[bool] = mapped_column(default=False)
    is_current: Mapped[bool] = mapped_column(default=False)
    report: Mapped[dict[str, Any] | None] = mapped_column()

    resource: Mapped[Resource] = relationship(back_populates="files", lazy="raise")


class Reuse(TimestampMixin, Base):
    """Something built on the data: an app, a visualisation, an article."""

    __tablename__ = "reuses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(2000))
    type: Mapped[str] = mapped_column(String(20), default="application")
    author_name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    image_sha256: Mapped[str | None] = mapped_column(String(64))
    moderation: Mapped[Moderation] = mapped_column(String(20), default=Moderation.PENDING)

    datasets: Mapped[list[Dataset]] = relationship(secondary="reuse_datasets", lazy="raise")


class ReuseDataset(Base):
    """Which datasets a reuse uses."""

    __tablename__ = "reuse_datasets"
    __audit__ = False

    reuse_id: Mapped[int] = mapped_column(
        ForeignKey("reuses.id", ondelete="CASCADE"), primary_key=True
    )
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True, index=True
    )
