"""The audit entry table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from servicielle.core.db import Base, utcnow


class AuditEntry(Base):
    """One write to one row: create, update or delete, with the changed fields."""

    __tablename__ = "audit_entries"
    __audit__ = False
    __table_args__ = (Index("ix_audit_entries_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    # No foreign key: the trail must outlive the accounts it mentions.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    via: Mapped[str] = mapped_column(String(20))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(10))
    entity: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[str] = mapped_column(String(80))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
