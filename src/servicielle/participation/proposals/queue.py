"""The back office's queue of proposals across processes: its filters and its query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, defer

from servicielle.core.ids import parse_id
from servicielle.core.pagination import PageParams
from servicielle.core.text import plain
from servicielle.participation.models import Proposal, ProposalState
from servicielle.participation.proposals.similarity import fold


@dataclass(frozen=True)
class QueueFilters:
    """What the agents' queue narrows by."""

    process_id: int | None = None
    state: str = ""
    category_id: int | None = None
    geozone_id: int | None = None
    unanswered: bool = False
    text: str = ""

    def query(self, **changes: Any) -> dict[str, str]:
        """The query-string pairs giving these filters back."""
        pairs: dict[str, Any] = {
            "processus": self.process_id,
            "etat": self.state,
            "categorie": self.category_id,
            "quartier": self.geozone_id,
            "sans_reponse": "1" if self.unanswered else "",
            "q": self.text,
        }
        pairs.update(changes)
        return {k: str(v) for k, v in pairs.items() if v not in ("", None)}


def filters_from_query(params: Mapping[str, str]) -> QueueFilters:
    """Read the queue's filters; what cannot be read filters nothing."""
    state = params.get("etat", "")
    return QueueFilters(
        process_id=parse_id(params.get("processus")),
        state=state if state in set(ProposalState) else "",
        category_id=parse_id(params.get("categorie")),
        geozone_id=parse_id(params.get("quartier")),
        unanswered=params.get("sans_reponse") == "1",
        text=plain(params.get("q", ""))[:200],
    )


def _conditions(filters: QueueFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.process_id is not None:
        conditions.append(Proposal.process_id == filters.process_id)
    if filters.state:
        conditions.append(Proposal.state == filters.state)
    if filters.category_id is not None:
        conditions.append(Proposal.category_id == filters.category_id)
    if filters.geozone_id is not None:
        conditions.append(Proposal.geozone_id == filters.geozone_id)
    if filters.unanswered:
        conditions.append(Proposal.state == ProposalState.PUBLISHED)
    for word in fold(filters.text).split()[:8]:
        conditions.append(Proposal.folded.like(f"%{word}%"))
    return conditions


def queue(
    session: Session, filters: QueueFilters, paging: PageParams
) -> tuple[list[Proposal], int]:
    """One page of the queue: most supported first, then oldest, hidden ones included."""
    conditions = _conditions(filters)
    rows = session.scalars(
        select(Proposal)
        .options(defer(Proposal.folded))
        .where(*conditions)
        .order_by(Proposal.supports_count.desc(), Proposal.created_at, Proposal.id)
        .limit(paging.page_size)
        .offset(paging.offset)
    ).all()
    total = session.scalar(select(func.count(Proposal.id)).where(*conditions)) or 0
    return list(rows), int(total)
