"""Photos of reports for staff, hidden ones included, under the same rule as the report's page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from servicielle.core.errors import NotFound
from servicielle.core.i18n import _
from servicielle.core.ids import is_id
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.reports import bulk
from servicielle.reports.backoffice import Handler
from servicielle.reports.models import ReportPhoto
from servicielle.reports.repository import ReportRepository

router = APIRouter(prefix="/signalements")
PHOTO_CACHE = "private, max-age=300"


def _photo(session: Session, principal: Principal, photo_id: int) -> ReportPhoto:
    photo = ReportRepository(session).photo(photo_id) if is_id(photo_id) else None
    if photo is None:
        raise NotFound(_("No such photo."))
    bulk.staff_report(session, principal, photo.report_id)
    return photo


@router.get("/photos/{photo_id:int}.jpg")
def photo(session: DbSession, photo_id: int, principal: Handler) -> Response:
    """A report's photo for staff, a hidden one included."""
    found = _photo(session, principal, photo_id)
    return Response(found.content, media_type="image/jpeg", headers={"Cache-Control": PHOTO_CACHE})


@router.get("/photos/{photo_id:int}/vignette.jpg")
def thumbnail(session: DbSession, photo_id: int, principal: Handler) -> Response:
    """A report's photo, small."""
    found = _photo(session, principal, photo_id)
    return Response(
        found.thumbnail, media_type="image/jpeg", headers={"Cache-Control": PHOTO_CACHE}
    )
