"""Tables of the real-time hub: entities, observations, latest values, aggregates, outbox.

``sensor_observations`` is partitioned by month on PostgreSQL (migration 0003); its primary
key (entity, attribute, observedAt) is what makes every write idempotent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from servicielle.core.db import Base, JSONType, TimestampMixin, utcnow

# Values are kept in the column matching their JSON kind, so queries compare like with like.
VALUE_COLUMNS = ("value_num", "value_text", "value_json")


class SensorEntity(TimestampMixin, Base):
    """An NGSI-LD entity: its normalized attributes, owner and location (for geo-queries)."""

    __tablename__ = "sensor_entities"
    # Entity updates are data, not configuration: the audit log would double every write.
    __audit__ = False

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(256), unique=True)
    type: Mapped[str] = mapped_column(String(120), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(300))
    attrs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    context: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Bounding box of ``location`` (a point has min == max): the SQL side of geo-queries.
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    commune_code: Mapped[str | None] = mapped_column(String(5))
    # Overrides the model's expected reporting period (seconds) for this sensor.
    expected_period_s: Mapped[int | None] = mapped_column(Integer)
    # Deleted entities keep their row (and history): a re-creation with the same id revives
    # it, so ngsildclient's delete-then-create upsert does not cut the time series.
    deleted_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_sensor_entities_bbox", "min_lon", "min_lat"),)


class LatestValue(Base):
    """The current value of each Property of each entity: what dashboards and ``q`` read."""

    __tablename__ = "sensor_latest"
    __audit__ = False

    entity_pk: Mapped[int] = mapped_column(
        ForeignKey("sensor_entities.pk", ondelete="CASCADE"), primary_key=True
    )
    attribute: Mapped[str] = mapped_column(String(120), primary_key=True)
    observed_at: Mapped[dt.datetime | None]
    value_num: Mapped[float | None] = mapped_column(Float)
    value_text: Mapped[str | None] = mapped_column(Text)
    value_json: Mapped[Any] = mapped_column(JSONType, nullable=True)
    modified_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_sensor_latest_attribute_num", "attribute", "value_num"),
        Index("ix_sensor_latest_observed_at", "observed_at"),
    )


class Observation(Base):
    """One measured value: the raw history, kept for the retention period."""

    __tablename__ = "sensor_observations"
    __audit__ = False

    entity_pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    attribute: Mapped[str] = mapped_column(String(120), primary_key=True)
    observed_at: Mapped[dt.datetime] = mapped_column(primary_key=True)
    value_num: Mapped[float | None] = mapped_column(Float)
    value_text: Mapped[str | None] = mapped_column(Text)
    value_json: Mapped[Any] = mapped_column(JSONType, nullable=True)

    __table_args__ = {"postgresql_partition_by": "RANGE (observed_at)"}


class HourlyAggregate(Base):
    """Count, sum, min and max of a numeric attribute per hour: kept for ever."""

    __tablename__ = "sensor_hourly"
    __audit__ = False

    entity_pk: Mapped[int] = mapped_column(
        ForeignKey("sensor_entities.pk", ondelete="CASCADE"), primary_key=True
    )
    attribute: Mapped[str] = mapped_column(String(120), primary_key=True)
    hour: Mapped[dt.datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    sum: Mapped[float] = mapped_column(Float)
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)


class DeadLetter(Base):
    """A message the ingest could not store, with the reason: kept for an operator to fix."""

    __tablename__ = "sensor_dead_letters"
    __audit__ = False

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)


class Subscription(TimestampMixin, Base):
    """An NGSI-LD subscription: its body, owner and delivery counters."""

    __tablename__ = "sensor_subscriptions"
    __audit__ = False

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(256), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[dt.datetime | None]
    times_sent: Mapped[int] = mapped_column(Integer, default=0)
    times_failed: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    last_notification: Mapped[dt.datetime | None]
    last_success: Mapped[dt.datetime | None]
    last_failure: Mapped[dt.datetime | None]
    last_error_reason: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """A notification waiting to be delivered (the outbox): written with the change itself."""

    __tablename__ = "sensor_notifications"
    __audit__ = False

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subscription_pk: Mapped[int] = mapped_column(
        ForeignKey("sensor_subscriptions.pk", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None]
    failed_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_sensor_notifications_due", "delivered_at", "next_attempt_at"),)
