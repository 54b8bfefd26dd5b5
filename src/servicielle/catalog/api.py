"""Catalog REST routes under ``/api/v1/catalog``: file downloads and validation reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from servicielle.catalog import service
from servicielle.catalog.ckan.dictize import resource_dict
from servicielle.catalog.repository import ResourceRepository, ReuseRepository
from servicielle.catalog.reuses import image_type
from servicielle.catalog.storage import FileStore
from servicielle.core.accounts.auth import CurrentPrincipal
from servicielle.core.errors import NotFound
from servicielle.core.i18n import _
from servicielle.core.session import DbSession

router = APIRouter(prefix="/catalog", tags=["catalog"])


@router.get("/resources/{resource_id}/download/{filename}")
def download(
    resource_id: str,
    filename: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> FileResponse:
    """The current file of a resource (the name in the URL is only for the browser)."""
    resource = ResourceRepository(session, principal).get(resource_id)
    if resource is None or resource.checksum is None:
        raise NotFound(_("No file for this resource."))
    path = FileStore(request.app.state.settings.data_dir).path(resource.checksum)
    if not path.is_file():
        raise NotFound(_("The file is missing from the store."))
    return FileResponse(
        path,
        media_type=resource.mimetype or "application/octet-stream",
        filename=resource.filename or filename,
    )


@router.get("/reuses/{reuse_id}/image")
def reuse_image(
    reuse_id: int, request: Request, session: DbSession, principal: CurrentPrincipal
) -> FileResponse:
    """The picture of a reuse the principal may see."""
    reuse = ReuseRepository(session, principal).get(reuse_id)
    if reuse is None or reuse.image_sha256 is None:
        raise NotFound(_("No image for this reuse."))
    path = FileStore(request.app.state.settings.data_dir).path(reuse.image_sha256)
    if not path.is_file():
        raise NotFound(_("The file is missing from the store."))
    with path.open("rb") as handle:
        media_type = image_type(handle.read(16)) or "application/octet-stream"
    return FileResponse(path, media_type=media_type)


@router.get("/resources/{resource_id}")
def resource_detail(
    resource_id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> dict[str, Any]:
    """A resource with its fields, validation report and file history (publishers only)."""
    repository = ResourceRepository(session, principal)
    resource = repository.get(resource_id)
    if resource is None:
        raise NotFound(_("No resource {ref!r}.").format(ref=resource_id))
    out = resource_dict(resource, request.app.state.settings.base_url.rstrip("/"))
    out["fields"] = resource.fields
    if service.may_edit(principal, resource.dataset):
        out["report"] = resource.report
        out["history"] = [
            {
                "version": f.version,
                "filename": f.filename,
                "sha256": f.sha256,
                "size": f.size,
                "uploaded_at": f.uploaded_at.isoformat(),
                "valid": f.valid,
                "current": f.is_current,
            }
            for f in repository.files(resource.id)
        ]
    return out
