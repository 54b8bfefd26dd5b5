"""Public pages of citizen reports: the list and its map, photos; the other pages are
mounted from ``views_form`` and ``views_submit`` (reporting), ``views_report`` (one report)
and ``views_follow`` (emailed links, alerts)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from servicielle.core.errors import NotFound
from servicielle.core.i18n import _
from servicielle.core.ids import is_id
from servicielle.core.pagination import PageParams
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.reports import views_follow, views_form, views_report, views_submit
from servicielle.reports.labels import status_label
from servicielle.reports.models import open311_status
from servicielle.reports.repository import CategoryRepository, ReportRepository
from servicielle.reports.views_common import (
    PAGE_SIZE,
    ListFilters,
    commune_choices,
    helpers,
    list_filters,
    names_for,
    status_filter_choices,
)

router = APIRouter(prefix="/signalements")
# The map shows the most recent reports matching the filters; the list pages through all.
MAP_LIMIT = 1000
# Photos may be hidden by a moderator: caches must ask again soon.
PHOTO_CACHE = "public, max-age=600"

Filters = Annotated[ListFilters, Depends(list_filters)]


@router.get("", response_class=HTMLResponse)
def list_page(
    request: Request,
    session: DbSession,
    filters: Filters,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Public reports on a map and in a list, with filters."""
    repository = ReportRepository(session)
    reports, total = repository.search(
        filters.report_filters(), PageParams(page=page, page_size=PAGE_SIZE)
    )
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        "reports/list.html",
        {
            "reports": reports,
            "total": total,
            "names": names_for(session, reports),
            "page": {"page": page, "pages": pages},
            "filters": filters,
            "categories": CategoryRepository(session).active(),
            "communes": commune_choices(session),
            "statuses": status_filter_choices(),
            **helpers(),
        },
    )


@router.get("/carte.json")
def map_data(session: DbSession, filters: Filters) -> JSONResponse:
    """The reports of the list as GeoJSON points: public fields only."""
    reports, total = ReportRepository(session).search(
        filters.report_filters(), PageParams(page=1, page_size=MAP_LIMIT)
    )
    names = names_for(session, reports)
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "id": report.id,
            "geometry": {"type": "Point", "coordinates": [report.lon, report.lat]},
            "properties": {
                "id": report.id,
                "category": names.category(report.category_id),
                "status": report.status,
                "open311_status": open311_status(report.status),
                "status_label": status_label(report.status, report.close_reason),
                "url": f"/signalements/{report.id}",
            },
        }
        for report in reports
        if report.lat is not None and report.lon is not None
    ]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features, "total": total},
        media_type="application/geo+json",
        headers={"Cache-Control": "no-cache"},
    )


def _photo(session: DbSession, photo_id: int, request: Request, *, thumbnail: bool) -> Response:
    repository = ReportRepository(session)
    photo = repository.photo(photo_id) if is_id(photo_id) else None
    if photo is None or photo.hidden or repository.get_public(photo.report_id) is None:
        raise NotFound(_("This photo does not exist or was removed."))
    etag = f'"{photo.sha256[:32]}{"-t" if thumbnail else ""}"'
    headers = {"Cache-Control": PHOTO_CACHE, "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    content = photo.thumbnail if thumbnail else photo.content
    return Response(content, media_type="image/jpeg", headers=headers)


@router.get("/photos/{photo_id:int}.jpg")
def photo(photo_id: int, request: Request, session: DbSession) -> Response:
    """A report's photo, unless a moderator hid it or the report is not public."""
    return _photo(session, photo_id, request, thumbnail=False)


@router.get("/photos/{photo_id:int}-vignette.jpg")
def photo_thumbnail(photo_id: int, request: Request, session: DbSession) -> Response:
    """A photo's thumbnail, under the same conditions."""
    return _photo(session, photo_id, request, thumbnail=True)


router.include_router(views_form.router)
router.include_router(views_submit.router)
router.include_router(views_follow.router)
router.include_router(views_report.router)
