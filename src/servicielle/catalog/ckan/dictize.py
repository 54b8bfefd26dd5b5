"""Catalog objects in the shapes CKAN clients read (``package_show``, ``resource_show``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from servicielle.catalog.models import (
    Dataset,
    DatasetStatus,
    Resource,
    ResourceKind,
    ResourceStatus,
)
from servicielle.catalog.vocabularies import LICENCES
from servicielle.core.territory.models import Organisation

RESOURCE_TYPES = {
    ResourceKind.FILE: "file.upload",
    ResourceKind.REMOTE: "file",
    ResourceKind.DOCUMENTATION: "documentation",
    ResourceKind.API: "api",
    ResourceKind.LIVE: "api",
}


def _time(value: dt.datetime | None) -> str | None:
    # CKAN writes naive ISO timestamps in UTC; harvesters parse exactly that.
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat() if value else None


def organization_dict(
    organisation: Organisation, base_url: str, count: int | None = None
) -> dict[str, Any]:
    """An organisation as ``organization_show`` returns it."""
    out: dict[str, Any] = {
        "id": str(organisation.id),
        "name": organisation.slug,
        "title": organisation.name,
        "display_name": organisation.name,
        "description": organisation.description,
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "created": _time(organisation.created_at),
        "kind": str(organisation.kind),
        "url": f"{base_url}/donnees/organisations/{organisation.slug}",
    }
    if count is not None:
        out["package_count"] = count
    return out


def resource_url(base_url: str, resource: Resource, dataset_slug: str | None = None) -> str:
    """Where a client fetches the resource: the link, or our download route."""
    if resource.kind == ResourceKind.FILE:
        name = resource.filename or "fichier"
        return f"{base_url}/api/v1/catalog/resources/{resource.id}/download/{name}"
    if resource.kind == ResourceKind.LIVE:
        slug = dataset_slug or resource.dataset.slug
        return f"{base_url}/api/explore/v2.1/catalog/datasets/{slug}/exports/csv"
    return resource.url or ""


def resource_dict(
    resource: Resource, base_url: str, dataset_slug: str | None = None
) -> dict[str, Any]:
    """A resource as ``resource_show`` returns it."""
    return {
        "id": resource.id,
        "package_id": resource.dataset_id,
        "position": resource.position,
        "name": resource.title,
        "description": resource.description,
        "format": resource.format.upper(),
        "mimetype": resource.mimetype,
        "mimetype_inner": None,
        "size": resource.size,
        "hash": f"sha256:{resource.checksum}" if resource.checksum else "",
        "url": resource_url(base_url, resource, dataset_slug),
        "url_type": "upload" if resource.kind == ResourceKind.FILE else None,
        "resource_type": RESOURCE_TYPES.get(resource.kind, "file"),
        "created": _time(resource.created_at),
        "last_modified": _time(resource.last_modified),
        "metadata_modified": _time(resource.modified_at),
        "cache_url": None,
        "cache_last_updated": None,
        "state": "active" if resource.status == ResourceStatus.PUBLISHED else "draft",
        "datastore_active": resource.datastore_active,
        "schema": resource.schema_name,
        "schema_version": resource.schema_version,
        "row_count": resource.row_count,
    }


def _tags(dataset: Dataset) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{dataset.id}:{value}",
            "name": value,
            "display_name": value,
            "state": "active",
            "vocabulary_id": None,
        }
        for value in dataset.values("keyword")
    ]


def package_dict(dataset: Dataset, base_url: str) -> dict[str, Any]:
    """A dataset as ``package_show`` returns it, with every key harvesters require."""
    licence = LICENCES.get(dataset.licence)
    resources = [r for r in dataset.resources if r.status == ResourceStatus.PUBLISHED]
    extras = [{"key": k, "value": str(v)} for k, v in sorted(dataset.extras.items())]
    extras.append({"key": "frequency", "value": dataset.frequency})
    if dataset.temporal_start:
        extras.append({"key": "temporal_start", "value": dataset.temporal_start.isoformat()})
    if dataset.temporal_end:
        extras.append({"key": "temporal_end", "value": dataset.temporal_end.isoformat()})
    communes = dataset.values("commune")
    if communes:
        extras.append({"key": "spatial-text", "value": ", ".join(communes)})
    organisation = (
        organization_dict(dataset.organisation, base_url) if dataset.organisation else None
    )
    return {
        "id": dataset.id,
        "name": dataset.slug,
        "title": dataset.title,
        "notes": dataset.description,
        "type": "dataset",
        "state": "deleted" if dataset.status == DatasetStatus.DELETED else "active",
        "private": dataset.status == DatasetStatus.PRIVATE,
        "license_id": dataset.licence,
        "license_title": licence.title if licence else dataset.licence,
        "license_url": licence.url if licence else "",
        "isopen": bool(licence and licence.is_open),
        "author": dataset.community_author
        or (dataset.organisation.name if dataset.organisation else None),
        "author_email": None,
        "maintainer": dataset.contact_name,
        "maintainer_email": dataset.contact_email,
        "url": f"{base_url}/donnees/{dataset.slug}",
        "version": None,
        "owner_org": str(dataset.organisation_id) if dataset.organisation_id else None,
        "organization": organisation,
        "creator_user_id": str(dataset.owner_id) if dataset.owner_id else None,
        "metadata_created": _time(dataset.created_at),
        "metadata_modified": _time(dataset.modified_at),
        "num_resources": len(resources),
        "num_tags": len(dataset.values("keyword")),
        "resources": [resource_dict(r, base_url, dataset.slug) for r in resources],
        "tags": _tags(dataset),
        "groups": [
            {"name": t.lower(), "title": t, "display_name": t} for t in dataset.values("theme")
        ],
        "extras": extras,
        "relationships_as_subject": [],
        "relationships_as_object": [],
        "frequency": dataset.frequency,
        "community": dataset.is_community,
    }
