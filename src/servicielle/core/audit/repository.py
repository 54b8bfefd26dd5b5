"""Queries over the audit log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from servicielle.core.audit.models import AuditEntry
from servicielle.core.pagination import PageParams
from servicielle.core.repository import Repository


class AuditRepository(Repository[AuditEntry]):
    """Audit entries, newest first."""

    model = AuditEntry

    def search(
        self, params: PageParams, *, entity: str = "", actor_id: int | None = None
    ) -> tuple[Sequence[AuditEntry], int]:
        """A page of entries, optionally for one table or one actor."""
        statement = select(AuditEntry).order_by(AuditEntry.id.desc())
        if entity:
            statement = statement.where(AuditEntry.entity == entity)
        if actor_id is not None:
            statement = statement.where(AuditEntry.actor_id == actor_id)
        return self.paginate(statement, params)
