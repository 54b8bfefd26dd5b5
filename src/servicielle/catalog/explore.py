"""OpenDataSoft Explore v2.1 style API: dataset list, records, exports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy.exc import DataError

from servicielle.catalog import datastore, exports, service
from servicielle.catalog.ckan.dictize import package_dict
from servicielle.catalog.fields import Field
from servicielle.catalog.models import Dataset, Resource, ResourceStatus
from servicielle.catalog.odsql import CompiledQuery, QueryError, QueryParams, compile_query
from servicielle.catalog.published import rows_source
from servicielle.catalog.repository import DatasetRepository, SearchCriteria
from servicielle.core.accounts.auth import CurrentPrincipal
from servicielle.core.errors import NotFound
from servicielle.core.i18n import _
from servicielle.core.session import DbSession

PREFIX = "/api/explore/v2.1"
router = APIRouter(prefix=PREFIX, tags=["explore"])
MAX_LIMIT = 100
MAX_GROUP_LIMIT = 20_000
MAX_WINDOW = 10_000


def _table_resource(dataset: Dataset, resource_id: str | None) -> Resource:
    candidates = [
        r for r in dataset.resources if r.datastore_active and r.status == ResourceStatus.PUBLISHED
    ]
    if resource_id:
        candidates = [r for r in candidates if r.id == resource_id]
    if not candidates:
        raise NotFound(_("This dataset has no queryable table."))
    return candidates[0]


def _fields_json(fields: list[Field]) -> list[dict[str, Any]]:
    return [
        {
            "name": f.name,
            "label": f.label or f.name,
            "type": f.type.value,
            "description": f.description or None,
        }
        for f in fields
    ]


def _dataset_json(dataset: Dataset, base_url: str) -> dict[str, Any]:
    package = package_dict(dataset, base_url)
    table = next((r for r in dataset.resources if r.datastore_active), None)
    fields = [Field.from_dict(f) for f in table.fields] if table else []
    return {
        "dataset_id": dataset.slug,
        "dataset_uid": dataset.id,
        "has_records": table is not None,
        "fields": _fields_json(fields),
        "metas": {
            "default": {
                "title": dataset.title,
                "description": dataset.description,
                "theme": dataset.values("theme"),
                "keyword": dataset.values("keyword"),
                "license": package["license_title"],
                "license_url": package["license_url"],
                "modified": package["metadata_modified"],
                "data_processed": dataset.data_modified.isoformat(),
                "records_count": table.row_count if table else None,
                "publisher": dataset.organisation.name
                if dataset.organisation
                else dataset.community_author,
                "territory": dataset.values("commune"),
            }
        },
    }


def _params(
    select_: str | None,
    where: str | None,
    group_by: str | None,
    order_by: str | None,
    limit: int | None,
    offset: int,
    refine: list[str],
    exclude: list[str],
) -> QueryParams:
    return QueryParams(
        select=select_,
        where=where,
        group_by=group_by,
        order_by=order_by,
        limit=limit,
        offset=offset,
        refine=tuple(refine),
        exclude=tuple(exclude),
    )


SelectQ = Annotated[str | None, Query(alias="select", max_length=2000)]
WhereQ = Annotated[str | None, Query(max_length=4000)]
GroupQ = Annotated[str | None, Query(max_length=1000)]
OrderQ = Annotated[str | None, Query(max_length=1000)]
RefineQ = Annotated[list[str], Query(max_length=500)]


@router.get("/catalog/datasets")
def datasets(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    where: WhereQ = None,
    limit: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    """Public datasets; ``where`` is a full-text search here."""
    result = DatasetRepository(session, principal).search(
        SearchCriteria(text=(where or "").strip("\"' "), rows=limit, start=offset)
    )
    base = request.app.state.settings.base_url.rstrip("/")
    return JSONResponse(
        {"total_count": result.count, "results": [_dataset_json(d, base) for d in result.datasets]}
    )


@router.get("/catalog/datasets/{dataset_id}")
def dataset(
    dataset_id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> JSONResponse:
    """One dataset's metadata and fields."""
    found = service.get_visible(session, principal, dataset_id)
    return JSONResponse(_dataset_json(found, request.app.state.settings.base_url.rstrip("/")))


def _compile(dataset: Dataset, resource_id: str | None, params: QueryParams) -> CompiledQuery:
    source, fields = rows_source(_table_resource(dataset, resource_id))
    return compile_query(source, fields, params)


@router.get("/catalog/datasets/{dataset_id}/records")
def records(
    dataset_id: str,
    session: DbSession,
    principal: CurrentPrincipal,
    select_: SelectQ = None,
    where: WhereQ = None,
    group_by: GroupQ = None,
    order_by: OrderQ = None,
    limit: Annotated[int, Query(ge=-1)] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
    refine: RefineQ = [],  # noqa: B006 - FastAPI copies defaults
    exclude: RefineQ = [],  # noqa: B006
    resource: str | None = None,
) -> JSONResponse:
    """Rows of a dataset's table, filtered, grouped, sorted and paged."""
    cap = MAX_GROUP_LIMIT if group_by else MAX_LIMIT
    if limit == -1 or limit > cap:
        raise QueryError(
            _("limit must be between 0 and {cap}; use the exports for everything.").format(cap=cap),
            clause="limit",
            position=None,
            text=str(limit),
        )
    if offset + limit > (MAX_GROUP_LIMIT if group_by else MAX_WINDOW):
        raise QueryError(
            _("offset + limit must stay under {window}; use the exports for everything.").format(
                window=MAX_WINDOW
            ),
            clause="offset",
            position=None,
            text=str(offset),
        )
    found = service.get_visible(session, principal, dataset_id)
    query = _compile(
        found, resource, _params(select_, where, group_by, order_by, limit, offset, refine, exclude)
    )
    try:
        total = int(session.scalar(query.count_statement) or 0)
        rows = session.execute(query.statement).all()
    except DataError as exc:
        # Arithmetic the database refuses (an overflow, say) is the query's fault, not ours.
        raise QueryError(
            _("The database cannot compute this query: {reason}").format(
                reason=str(exc.orig).splitlines()[0]
            ),
            clause="select",
            position=None,
            text=select_ or "",
        ) from None
    return JSONResponse(
        {"total_count": total, "results": [query.decode(r) for r in rows]},
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/catalog/datasets/{dataset_id}/exports/{format}")
def export(
    dataset_id: str,
    format: str,
    session: DbSession,
    principal: CurrentPrincipal,
    select_: SelectQ = None,
    where: WhereQ = None,
    group_by: GroupQ = None,
    order_by: OrderQ = None,
    limit: Annotated[int, Query(ge=-1)] = -1,
    refine: RefineQ = [],  # noqa: B006
    exclude: RefineQ = [],  # noqa: B006
    delimiter: Annotated[str, Query(pattern=r"^(;|,|\t|\|)$")] = ";",
    with_bom: bool = True,
    resource: str | None = None,
) -> Response:
    """Every matching row, streamed, in ``csv``, ``json``, ``geojson``, ``parquet`` or ``xlsx``."""
    if format not in exports.MEDIA_TYPES:
        raise NotFound(
            _("Unknown export format {format!r}; use csv, json, geojson, parquet or xlsx.").format(
                format=format
            )
        )
    found = service.get_visible(session, principal, dataset_id)
    params = _params(
        select_, where, group_by, order_by, None if limit == -1 else limit, 0, refine, exclude
    )
    query = _compile(found, resource, params)
    # Rows stream from the database in batches as the client reads them.
    rows = datastore.stream(session, query.statement)
    body: Any
    if format == "csv":
        body = exports.csv_chunks(query, rows, delimiter=delimiter, bom=with_bom)
    elif format == "json":
        body = exports.json_chunks(query, rows)
    elif format == "geojson":
        body = exports.geojson_chunks(query, rows)
    elif format == "parquet":
        body = exports.file_chunks(exports.parquet_file(query, rows))
    else:
        body = exports.file_chunks(exports.xlsx_file(query, rows))
    filename = f"{found.slug}.{format}"
    return StreamingResponse(
        body,
        media_type=exports.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
