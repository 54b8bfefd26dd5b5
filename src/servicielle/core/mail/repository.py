"""Queries over the outbox."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from servicielle.core.mail.models import OutboxMessage
from servicielle.core.pagination import PageParams
from servicielle.core.repository import Repository


class OutboxRepository(Repository[OutboxMessage]):
    """Outbox messages, newest first."""

    model = OutboxMessage

    def search(
        self, params: PageParams, *, recipient: str = ""
    ) -> tuple[Sequence[OutboxMessage], int]:
        """A page of messages, optionally to one recipient."""
        statement = select(OutboxMessage).order_by(OutboxMessage.id.desc())
        if recipient:
            statement = statement.where(OutboxMessage.recipient == recipient.strip().lower())
        return self.paginate(statement, params)

    def take_queued(self, limit: int) -> Sequence[OutboxMessage]:
        """The oldest queued messages, locked so that another worker skips them (PostgreSQL)."""
        statement = (
            select(OutboxMessage)
            .where(OutboxMessage.status == "queued")
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        return self.session.scalars(statement).all()
