"""Tables of citizen reports: categories and their questions, routing, reports and their life."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
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


class ReportStatus(StrEnum):
    """Where a report stands; Open311 folds these into ``open`` and ``closed``."""

    UNCONFIRMED = "unconfirmed"
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    FIXED = "fixed"
    CLOSED = "closed"
    REOPENED = "reopened"


class CloseReason(StrEnum):
    """Why a report was closed without being fixed: said honestly, never as "fixed"."""

    DUPLICATE = "duplicate"
    NOT_RESPONSIBLE = "not_responsible"
    NO_ACTION = "no_action"


OPEN_STATUSES = frozenset(
    {
        ReportStatus.OPEN,
        ReportStatus.ACKNOWLEDGED,
        ReportStatus.PLANNED,
        ReportStatus.IN_PROGRESS,
        ReportStatus.REOPENED,
    }
)
CLOSED_STATUSES = frozenset({ReportStatus.FIXED, ReportStatus.CLOSED})


def open311_status(status: str) -> str:
    """The GeoReport v2 status (``open`` or ``closed``) of one of ours."""
    return "closed" if status in CLOSED_STATUSES else "open"


class ReportCategory(TimestampMixin, Base):
    """A kind of problem people report: an Open311 service."""

    __tablename__ = "report_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # Open311 service_code
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    group: Mapped[str] = mapped_column(String(120), default="")
    keywords: Mapped[str] = mapped_column(String(300), default="")
    # Shown to the reporter after submitting (Open311 service_notice).
    notice: Mapped[str] = mapped_column(Text, default="")
    # Days the responsible organisation commits to: gives Open311 expected_datetime.
    target_days: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CategoryQuestion(Base):
    """An extra question of a category: an Open311 attribute."""

    __tablename__ = "report_category_questions"
    __table_args__ = (
        UniqueConstraint("category_id", "code"),
        UniqueConstraint("category_id", "order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("report_categories.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    # string | number | datetime | text | singlevaluelist | multivaluelist
    datatype: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # False: information shown to the reporter, nothing to answer.
    variable: Mapped[bool] = mapped_column(Boolean, default=True)
    order: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    datatype_description: Mapped[str] = mapped_column(String(300), default="")
    values: Mapped[list[dict[str, Any]]] = mapped_column(default=list)  # [{key, name}]


class RoutingRule(TimestampMixin, Base):
    """Who receives reports of a category in an area; empty criteria match anything."""

    __tablename__ = "report_routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_categories.id", ondelete="CASCADE"), index=True
    )
    commune_code: Mapped[str | None] = mapped_column(String(5))
    geozone_slug: Mapped[str | None] = mapped_column(String(120))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )


class Report(TimestampMixin, Base):
    """A problem an inhabitant reported; ``id`` is the Open311 service_request_id."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_status_category", "status", "category_id"),
        Index("ix_reports_lat_lon", "lat", "lon"),
        Index("ix_reports_organisation_status", "organisation_id", "status"),
        Index("ix_reports_created_at", "created_at"),
        Index("ix_reports_modified_at", "modified_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("report_categories.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.UNCONFIRMED)
    close_reason: Mapped[str | None] = mapped_column(String(20))
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), index=True
    )
    # Location: WGS84; how it was given (map, device, commune, address).
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    located_by: Mapped[str] = mapped_column(String(10), default="map")
    commune_code: Mapped[str | None] = mapped_column(String(5), index=True)
    geozones: Mapped[list[str]] = mapped_column(default=list)
    address_string: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # What the public reads once a moderator redacted the text; the original stays above.
    public_description: Mapped[str | None] = mapped_column(Text)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # An Open311 client's media_url: a photo hosted elsewhere, linked, never fetched.
    media_url: Mapped[str] = mapped_column(String(500), default="")
    # Private: never in a public page, an API answer or an export.
    reporter_name: Mapped[str] = mapped_column(String(200), default="")
    reporter_email: Mapped[str | None] = mapped_column(String(320), index=True)
    reporter_phone: Mapped[str] = mapped_column(String(40), default="")
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20), default="web")  # web | open311 | agent
    # Open311 tokens/{token}: a public handle for the request before it has an id.
    token: Mapped[str] = mapped_column(String(40), unique=True)
    confirmed_at: Mapped[dt.datetime | None]
    acknowledged_at: Mapped[dt.datetime | None]
    fixed_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    expected_at: Mapped[dt.datetime | None]
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    follower_count: Mapped[int] = mapped_column(Integer, default=0)
    flag_count: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def is_public(self) -> bool:
        """Whether anyone may see the report: confirmed and not hidden by a moderator."""
        return not self.hidden and self.status != ReportStatus.UNCONFIRMED

    @property
    def public_text(self) -> str:
        """The description as the public reads it."""
        return self.description if self.public_description is None else self.public_description

    @property
    def open311_status(self) -> str:
        """``open`` or ``closed``."""
        return open311_status(self.status)


class ReportPhoto(Base):
    """A photo of a report, re-encoded as JPEG without its metadata."""

    __tablename__ = "report_photos"
    __audit_redact__ = frozenset({"content", "thumbnail"})

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    update_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_updates.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Hidden by a moderator: kept for the audit, never served to the public.
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)


class ReportUpdate(Base):
    """One step of a report's timeline: a change of state, a note, a re-routing, a merge."""

    __tablename__ = "report_updates"
    __table_args__ = (Index("ix_report_updates_report_created", "report_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    # created | status | note | reroute | merge | reopen | confirm_fixed | moderation | assign
    kind: Mapped[str] = mapped_column(String(20))
    status_before: Mapped[str | None] = mapped_column(String(20))
    status_after: Mapped[str | None] = mapped_column(String(20))
    close_reason: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")  # public
    internal_note: Mapped[str] = mapped_column(Text, default="")  # staff only
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The organisation the author acted for; None for the reporter or the public.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    # For re-routing: the organisation the report left.
    from_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    related_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL")
    )
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)


class ReportSubscription(Base):
    """Someone following one report, or alerted of new reports in a commune or geozone."""

    __tablename__ = "report_subscriptions"
    __table_args__ = (
        UniqueConstraint("email", "report_id", "commune_code", "geozone_slug"),
        Index("ix_report_subscriptions_area", "commune_code", "geozone_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), index=True
    )
    commune_code: Mapped[str | None] = mapped_column(String(5))
    geozone_slug: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Alerts wait for a click in the email; the reporter's own follow is confirmed at once.
    confirmed_at: Mapped[dt.datetime | None]


class ReportFlag(Base):
    """Someone flagged a report as abusive: moderators see the queue."""

    __tablename__ = "report_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # A digest of the client address: one flag per person, without keeping the address.
    client_digest: Mapped[str] = mapped_column(String(64))
    resolved_at: Mapped[dt.datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ReplyTemplate(TimestampMixin, Base):
    """A public note agents reuse, suggested for a status; ``organisation_id`` None: for all."""

    __tablename__ = "report_reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(20))
