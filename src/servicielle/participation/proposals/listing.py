"""Queries that read many proposals at once: the public list, its map, similar-title candidates.

List pages read the kept counters (``supports_count``, ``comments_count``) and load only the
rows of the page; ``list_page`` is what the demo and the benchmark call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Row, cast, func, literal, or_, select
from sqlalchemy.orm import Session, defer

from servicielle.core.pagination import PageParams
from servicielle.core.repository import Repository
from servicielle.participation.models import Proposal, ProposalState
from servicielle.participation.proposals.similarity import Candidate

SORTS = ("recent", "supports", "comments", "random")
# Listed unless asked for: a merged proposal lives on in the one it was merged into.
UNLISTED_STATES = (ProposalState.MERGED, ProposalState.WITHDRAWN)
# A prime and a multiplier for the seeded shuffle, small enough to stay within 64 bits.
_PRIME = 2_147_483_629
_MULTIPLIER = 1_103_515_245
# How many rows the similarity search scores in Python at most.
MAX_CANDIDATES = 250
TITLE_HEAD = 170
MAX_WORDS = 8


@dataclass(frozen=True)
class ProposalFilters:
    """What the public list narrows and orders by; the text is already folded."""

    category_id: int | None = None
    geozone_id: int | None = None
    state: str = ""
    text: str = ""
    sort: str = "recent"
    seed: int = 0


def _conditions(process_id: int, filters: ProposalFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Proposal.process_id == process_id,
        Proposal.hidden.is_(False),
    ]
    if filters.state:
        conditions.append(Proposal.state == filters.state)
    else:
        conditions.append(Proposal.state.notin_([str(s) for s in UNLISTED_STATES]))
    if filters.category_id is not None:
        conditions.append(Proposal.category_id == filters.category_id)
    if filters.geozone_id is not None:
        conditions.append(Proposal.geozone_id == filters.geozone_id)
    # Folded text has no "%" nor "_": each word is a plain substring test.
    for word in filters.text.split()[:MAX_WORDS]:
        conditions.append(Proposal.folded.like(f"%{word}%"))
    return conditions


def _ordering(filters: ProposalFilters) -> list[Any]:
    if filters.sort == "supports":
        return [Proposal.supports_count.desc(), Proposal.id.desc()]
    if filters.sort == "comments":
        return [Proposal.comments_count.desc(), Proposal.id.desc()]
    if filters.sort == "random":
        # The same seed gives the same order on every page of one visit, on both backends.
        # 64-bit arithmetic: PostgreSQL's INTEGER would overflow on the product.
        big = cast(Proposal.id, BigInteger)
        shuffled = (big * literal(_MULTIPLIER, BigInteger) + filters.seed) % _PRIME
        return [shuffled, Proposal.id]
    return [Proposal.created_at.desc(), Proposal.id.desc()]


def list_page(
    session: Session,
    process_id: int,
    filters: ProposalFilters | None = None,
    *,
    page: int = 1,
    page_size: int = 20,
) -> tuple[list[Proposal], int]:
    """One page of a process's public proposals and how many there are in all."""
    filters = filters or ProposalFilters()
    conditions = _conditions(process_id, filters)
    # The page's ids and the total in one pass (a word search reads every folded text: once,
    # not twice), sorting narrow rows; then the page's rows only.
    # Without words, counting reads the list index only: a query of its own is cheaper.
    total_column = func.count().over() if filters.text.split() else literal(None)
    found_ids = session.execute(
        select(Proposal.id, total_column.label("total"))
        .where(*conditions)
        .order_by(*_ordering(filters))
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    ids = [row.id for row in found_ids]
    if found_ids and found_ids[0].total is not None:
        total = int(found_ids[0].total)
    elif found_ids or page > 1:
        # No words, or past the last page (where the window has no row to count on).
        total = int(session.scalar(select(func.count(Proposal.id)).where(*conditions)) or 0)
    else:
        total = 0
    found = (
        {
            p.id: p
            for p in session.scalars(
                select(Proposal)
                .options(defer(Proposal.folded), defer(Proposal.answer))
                .where(Proposal.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    return [found[i] for i in ids if i in found], total


class ProposalListing(Repository[Proposal]):
    """The public list of a process's proposals, its map, and similar-title candidates."""

    model = Proposal

    def page(
        self, process_id: int, filters: ProposalFilters, paging: PageParams
    ) -> tuple[list[Proposal], int]:
        """One page of the public list."""
        return list_page(
            self.session, process_id, filters, page=paging.page, page_size=paging.page_size
        )

    def located(
        self, process_id: int, filters: ProposalFilters, limit: int = 2000
    ) -> Sequence[Row[int, str, float | None, float | None, int, str]]:
        """(id, title, latitude, longitude, supports_count, state) of located proposals."""
        conditions = _conditions(process_id, filters)
        conditions += [Proposal.latitude.is_not(None), Proposal.longitude.is_not(None)]
        return self.session.execute(
            select(
                Proposal.id,
                Proposal.title,
                Proposal.latitude,
                Proposal.longitude,
                Proposal.supports_count,
                Proposal.state,
            )
            .where(*conditions)
            .order_by(*_ordering(filters))
            .limit(limit)
        ).all()

    def candidates(
        self, process_id: int, terms: Sequence[str], exclude_id: int | None = None
    ) -> list[Candidate]:
        """Listed proposals of the process whose title holds one of ``terms`` (folded words)."""
        if not terms:
            return []
        conditions = _conditions(process_id, ProposalFilters())
        # The folded text starts with the folded title (at most 150 characters, a few more
        # once folded): matching its head compares titles, and reads far less than bodies.
        head = func.substr(Proposal.folded, 1, TITLE_HEAD)
        conditions.append(or_(*(head.like(f"%{term}%") for term in terms)))
        if exclude_id is not None:
            conditions.append(Proposal.id != exclude_id)
        # Narrow rows only, most supported first: the walk along the supports index stops as
        # soon as enough rows match; the folded text is matched in SQL, never carried back.
        rows = self.session.execute(
            select(Proposal.id, Proposal.title, Proposal.supports_count)
            .where(*conditions)
            .order_by(Proposal.supports_count.desc(), Proposal.id.desc())
            .limit(MAX_CANDIDATES)
        )
        return [Candidate(r.id, r.title, "", r.supports_count) for r in rows]
