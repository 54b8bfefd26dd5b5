"""The outbox table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from servicielle.core.db import Base, utcnow


class OutboxMessage(Base):
    """An email the platform sent, or kept because no SMTP server is configured."""

    __tablename__ = "outbox_messages"
    # Bodies carry one-time links (confirmation, reset): keep them out of the audit trail.
    __audit_redact__ = frozenset({"body"})

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))  # queued | kept | sent | failed
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None]
    # The body is wiped once sent (or at once when only kept): a ballot receipt must not stay.
    secret: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
