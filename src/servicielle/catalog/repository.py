"""Catalog queries; visibility is applied in every base statement (DESIGN.md rule 4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from servicielle.catalog import search
from servicielle.catalog.models import (
    Dataset,
    DatasetStatus,
    DatasetTerm,
    Moderation,
    Resource,
    ResourceFile,
    ResourceStatus,
    Reuse,
    ReuseDataset,
)
from servicielle.core.permissions import Principal
from servicielle.core.repository import Repository
from servicielle.core.territory.models import Organisation

SHOWN = (Moderation.NONE, Moderation.APPROVED)
# Facet name (CKAN's where it has one) → vocabulary of dataset_terms.
TERM_FACETS = {
    "tags": "keyword",
    "res_format": "format",
    "groups": "theme",
    "theme": "theme",
    "commune": "commune",
    "schema": "schema",
}


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """Datasets ``principal`` may see: public ones, plus their organisation's and their own."""
    if principal.is_admin:
        return true()
    public = and_(
        Dataset.status.in_((DatasetStatus.PUBLIC, DatasetStatus.ARCHIVED)),
        Dataset.moderation.in_(SHOWN),
    )
    clauses = [public]
    if principal.organisation_ids:
        clauses.append(Dataset.organisation_id.in_(principal.organisation_ids))
    if principal.user is not None:
        clauses.append(Dataset.owner_id == principal.user.id)
    return or_(*clauses)


def listed(include_private: bool, include_deleted: bool = False) -> ColumnElement[bool]:
    """Which statuses a list shows, among the visible datasets."""
    statuses = [DatasetStatus.PUBLIC, DatasetStatus.ARCHIVED]
    if include_private:
        statuses.append(DatasetStatus.PRIVATE)
    if include_deleted:
        statuses.append(DatasetStatus.DELETED)
    return Dataset.status.in_(statuses)


@dataclass
class SearchCriteria:
    """A dataset search: text, ``(facet, value, negated)`` filters, sort, page, facets."""

    text: str = ""
    filters: list[tuple[str, str, bool]] = field(default_factory=list)
    sort: list[tuple[str, bool]] = field(default_factory=list)
    rows: int = 10
    start: int = 0
    facets: Sequence[str] = ()
    facet_limit: int = 50
    include_private: bool = False
    include_deleted: bool = False


@dataclass
class SearchResult:
    """One page of datasets, the total, and counts per facet value."""

    datasets: Sequence[Dataset]
    count: int
    facets: dict[str, list[tuple[str, int]]]


class DatasetRepository(Repository[Dataset]):
    """Datasets the principal may see."""

    model = Dataset

    def __init__(self, session: Session, principal: Principal) -> None:
        super().__init__(session)
        self.principal = principal

    def base_statement(self) -> Select[Dataset]:
        """Visible datasets, with what every view of a dataset needs loaded."""
        return (
            select(Dataset)
            .where(visible_to(self.principal))
            .options(
                joinedload(Dataset.organisation),
                selectinload(Dataset.resources),
                selectinload(Dataset.terms),
            )
        )

    def find(self, ref: str) -> Dataset | None:
        """A visible dataset by id or slug (deleted ones only for those who may see them)."""
        return self.one_or_none(
            self.base_statement().where(or_(Dataset.id == ref, Dataset.slug == ref))
        )

    def published_by(self, principal: Principal) -> Sequence[Dataset]:
        """Datasets ``principal`` publishes (all for administrators, deleted ones included)."""
        statement = self.base_statement().order_by(Dataset.title)
        if not principal.is_admin:
            owned = [Dataset.organisation_id.in_(principal.organisation_ids)]
            if principal.user is not None:
                owned.append(Dataset.owner_id == principal.user.id)
            statement = statement.where(or_(*owned))
        return self.all(statement)

    def slug_taken(self, slug: str, *, except_id: str | None = None) -> bool:
        """Whether any dataset, visible or not, already uses ``slug``."""
        statement = select(func.count()).select_from(Dataset).where(Dataset.slug == slug)
        if except_id:
            statement = statement.where(Dataset.id != except_id)
        return bool(self.session.scalar(statement))

    def by_live_source(self, key: str) -> Dataset | None:
        """The dataset a module publishes under ``key``, whoever looks."""
        return self.session.scalars(
            select(Dataset)
            .where(Dataset.live_source == key)
            .options(selectinload(Dataset.resources), selectinload(Dataset.terms))
        ).one_or_none()

    def names(
        self, *, include_private: bool, include_deleted: bool, limit: int | None, offset: int
    ) -> Sequence[str]:
        """Slugs of the listed datasets, alphabetically."""
        statement = (
            select(Dataset.slug)
            .where(visible_to(self.principal), listed(include_private, include_deleted))
            .order_by(Dataset.slug)
            .offset(offset)
        )
        if limit is not None:
            statement = statement.limit(limit)
        return self.session.scalars(statement).all()

    def _filter(self, facet: str, value: str) -> ColumnElement[bool]:
        if facet in TERM_FACETS:
            return Dataset.id.in_(
                select(DatasetTerm.dataset_id).where(
                    DatasetTerm.vocabulary == TERM_FACETS[facet], DatasetTerm.value == value
                )
            )
        if facet in ("organization", "organisation", "owner_org"):
            return Dataset.organisation_id.in_(
                select(Organisation.id).where(
                    or_(Organisation.slug == value, Organisation.name == value)
                )
            )
        if facet == "license_id":
            return Dataset.licence == value
        if facet in ("name", "slug"):
            return Dataset.slug == value
        if facet == "id":
            return Dataset.id == value
        if facet == "frequency":
            return Dataset.frequency == value
        if facet == "community":
            return Dataset.is_community == (value.lower() == "true")
        raise KeyError(facet)

    def search(self, criteria: SearchCriteria) -> SearchResult:
        """Full-text search with filters, sorting, paging and facet counts."""
        conditions: list[ColumnElement[bool]] = [
            visible_to(self.principal),
            listed(criteria.include_private, criteria.include_deleted),
        ]
        score: ColumnElement[float] | None = None
        if criteria.text:
            match = search.matching(self.session, criteria.text)
            if match is None:
                conditions.append(false())
            else:
                conditions.append(match[0])
                score = match[1]
        for facet, value, negated in criteria.filters:
            clause = self._filter(facet, value)
            conditions.append(~clause if negated else clause)
        ids = select(Dataset.id).where(*conditions)
        count = int(self.session.scalar(select(func.count()).select_from(ids.subquery())) or 0)
        order: list[ColumnElement[Any]] = []
        for key, descending in criteria.sort or [("score", True), ("metadata_modified", True)]:
            if key == "score":
                if score is not None:
                    order.append(score.desc() if descending else score.asc())
                continue
            column = SORT_COLUMNS[key]
            order.append(column.desc() if descending else column.asc())
        order.append(Dataset.slug.asc())
        page = self.session.scalars(
            select(Dataset)
            .where(*conditions)
            .options(
                joinedload(Dataset.organisation),
                selectinload(Dataset.resources),
                selectinload(Dataset.terms),
            )
            .order_by(*order)
            .limit(criteria.rows)
            .offset(criteria.start)
        ).all()
        facets = {name: self._facet(name, ids, criteria.facet_limit) for name in criteria.facets}
        return SearchResult(datasets=page, count=count, facets=facets)

    def _facet(self, name: str, ids: Select[str], limit: int) -> list[tuple[str, int]]:
        matched = ids.scalar_subquery()
        statement: Select[str, int]
        if name in TERM_FACETS:
            counted = func.count(func.distinct(DatasetTerm.dataset_id))
            statement = (
                select(DatasetTerm.value, counted)
                .where(
                    DatasetTerm.vocabulary == TERM_FACETS[name],
                    DatasetTerm.dataset_id.in_(matched),
                )
                .group_by(DatasetTerm.value)
            )
        elif name in ("organization", "organisation"):
            counted = func.count(Dataset.id)
            statement = (
                select(Organisation.slug, counted)
                .join(Dataset, Dataset.organisation_id == Organisation.id)
                .where(Dataset.id.in_(matched))
                .group_by(Organisation.slug)
            )
        elif name == "license_id":
            counted = func.count(Dataset.id)
            statement = (
                select(Dataset.licence, counted)
                .where(Dataset.id.in_(matched))
                .group_by(Dataset.licence)
            )
        else:
            raise KeyError(name)
        rows = self.session.execute(statement.order_by(counted.desc()).limit(limit)).all()
        return [(str(value), int(n)) for value, n in rows]

    def keywords(self, query: str | None, limit: int) -> Sequence[str]:
        """Keywords of visible public datasets, optionally starting with ``query``."""
        statement = (
            select(DatasetTerm.value)
            .join(Dataset, Dataset.id == DatasetTerm.dataset_id)
            .where(
                DatasetTerm.vocabulary == "keyword",
                visible_to(self.principal),
                listed(include_private=False),
            )
            .distinct()
            .order_by(DatasetTerm.value)
            .limit(limit)
        )
        if query:
            statement = statement.where(DatasetTerm.value.startswith(query, autoescape=True))
        return self.session.scalars(statement).all()

    def count_by_organisation(self) -> dict[int, int]:
        """How many listed datasets each organisation publishes."""
        rows = self.session.execute(
            select(Dataset.organisation_id, func.count())
            .where(visible_to(self.principal), listed(include_private=False))
            .group_by(Dataset.organisation_id)
        ).all()
        return {org: int(n) for org, n in rows if org is not None}


SORT_COLUMNS: dict[str, Any] = {
    "metadata_modified": Dataset.modified_at,
    "metadata_created": Dataset.created_at,
    "name": Dataset.slug,
    "title_string": Dataset.title,
    "title": Dataset.title,
    "data_modified": Dataset.data_modified,
}


class ResourceRepository(Repository[Resource]):
    """Resources of visible datasets; drafts only for their publishers."""

    model = Resource

    def __init__(self, session: Session, principal: Principal) -> None:
        super().__init__(session)
        self.principal = principal

    def base_statement(self) -> Select[Resource]:
        """Resources whose dataset the principal sees."""
        statement = (
            select(Resource)
            .join(Dataset, Dataset.id == Resource.dataset_id)
            .where(visible_to(self.principal))
            .options(
                joinedload(Resource.dataset).joinedload(Dataset.organisation),
                joinedload(Resource.dataset).selectinload(Dataset.resources),
                joinedload(Resource.dataset).selectinload(Dataset.terms),
            )
        )
        if not self.principal.is_admin:
            mine = (
                Dataset.organisation_id.in_(self.principal.organisation_ids)
                if self.principal.organisation_ids
                else false()
            )
            statement = statement.where(or_(Resource.status == ResourceStatus.PUBLISHED, mine))
        return statement

    def files(self, resource_id: str) -> Sequence[ResourceFile]:
        """Every uploaded version of a resource, newest first."""
        return self.session.scalars(
            select(ResourceFile)
            .where(ResourceFile.resource_id == resource_id)
            .order_by(ResourceFile.version.desc())
        ).all()

    def next_version(self, resource_id: str) -> int:
        """The version number the next upload gets."""
        current = self.session.scalar(
            select(func.max(ResourceFile.version)).where(ResourceFile.resource_id == resource_id)
        )
        return int(current or 0) + 1


class ReuseRepository(Repository[Reuse]):
    """Reuses shown to the public, and all of them to moderators."""

    model = Reuse

    def __init__(self, session: Session, principal: Principal) -> None:
        super().__init__(session)
        self.principal = principal

    def base_statement(self) -> Select[Reuse]:
        """Approved reuses (and the principal's own)."""
        statement = select(Reuse).options(selectinload(Reuse.datasets))
        if self.principal.is_admin:
            return statement
        shown = Reuse.moderation == Moderation.APPROVED
        if self.principal.user is not None:
            shown = or_(shown, Reuse.owner_id == self.principal.user.id)
        return statement.where(shown)

    def for_dataset(self, dataset_id: str) -> Sequence[Reuse]:
        """Approved reuses of one dataset."""
        return self.all(
            self.base_statement()
            .join(ReuseDataset, ReuseDataset.reuse_id == Reuse.id)
            .where(ReuseDataset.dataset_id == dataset_id)
            .order_by(Reuse.created_at.desc())
        )
