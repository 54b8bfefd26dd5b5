"""Resources: links and uploaded files, each upload validated and loaded into the datastore."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from servicielle.catalog import datastore
from servicielle.catalog.fields import Field
from servicielle.catalog.ingest import (
    IngestError,
    ValidationReport,
    infer_fields,
    read_file,
    typed_rows,
    validate,
)
from servicielle.catalog.inputs import ResourceInput
from servicielle.catalog.models import (
    Dataset,
    Resource,
    ResourceFile,
    ResourceKind,
    ResourceStatus,
)
from servicielle.catalog.repository import ResourceRepository
from servicielle.catalog.schemas import get_schema, load_descriptor
from servicielle.catalog.service import refresh_resource_terms, reindex, touch_data
from servicielle.catalog.storage import FileStore, StoredFile
from servicielle.config import Settings
from servicielle.core.db import utcnow
from servicielle.core.errors import InvalidInput
from servicielle.core.i18n import _
from servicielle.core.permissions import Principal

TABULAR = frozenset({"csv", "tsv", "txt", "xlsx", "json", "geojson"})
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "geojson": "application/geo+json",
    "parquet": "application/vnd.apache.parquet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Upload:
    """A file as received: its name and a stream of its bytes."""

    filename: str
    stream: BinaryIO


def format_of(filename: str, declared: str | None) -> str:
    """The format a resource declares, else the file's extension."""
    if declared:
        return declared.lower().lstrip(".")
    suffix = PurePath(filename).suffix.lower().lstrip(".")
    return suffix or "bin"


def _schema_descriptor(resource: Resource) -> dict[str, Any] | None:
    if not resource.schema_name:
        return None
    info = get_schema(resource.schema_name)
    resource.schema_version = info.version
    return load_descriptor(info)


def check_schema(name: str | None) -> None:
    """Refuse an unknown schema before anything is stored."""
    if name:
        get_schema(name)


def store_upload(settings: Settings, upload: Upload) -> StoredFile:
    """Write the upload to the file store, within the size limit."""
    return FileStore(settings.data_dir).put_stream(upload.stream, limit=settings.upload_max_bytes)


def attach_file(
    session: Session,
    principal: Principal,
    resource: Resource,
    stored: StoredFile,
    filename: str,
    declared_format: str | None = None,
) -> ResourceFile:
    """Record a new version of ``resource``'s file; load it if it is valid tabular data.

    An invalid file is kept as a draft version with its report; the published data,
    if any, stays as it was.
    """
    fmt = format_of(filename, declared_format)
    version = ResourceRepository(session, principal).next_version(resource.id)
    record = ResourceFile(
        resource_id=resource.id,
        version=version,
        sha256=stored.sha256,
        size=stored.size,
        filename=filename[:300],
        format=fmt,
        uploaded_by_id=principal.user.id if principal.user else None,
    )
    loaded: tuple[str, list[Field], int] | None = None
    if fmt in TABULAR:
        report, loaded = _ingest(session, resource, stored, filename, fmt, version)
        record.report = report
        record.valid = bool(report["valid"])
    else:
        record.valid = True
    session.add(record)
    resource.report = record.report
    if record.valid:
        _make_current(session, resource, record, stored, loaded)
    elif resource.checksum is None:
        resource.status = ResourceStatus.DRAFT
    session.flush()
    return record


def _ingest(
    session: Session, resource: Resource, stored: StoredFile, filename: str, fmt: str, version: int
) -> tuple[dict[str, Any], tuple[str, list[Field], int] | None]:
    descriptor = _schema_descriptor(resource)
    try:
        parsed = read_file(stored.path, filename=filename, declared_format=fmt)
        fields = infer_fields(parsed, descriptor)
        report = validate(parsed, fields, descriptor)
    except IngestError as exc:
        return {"valid": False, "fatal": exc.detail, "errors": [], "error_count": 1}, None
    if resource.schema_name:
        report.schema_name = resource.schema_name
    if not report.valid:
        return report.to_dict(), None
    name = datastore.table_name(resource.id, version)
    count = datastore.create(session, name, fields, typed_rows(parsed, fields))
    return report.to_dict(), (name, fields, count)


def _make_current(
    session: Session,
    resource: Resource,
    record: ResourceFile,
    stored: StoredFile,
    loaded: tuple[str, list[Field], int] | None,
) -> None:
    for previous in ResourceRepository(session, Principal()).files(resource.id):
        if previous is not record:
            previous.is_current = False
    record.is_current = True
    old_table = resource.datastore_table
    if loaded is not None:
        resource.datastore_table, fields, resource.row_count = loaded
        resource.fields = [f.to_dict() for f in fields]
    else:
        resource.datastore_table, resource.row_count, resource.fields = None, None, []
    if old_table and old_table != resource.datastore_table:
        datastore.drop(session, old_table)
    resource.kind = ResourceKind.FILE
    resource.status = ResourceStatus.PUBLISHED
    resource.checksum = stored.sha256
    resource.size = stored.size
    resource.filename = record.filename
    resource.format = record.format
    resource.mimetype = MIMETYPES.get(record.format) or mimetypes.guess_type(record.filename)[0]
    resource.last_modified = utcnow()
    resource.url = None
    touch_data(resource.dataset)
    refresh_resource_terms(resource.dataset)


def add_resource(
    session: Session,
    settings: Settings,
    principal: Principal,
    dataset: Dataset,
    data: ResourceInput,
    upload: Upload | None,
) -> tuple[Resource, ResourceFile | None]:
    """Add a link or a file to ``dataset``."""
    check_schema(data.schema_name)
    if upload is None and not data.url:
        raise InvalidInput.on_field("url", _("Give a file or a link."))
    title = data.title or (upload.filename if upload else data.url) or ""
    resource = Resource(
        dataset_id=dataset.id,
        dataset=dataset,
        title=title[:300],
        description=data.description or "",
        position=data.position if data.position is not None else len(dataset.resources),
        schema_name=data.schema_name,
        files=[],
    )
    dataset.resources.append(resource)
    record = None
    if upload is not None:
        stored = store_upload(settings, upload)
        session.add(resource)
        session.flush()
        record = attach_file(session, principal, resource, stored, upload.filename, data.format)
    else:
        resource.kind = ResourceKind(data.kind or "remote")
        resource.url = data.url
        resource.format = format_of(data.url or "", data.format)
        resource.last_modified = utcnow()
        session.add(resource)
        refresh_resource_terms(dataset)
    reindex(session, dataset)
    session.flush()
    return resource, record


def update_resource(
    session: Session,
    settings: Settings,
    principal: Principal,
    resource: Resource,
    data: ResourceInput,
    fields: set[str],
    upload: Upload | None,
) -> ResourceFile | None:
    """Change a resource's metadata and, with ``upload``, its file."""
    if "schema_name" in fields:
        check_schema(data.schema_name)
        resource.schema_name = data.schema_name
    for name in ("title", "description", "position"):
        if name in fields and getattr(data, name) is not None:
            setattr(resource, name, getattr(data, name))
    if "url" in fields and data.url and upload is None:
        resource.url = data.url
        resource.kind = ResourceKind(data.kind or "remote")
        resource.format = format_of(data.url, data.format)
    elif "format" in fields and data.format and upload is None:
        resource.format = data.format.lower()
    record = None
    if upload is not None:
        stored = store_upload(settings, upload)
        record = attach_file(session, principal, resource, stored, upload.filename, data.format)
    resource.modified_at = utcnow()
    refresh_resource_terms(resource.dataset)
    reindex(session, resource.dataset)
    session.flush()
    return record


def report_summary(report: dict[str, Any] | None) -> list[str]:
    """The first messages of a stored report, in the current locale."""
    if not report:
        return []
    if report.get("fatal"):
        return [str(report["fatal"])]
    return [e.message for e in ValidationReport.from_dict(report).errors]
