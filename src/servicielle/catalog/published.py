"""Datasets other modules publish through their manifests, and where any resource's rows live."""

from __future__ import annotations

from sqlalchemy import FromClause, select
from sqlalchemy.orm import Session

from servicielle.catalog import datastore
from servicielle.catalog.fields import Field
from servicielle.catalog.models import Dataset, DatasetStatus, Resource, ResourceKind
from servicielle.catalog.repository import DatasetRepository
from servicielle.catalog.service import refresh_resource_terms, reindex, set_terms
from servicielle.core.errors import NotFound
from servicielle.core.i18n import _
from servicielle.core.modules import ModuleRegistry, get_registry
from servicielle.core.opendata import PublishedDataset
from servicielle.core.permissions import Principal
from servicielle.core.territory.models import Organisation


def published_datasets(registry: ModuleRegistry | None = None) -> dict[str, PublishedDataset]:
    """Every live dataset the installed modules declare, by key."""
    registry = registry or get_registry()
    return {d.key: d for m in registry.manifests for d in m.datasets}


def sync_published(session: Session, registry: ModuleRegistry | None = None) -> int:
    """Create or refresh the catalog entries of the modules' live datasets."""
    count = 0
    for declared in published_datasets(registry).values():
        organisation = None
        if declared.organisation_slug:
            organisation = session.scalars(
                select(Organisation).where(Organisation.slug == declared.organisation_slug)
            ).one_or_none()
        dataset = DatasetRepository(session, Principal()).by_live_source(declared.key)
        if dataset is None:
            dataset = Dataset(
                live_source=declared.key,
                slug=declared.slug,
                title=declared.title,
                terms=[],
                resources=[],
            )
            session.add(dataset)
        dataset.organisation = organisation
        dataset.title = declared.title
        dataset.description = declared.description
        dataset.licence = declared.licence
        dataset.frequency = declared.frequency
        dataset.status = DatasetStatus.PUBLIC
        dataset.extras = dict(declared.extras)
        set_terms(dataset, "keyword", list(declared.keywords))
        set_terms(dataset, "theme", list(declared.themes))
        if not dataset.resources:
            dataset.resources.append(
                Resource(
                    title=declared.title,
                    kind=ResourceKind.LIVE,
                    format="csv",
                    live_source=declared.key,
                    description=_("Live data, always current: query it or export it."),
                )
            )
        resource = dataset.resources[0]
        resource.fields = [f.to_dict() for f in declared.fields]
        session.flush()
        refresh_resource_terms(dataset)
        reindex(session, dataset)
        count += 1
    session.flush()
    return count


def rows_source(resource: Resource) -> tuple[FromClause, list[Field]]:
    """The selectable holding a resource's rows, and its fields."""
    fields = [Field.from_dict(f) for f in resource.fields]
    if resource.live_source:
        declared = published_datasets().get(resource.live_source)
        if declared is None:
            raise NotFound(_("This live dataset is no longer published."))
        return declared.source(), list(declared.fields)
    if resource.datastore_table:
        return datastore.source_of(resource.datastore_table, fields), fields
    raise NotFound(_("This resource has no queryable data."))
